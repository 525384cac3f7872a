"""Which language a person reads, and the translations for code that runs without Qt.

The window and the CLI follow the same choice (issue 19): Settings' "language" ("system",
"en", "zh_CN"), where "system" reads the system's first language.  The window installs Qt's
translators (``desktop_app.qt.common.language``); the CLI must not load Qt (an import
contract: a headless server or a Pi describing a folder needs no GUI library), so it reads
the same committed ``localsight_<language>.ts`` file with ``Catalog`` -- an XML file of a few
hundred sentences, read in milliseconds and only when the language is not English.  One
source of truth, two readers;
``tests/qt/test_translations.py::test_the_cli_reads_the_same_translations_as_the_window``
checks they agree.
"""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from backends.messages import MESSAGES_CONTEXT, render
from desktop_app.core.settings import LANGUAGE_CHOICES

__all__ = [
    "CHINESE",
    "ENGLISH",
    "TRANSLATIONS_DIR",
    "Catalog",
    "environment_languages",
    "language_of",
    "system_language",
    "wanted_language",
]

ENGLISH = "en"
#: The one translation shipped; every Chinese locale is given it.
CHINESE = "zh_CN"
#: ``localsight_<language>.ts`` (the source, committed) and ``.qm`` (compiled, for Qt).
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
APP_CATALOG = "localsight"


def environment_languages(environ: Mapping[str, str] | None = None) -> list[str]:
    """The system's languages from the environment, first choice first, in Qt's order
    (``LANGUAGE``'s list, else the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``); empty
    when none is set.  On Windows these are rarely set (the caller then asks the system);
    on macOS a terminal sets ``LANG`` from the system's language."""
    env = os.environ if environ is None else environ
    listed = [part for part in env.get("LANGUAGE", "").split(":") if part]
    if listed:
        return listed
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return [env[name]]
    return []


def language_of(languages: Sequence[str]) -> str:
    """Chinese ("zh_CN") when the first of ``languages`` is any Chinese, else "en".

    zh_CN, zh_SG, and zh_TW or zh_HK too: Simplified Chinese is the only Chinese shipped and
    reads better to them than English.  Only the first counts: a person whose first choice is
    German reads English, the source, not Chinese from further down the list.
    """
    first = languages[0] if languages else ""
    base = first.replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return CHINESE if base == "zh" else ENGLISH


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """The system's language without Qt: the environment, else the system's own setting
    (Windows' user interface language, else Python's ``locale``); English when none of
    them can be read -- never an error, as this runs before every command."""
    languages = environment_languages(environ) or [_platform_language()]
    return language_of(languages)


def _platform_language() -> str:
    """The language the operating system's settings name ("" when unknown)."""
    if sys.platform == "win32":
        try:
            import ctypes

            lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
            return locale.windows_locale.get(int(lcid), "")
        except (AttributeError, OSError, ValueError):
            return ""
    try:
        return locale.getlocale(locale.LC_CTYPE)[0] or ""
    except (ValueError, TypeError):  # a locale name Python does not know, a mixed LC_ALL
        return ""


def wanted_language(preference: str, system: str | None = None) -> str:
    """The language a preference asks for: "system" is ``system`` (read now when not
    given), an unknown preference English."""
    if preference == "system":
        return system if system is not None else system_language()
    return preference if preference in LANGUAGE_CHOICES else ENGLISH


@dataclass(frozen=True)
class Catalog:
    """The finished translations of one .ts file: (context, source) -> translation (or the
    numerus forms of a count sentence)."""

    sentences: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Catalog:
        """The catalog of ``path`` (Qt Linguist's XML); unfinished or vanished ones left out.

        Raises ``OSError`` or ``ElementTree.ParseError`` for a missing or broken file.
        """
        found: dict[tuple[str, str], tuple[str, ...]] = {}
        root = ElementTree.parse(path).getroot()
        for context in root.iter("context"):
            name = context.findtext("name") or ""
            for entry in context.iter("message"):
                source = entry.findtext("source")
                translation = entry.find("translation")
                if source is None or translation is None or translation.get("type"):
                    continue  # "unfinished", "vanished", "obsolete": Qt would not show them
                forms = [form.text or "" for form in translation.iter("numerusform")]
                texts = tuple(forms) if forms else (translation.text or "",)
                if any(texts):
                    found[(name, source)] = texts
        return cls(found)

    @classmethod
    def for_language(cls, language: str, folder: Path = TRANSLATIONS_DIR) -> Catalog | None:
        """The catalog of ``language``; ``None`` for English (the source) or a missing file."""
        if language == ENGLISH:
            return None
        try:
            return cls.read(folder / f"{APP_CATALOG}_{language}.ts")
        except (OSError, ElementTree.ParseError):
            return None

    def translate(self, context: str, text: str, n: int | None = None) -> str:
        """``text`` translated in ``context``, or ``text`` itself; ``%n`` is left for the
        caller.  Every language shipped has one plural form, so a count takes the first."""
        forms = self.sentences.get((context, text))
        return forms[0] if forms else text

    def shown(self, text: object) -> str:
        """``text`` as a reader of this catalog sees it (see ``backends.messages.render``)."""
        return render(text, lambda template, n: self.translate(MESSAGES_CONTEXT, template, n))
