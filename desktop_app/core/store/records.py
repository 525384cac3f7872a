"""The chat store's records and the small pure rules around them.

Split from ``store.py`` so the store itself is only the SQL and its transactions: these are
the frozen values the window and the session read, how titles are made from a first
message, how a search box's text becomes a safe FTS5 query, and how settings and stats are
kept as JSON that any later release can still read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from backends.base import GenerationOptions, ImageInput, Stats

__all__ = [
    "DEFAULT_TITLE",
    "ROLES",
    "STATES",
    "ConversationDetails",
    "ConversationSummary",
    "SearchHit",
    "StoredImage",
    "StoredMessage",
    "check_image",
    "fts_query",
    "make_thumbnail_or_empty",
    "make_title",
    "options_from_json",
    "options_to_json",
    "stats_from_json",
    "stats_to_json",
]

ROLES: Final = frozenset({"system", "user", "assistant"})
STATES: Final = frozenset({"complete", "streaming", "interrupted", "error"})
#: What a conversation without a title is called in lists and exports.
DEFAULT_TITLE: Final = "New chat"
TITLE_LENGTH: Final = 50
THUMBNAIL_SIZE: Final = 128


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An attachment as the UI lists it; the bytes come from :meth:`Store.image`."""

    sha256: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One saved turn. ``state`` is complete, streaming, interrupted or error.

    ``versions``: the ids of this message and its other versions (Regenerate and Edit keep
    what they replace), oldest first; one id when there are none.  ``finish_reason``: why the
    answer ended ("stop", "length": cut by ``token_limit`` tokens, "cancelled"), None when
    not known (rows written before it was kept, user turns).
    """

    id: int
    conversation_id: int
    role: str
    text: str
    state: str
    images: tuple[StoredImage, ...]
    stats: Stats | None
    error: str | None
    created_at: float
    versions: tuple[int, ...] = ()
    finish_reason: str | None = None
    token_limit: int | None = None

    @property
    def version_index(self) -> int:
        """This message's place among its versions, from 0 (0 when it has none)."""
        return self.versions.index(self.id) if self.id in self.versions else 0

    @property
    def cut_by_limit(self) -> bool:
        """A complete answer that stopped because it reached the token limit."""
        return self.state == "complete" and self.finish_reason == "length"


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A row of the conversation list. ``title`` is never empty (see ``DEFAULT_TITLE``)."""

    id: int
    title: str
    updated_at: float
    model: str | None
    backend: str | None
    message_count: int


@dataclass(frozen=True, slots=True)
class ConversationDetails:
    """Everything about a conversation except its messages; for export."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model: str | None
    backend: str | None
    system_prompt: str | None
    options: GenerationOptions | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message matching a search, with a plain-text excerpt around the match."""

    conversation_id: int
    message_id: int
    title: str
    snippet: str


def make_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A conversation title from a message: its first non-blank line, cut at a word boundary.

    Whitespace is collapsed; a cut line ends with "…".  A single very long word is cut
    mid-word rather than leaving a title of one or two letters.
    """
    line = next((" ".join(raw.split()) for raw in text.splitlines() if raw.strip()), "")
    if len(line) <= limit:
        return line
    head = line[: limit + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else ""
    if len(cut) < limit // 2:
        cut = line[:limit]
    return cut.rstrip(" ,.;:-–—") + "…"


def fts_query(text: str) -> str | None:
    """An FTS5 query matching every word of ``text``, or None when there is nothing to find.

    User input is never FTS5 syntax: each word becomes a quoted string (``"`` doubled), so
    ``"``, ``AND(``, ``NEAR``, ``*`` or ``-`` can never raise a syntax error.  The last word
    matches as a prefix, so results appear while the user is still typing it.  Control
    characters are dropped: FTS5 reads strings as C strings, so a NUL would end one early.
    """
    printable = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    words = [w for w in printable.split() if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def stats_to_json(stats: Stats | None) -> str | None:
    return None if stats is None else json.dumps(dataclasses.asdict(stats))


def stats_from_json(raw: str | None) -> Stats | None:
    values = _json_object(raw)
    if values is None:
        return None
    names = {f.name for f in dataclasses.fields(Stats)}
    try:
        return Stats(**{k: v for k, v in values.items() if k in names})
    except TypeError:
        return None


def options_to_json(options: GenerationOptions | None) -> str | None:
    if options is None:
        return None
    values = dataclasses.asdict(options)
    values["stop"] = list(options.stop)
    return json.dumps(values)


def options_from_json(raw: str | None) -> GenerationOptions | None:
    """Options saved by any release: unknown keys (from a newer one) are ignored."""
    values = _json_object(raw)
    if values is None:
        return None
    names = {f.name for f in dataclasses.fields(GenerationOptions)}
    kept = {k: v for k, v in values.items() if k in names}
    if isinstance(kept.get("stop"), list):
        kept["stop"] = tuple(str(s) for s in kept["stop"])
    try:
        return GenerationOptions(**kept)
    except TypeError:
        return None


def _json_object(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def check_image(image: ImageInput) -> None:
    """The sha256 is the image's identity in the store, so it must be the data's real hash."""
    if hashlib.sha256(image.data).hexdigest() != image.sha256:
        raise ValueError("ImageInput.sha256 does not match its data; use normalize_image()")


def make_thumbnail_or_empty(image: ImageInput) -> bytes:
    """A preview; empty if Pillow cannot make one, so a preview never costs a message."""
    from desktop_app.core.images import ImageError, make_thumbnail

    try:
        return make_thumbnail(image, THUMBNAIL_SIZE)
    except (ImageError, ValueError):
        return b""
