"""The result file of ``localsight describe``: one row per image, JSONL or CSV, crash-safe.

Why it is built this way:

* Every row is written with one ``write`` call, flushed and fsynced before the next image
  starts, so killing the process (or a power cut) loses at most the row being generated.
* The file is also the resume record: before appending, the existing rows are read back. A
  row cut off by a kill (no final newline, or a CSV record with missing fields) is cut
  from the file, so the next row never gets glued onto a fragment; that image is simply
  described again.
* A file that is not a describe result (wrong header, foreign JSON) is refused rather than
  appended to: ``--out`` pointing at the wrong file must not damage it.
* CSV is meant to be opened in spreadsheets, so text that a spreadsheet would run as a
  formula (starting with ``= + - @`` or a tab) is prefixed with ``'``, the OWASP advice
  against CSV injection: a model's answer comes from an untrusted image.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, Literal, Protocol, TextIO

from backends.messages import message

Format = Literal["jsonl", "csv"]
FORMATS: Final = ("jsonl", "csv")

FIELDS: Final = (
    "path",
    "sha256",
    "width",
    "height",
    "model",
    "prompt",
    "text",
    "seconds",
    "error",
)

_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


class OutputFileError(Exception):
    """The result file cannot be used; ``str()`` says which file and what to do (a
    ``backends.messages.message``, shown in the person's language).  The rows themselves,
    ``error`` included, are data and always written in English."""


@dataclass(frozen=True, slots=True)
class DescribeRow:
    """One image's result; ``error`` is set (and ``text`` empty) when it failed.

    ``sha256`` is the hash of the image file as it is on disk (see ``describe.py`` for why),
    ``width``/``height`` the size the model saw after normalisation (0 on an error).
    """

    path: str
    sha256: str
    width: int
    height: int
    model: str
    prompt: str
    text: str
    seconds: float
    error: str

    def as_dict(self) -> dict[str, str | int | float]:
        return asdict(self)


def format_for(path: Path, requested: str | None) -> Format:
    """The format asked for, else the one the file name says (``.csv``), else JSONL."""
    if requested in FORMATS:
        return requested  # type: ignore[return-value]
    if requested is not None:
        raise OutputFileError(
            message("Unknown format {format}; use jsonl or csv.", format=repr(requested))
        )
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def read_rows(path: Path, fmt: Format) -> list[DescribeRow]:
    """The complete rows already in ``path``; cuts a fragment left by a kill off its end."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if fmt == "jsonl":
        rows, keep = _parse_jsonl(data, path)
    else:
        rows, keep = _parse_csv(data, path)
    if keep < len(data):
        if keep == 0 and not _could_be_our_start(data, fmt):
            raise _foreign(path, message("it does not start like one"))
        with path.open("r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
    return rows


class RowSink(Protocol):
    """Where :func:`~desktop_app.core.describe.run.run_describe` puts each row: a
    :class:`RowWriter` for the CLI, the results table for the window (which exports later)."""

    def write(self, row: DescribeRow) -> None: ...


class RowWriter:
    """Appends rows to the result file, each one durable before :meth:`write` returns."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.format = fmt
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        self._file: TextIO = path.open("a", encoding="utf-8", newline="")
        if new and fmt == "csv":
            self._write_line(_csv_line(list(FIELDS)))

    def write(self, row: DescribeRow) -> None:
        if self.format == "jsonl":
            self._write_line(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
        else:
            values = row.as_dict()
            for key in ("text", "error", "prompt"):
                values[key] = _defuse_formula(str(values[key]))
            self._write_line(_csv_line([str(values[key]) for key in FIELDS]))

    def close(self) -> None:
        self._file.close()

    def _write_line(self, line: str) -> None:
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())


def export_rows(rows: Iterable[DescribeRow], path: Path, fmt: Format) -> int:
    """Write ``rows`` to ``path`` as a new result file, replacing what was there; returns the count.

    The window's Export: the person chose the file (and confirmed replacing it), so unlike
    the CLI's ``--out`` nothing is appended. Written beside the target through
    :class:`RowWriter` (same format, same formula guard) and renamed over it only when
    complete, so a full disk or a crash never leaves a half-written export in its place.
    """
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    count = 0
    try:
        writer = RowWriter(temp, fmt)
        try:
            for row in rows:
                writer.write(row)
                count += 1
        finally:
            writer.close()
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


# --- parsing -------------------------------------------------------------------------------


def _parse_jsonl(data: bytes, path: Path) -> tuple[list[DescribeRow], int]:
    rows: list[DescribeRow] = []
    offset = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # the fragment of a row being written when the process died
        offset += len(line)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        row = _row_from(record) if isinstance(record, dict) else None
        if row is None:
            if not rows:
                raise _foreign(path, message("its first line is not a result row"))
            continue  # a damaged line in the middle: that image is described again
        rows.append(row)
    return rows, offset


def _parse_csv(data: bytes, path: Path) -> tuple[list[DescribeRow], int]:
    consumed = 0  # bytes of the lines the csv reader has pulled so far
    last_line = b""

    def feed() -> Iterator[str]:
        nonlocal consumed, last_line
        for line in data.splitlines(keepends=True):
            consumed += len(line)
            last_line = line
            yield line.decode("utf-8", errors="replace")

    reader = csv.reader(feed())
    rows: list[DescribeRow] = []
    keep = 0
    header_seen = False
    while True:
        try:
            record = next(reader)
        except (StopIteration, csv.Error):
            break
        if not last_line.endswith(b"\n"):
            break  # a record cut off by a kill: keep everything before it
        if not record:
            keep = consumed
            continue
        if not header_seen:
            if tuple(record) != FIELDS:
                raise _foreign(path, message("its header is not {header}", header=",".join(FIELDS)))
            header_seen = True
        elif len(record) != len(FIELDS):
            if consumed >= len(data):
                break  # the last record is short: cut off by a kill
            keep = consumed  # a damaged record in the middle: skipped, never truncated
            continue
        else:
            row = _row_from(dict(zip(FIELDS, record, strict=True)), csv_text=True)
            if row is not None:
                rows.append(row)
        keep = consumed
    return rows, keep


def _foreign(path: Path, why: str) -> OutputFileError:
    return OutputFileError(
        message(
            "{path} is not a describe result file ({why}); choose another --out.",
            path=str(path),
            why=why,
        )
    )


def _could_be_our_start(data: bytes, fmt: Format) -> bool:
    """Whether a file holding only a fragment is ours (cut while writing its first line)."""
    start = (",".join(FIELDS) + "\n").encode() if fmt == "csv" else b'{"path": '
    head = data[: len(start)]
    return start.startswith(head)


def _row_from(record: dict[str, object], *, csv_text: bool = False) -> DescribeRow | None:
    if not all(key in record for key in FIELDS):
        return None
    try:
        text = str(record["text"])
        error = str(record["error"])
        prompt = str(record["prompt"])
        if csv_text:
            text, error, prompt = (_restore_formula(v) for v in (text, error, prompt))
        return DescribeRow(
            path=str(record["path"]),
            sha256=str(record["sha256"]),
            width=int(str(record["width"] or 0)),
            height=int(str(record["height"] or 0)),
            model=str(record["model"]),
            prompt=prompt,
            text=text,
            seconds=float(str(record["seconds"] or 0)),
            error=error,
        )
    except (TypeError, ValueError):
        return None


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _defuse_formula(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _restore_formula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value
