"""The CLI's sentences in the person's language, without Qt (issue 19).

``localsight`` follows the window's choice: Settings' "language", where "system" reads
``LANGUAGE`` / ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` (so ``LANG=zh_CN.UTF-8 localsight …``
speaks Chinese).  ``main`` calls ``use_language`` once; every human-facing line is then
written with ``tr`` (this module's sentences, context ``CommandLine``) or ``shown`` (a
``message`` from the backends or the core).  Machine-readable output -- ``--json``,
``--stats``, describe's JSONL/CSV rows and columns -- is never passed through either, so it
never changes with the language.

The translations are read from the committed .ts file (``desktop_app.core.i18n.Catalog``);
the same ``pyside6-lupdate`` run that collects the window's sentences collects these
(``desktop_app.qt.common.i18n.update_translations`` reads ``tr`` here as ``CommandLine.tr``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from backends.messages import english_plural, fill, sentence_of
from desktop_app.core.i18n import ENGLISH, Catalog, system_language, wanted_language

__all__ = [
    "cells",
    "clip",
    "error_text",
    "language",
    "pad",
    "shown",
    "tr",
    "translator",
    "use_language",
]

_catalog: list[Catalog | None] = [None]  # one entry: the catalog in use (None: English)
_language = [ENGLISH]


class Translate:
    """The ``tr`` of a context: translate with the catalog in use, then fill the values."""

    def __init__(self, context: str) -> None:
        self.context = context

    def __call__(self, text: str, /, *, n: int | None = None, **values: object) -> str:
        catalog = _catalog[0]
        translated = text if catalog is None else catalog.translate(self.context, text, n)
        if n is not None:
            count = str(n)
            translated = translated.replace("%n", count)
            if translated == text.replace("%n", count):
                translated = english_plural(translated, n)
        return fill(translated, **values)


def translator(context: str) -> Translate:
    return Translate(context)


tr = translator("CommandLine")


def use_language(preference: str, environ: Mapping[str, str] | None = None) -> str:
    """Read the translation ``preference`` asks for ("system", "en", "zh_CN"); the language
    now in effect (English when its file is missing: the CLI is whole in English)."""
    system = system_language(environ) if preference == "system" else None
    wanted = wanted_language(preference, system)
    catalog = Catalog.for_language(wanted)
    _catalog[0] = catalog
    _language[0] = wanted if catalog is not None else ENGLISH
    return _language[0]


def language() -> str:
    """The language ``use_language`` put in effect ("en" before any)."""
    return _language[0]


def shown(text: object) -> str:
    """``text`` in the CLI's language when it is a ``backends.messages.Message``."""
    catalog = _catalog[0]
    return str(text) if catalog is None else catalog.shown(text)


def error_text(error: BaseException) -> str:
    """What ``error`` says, in the CLI's language when it was raised with a ``message``."""
    return shown(sentence_of(error))


# -- tables ---------------------------------------------------------------------------------
# The CLI's tables translate their header words and status texts like any other line.  A
# terminal gives a Chinese character (and any "wide" or "fullwidth" one) two columns, so
# ``f"{text:<9}"``, which counts characters, would push every later column of a Chinese row
# out of line; these helpers count columns instead.


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes: two for each wide or fullwidth character,
    none for a combining mark, one for the rest."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns (a wide character that would straddle the
    edge is left out)."""
    used = 0
    for index, char in enumerate(text):
        used += cells(char)
        if used > width:
            return text[:index]
    return text


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns, on the right (``"<"``) or the left
    (``">"``); a longer text is left as it is, as ``format`` does."""
    gap = " " * max(0, width - cells(text))
    return gap + text if align == ">" else text + gap
