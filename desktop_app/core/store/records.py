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
from backends.messages import message

__all__ = [
    "DEFAULT_TITLE",
    "ROLES",
    "STATES",
    "ConversationDetails",
    "ConversationSummary",
    "ImportedConversation",
    "ImportedMessage",
    "SearchHit",
    "StoredImage",
    "StoredMessage",
    "StoredPreset",
    "check_image",
    "fts_query",
    "make_thumbnail_or_empty",
    "make_title",
    "options_from_json",
    "options_to_json",
    "stats_from_json",
    "stats_to_json",
    "title_from_exchange",
]

ROLES: Final = frozenset({"system", "user", "assistant"})
STATES: Final = frozenset({"complete", "streaming", "interrupted", "error"})
#: What a conversation without a title is called in lists and exports; a ``message``, so
#: the window can show it in the reader's language (``shown``).
DEFAULT_TITLE: Final = message("New chat")
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
    #: Listed before the others (migration 3); a default, so older callers still build it.
    pinned: bool = False


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
    #: The system prompt and options are the chat's own, not a record of the app's settings.
    own_settings: bool = False


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message matching a search, with a plain-text excerpt around the match."""

    conversation_id: int
    message_id: int
    title: str
    snippet: str


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """A message read from an export, checked, with its images' bytes (to be stored)."""

    role: str
    text: str
    state: str
    created_at: float
    stats: Stats | None = None
    error: str | None = None
    images: tuple[ImageInput, ...] = ()
    finish_reason: str | None = None
    token_limit: int | None = None


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    """A conversation read from an export, checked, ready for ``Store.import_conversations``."""

    title: str
    created_at: float
    updated_at: float
    model: str | None
    backend: str | None
    system_prompt: str | None
    options: GenerationOptions | None
    messages: tuple[ImportedMessage, ...]
    own_settings: bool = False


@dataclass(frozen=True, slots=True)
class StoredPreset:
    """A preset the person saved: a chat's system prompt and options, and a prompt to
    start with (each None when the preset leaves it as the chat has it)."""

    id: int
    name: str
    system_prompt: str | None
    options: GenerationOptions | None
    prompt: str | None


#: What a short title made from the first exchange holds at most.
SHORT_TITLE_WORDS: Final = 7
SHORT_TITLE_LENGTH: Final = 40
#: Openings that say nothing about the subject ("Can you please tell me what is in this
#: photo?" is about the photo); lower case, longest first so the longest one is taken.
_FILLER: Final = tuple(
    sorted(
        (
            "hi",
            "hello",
            "hey",
            "please",
            "can you",
            "could you",
            "would you",
            "will you",
            "can you please",
            "could you please",
            "i want you to",
            "i would like you to",
            "i'd like you to",
            "help me",
            "tell me",
            "briefly",
            "quickly",
        ),
        key=len,
        reverse=True,
    )
)


def title_from_exchange(user_text: str, answer_text: str) -> str:
    """A short title for a chat from its first question and answer; "" when neither has words.

    Deterministic and free (no model call): the question's first sentence without the
    polite opening ("Could you please …"), at most ~7 words / 40 characters, capitalised.
    A question of images only has no words: then the answer's first sentence, which says
    what the model saw.  Why: the first message's first line (``make_title``) is often
    "Hi!" or a long paragraph; the sidebar needs a few words that tell chats apart.
    """
    for text in (user_text, answer_text):
        sentence = _first_sentence(text)
        if sentence:
            return _shorten(sentence)
    return ""


#: What may follow a filler opening ("" too: the opening is the whole text).
SEP: Final = " ,!:"


def _first_sentence(text: str) -> str:
    whole = " ".join(text.replace("#", " ").replace("*", " ").replace("`", " ").split())
    plain = whole
    while True:
        lowered = plain.lower()
        opening = next(
            (f for f in _FILLER if lowered.startswith(f) and lowered[len(f) : len(f) + 1] in SEP),
            None,
        )
        if opening is None:
            break
        plain = plain[len(opening) :].lstrip(" ,!:")
    if not plain.strip(" .!?"):  # only a greeting ("Hi!"): that is the title then
        plain = whole
    for index, char in enumerate(plain):
        # A sentence ends at . ! ? (kept for a question) or their CJK forms; not inside
        # "3.5" or "e.g.".
        if char in "!?。！？" or (char == "." and plain[index + 1 : index + 2] in ("", " ")):
            end = index + 1 if char in "?？" else index
            if plain[:end].strip(" .,;:-"):
                return plain[:end].strip()
    return plain.strip()


def _shorten(sentence: str) -> str:
    words = sentence.split()
    short = " ".join(words[:SHORT_TITLE_WORDS])
    if len(words) > SHORT_TITLE_WORDS or len(short) > SHORT_TITLE_LENGTH:
        short = make_title(short, SHORT_TITLE_LENGTH).rstrip("…").rstrip(" ,.;:-–—") + "…"
    return short[:1].upper() + short[1:]


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
