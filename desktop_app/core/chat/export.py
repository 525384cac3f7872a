"""Export conversations as Markdown or JSON, so the user's history is never locked in.

Both formats write each attached image once, as a file named by its sha256 in an
``images/`` folder beside the documents, and refer to it by that relative path; the folder
can be moved or zipped as a whole.

A chat database may come from a backup or another machine, so the sha256 it gives an image
is data, not a trusted name: only exactly 64 lowercase hex digits become a file name
(``backends.safe_names``).  An image whose name is anything else (``../../x``, an absolute
path) is left out, with a note in the document where it was and one sentence through
``on_problem``; the rest of the export is written as usual, and nothing is ever written
outside the chosen folder.

Markdown: one ``<id>-<title>.md`` per conversation, for reading and sharing.  Message text is
written as it is (answers are Markdown already); each message has a ``##`` heading with the
speaker and local time; interrupted answers and errors carry a note.

Both export the branch of each conversation that is on screen (``Store.messages``): earlier
versions kept by Regenerate and Edit are not written, as a reader of the document would
take two answers to one question for a conversation that never happened.

The documents themselves are written in English whatever the app's language (their headings,
notes and the JSON ``problem`` key): a file is shared and read back (``import_chat``), and
must not change with a setting.  Only the ``on_problem`` sentence, which the window or the
CLI shows, is a ``backends.messages.message`` they translate.

JSON: one ``localsight-export.json`` holding every exported conversation, for programs.
The schema (version 1; a later version only adds keys)::

    {
      "format": "localsight-export",
      "version": 1,
      "exported_at": "2025-01-31T12:00:00.000+00:00",      # ISO 8601, UTC
      "conversations": [
        {
          "id": 3,
          "title": "What is in this photo?",
          "created_at": "…", "updated_at": "…",            # ISO 8601, UTC
          "model": "…" | null, "backend": "llama-cpp" | null,
          "system_prompt": "…" | null,
          "options": {"temperature": 0.7, "max_tokens": 1024, …} | null,
          "own_settings": true | false,     # the prompt and options are the chat's own
                                            # (else: what the app's settings were)
          "messages": [
            {
              "id": 12,
              "role": "system" | "user" | "assistant",
              "text": "…",
              "state": "complete" | "streaming" | "interrupted" | "error",
              "created_at": "…",
              "stats": {"prompt_tokens": 0, "completion_tokens": 0, "load_s": 0.0,
                        "prompt_s": 0.0, "decode_s": 0.0} | null,
              "error": "…" | null,
              "finish_reason": "stop" | "length" | … | null,   # "length": cut by the
              "token_limit": 512 | null,                       # token limit (Continue)
              "images": [
                {"sha256": "…", "mime": "image/png", "width": 640, "height": 480,
                 "file": "images/<sha256>.png"}              # relative to the JSON file
              ]                  # "file": null and "problem": "…" for an image left out
            }
          ]
        }
      ]
    }

``interrupted`` means the answer was stopped (or the app crashed) before it finished; its
text is what had arrived.  ``error`` means the model failed; ``error`` holds the reason and
``text`` whatever arrived first.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from backends.messages import message
from backends.safe_names import is_sha256
from desktop_app.core.store.database import (
    ConversationDetails,
    Store,
    StoredImage,
    StoredMessage,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_SCHEMA_VERSION",
    "JSON_FILENAME",
    "export_json",
    "export_markdown",
]

EXPORT_FORMAT: Final = "localsight-export"
EXPORT_SCHEMA_VERSION: Final = 1
JSON_FILENAME: Final = "localsight-export.json"
IMAGES_DIR: Final = "images"
_EXTENSIONS: Final = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
_SPEAKERS: Final = {"user": "You", "assistant": "Assistant", "system": "System"}
#: Why an image is left out, as the document says where the image was.
LEFT_OUT_REASON: Final = (
    "its name in the chat history is not a sha256, so the history may come from a damaged "
    "or edited backup"
)

ProblemCallback = Callable[[str], None]
_log = logging.getLogger(__name__)


def export_markdown(
    store: Store,
    conversation_ids: Sequence[int],
    out_dir: Path,
    *,
    on_problem: ProblemCallback | None = None,
) -> list[Path]:
    """Write one Markdown file per conversation (plus its images); return the files.

    ``on_problem`` hears one sentence per image left out (see the module docstring); without
    it the sentence is logged as a warning.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    report = _Reporter(on_problem)
    for conversation_id in conversation_ids:
        details = store.conversation_details(conversation_id)
        messages = store.messages(conversation_id)
        for stored in messages:
            _write_images(store, stored.images, out_dir, conversation_id, report)
        target = out_dir / f"{int(details.id)}-{_slug(str(details.title))}.md"
        _write_atomically(target, _markdown(details, messages))
        written.append(target)
    return written


def export_json(
    store: Store,
    conversation_ids: Sequence[int],
    out_dir: Path,
    *,
    on_problem: ProblemCallback | None = None,
) -> Path:
    """Write ``localsight-export.json`` (plus the images); return its path.

    ``on_problem`` as for ``export_markdown``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    conversations = []
    report = _Reporter(on_problem)
    for conversation_id in conversation_ids:
        details = store.conversation_details(conversation_id)
        messages = store.messages(conversation_id)
        for stored in messages:
            _write_images(store, stored.images, out_dir, conversation_id, report)
        conversations.append(_conversation_json(details, messages))
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_SCHEMA_VERSION,
        "exported_at": _iso(datetime.now(timezone.utc).timestamp()),
        "conversations": conversations,
    }
    target = out_dir / JSON_FILENAME
    # default=str: a hand-edited database can hold bytes where text belongs; the export
    # still completes and shows what was there.
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    _write_atomically(target, text + "\n")
    return target


def image_file(image: StoredImage) -> str | None:
    """The image's path relative to the export folder (always with forward slashes).

    ``None`` when the stored name is not a sha256: such a name is never part of a path.
    """
    if not is_sha256(image.sha256):
        return None
    return f"{IMAGES_DIR}/{image.sha256}{_EXTENSIONS.get(image.mime, '.bin')}"


class _Reporter:
    """Says each image left out once per export, through the caller or the log."""

    def __init__(self, on_problem: ProblemCallback | None) -> None:
        self._on_problem = on_problem
        self._said: set[tuple[int, str]] = set()

    def left_out(self, conversation_id: int, name: str) -> None:
        if (conversation_id, name) in self._said:
            return
        self._said.add((conversation_id, name))
        shown = repr(name) if len(repr(name)) <= 40 else repr(name)[:37] + "…"
        text = message(
            "An image in conversation {conversation} was left out of the export: its name in "
            "the chat history, {name}, is not a sha256 (a damaged or edited backup?).",
            conversation=conversation_id,
            name=shown,
        )
        if self._on_problem is not None:
            self._on_problem(text)
        else:
            _log.warning("%s", text)


def _conversation_json(
    details: ConversationDetails, messages: Sequence[StoredMessage]
) -> dict[str, Any]:
    return {
        "id": details.id,
        "title": details.title,
        "created_at": _iso(details.created_at),
        "updated_at": _iso(details.updated_at),
        "model": details.model,
        "backend": details.backend,
        "system_prompt": details.system_prompt,
        "options": _options_json(details),
        "own_settings": details.own_settings,
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "text": m.text,
                "state": m.state,
                "created_at": _iso(m.created_at),
                "stats": None if m.stats is None else dataclasses.asdict(m.stats),
                "error": m.error,
                "finish_reason": m.finish_reason,
                "token_limit": m.token_limit,
                "images": [_image_json(i) for i in m.images],
            }
            for m in messages
        ],
    }


def _image_json(image: StoredImage) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "sha256": image.sha256,
        "mime": image.mime,
        "width": image.width,
        "height": image.height,
        "file": image_file(image),
    }
    if entry["file"] is None:
        entry["problem"] = f"This image was left out: {LEFT_OUT_REASON}."
    return entry


def _options_json(details: ConversationDetails) -> dict[str, Any] | None:
    if details.options is None:
        return None
    values = dataclasses.asdict(details.options)
    values["stop"] = list(details.options.stop)
    return values


def _markdown(details: ConversationDetails, messages: Sequence[StoredMessage]) -> str:
    title = " ".join(details.title.split())
    lines = [f"# {title}", ""]
    for label, value in (
        ("Model", details.model),
        ("Backend", details.backend),
        ("Started", _local(details.created_at)),
        ("Last activity", _local(details.updated_at)),
    ):
        if value:
            lines.append(f"- **{label}:** {value}")
    lines.append("")
    if details.system_prompt:
        lines += ["## System prompt", "", details.system_prompt.rstrip(), ""]
    for stored in messages:
        speaker = _SPEAKERS.get(stored.role, stored.role.title())
        lines += [f"## {speaker} · {_local(stored.created_at)}", ""]
        if stored.text.strip():
            lines += [stored.text.rstrip(), ""]
        for number, image in enumerate(stored.images, start=1):
            file = image_file(image)
            if file is None:
                lines += [f"> *Image {number} was left out: {LEFT_OUT_REASON}.*", ""]
                continue
            alt = f"image {number} ({image.width}×{image.height})"
            lines += [f"![{alt}]({file})", ""]
        if stored.state == "interrupted":
            lines += ["> *This answer was stopped before it finished.*", ""]
        elif stored.state == "streaming":
            lines += ["> *This answer was still being written when exported.*", ""]
        elif stored.state == "error":
            reason = " ".join((stored.error or "unknown error").split())
            lines += [f"> *The model failed: {reason}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _write_images(
    store: Store,
    images: Sequence[StoredImage],
    out_dir: Path,
    conversation_id: int,
    report: _Reporter,
) -> None:
    folder = out_dir / IMAGES_DIR
    for image in images:
        file = image_file(image)
        if file is None:
            report.left_out(conversation_id, image.sha256)
            continue
        target = out_dir / file
        if target.exists():  # named by content: an existing file holds the same bytes
            continue
        folder.mkdir(exist_ok=True)
        _write_atomically(target, store.image(image.sha256).data)


def _write_atomically(target: Path, content: str | bytes) -> None:
    """A crash mid-export never leaves a half-written file under the final name."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _slug(title: str, limit: int = 40) -> str:
    """A file-name-safe form of a title: letters, digits and dashes only (any script)."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-_")
    return slug[:limit].rstrip("-_") or "chat"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds")


def _local(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")
