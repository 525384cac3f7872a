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

from collections.abc import Mapping

from backends.messages import english_plural, fill, sentence_of
from desktop_app.core.i18n import ENGLISH, Catalog, system_language, wanted_language

__all__ = ["error_text", "language", "shown", "tr", "translator", "use_language"]

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
