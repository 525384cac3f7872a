"""Turns SQLite's failures into sentences a person can act on.

Why a module of its own: the store and the code that opens (and, if need be, sets aside) the
database both raise these, and the window and the CLI show them (``error_text``): each
sentence is a ``backends.messages.message``, so it reads in the person's language.  The
sentences say what happened, what to do, and that nothing already saved was lost, which SQLite's
transactions guarantee: a failed write is rolled back whole.

SQLite's result codes come from ``sqlite3.Error.sqlite_errorcode`` (Python 3.11+).  Errors
raised without one (older Pythons, or injected in tests) are classified by SQLite's own
message text, which has been stable for decades.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final, Literal

from backends.messages import Message, message

__all__ = ["NotFound", "StoreError", "is_corruption", "translate"]

ErrorKind = Literal[
    "disk_full",
    "io",
    "read_only",
    "busy",
    "corrupt",
    "cannot_open",
    "too_new",
    "not_found",
    "other",
]

# SQLite's primary result codes (stable C API values; sqlite3 only names them from 3.11).
_BUSY: Final = 5
_LOCKED: Final = 6
_READONLY: Final = 8
_IOERR: Final = 10
_CORRUPT: Final = 11
_FULL: Final = 13
_CANTOPEN: Final = 14
_NOTADB: Final = 26

_BY_CODE: Final[dict[int, ErrorKind]] = {
    _FULL: "disk_full",
    _IOERR: "io",
    _READONLY: "read_only",
    _BUSY: "busy",
    _LOCKED: "busy",
    _CORRUPT: "corrupt",
    _NOTADB: "corrupt",
    _CANTOPEN: "cannot_open",
}
_BY_TEXT: Final[tuple[tuple[str, ErrorKind], ...]] = (
    ("disk is full", "disk_full"),
    ("disk i/o error", "io"),
    ("readonly", "read_only"),
    ("read-only", "read_only"),
    ("is locked", "busy"),
    ("malformed", "corrupt"),
    ("not a database", "corrupt"),
    ("unable to open", "cannot_open"),
)


class StoreError(Exception):
    """The chat history could not be read or written; ``str()`` says what to do.

    ``kind`` lets the window react without parsing the sentence (for example, keep the
    draft in the composer on ``"disk_full"``).
    """

    def __init__(self, message: str, *, kind: ErrorKind = "other") -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


class NotFound(StoreError, LookupError):
    """A conversation, message or image id that is not in the store.

    A ``LookupError`` (the base of ``KeyError``) so callers can treat it like a missing key;
    not a ``KeyError`` itself, whose ``str()`` would wrap the sentence in quotes.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="not_found")


def kind_of(error: sqlite3.Error) -> ErrorKind:
    """Classify an SQLite error by its result code, else by its message."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        kind = _BY_CODE.get(code & 0xFF)
        if kind is not None:
            return kind
    text = str(error).lower()
    for needle, kind in _BY_TEXT:
        if needle in text:
            return kind
    return "other"


def is_corruption(error: sqlite3.Error) -> bool:
    """True when the file itself is damaged or not a database (not when it is merely busy,
    read-only or unreachable: those files are fine and must never be set aside)."""
    return kind_of(error) == "corrupt"


def translate(error: sqlite3.Error, *, writing: bool, path: Path) -> StoreError:
    """A :class:`StoreError` for ``error``; ``writing`` picks "save" or "read" wording.

    Each sentence is a ``message`` (the window and the CLI show it in the reader's
    language); the path and SQLite's own words are values, never translated.
    """
    kind = kind_of(error)
    lead = message("Could not save") if writing else message("Could not read the chat history")
    kept = message("Everything saved before is still there.")
    where = str(path)
    text: Message
    if kind == "disk_full":
        text = message(
            "{lead}: the disk is full. Free some space and try again. {kept}", lead=lead, kept=kept
        )
    elif kind == "io":
        text = message(
            "{lead}: the disk reported an error while using {path}. Check the disk or "
            "storage card, then try again. {kept}",
            lead=lead,
            path=where,
            kept=kept,
        )
    elif kind == "read_only":
        text = message(
            "{lead}: the chat history at {path} is read-only. Make its folder writable "
            "(or free the disk if it was remounted read-only), then try again. {kept}",
            lead=lead,
            path=where,
            kept=kept,
        )
    elif kind == "busy":
        text = message(
            "{lead}: another program is holding the chat history at {path}. Close other "
            "LocalSight windows or commands and try again. {kept}",
            lead=lead,
            path=where,
            kept=kept,
        )
    elif kind == "corrupt":
        text = message(
            "{lead}: the chat history file {path} is damaged. Restart LocalSight: it will "
            "set the damaged file aside (never delete it) and start a fresh one.",
            lead=lead,
            path=where,
        )
    elif kind == "cannot_open":
        text = message(
            "{lead}: the chat history at {path} cannot be opened. Check that its folder "
            "exists and that you may write to it.",
            lead=lead,
            path=where,
        )
    elif writing:
        text = message(
            "{lead} ({path}): {error}. {kept}", lead=lead, path=where, error=str(error), kept=kept
        )
    else:
        text = message("{lead}: {error}.", lead=lead, error=str(error))
    return StoreError(text, kind=kind)
