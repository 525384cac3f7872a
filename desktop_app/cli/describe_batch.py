"""``describe --export-batch`` / ``--import-batch``: the command-line side of
``desktop_app.core.describe.batch`` (its options and its lines on stderr).

Kept out of ``describe.py`` so the describe loop can change without touching this.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from desktop_app.cli.common import EXIT_OK
from desktop_app.cli.i18n import tr
from desktop_app.core.describe.batch import DIALECTS, export_batch, import_batch, read_results
from desktop_app.core.describe.output import DescribeRow, RowWriter
from desktop_app.core.describe.run import DescribeJob, WorkItem


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--export-batch``, ``--import-batch`` and ``--batch-dialect``."""
    group = parser.add_argument_group(tr("batch engines (vllm run-batch, OpenAI Batch API)"))
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--export-batch",
        metavar="FILE.jsonl",
        type=Path,
        default=None,
        help=tr("write one OpenAI Batch request per image still to do, instead of describing"),
    )
    where.add_argument(
        "--import-batch",
        metavar="RESULTS.jsonl",
        type=Path,
        action="append",
        default=None,
        help=tr("add a batch run's results (output or error file) to --out (repeatable)"),
    )
    group.add_argument(
        "--batch-dialect",
        choices=tuple(DIALECTS),
        default="openai",
        help=tr(
            "extra sampling fields for the engine that will run the batch: vllm and "
            "llama.cpp also take top_k and a repeat penalty (default: openai, none)"
        ),
    )


def wants_batch(args: argparse.Namespace) -> bool:
    return bool(args.export_batch or args.import_batch)


def run_batch(
    args: argparse.Namespace,
    job: DescribeJob,
    writer: RowWriter,
    err: TextIO,
    *,
    work: Sequence[WorkItem],
    copies: Sequence[DescribeRow],
    existing: Sequence[DescribeRow],
) -> int:
    """Export or import for the images ``plan`` gave; one or a few lines on ``err``."""
    if args.export_batch:
        exported = export_batch(
            work, job, args.export_batch, writer, kind=DIALECTS[args.batch_dialect]
        )
        err.write(
            tr(
                "localsight: %n request(s) written to {file}.",
                n=exported.requests,
                file=args.export_batch,
            )
            + "\n"
        )
        if exported.errors:
            line = tr(
                "localsight: %n unreadable image(s) written to {out} as error rows.",
                n=exported.errors,
                out=writer.path,
            )
            err.write(line + "\n")
        return EXIT_OK
    results = read_results(args.import_batch)
    summary = import_batch(results, job, writer, work=work, copies=copies, existing=existing)
    for path, number in summary.malformed:
        err.write(
            tr(
                "localsight: {file}, line {line}: not a batch result; skipped.",
                file=path,
                line=number,
            )
            + "\n"
        )
    if summary.unknown:
        err.write(
            tr(
                "localsight: %n result(s) ignored: no image of this run has that sha256.",
                n=summary.unknown,
            )
            + "\n"
        )
    closing = tr(
        "localsight: imported: {described} described, {copied} copied from identical files, "
        "{errors}; {remaining}; results in {out}.",
        described=summary.described,
        copied=summary.copied,
        errors=tr("%n error(s)", n=summary.errors),
        remaining=tr("%n image(s) still to do", n=summary.remaining),
        out=writer.path,
    )
    err.write(closing + "\n")
    return EXIT_OK
