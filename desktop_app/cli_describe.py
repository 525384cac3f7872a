"""``localsight describe``: describe every image under some folders, resumably.

The work is in ``desktop_app.core.describe``; this module is the command line around it:
options (the same backend and model options as ``ask``), the progress bar on stderr, and
Ctrl+C. The first Ctrl+C lets the current image finish and exits with 130; a second one
cancels the running generation too (that image gets no row and is redone on the next run).
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

from backends.base import Backend, CancelToken, GenerationOptions
from desktop_app.cli_models import HOST_HELP
from desktop_app.core.backend_factory import (
    BACKEND_NAMES,
    backend_name,
    default_model_id,
    make_backend,
)
from desktop_app.core.describe import (
    DEFAULT_PROMPT,
    DescribeError,
    DescribeJob,
    DescribeSummary,
    find_images,
    plan,
    restore_sidecars,
    run_describe,
)
from desktop_app.core.describe_output import (
    FORMATS,
    DescribeRow,
    OutputFileError,
    RowWriter,
    format_for,
    read_rows,
)
from desktop_app.core.images import ImagePolicy
from desktop_app.core.settings import AppPaths, Settings

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def add_describe_command(commands: Any) -> None:
    """Register ``describe`` on the ``localsight`` subcommand parser."""
    parser = commands.add_parser(
        "describe",
        help="describe every image under folders into a JSONL/CSV file (resumable)",
        description="Describe every image under PATHs with one model. Results are appended "
        "to --out as they are made; re-running skips images already described there with "
        "the same model and prompt.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help=f'default: "{DEFAULT_PROMPT}"')
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=None)
    parser.add_argument("--host", metavar="URL", help=HOST_HELP)
    parser.add_argument("--model", help="a .gguf path or a model name (default: your setting)")
    parser.add_argument("--mmproj", help="the vision projector .gguf belonging to --model")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="result file (default: descriptions.jsonl or .csv in the current folder)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default=None, help="default: from --out's suffix, else jsonl"
    )
    parser.add_argument(
        "--sidecar", action="store_true", help="also write PHOTO.jpg.txt beside each image"
    )
    parser.add_argument("--recursive", "-r", action="store_true", help="descend into subfolders")
    parser.add_argument(
        "--retry-errors", action="store_true", help="describe images that failed before again"
    )
    parser.add_argument("--max-tokens", type=_positive_int, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--threads", type=_positive_int, default=None)
    parser.add_argument("--ctx", type=_positive_int, default=None, help="context size in tokens")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


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
            self._err.write("\nlocalsight: stopping after this image (Ctrl+C again to stop now).\n")
        elif not self.cancel.cancelled:
            self.cancel.cancel()
        else:  # a third Ctrl+C: something is stuck (a long image encode); leave now
            raise KeyboardInterrupt
        self._err.flush()


def _model_id(backend: Backend, args: argparse.Namespace, settings: Settings) -> str:
    """The same model choice as ``ask``: a GGUF path is registered, a name used as is."""
    if args.mmproj and not args.model:
        raise DescribeError("--mmproj needs --model: give the language model file too.")
    if args.model and (args.mmproj or Path(args.model).suffix.lower() == ".gguf"):
        register = getattr(backend, "register", None)
        if register is not None:
            return str(register(args.model, args.mmproj).id)
        return str(args.model)
    return str(args.model or default_model_id(backend, settings))


def _options(args: argparse.Namespace, settings: Settings) -> GenerationOptions:
    return GenerationOptions(
        temperature=settings.temperature if args.temperature is None else args.temperature,
        max_tokens=args.max_tokens or settings.max_tokens,
        num_ctx=args.ctx or settings.num_ctx,
        threads=args.threads or settings.threads,
        seed=args.seed,
    )


def run_describe_command(
    args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO
) -> int:
    """Run ``describe``; problems with the paths or --out are one line and exit 1."""
    try:
        return _describe(args, paths, err)
    except (DescribeError, OutputFileError) as error:
        err.write(f"localsight: error: {error}\n")
        return EXIT_ERROR


def _describe(args: argparse.Namespace, paths: AppPaths, err: TextIO) -> int:
    settings = Settings.load(paths.settings_path)
    fmt = format_for(args.out or Path("descriptions.jsonl"), args.format)
    out_path: Path = args.out or Path(f"descriptions.{fmt}")
    files = find_images(args.paths, recursive=args.recursive)
    existing = read_rows(out_path, fmt)
    name = backend_name(args.backend, args.host, settings)
    backend = make_backend(name, settings, paths, isolated=True, host=args.host)
    try:
        for warning in getattr(backend, "warnings", ()):
            err.write(f"localsight: warning: {warning}\n")
        job = DescribeJob(
            model=_model_id(backend, args, settings),
            prompt=args.prompt,
            options=_options(args, settings),
            policy=ImagePolicy(max_long_edge=settings.image_long_edge),
            sidecar=args.sidecar,
            retry_errors=args.retry_errors,
        )
        work, copies, done = plan(files, existing, job)
        if job.sidecar:
            restore_sidecars(existing, job)
        err.write(
            f"localsight: {len(files)} images: {done} already in {out_path}, "
            f"{len(work) + len(copies)} to describe.\n"
        )
        writer = RowWriter(out_path, fmt)
        try:
            with _InterruptFlags(err) as flags:
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
    finally:
        backend.close()
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
    from tqdm import tqdm

    # count, rate and ETA; only the images needing the model are counted, so the rate
    # and ETA are about real work
    with tqdm(
        total=len(work),
        file=err,
        unit="img",
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
            on_row=lambda row: bar.update(1),
        )


def _closing_line(summary: DescribeSummary, out_path: Path) -> str:
    state = "stopped" if summary.interrupted else "done"
    return (
        f"localsight: {state}: {summary.described} described, {summary.copied} copied from "
        f"identical files, {summary.errors} errors, {summary.skipped} already done; "
        f"results in {out_path}"
        + ("; run the same command again to continue." if summary.interrupted else ".")
    )
