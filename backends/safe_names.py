"""Names taken from data, checked before they become part of a file system path.

A chat database restored from a backup, an Ollama manifest, a catalog file or a server's
answer is input that anything could have written.  Whenever such a name is joined to a
folder, ``../``, an absolute path, a drive letter or a NUL would let it name a file
somewhere else (issue 16: an export wrote outside ``--out`` for a database holding
``images.sha256 = '../../../x'``).  The rules live here, once, so every reader applies the
same ones; this module is pure (no file system access, no Qt) so both ``backends/`` and
``desktop_app/core/`` can use it.

The rules are allow-lists, not deny-lists: a sha256 is exactly 64 lowercase hex digits,
an Ollama digest is exactly ``sha256:`` and one, and a plain file name is one path
component made of ordinary characters.  Anything else is refused, never "cleaned up":
a repaired name would silently point at a different file.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from backends.messages import message

__all__ = [
    "MAX_NAME_BYTES",
    "UnsafeName",
    "is_sha256",
    "ollama_digest_hex",
    "plain_file_name",
    "plain_name_problem",
]

#: The longest file name the common file systems (ext4, APFS, NTFS) accept, in bytes.
MAX_NAME_BYTES: Final = 255

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_OLLAMA_DIGEST: Final = re.compile(r"sha256:([0-9a-f]{64})")
# Separators on any platform LocalSight runs on, and ':' (a drive letter or an NTFS
# alternate data stream on Windows: "x.gguf:hidden" writes somewhere the user never sees).
_FORBIDDEN: Final = frozenset("/\\:\x00")


class UnsafeName(ValueError):
    """A name from data that must not become part of a path; ``str()`` says why."""


def is_sha256(value: object) -> bool:
    """True for exactly 64 lowercase hex digits, the only form LocalSight writes.

    ``fullmatch``, not ``match`` with ``$``: ``$`` also matches before a final newline,
    so ``"<64 hex>\\n"`` would pass.
    """
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def ollama_digest_hex(value: object) -> str | None:
    """The 64 hex digits of an Ollama layer digest ``sha256:<64 hex>``, else ``None``.

    Ollama's manifests always write the colon form; the blob *file* uses a dash, and that
    file name is built here from the hex alone, never from the manifest's text.
    """
    if not isinstance(value, str):
        return None
    match = _OLLAMA_DIGEST.fullmatch(value)
    return match.group(1) if match else None


def plain_name_problem(value: object) -> str | None:
    """Why ``value`` cannot be used as one file name inside a folder, or ``None`` if it can.

    A plain name is a non-empty string that is not ``.`` or ``..``, holds no path separator
    (``/`` or ``\\``), no ``:``, no NUL or other control character, and fits in
    ``MAX_NAME_BYTES`` bytes of UTF-8.  Such a name joined to a folder always names an
    entry directly in that folder, on every platform.  The reason is a ``message``: it ends
    up in sentences a person reads.
    """
    if not isinstance(value, str):
        return message("it is not text")
    if not value:
        return message("it is empty")
    if value in {".", ".."}:
        return message("it names a folder, not a file")
    if any(ch in _FORBIDDEN for ch in value):
        return message("it contains a path separator, ':' or NUL")
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in value):
        return message("it contains a control character")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        return message("it is not valid text")
    if len(encoded) > MAX_NAME_BYTES:
        return message("it is longer than {limit} bytes", limit=MAX_NAME_BYTES)
    return None


def plain_file_name(value: object, what: str | None = None) -> str:
    """``value`` itself if it is a plain file name (see ``plain_name_problem``).

    Raises ``UnsafeName`` naming ``what`` (a ``message`` such as ``message("file name")``,
    the default) and the reason otherwise; the value is quoted
    with ``repr`` so a hostile name cannot forge the rest of the message (new lines,
    terminal escapes).
    """
    problem = plain_name_problem(value)
    if problem is None and isinstance(value, str):
        return value
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "…"
    raise UnsafeName(
        message(
            "The {what} {name} is not a plain file name: {problem}.",
            what=message("file name") if what is None else what,
            name=shown,
            problem=problem,
        )
    )
