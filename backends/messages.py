"""Sentences a person reads, made where Qt is not: ``message`` keeps them translatable.

The backends and the core raise errors and give notes that end up on screen (a status
line, a notice above the composer, a ``localsight`` error line).  They must not import Qt
(``pyproject.toml``'s import contracts), yet the window shows them in the person's language
(issue 19).  Two ways were weighed:

- an id per message, and a table at the edge mapping each id to a sentence: every message
  written twice, and the edge's table silently stale when a sentence changes;
- the sentence itself kept translatable: ``message("Ollama is not running at {host}.",
  host=host)`` is a ``str`` (so every caller, log and test that reads it as English still
  works), which also remembers its English template and its values.

This module is the second.  The window translates a ``Message`` at the edge
(``desktop_app.qt.common.i18n.shown``: the template looked up in the translation context
``MESSAGES_CONTEXT``, then each value shown the same way, then filled); the CLI does the same
from the catalog ``desktop_app.core.i18n`` reads; ``pyside6-lupdate`` finds every
``message("…")`` in the sources (``update_translations`` reads each such call as
``Messages.tr("…")``), so a sentence is in the .ts file the moment it is written, and a test
fails while it has no translation.

What is not kept: a ``Message`` that goes through ``+``, ``%`` or an f-string is a plain
``str`` again (English).  A sentence made of parts is one ``message`` whose values are
themselves ``Message``\\ s.  A ``Message`` survives pickling (the engine process sends its
errors to the app).

Why named ``{name}`` slots (not ``%1``): see ``desktop_app.qt.common.i18n``; ``fill`` is the
one rule that puts values in, shared by the window, the CLI and this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MESSAGES_CONTEXT",
    "SLOT",
    "Message",
    "english_plural",
    "fill",
    "message",
    "message_from_data",
    "message_to_data",
    "render",
    "sentence_of",
]

#: The translation context of every ``message`` (a translator sees its file and line too).
MESSAGES_CONTEXT = "Messages"

SLOT = re.compile(r"\{(\w+)\}")
PLURAL_S = re.compile(r"\(s\)")


def fill(text: str, /, **values: object) -> str:
    """``text`` with each ``{name}`` given in ``values`` replaced by ``str(value)``.

    One pass: an inserted value is never scanned again (a model named "{text}" stays as it
    is), braces with no value given stay, a value whose slot is missing is unused.
    """
    if not values:
        return text

    def value(slot: re.Match[str]) -> str:
        name = slot.group(1)
        return str(values[name]) if name in values else slot.group(0)

    return SLOT.sub(value, text)


def english_plural(text: str, n: int) -> str:
    """``text`` (English, ``%n`` already filled) with each ``(s)`` made right for ``n``:
    "1 image", "0 images", "3 images" (see ``desktop_app.qt.common.i18n`` for the rule)."""
    return PLURAL_S.sub("" if n == 1 else "s", text)


class Message(str):
    """An English sentence (``str`` of it) that keeps its template and values for a
    translator: ``template`` (with ``{name}`` slots and maybe ``%n``), ``values``, ``n``."""

    template: str
    values: Mapping[str, object]
    n: int | None

    def __new__(cls, template: str, /, *, n: int | None = None, **values: object) -> Message:
        text = template if n is None else english_plural(template.replace("%n", str(n)), n)
        self = super().__new__(cls, fill(text, **values))
        self.template = template
        self.values = values
        self.n = n
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.template,), {"n": self.n, **self.values}

    def __repr__(self) -> str:
        return f"message({str.__repr__(self)})"


#: The name ``pyside6-lupdate`` is told to read as ``Messages.tr``; see the module's docstring.
message = Message

#: ``translate(template, n)``: the template in the reader's language, or the template itself
#: when there is none (``n``: the count, for a language with several plural forms).
Translate = Callable[[str, "int | None"], str]


def render(text: object, translate: Translate) -> str:
    """``text`` as its reader should see it: a ``Message`` translated with ``translate``
    (its values too, recursively), anything else as ``str(text)``."""
    if not isinstance(text, Message):
        return str(text)
    values = {name: render(value, translate) for name, value in text.values.items()}
    translated = translate(text.template, text.n)
    if text.n is not None:
        count = str(text.n)
        translated = translated.replace("%n", count)
        if translated == text.template.replace("%n", count):  # English, the source
            translated = english_plural(translated, text.n)
    return fill(translated, **values)


def sentence_of(error: BaseException) -> str:
    """What ``error`` says, as a ``Message`` when it was raised with one (else ``str``)."""
    if len(error.args) == 1 and isinstance(error.args[0], Message):
        return error.args[0]
    return str(error)


#: How deep a kept sentence may nest (a message whose value is a message …): real ones are
#: 2-3 deep; a hostile file cannot make reading it recurse without end.
_MAX_DEPTH = 8


def message_to_data(text: object) -> dict[str, Any] | None:
    """A ``Message`` as plain data (JSON-ready) so it can be kept and shown translated later
    (a failed answer's error, read back from the chat database); None for anything else."""
    if not isinstance(text, Message):
        return None
    values = {
        name: message_to_data(value) if isinstance(value, Message) else str(value)
        for name, value in text.values.items()
    }
    data: dict[str, Any] = {"template": text.template, "values": values}
    if text.n is not None:
        data["n"] = text.n
    return data


def message_from_data(data: object, english: str) -> str:
    """The ``Message`` kept by ``message_to_data``, when it still says exactly ``english``;
    else ``english`` itself: the kept English is the truth, and data that is damaged,
    hand-edited or from another version never changes what a person reads."""
    rebuilt = _rebuild(data, 0)
    return rebuilt if rebuilt is not None and rebuilt == english else english


def _rebuild(data: object, depth: int) -> Message | None:
    if depth > _MAX_DEPTH or not isinstance(data, dict):
        return None
    template, values, n = data.get("template"), data.get("values", {}), data.get("n")
    if not isinstance(template, str) or not isinstance(values, dict):
        return None
    if n is not None and (not isinstance(n, int) or isinstance(n, bool)):
        return None
    rebuilt: dict[str, object] = {}
    for name, value in values.items():
        if not isinstance(name, str) or name == "n":
            return None
        if isinstance(value, dict):
            inner = _rebuild(value, depth + 1)
            if inner is None:
                return None
            rebuilt[name] = inner
        elif isinstance(value, str):
            rebuilt[name] = value
        else:
            return None
    return Message(template, n=n, **rebuilt)
