"""``localsight describe`` on a pool of servers: ``--concurrency``, repeated ``--host`` /
``--base-url``, ``--pool FILE``, and the per-server progress.

Kept apart from ``describe.py`` so the single-server path stays exactly as it was: with one
server and ``--concurrency 1`` (the default) none of this runs.  The work itself is
``desktop_app.core.describe.pool``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from backends.messages import sentence_of
from backends.openai_compat.endpoint import display_url
from desktop_app.cli.common import CliError, bounded_int
from desktop_app.cli.i18n import tr
from desktop_app.cli.openai import implied_backend, openai_overrides
from desktop_app.cli.progress import ProgressBar
from desktop_app.core.describe.output import DescribeRow, RowWriter
from desktop_app.core.describe.pool import AllEndpointsDropped, PoolEndpoint, PoolPolicy, run_pool
from desktop_app.core.describe.run import DescribeJob, DescribeSummary, WorkItem
from desktop_app.core.models.factory import backend_name, make_backend
from desktop_app.core.settings import AppPaths, Settings

if TYPE_CHECKING:
    from desktop_app.cli.describe import _InterruptFlags

MAX_CONCURRENCY = 256


def add_pool_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=bounded_int(MAX_CONCURRENCY),
        default=1,
        metavar="N",
        help=tr(
            "images in flight at once over all servers (default 1; in-process llama.cpp "
            "always does one)"
        ),
    )
    parser.add_argument(
        "--pool",
        type=Path,
        metavar="FILE",
        default=None,
        help=tr("servers to share the work: one URL per line, optionally followed by its limit"),
    )
    parser.add_argument(
        "--stall-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help=tr("a server that sends nothing for this long is given up on for that image"),
    )


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: str  # "ollama" or "openai"
    url: str
    limit: int | None  # None: up to --concurrency


def _specs(args: argparse.Namespace, settings: Settings) -> list[_Spec]:
    hosts: list[str] = list(args.host or [])
    urls: list[str] = list(getattr(args, "base_url", None) or [])
    first = hosts[0] if hosts else None
    kind = backend_name(implied_backend(args), first, settings)
    specs = [_Spec("ollama", host, None) for host in hosts]
    specs += [_Spec("openai", url, None) for url in urls]
    if args.pool is not None:
        specs += [
            _Spec("ollama" if kind == "ollama" else "openai", url, limit)
            for url, limit in read_pool_file(args.pool)
        ]
    return specs


def read_pool_file(path: Path) -> list[tuple[str, int | None]]:
    """``URL`` or ``URL N`` per line; ``#`` starts a comment; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(tr("cannot read {path}: {error}", path=path, error=error)) from None
    entries: list[tuple[str, int | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        limit: int | None = None
        if len(fields) == 2 and fields[1].isdigit() and int(fields[1]) >= 1:
            limit = int(fields[1])
        elif len(fields) != 1:
            raise CliError(
                tr(
                    "{path}, line {line}: expected a URL, optionally followed by a whole "
                    "number (its images in flight)",
                    path=path,
                    line=number,
                )
            )
        entries.append((fields[0], limit))
    if not entries:
        raise CliError(tr("{path} names no server.", path=path))
    return entries


def pool_endpoints(
    args: argparse.Namespace, settings: Settings, paths: AppPaths
) -> list[PoolEndpoint] | None:
    """The pool to use, or None for the one-server, one-at-a-time path of before."""
    specs = _specs(args, settings)
    if len(specs) <= 1 and args.concurrency == 1:
        return None
    one_shot = dataclasses.replace(settings, conversation_cache_mb=0)
    if not specs:  # --concurrency N against the one server the settings name
        kind = backend_name(implied_backend(args), None, settings)
        if kind == "llama-cpp":
            return None
        overrides = openai_overrides(_single(args, None))
        return [
            PoolEndpoint(
                kind,
                lambda: make_backend(kind, one_shot, paths, openai=overrides),
                args.concurrency,
            )
        ]
    endpoints = []
    for spec in specs:
        overrides = dataclasses.replace(openai_overrides(_single(args, None)), base_url=spec.url)

        def make(spec: _Spec = spec, overrides: Any = overrides) -> Any:
            return make_backend(
                spec.kind,
                one_shot,
                paths,
                host=spec.url if spec.kind == "ollama" else None,
                openai=overrides,
            )

        # Made once now: a mistyped address of a later pool line is said before the run,
        # not when that server is first dealt an image (which would end the run mid-way).
        make().close()
        endpoints.append(PoolEndpoint(display_url(spec.url), make, spec.limit or args.concurrency))
    return endpoints


def _single(args: argparse.Namespace, spec: _Spec | None) -> argparse.Namespace:
    single = argparse.Namespace(**vars(args))
    single.host = spec.url if spec and spec.kind == "ollama" else None
    single.base_url = spec.url if spec and spec.kind == "openai" else None
    return single


def single_server_args(args: argparse.Namespace, settings: Settings) -> argparse.Namespace:
    """``args`` with one ``--host`` / ``--base-url`` (the pool's first server, which also
    answers the model question): what the rest of ``describe`` was written for."""
    specs = _specs(args, settings)
    if not specs:
        return _single(args, None)
    return _single(args, specs[0])


def run_pool_with_progress(
    endpoints: list[PoolEndpoint],
    *,
    work: list[WorkItem],
    copies: list[DescribeRow],
    job: DescribeJob,
    writer: RowWriter,
    flags: _InterruptFlags,
    args: argparse.Namespace,
    err: TextIO,
) -> DescribeSummary:
    """``run_pool`` with a bar whose tail is each server's images/s and failures, a line per
    dropped server, and a closing line with the images/s over the whole run."""
    started = time.monotonic()
    done = [0] * len(endpoints)
    failed = [0] * len(endpoints)
    names = [endpoint.name for endpoint in endpoints]
    # the bar's tail has room for host:port only
    short = [urllib.parse.urlsplit(name).netloc or name for name in names]

    with ProgressBar(
        err,
        total=len(work),
        redraw=True,
        unit=tr("img"),
        disable=args.no_progress or not work,
        dynamic_ncols=True,
        mininterval=0.5,
    ) as bar:

        def tail() -> str:
            elapsed = max(time.monotonic() - started, 1e-6)
            return " | ".join(
                tr(
                    "{server} {rate}/s {failures} failed",
                    server=name,
                    rate=f"{count / elapsed:.2f}",
                    failures=fails,
                )
                for name, count, fails in zip(short, done, failed, strict=True)
            )

        def on_row(row: DescribeRow, index: int) -> None:
            done[index] += 1
            bar.postfix(tail())
            bar.advance()

        def on_failure(index: int, why: str, dropped: bool) -> None:
            failed[index] += 1
            bar.postfix(tail())
            if dropped:
                line = tr(
                    "localsight: {server} dropped from the pool after {count} failures in a "
                    "row: {error}",
                    server=names[index],
                    count=PoolPolicy().max_failures,
                    error=why,
                )
                err.write(f"\n{line}\n")
                err.flush()

        try:
            summary = run_pool(
                endpoints,
                work,
                copies,
                job,
                writer,
                concurrency=args.concurrency,
                stop=flags.stop,
                cancel=flags.cancel,
                policy=PoolPolicy(stall_s=args.stall_timeout),
                on_row=on_row,
                on_failure=on_failure,
            )
        except AllEndpointsDropped as error:
            raise CliError(sentence_of(error)) from None
    elapsed = max(time.monotonic() - started, 1e-6)
    made = summary.described + summary.copied
    err.write(
        tr(
            "localsight: {rate} images/s over {seconds} s on %n server(s).",
            n=len(endpoints),
            rate=f"{made / elapsed:.2f}",
            seconds=f"{elapsed:.1f}",
        )
        + "\n"
    )
    return summary
