"""Hand a describe run to a big engine and take its answers back: the OpenAI Batch files.

``localsight describe --export-batch requests.jsonl`` writes one ``/v1/chat/completions``
request per image still to do, in the OpenAI Batch input format that ``vllm run-batch`` and
the batch APIs read::

    {"custom_id": SHA256, "method": "POST", "url": "/v1/chat/completions", "body": {...}}

``--import-batch results.jsonl`` reads their output (and error) files, whose lines are::

    {"id": ..., "custom_id": SHA256, "response": {"status_code": 200, "request_id": ...,
     "body": {a chat.completion}}, "error": null}

and writes one row per image into ``--out`` exactly as a local run would (through the same
``RowSink``, fsync per row), so a cluster run and a local run give the same file and resume
each other.

Why it is built this way:

* ``custom_id`` is the row's resume key hash: the sha256 of the image *file* (see
  ``run.py``), so a result finds its images again without any state kept between export
  and import, and a copy of an image (same content under two paths) is one request whose
  answer becomes a row for each path -- as a local run copies it.
* The body is what LocalSight itself sends (``backends.openai_compat.wire``): the same
  message shape, the normalised image as a data URI, the same options, minus streaming
  (batch answers are whole).  ``top_k`` and the repeat penalty are not OpenAI parameters;
  they are added only for the dialect asked for (``vllm``, ``llama.cpp``), since the OpenAI
  batch API refuses unknown fields.
* The request file is written beside its target and renamed over it when complete: a crash
  never leaves half a batch that would be submitted as if whole.
* An image that cannot be read becomes its error row at export time, as a local run writes
  it, instead of a request.
* Import trusts nothing in the results file: a line that is not a result is reported by
  its number and skipped (its image stays to do), an id that is no image of this run is
  counted and ignored, an image already in ``--out`` is never written twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from backends.base import ImageInput, Message
from backends.messages import message, sentence_of
from backends.openai_compat.wire import ServerKind, request_body
from desktop_app.core.describe.output import DescribeRow, RowSink
from desktop_app.core.describe.run import (
    DescribeJob,
    WorkItem,
    empty_row,
    one_line,
    write_sidecar,
)
from desktop_app.core.images import ImageError, normalize_image

BATCH_URL: Final = "/v1/chat/completions"
#: The dialects of extra sampling parameters; ``openai`` sends the OpenAI ones only.
DIALECTS: Final[dict[str, ServerKind]] = {
    "openai": "other",
    "vllm": "vllm",
    "llama.cpp": "llama.cpp",
}


def batch_body(job: DescribeJob, image: ImageInput, kind: ServerKind = "other") -> dict[str, Any]:
    """The chat-completion body LocalSight would send for ``image``, without streaming."""
    body = request_body(
        job.model, (Message("user", job.prompt, images=(image,)),), job.options, kind
    )
    body.pop("stream", None)
    body.pop("stream_options", None)
    return body


def batch_request(custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """One line of the OpenAI Batch input file."""
    return {"custom_id": custom_id, "method": "POST", "url": BATCH_URL, "body": body}


@dataclass(slots=True)
class ExportSummary:
    """``requests`` lines written; ``errors`` images that became error rows instead;
    ``copies`` images sharing another image's request (same content)."""

    requests: int = 0
    errors: int = 0
    copies: int = 0


def export_batch(
    work: Sequence[WorkItem],
    job: DescribeJob,
    target: Path,
    writer: RowSink,
    *,
    kind: ServerKind = "other",
) -> ExportSummary:
    """Write the batch input for ``work`` (the images :func:`~run.plan` left to do) to ``target``.

    Unreadable images are written to ``writer`` as error rows right away.
    """
    summary = ExportSummary()
    seen: set[str] = set()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            for item in work:
                if item.sha256 in seen:
                    summary.copies += 1
                    continue
                try:
                    if not item.sha256:
                        raise ImageError(message("{name} cannot be read.", name=item.path.name))
                    image = normalize_image(item.path, policy=job.policy)
                except ImageError as exc:
                    writer.write(empty_row(item, job, error=one_line(sentence_of(exc))))
                    summary.errors += 1
                    continue
                seen.add(item.sha256)
                line = batch_request(item.sha256, batch_body(job, image, kind))
                file.write(json.dumps(line, ensure_ascii=False) + "\n")
                summary.requests += 1
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return summary


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One answered request: its text, or the server's error message."""

    custom_id: str
    text: str = ""
    error: str = ""
    #: The request was not answered for a reason that is not about it (the batch expired or
    #: was cancelled, a 408/429/5xx): the image stays to do, for a later import or run.
    transient: bool = False


@dataclass(slots=True)
class ResultsFile:
    """What the results files held: answers by ``custom_id`` and the line numbers of the
    lines that were not results (``(file, line number)``)."""

    results: dict[str, BatchResult] = field(default_factory=dict)
    malformed: list[tuple[Path, int]] = field(default_factory=list)


def read_results(paths: Iterable[Path]) -> ResultsFile:
    """Read batch output and error files; an answer wins over an error for the same id."""
    found = ResultsFile()
    for path in paths:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                result = parse_result_line(raw)
                if result is None:
                    found.malformed.append((path, number))
                    continue
                previous = found.results.get(result.custom_id)
                if previous is None or (previous.error and not result.error):
                    found.results[result.custom_id] = result
    return found


def parse_result_line(raw: bytes | str) -> BatchResult | None:
    """One output or error line, or None when it is not one."""
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    custom_id = record.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return None
    response = record.get("response")
    error = record.get("error")
    body = response.get("body") if isinstance(response, dict) else None
    status = response.get("status_code") if isinstance(response, dict) else None
    if error or (isinstance(status, int) and status >= 400):
        detail = _error_detail(error) or _error_detail(
            body.get("error") if isinstance(body, dict) else None
        )
        if not detail:
            detail = f"HTTP {status}" if isinstance(status, int) else "unknown error"
        # A batch-level error object (no response: expired, cancelled) or a status that is
        # the server's state, not the request's: not a verdict on the image.
        transient = not isinstance(response, dict) or (
            isinstance(status, int) and (status in (408, 429) or status >= 500)
        )
        return BatchResult(custom_id, error=one_line(detail), transient=transient)
    text = _answer(body)
    return None if text is None else BatchResult(custom_id, text=text)


def _answer(body: object) -> str | None:
    """The first choice's message content of a ``chat.completion``, stripped as a local run
    strips the streamed text."""
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    content = choices[0].get("message", {})
    content = content.get("content") if isinstance(content, dict) else None
    if content is None:
        return ""  # an answer with no text (a reasoning model cut off): as a local run
    return content.strip() if isinstance(content, str) else None


def _error_detail(error: object) -> str:
    """The message of an OpenAI ``{"code", "message"}`` error or vLLM's plain string."""
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        text = error.get("message")
        code = error.get("code")
        if isinstance(text, str) and text:
            return f"{code}: {text}" if isinstance(code, str) and code else text
    return ""


@dataclass(slots=True)
class ImportSummary:
    """Counts for the closing line."""

    described: int = 0
    copied: int = 0
    errors: int = 0
    remaining: int = 0
    unknown: int = 0
    malformed: list[tuple[Path, int]] = field(default_factory=list)


def import_batch(
    results: ResultsFile,
    job: DescribeJob,
    writer: RowSink,
    *,
    work: Sequence[WorkItem],
    copies: Sequence[DescribeRow],
    existing: Sequence[DescribeRow],
) -> ImportSummary:
    """Write a row for every image of ``work`` that ``results`` answers, and the ``copies``.

    ``work``, ``copies`` and ``existing`` are :func:`~run.plan`'s view of this run, so an
    image already in the output is never written again and a re-import adds only what is
    new.  Images without an answer stay to do (``remaining``).
    """
    summary = ImportSummary(malformed=list(results.malformed))
    for copied in copies:
        emit_row(copied, job, writer, summary)
        summary.copied += 1
    answered: dict[str, DescribeRow] = {}
    for item in work:
        result = results.results.get(item.sha256) if item.sha256 else None
        if not item.sha256:  # unreadable now: the row a local run writes
            emit_row(empty_row(item, job, error=_unreadable(item)), job, writer, summary)
            continue
        if result is None or result.transient:
            summary.remaining += 1
            continue
        twin = answered.get(item.sha256)
        if twin is not None:
            emit_row(replace(twin, path=str(item.path)), job, writer, summary)
            summary.copied += 1
            continue
        row = _row_for(item, job, result)
        answered[item.sha256] = row
        emit_row(row, job, writer, summary)
        if not row.error:
            summary.described += 1
    known = {item.sha256 for item in work} | {row.sha256 for row in copies}
    known |= {row.sha256 for row in existing if row.model == job.model and row.prompt == job.prompt}
    summary.unknown = sum(1 for custom_id in results.results if custom_id not in known)
    return summary


def _row_for(item: WorkItem, job: DescribeJob, result: BatchResult) -> DescribeRow:
    """The row a local run writes: the size the model saw comes from normalising again."""
    if result.error:
        return empty_row(
            item, job, error=message("The batch request failed: {detail}", detail=result.error)
        )
    try:
        image = normalize_image(item.path, policy=job.policy)
    except ImageError as exc:  # changed or broken since the export
        return empty_row(item, job, error=one_line(sentence_of(exc)))
    return replace(empty_row(item, job), width=image.width, height=image.height, text=result.text)


def _unreadable(item: WorkItem) -> str:
    return one_line(message("{name} cannot be read.", name=item.path.name))


def emit_row(row: DescribeRow, job: DescribeJob, writer: RowSink, summary: ImportSummary) -> None:
    writer.write(row)
    if row.error:
        summary.errors += 1
    elif job.sidecar:
        write_sidecar(Path(row.path), row.text)
