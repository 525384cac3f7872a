"""Describe many images with one model, resumably: the engine behind ``localsight describe``.

Qt-free so the CLI (and later the window's "describe each") share it.

Resume key: ``(sha256 of the image file as stored on disk, model, prompt)``. The source
file's hash, not the normalised bytes' hash, because it can be computed without decoding
(a re-run over 3 000 photos that are all done does no image work at all), it does not
change when Pillow or the long-edge setting changes, and a person can check it with
``sha256sum``. A row is "done" for a path when the output already holds that path with
that key; the same content under a second path (a copy) gets the first row's answer copied
without running the model again. Error rows count as done too (a broken file stays broken),
unless ``retry_errors`` is set; then the newest row for a path is the one that counts.

Stopping: ``stop`` is checked between images (the first Ctrl+C finishes the current row),
``cancel`` is the running generation's token (the second Ctrl+C); a cancelled generation
writes no row, so a re-run describes that image again and nothing is duplicated.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from backends.base import (
    Backend,
    BackendError,
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    Done,
    EngineCrashed,
    GenerationOptions,
    ImageInput,
    InvalidModelFile,
    Message,
    ModelNotFound,
    TextDelta,
    VisionNotSupported,
)
from backends.messages import Message as Sentence
from backends.messages import message, sentence_of
from desktop_app.core.describe.output import DescribeRow, RowSink
from desktop_app.core.images import ImageError, ImagePolicy, looks_like_image_path

DEFAULT_PROMPT = "Describe this image in one or two sentences."
SIDECAR_SUFFIX = ".txt"

# Errors that would repeat for every image: stop the run instead of writing N error rows.
FATAL_ERRORS: tuple[type[BackendError], ...] = (
    BackendUnavailable,
    ModelNotFound,
    VisionNotSupported,
    InvalidModelFile,
    EngineCrashed,
)


class DescribeError(Exception):
    """A problem with the run itself (a missing path); ``str()`` is one actionable line (a
    ``backends.messages.message``: the window and the CLI show it in the person's language)."""


@dataclass(frozen=True, slots=True)
class DescribeJob:
    """What to ask of every image."""

    model: str
    prompt: str
    options: GenerationOptions
    policy: ImagePolicy
    sidecar: bool = False
    retry_errors: bool = False


@dataclass(slots=True)
class DescribeSummary:
    """Counts for the closing line; ``interrupted`` when a Ctrl+C ended the run early."""

    total: int = 0
    skipped: int = 0
    described: int = 0
    copied: int = 0
    errors: int = 0
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class WorkItem:
    path: Path
    sha256: str


def find_images(paths: Sequence[str | os.PathLike[str]], *, recursive: bool) -> list[Path]:
    """Image files under ``paths``, sorted, each once.

    Folders contribute files whose extension looks like an image (their content is checked
    later, and a fake becomes an error row); a file named explicitly is always included.
    """
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.iterdir()
            for child in pattern:
                if child.is_file() and looks_like_image_path(child):
                    found.setdefault(os.path.abspath(child), child)
        elif path.is_file():
            found.setdefault(os.path.abspath(path), path)
        else:
            raise DescribeError(message("{path} does not exist.", path=str(path)))
    return [Path(key) for key in sorted(found)]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan(
    files: Iterable[Path], existing: Sequence[DescribeRow], job: DescribeJob
) -> tuple[list[WorkItem], list[DescribeRow], int]:
    """Split ``files`` into (to describe, rows to copy from an identical file, already done).

    A file that cannot be read becomes a work item with an empty hash: describing it
    produces its error row.
    """
    latest: dict[tuple[str, str], DescribeRow] = {}
    by_content: dict[str, DescribeRow] = {}
    for row in existing:
        if row.model != job.model or row.prompt != job.prompt:
            continue
        latest[(row.path, row.sha256)] = row
        if not (row.error and job.retry_errors):
            by_content.setdefault(row.sha256, row)
    work: list[WorkItem] = []
    copies: list[DescribeRow] = []
    done = 0
    for path in files:
        try:
            sha = file_sha256(path)
        except OSError:
            work.append(WorkItem(path, ""))
            continue
        previous = latest.get((str(path), sha))
        if previous is not None and not (previous.error and job.retry_errors):
            done += 1
        elif sha in by_content:
            copies.append(replace(by_content[sha], path=str(path), seconds=0.0))
        else:
            work.append(WorkItem(path, sha))  # twins within this run: see run_describe
    return work, copies, done


def describe_one(
    backend: Backend, item: WorkItem, job: DescribeJob, cancel: CancelToken
) -> DescribeRow | None:
    """Describe one image; an image or per-image model failure is an error row.

    Returns None when ``cancel`` stopped the generation (no row: the image is redone on
    the next run). Raises the :data:`FATAL_ERRORS`, which would fail every image alike.
    """
    from desktop_app.core.images import normalize_image

    started = time.perf_counter()
    image: ImageInput | None = None
    try:
        if not item.sha256:
            raise ImageError(message("{name} cannot be read.", name=item.path.name))
        image = normalize_image(item.path, policy=job.policy)
        text, cancelled = _generate(backend, image, job, cancel)
        if cancelled:
            return None
        error = ""
    except ImageError as exc:
        text, error = "", one_line(sentence_of(exc))
    except FATAL_ERRORS:
        raise
    except BackendError as exc:
        text, error = "", one_line(sentence_of(exc))
    return DescribeRow(
        path=str(item.path),
        sha256=item.sha256,
        width=image.width if image and not error else 0,
        height=image.height if image and not error else 0,
        model=job.model,
        prompt=job.prompt,
        text=text,
        seconds=round(time.perf_counter() - started, 3),
        error=error,
    )


def _generate(
    backend: Backend, image: ImageInput, job: DescribeJob, cancel: CancelToken
) -> tuple[str, bool]:
    request = ChatRequest(job.model, (Message("user", job.prompt, images=(image,)),), job.options)
    parts: list[str] = []
    reason = "stop"
    for chunk in backend.stream_chat(request, cancel):
        if isinstance(chunk, TextDelta):
            parts.append(chunk.text)
        elif isinstance(chunk, Done):
            reason = chunk.reason
    return "".join(parts).strip(), reason == "cancelled" or cancel.cancelled


def run_describe(
    backend: Backend,
    work: Sequence[WorkItem],
    copies: Sequence[DescribeRow],
    job: DescribeJob,
    writer: RowSink,
    *,
    stop: CancelToken,
    cancel: CancelToken,
    on_row: Callable[[DescribeRow], None] = lambda row: None,
) -> DescribeSummary:
    """Write the copied rows, then describe each work item; stops between rows on ``stop``."""
    summary = DescribeSummary(total=len(work) + len(copies))
    for copied in copies:
        emit_row(copied, job, writer, summary)
        summary.copied += 1
    described: dict[str, DescribeRow] = {}
    for item in work:
        if stop.cancelled:
            summary.interrupted = True
            break
        twin = described.get(item.sha256) if item.sha256 else None
        if twin is not None:
            row = replace(twin, path=str(item.path), seconds=0.0)
            summary.copied += 1
        else:
            made = describe_one(backend, item, job, cancel)
            if made is None:
                summary.interrupted = True
                break
            row = made
            summary.described += 1
            if item.sha256:
                described[item.sha256] = row
        emit_row(row, job, writer, summary)
        on_row(row)
    return summary


def emit_row(row: DescribeRow, job: DescribeJob, writer: RowSink, summary: DescribeSummary) -> None:
    writer.write(row)
    if row.error:
        summary.errors += 1
    elif job.sidecar:
        write_sidecar(Path(row.path), row.text)


def empty_row(item: WorkItem, job: DescribeJob, *, error: str = "") -> DescribeRow:
    """A row of ``item`` with no description yet: an error row when ``error`` is given
    (the pool's and the batch import's rows start from it)."""
    return DescribeRow(
        path=str(item.path),
        sha256=item.sha256,
        width=0,
        height=0,
        model=job.model,
        prompt=job.prompt,
        text="",
        seconds=0.0,
        error=error,
    )


def sidecar_path(image: Path) -> Path:
    """``photo.jpg`` → ``photo.jpg.txt``: never collides with ``photo.png``'s, never an image."""
    return image.with_name(image.name + SIDECAR_SUFFIX)


def write_sidecar(image: Path, text: str) -> None:
    """Write the description beside the image atomically (temp file, fsync, rename)."""
    target = sidecar_path(image)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def restore_sidecars(
    rows: Iterable[DescribeRow], job: DescribeJob, images: Iterable[Path] | None = None
) -> int:
    """Write missing sidecars for rows already done (a re-run with ``--sidecar`` added).

    The results file is data (it may come from another machine, a backup, someone else),
    so a row's path is not trusted to name a place to write: a row naming any existing
    file used to create ``<that file>.txt`` beside it, outside the folder being described.
    A sidecar is restored only for an image found this run (``images``) whose content is
    still the one the row describes (its sha256; a changed image is described again by the
    run, which writes its sidecar then).  Without ``images`` the row's file must at least
    be named like an image, so no row can create ``.bashrc.txt`` or ``notes.conf.txt``.
    """
    wanted = None if images is None else {os.path.abspath(image) for image in images}
    written = 0
    for row in rows:
        if row.error or row.model != job.model or row.prompt != job.prompt:
            continue
        image = Path(os.path.abspath(row.path))
        if wanted is None:
            if not looks_like_image_path(image):
                continue
        elif str(image) not in wanted:  # a file named on the command line may have any name
            continue
        if sidecar_path(image).exists():
            continue
        try:
            if not image.is_file() or file_sha256(image) != row.sha256:
                continue
        except OSError:
            continue
        write_sidecar(image, row.text)
        written += 1
    return written


def one_line(text: str) -> str:
    """``text`` on one line (a row's ``error`` is one line of a CSV cell or a table cell).

    A ``message`` already on one line is kept as it is: the window shows it in the person's
    language, while a row written to a file is its English ``str`` (``output.RowWriter``),
    so a results file never changes with the language.
    """
    flat = " ".join(text.split())
    return text if isinstance(text, Sentence) and flat == text else flat
