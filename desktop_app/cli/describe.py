"""``localsight describe``: describe every image under some folders, resumably.

The work is in ``desktop_app.core.describe.run``; this module is the command line around it:
options (the same backend, model and generation options as ``ask``), the progress bar on
stderr, and Ctrl+C. The first Ctrl+C lets the current image finish and exits with 130; a
second one cancels the running generation too (that image gets no row and is redone on the
next run).
A signal handler sets flags instead of raising KeyboardInterrupt, because an exception
raised at an arbitrary point could cut a row in half; only a third Ctrl+C raises it.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from backends.base import Backend, CancelToken
from backends.messages import fill, sentence_of
from desktop_app.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    add_backend_arguments,
    add_generation_arguments,
    add_model_arguments,
    load_settings,
    open_backend,
    options_from,
    resolve_model,
)
from desktop_app.cli.describe_batch import add_batch_arguments, run_batch, wants_batch
from desktop_app.cli.describe_pool import (
    add_pool_arguments,
    pool_endpoints,
    run_pool_with_progress,
    single_server_args,
)
from desktop_app.cli.i18n import tr
from desktop_app.cli.progress import ProgressBar
from desktop_app.core.describe.output import (
    FORMATS,
    DescribeRow,
    OutputFileError,
    RowWriter,
    format_for,
    read_rows,
)
from desktop_app.core.describe.run import (
    DEFAULT_PROMPT,
    DescribeError,
    DescribeJob,
    DescribeSummary,
    find_images,
    plan,
    restore_sidecars,
    run_describe,
)
from desktop_app.core.images import ImagePolicy
from desktop_app.core.settings import AppPaths


def add_describe_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``describe`` on the ``localsight`` subcommand parser."""
    parser = commands.add_parser(
        "describe",
        help=tr("describe every image under folders into a JSONL/CSV file (resumable)"),
        description=tr(
            "Describe every image under PATHs with one model. Results are appended "
            "to --out as they are made; re-running skips images already described there with "
            "the same model and prompt."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help=tr("image files or folders"))
    parser.add_argument(
        "--prompt", default=DEFAULT_PROMPT, help=tr('default: "{prompt}"', prompt=DEFAULT_PROMPT)
    )
    add_backend_arguments(parser, repeatable=True)
    add_pool_arguments(parser)
    add_model_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=tr("result file (default: descriptions.jsonl or .csv in the current folder)"),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help=tr("default: from --out's suffix, else jsonl"),
    )
    parser.add_argument(
        "--sidecar", action="store_true", help=tr("also write PHOTO.jpg.txt beside each image")
    )
    parser.add_argument(
        "--recursive", "-r", action="store_true", help=tr("descend into subfolders")
    )
    parser.add_argument(
        "--retry-errors",
        action="store_true",
        help=tr("describe images that failed before again"),
    )
    add_generation_arguments(parser)
    add_batch_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help=tr("no progress bar on stderr"))


class _InterruptFlags:
    """SIGINT once: stop after this row. Twice: cancel the generation as well. Three times:
    KeyboardInterrupt, for when llama.cpp is inside one long call (rows already written are
    safe: each is one write followed by fsync)."""

    def __init__(self, err: TextIO) -> None:
        self.stop = CancelToken()
        self.cancel = CancelToken()
        self._err = err
        self._previous: Any = None

    def __enter__(self) -> _InterruptFlags:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is None:
            return
        if self.stop.cancelled:
            # On the way out with 130: a quick second Ctrl+C landing after the last row must
            # neither meet Python's KeyboardInterrupt (skipping the backend's close) nor, once
            # the interpreter finalizes (it resets Python-level handlers to the default, not
            # an ignore), kill the process by SIGINT.  Only closing files and the model is
            # left to do.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.stop.cancelled:
            self.stop.cancel()
            stopping = tr("localsight: stopping after this image (Ctrl+C again to stop now).")
            self._err.write(f"\n{stopping}\n")
        elif not self.cancel.cancelled:
            self.cancel.cancel()
        else:  # a third Ctrl+C: something is stuck (a long image encode); leave now
            raise KeyboardInterrupt
        self._err.flush()


def run_describe_command(
    args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO
) -> int:
    """Run ``describe``; problems with the paths or --out are one line and exit 1."""
    try:
        return _describe(args, paths, err)
    except (DescribeError, OutputFileError) as error:
        raise CliError(sentence_of(error)) from None


def _describe(args: argparse.Namespace, paths: AppPaths, err: TextIO) -> int:
    settings = load_settings(paths, err)
    fmt = format_for(args.out or Path("descriptions.jsonl"), args.format)
    out_path: Path = args.out or Path(f"descriptions.{fmt}")
    files = find_images(args.paths, recursive=args.recursive)
    existing = read_rows(out_path, fmt)
    pool = pool_endpoints(args, settings, paths)
    args = single_server_args(args, settings)
    with open_backend(args, settings, paths, err, isolated=True) as backend:
        job = DescribeJob(
            model=resolve_model(backend, args.model, args.mmproj, settings),
            prompt=args.prompt,
            options=options_from(args, settings),
            policy=ImagePolicy(max_long_edge=settings.image_long_edge),
            sidecar=args.sidecar,
            retry_errors=args.retry_errors,
        )
        work, copies, done = plan(files, existing, job)
        if job.sidecar:
            restore_sidecars(existing, job, files)
        if wants_batch(args):
            batch_writer = RowWriter(out_path, fmt)
            try:
                return run_batch(
                    args, job, batch_writer, err, work=work, copies=copies, existing=existing
                )
            finally:
                batch_writer.close()
        line = tr(
            "localsight: %n image(s): {done} already in {path}, {todo} to describe.",
            n=len(files),
            done=done,
            path=out_path,
            todo=len(work) + len(copies),
        )
        err.write(line + "\n")
        writer = RowWriter(out_path, fmt)
        try:
            with _InterruptFlags(err) as flags:
                if pool is not None and backend.name != "llama-cpp":  # in-process: one at a time
                    summary = run_pool_with_progress(
                        pool, work=work, copies=copies, job=job, writer=writer, flags=flags,
                        args=args, err=err,
                    )  # fmt: skip
                else:
                    summary = _run_with_progress(
                        backend,
                        work=work,
                        copies=copies,
                        job=job,
                        writer=writer,
                        flags=flags,
                        args=args,
                        err=err,
                    )
        finally:
            writer.close()
    summary.skipped = done
    err.write(_closing_line(summary, out_path) + "\n")
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK


def _run_with_progress(
    backend: Backend,
    *,
    work: list[Any],
    copies: list[DescribeRow],
    job: DescribeJob,
    writer: RowWriter,
    flags: _InterruptFlags,
    args: argparse.Namespace,
    err: TextIO,
) -> DescribeSummary:
    # count, rate and ETA; only the images needing the model are counted, so the rate
    # and ETA are about real work
    with ProgressBar(
        err,
        total=len(work),
        redraw=True,  # tqdm's own line, on a terminal or not
        unit=tr("img"),
        disable=args.no_progress or not work,
        dynamic_ncols=True,
        mininterval=0.5,
    ) as bar:
        return run_describe(
            backend,
            work,
            copies,
            job,
            writer,
            stop=flags.stop,
            cancel=flags.cancel,
            on_row=lambda row: bar.advance(),
        )


def _closing_line(summary: DescribeSummary, out_path: Path) -> str:
    """The last line: the counts, where the results are, and how to go on after a Ctrl+C."""
    if summary.interrupted:
        template = tr(
            "localsight: stopped: {described} described, {copied} copied from identical "
            "files, {errors}, {skipped} already done; results in {path}; run the same command "
            "again to continue."
        )
    else:
        template = tr(
            "localsight: done: {described} described, {copied} copied from identical files, "
            "{errors}, {skipped} already done; results in {path}."
        )
    return fill(
        template,
        described=summary.described,
        copied=summary.copied,
        errors=tr("%n error(s)", n=summary.errors),
        skipped=summary.skipped,
        path=out_path,
    )
