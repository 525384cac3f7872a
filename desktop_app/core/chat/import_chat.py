"""Import conversations from a JSON export (``export.export_json``), checked before anything.

An export file may come from another machine, a backup, or someone who edited it, so the
whole document is read and every value checked *before* the store is touched: a file that
is not an export, a value of the wrong type, an image path leading out of the export's
folder, an image whose bytes are not the sha256 the document gives, or that does not decode
as the image it claims to be -- each is refused with one sentence naming what is wrong and
where, and the chat history is left exactly as it was.  The conversations that pass are
added in one transaction (``Store.import_conversations``), so an import is all or nothing.

What the export wrote comes back: titles, times, model and backend, system prompt, options,
every message with its state, stats and error, and images byte for byte (the same sha256,
so an image already in the history is stored once).  An answer exported while it was still
being written (``streaming``) comes back ``interrupted``: nothing is writing it here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from backends.base import GenerationOptions, ImageInput, Stats
from backends.messages import message, sentence_of
from backends.safe_names import is_sha256
from desktop_app.core.chat.export import EXPORT_FORMAT, IMAGES_DIR
from desktop_app.core.images import ImageError, ImagePolicy, normalize_image
from desktop_app.core.store.database import ROLES, STATES, Store
from desktop_app.core.store.records import ImportedConversation, ImportedMessage

__all__ = ["MAX_EXPORT_BYTES", "ImportFailed", "import_json", "read_export"]

#: A JSON export larger than this is not read (images are separate files): 64 MiB of text
#: is tens of thousands of messages; more is a mistake or an attack on memory.
MAX_EXPORT_BYTES: Final = 64 * 1024 * 1024
#: The longest side an imported image may have: the largest the app ever stores (Settings'
#: image size goes up to 4096 px).
MAX_IMAGE_EDGE: Final = 4096
_MAGIC: Final = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}


class ImportFailed(Exception):
    """The file cannot be imported; ``str()`` is a sentence for a person.  Nothing changed.

    The sentence is a ``backends.messages.Message``: the window and the CLI show it in the
    person's language.  ``where`` (which part of the document is wrong: "message 2 of
    conversation 1's created_at") is one too, built from ``message`` values, so it reads
    in that language as well; JSON keys (``created_at``, ``sha256``) are names and stay.
    """


def import_json(store: Store, path: Path) -> list[int]:
    """Import every conversation of the export at ``path``; their new ids, in file order.

    Raises :class:`ImportFailed` (the history unchanged) when any part is wrong, and
    ``StoreError`` when the history cannot be written (rolled back whole).
    """
    conversations = read_export(path)
    return store.import_conversations(conversations)


def read_export(path: Path) -> list[ImportedConversation]:
    """The conversations of the export at ``path``, every value and image checked."""
    path = Path(path)
    document = _load(path)
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ImportFailed(
            message(
                "{name} is not a LocalSight chat export (it has no "
                "\u201cformat\u201d: \u201c{format}\u201d).",
                name=path.name,
                format=EXPORT_FORMAT,
            )
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportFailed(message("{name} has no valid export version.", name=path.name))
    conversations = document.get("conversations")
    if not isinstance(conversations, list):
        raise ImportFailed(message("{name} holds no list of conversations.", name=path.name))
    if not conversations:
        raise ImportFailed(message("{name} holds no conversations to import.", name=path.name))
    folder = path.resolve().parent
    reader = _Reader(folder)
    return [
        reader.conversation(raw, message("conversation {number}", number=number))
        for number, raw in enumerate(conversations, start=1)
    ]


def _load(path: Path) -> Any:
    try:
        if not path.is_file():  # a folder, or a FIFO that would block the read forever
            raise ImportFailed(message("{name} is not a file.", name=path.name))
        with path.open("rb") as handle:
            data = handle.read(MAX_EXPORT_BYTES + 1)
    except OSError as error:
        raise ImportFailed(
            message(
                "{name} cannot be read ({reason}).",
                name=path.name,
                reason=error.strerror or str(error),
            )
        ) from error
    if len(data) > MAX_EXPORT_BYTES:
        raise ImportFailed(
            message(
                "{name} is larger than {size} MB; a chat export is much smaller.",
                name=path.name,
                size=MAX_EXPORT_BYTES // (1024 * 1024),
            )
        )
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ImportFailed(message("{name} is not UTF-8 text.", name=path.name)) from error
    except (ValueError, RecursionError) as error:
        # The parser's own words (where the JSON breaks) are a value: English, like a path.
        raise ImportFailed(
            message("{name} is not valid JSON ({reason}).", name=path.name, reason=str(error))
        ) from error


class _Reader:
    """Checks one document's values; ``where`` in each sentence says which part is wrong."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.images: dict[str, ImageInput] = {}  # read once per sha256
        self.policy = ImagePolicy(max_long_edge=MAX_IMAGE_EDGE)

    def conversation(self, raw: Any, where: str) -> ImportedConversation:
        if not isinstance(raw, dict):
            raise ImportFailed(message("The export's {where} is not an object.", where=where))
        messages = raw.get("messages")
        if not isinstance(messages, list):
            raise ImportFailed(
                message("The export's {where} has no list of messages.", where=where)
            )
        created = _time(raw.get("created_at"), message("{where}'s created_at", where=where))
        return ImportedConversation(
            title=_text(
                raw.get("title", ""), message("{where}'s title", where=where), allow_none=True
            )
            or "",
            created_at=created,
            updated_at=_time(
                raw.get("updated_at", raw.get("created_at")),
                message("{where}'s updated_at", where=where),
            ),
            model=_text(raw.get("model"), message("{where}'s model", where=where), allow_none=True),
            backend=_text(
                raw.get("backend"), message("{where}'s backend", where=where), allow_none=True
            ),
            system_prompt=_text(
                raw.get("system_prompt"),
                message("{where}'s system prompt", where=where),
                allow_none=True,
            ),
            options=_options(raw.get("options"), message("{where}'s options", where=where)),
            own_settings=raw.get("own_settings") is True,
            messages=tuple(
                self.message(
                    raw_message, message("message {number} of {where}", number=number, where=where)
                )
                for number, raw_message in enumerate(messages, start=1)
            ),
        )

    def message(self, raw: Any, where: str) -> ImportedMessage:
        if not isinstance(raw, dict):
            raise ImportFailed(message("The export's {where} is not an object.", where=where))
        role = raw.get("role")
        if role not in ROLES:
            raise ImportFailed(message("The export's {where} has an unknown role.", where=where))
        state = raw.get("state", "complete")
        if state not in STATES:
            raise ImportFailed(message("The export's {where} has an unknown state.", where=where))
        images = raw.get("images", [])
        if not isinstance(images, list):
            raise ImportFailed(
                message("The export's {where} has images that are not a list.", where=where)
            )
        return ImportedMessage(
            role=str(role),
            text=_text(raw.get("text", ""), message("{where}'s text", where=where)) or "",
            state="interrupted" if state == "streaming" else str(state),
            created_at=_time(raw.get("created_at"), message("{where}'s created_at", where=where)),
            stats=_stats(raw.get("stats"), message("{where}'s stats", where=where)),
            error=_text(raw.get("error"), message("{where}'s error", where=where), allow_none=True),
            finish_reason=_finish_reason(raw.get("finish_reason"), where),
            token_limit=_token_limit(raw.get("token_limit"), where),
            images=tuple(
                self.image(image, message("image {number} of {where}", number=number, where=where))
                for number, image in enumerate(images, start=1)
            ),
        )

    def image(self, raw: Any, where: str) -> ImageInput:
        if not isinstance(raw, dict):
            raise ImportFailed(message("The export's {where} is not an object.", where=where))
        sha256, mime, file = raw.get("sha256"), raw.get("mime"), raw.get("file")
        if not isinstance(sha256, str) or not is_sha256(sha256):
            raise ImportFailed(message("The export's {where} has no valid sha256.", where=where))
        if sha256 in self.images:
            return self.images[sha256]
        if mime not in _MAGIC:
            raise ImportFailed(
                message("The export's {where} is not a PNG, JPEG or WebP image.", where=where)
            )
        if not isinstance(file, str) or not file:
            raise ImportFailed(
                message(
                    "The export's {where} was left out when it was exported, so it cannot be "
                    "imported.",
                    where=where,
                )
            )
        data = self._read_image(file, where)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ImportFailed(
                message(
                    "The export's {where} ({file}) is not the image the export names: its "
                    "content was changed or replaced.",
                    where=where,
                    file=file,
                )
            )
        if not data.startswith(_MAGIC[mime]):
            raise ImportFailed(
                message(
                    "The export's {where} ({file}) is not a {mime} file.",
                    where=where,
                    file=file,
                    mime=mime,
                )
            )
        try:  # decodes it as the app would: a damaged or hostile file is refused here
            checked = normalize_image(data, policy=self.policy, name=file)
        except ImageError as error:
            raise ImportFailed(
                message(
                    "The export's {where} cannot be used: {reason}",
                    where=where,
                    reason=sentence_of(error),
                )
            ) from error
        image = ImageInput(data, str(mime), sha256, checked.width, checked.height)
        self.images[sha256] = image
        return image

    def _read_image(self, file: str, where: str) -> bytes:
        """The bytes of ``file``, which must be inside the export's images folder."""
        relative = Path(file)
        target = (self.folder / relative).resolve()
        images_folder = (self.folder / IMAGES_DIR).resolve()
        if relative.is_absolute() or not target.is_relative_to(images_folder):
            raise ImportFailed(
                message(
                    "The export's {where} points outside the export's images folder ({file}); "
                    "it is not read.",
                    where=where,
                    file=file,
                )
            )
        try:
            if not target.is_file():
                raise ImportFailed(
                    message("The export's {where} ({file}) is missing.", where=where, file=file)
                )
            size = target.stat().st_size
            if size > self.policy.max_file_bytes:
                raise ImportFailed(
                    message(
                        "The export's {where} ({file}) is too large to be an image.",
                        where=where,
                        file=file,
                    )
                )
            return target.read_bytes()
        except OSError as error:
            raise ImportFailed(
                message(
                    "The export's {where} ({file}) cannot be read ({reason}).",
                    where=where,
                    file=file,
                    reason=error.strerror or str(error),
                )
            ) from error


def _text(value: Any, where: str, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise ImportFailed(message("The export's {where} is not text.", where=where))
    if "\x00" in value:
        raise ImportFailed(message("The export's {where} holds a NUL character.", where=where))
    return value


def _finish_reason(value: Any, where: str) -> str | None:
    """Why an answer ended ("length": cut by the token limit, shown with Continue)."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 32 or not value.isascii():
        raise ImportFailed(
            message(
                "The export's {where} has a finish_reason that is not a short word.", where=where
            )
        )
    return value


def _token_limit(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10**7:
        raise ImportFailed(
            message("The export's {where} has a token_limit that is not a count.", where=where)
        )
    return value


def _time(value: Any, where: str) -> float:
    if not isinstance(value, str):
        raise ImportFailed(message("The export's {where} is not a time.", where=where))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ImportFailed(
            message(
                "The export's {where} is not a time ({value}).", where=where, value=repr(value[:40])
            )
        ) from error
    if moment.tzinfo is None:
        moment = moment.astimezone()  # written by a person: the local time zone
    return moment.timestamp()


def _number(value: Any) -> bool:
    """A finite JSON number (Python's json reads NaN and Infinity; they are no option)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value)


def _options(value: Any, where: str) -> GenerationOptions | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImportFailed(message("The export's {where} are not an object.", where=where))
    known = {f.name: f for f in dataclasses.fields(GenerationOptions)}
    kept: dict[str, Any] = {}
    for name, raw in value.items():
        if name not in known or raw is None:
            continue  # from a newer release, or "the backend's default"
        if name == "stop":
            if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
                raise ImportFailed(
                    message("The export's {where} have a stop list that is not text.", where=where)
                )
            kept[name] = tuple(raw)
        elif not _number(raw):
            raise ImportFailed(
                message(
                    "The export's {where} have a {name} that is not a number.",
                    where=where,
                    name=name,
                )
            )
        elif name in ("temperature", "top_p", "repeat_penalty"):
            kept[name] = float(raw)
        else:
            kept[name] = int(raw)
    if kept.get("num_ctx", 1) < 1 or (kept.get("max_tokens") or 1) < 1:
        raise ImportFailed(message("The export's {where} ask for no room to answer.", where=where))
    return GenerationOptions(**kept)


def _stats(value: Any, where: str) -> Stats | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImportFailed(message("The export's {where} are not an object.", where=where))
    kept: dict[str, Any] = {}
    for field in dataclasses.fields(Stats):
        raw = value.get(field.name)
        if raw is None:
            continue
        if not _number(raw) or raw < 0:
            raise ImportFailed(
                message(
                    "The export's {where} have a {name} that is not a number.",
                    where=where,
                    name=field.name,
                )
            )
        kept[field.name] = int(raw) if field.type in (int, "int") else float(raw)
    return Stats(**kept)
