"""The window's language: which one, and the translators that make it so (issue 19).

``apply_language(app, preference)`` is called by the composition root before the window is
built (every text is set in a constructor, so the translators must be in place first) and
again when Settings → Appearance → Language changes; the window is then rebuilt
(``MainWindow.rebuild``), which is how a change reaches every visible sentence without a
restart and without a ``QEvent.LanguageChange`` handler in every widget.

What it installs, for Chinese: the app's ``localsight_zh_CN.qm`` (from ``TRANSLATIONS_DIR``)
and Qt's own ``qtbase_zh_CN.qm`` from the Qt install (``QLibraryInfo``'s translations path,
inside the PySide6 wheel), so Qt's dialogs -- the file picker, a message box's buttons, a
line edit's context menu -- speak Chinese too.  The translators installed before are removed
first, so English after Chinese is English again.  ``QLocale.setDefault`` follows, so
numbers and dates read the way the language writes them.

"system" reads the system's languages the way Qt does (``LANGUAGE``, then ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` on Linux; ``QLocale.system().uiLanguages()`` elsewhere): the
first one that is Chinese in any variant -- zh_CN, zh_SG, and zh_TW or zh_HK too, as
Simplified Chinese is the only Chinese shipped and reads better to them than English --
gives Chinese, anything else English.  Only the first language counts: a person whose
first choice is German reads English, the source, not Chinese from further down the list.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop_app.core.i18n import (
    APP_CATALOG,
    ENGLISH,
    TRANSLATIONS_DIR,
    environment_languages,
    language_of,
)
from desktop_app.core.i18n import wanted_language as core_wanted_language

__all__ = [
    "APP_CATALOG",
    "ENGLISH",
    "TRANSLATIONS_DIR",
    "apply_language",
    "language_in_effect",
    "system_language",
]

log = logging.getLogger(__name__)

#: Qt's own sentences (dialog buttons, the file picker): ``qtbase_<language>.qm``.
QT_CATALOG = "qtbase"

#: The translators installed now, kept here so they live as long as they are installed
#: (a QTranslator collected by Python would leave Qt a dangling pointer) and can be removed.
_installed: list[QTranslator] = []
_in_effect = [ENGLISH]  # one entry: the language the last apply_language put in effect


def system_languages(environ: Mapping[str, str] | None = None) -> list[str]:
    """The system's languages, first choice first.

    On Linux and the BSDs, read from the environment now (``environment_languages``): Qt
    reads the same, but keeps part of it from start-up, so a test (or a launcher) that sets
    them later would not be seen.  Elsewhere, or with none of them set, Qt's ``uiLanguages``.
    """
    if sys.platform in ("win32", "darwin"):  # as Qt does: the system's own list there
        return list(QLocale.system().uiLanguages())
    return environment_languages(environ) or list(QLocale.system().uiLanguages())


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """Chinese ("zh_CN") when the system's first language is any Chinese, else "en"."""
    return language_of(system_languages(environ))


def wanted_language(preference: str) -> str:
    """The language a preference asks for: "system" read now, an unknown one English."""
    return core_wanted_language(preference, system_language() if preference == "system" else None)


def language_in_effect() -> str:
    """The language the last ``apply_language`` put in effect ("en" before any)."""
    return _in_effect[0]


def apply_language(app: QCoreApplication, preference: str, *, folder: Path | None = None) -> str:
    """Install the translators of ``preference`` ("system", "en", "zh_CN"); the language now
    in effect.

    ``folder``: where ``localsight_<language>.qm`` is (default ``TRANSLATIONS_DIR``; tests
    point it at their own).  A missing or unreadable file means English, logged, never an
    error: the app is whole in English.  Qt's own catalog is installed only with the app's,
    so a missing app catalog never gives Chinese buttons under English sentences.
    """
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = wanted_language(preference)
    if language != ENGLISH:
        ours = QTranslator()
        path = (folder or TRANSLATIONS_DIR) / f"{APP_CATALOG}_{language}.qm"
        if ours.load(str(path)):
            qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            qt = QTranslator()
            if qt.load(f"{QT_CATALOG}_{language}", qt_folder):
                _installed.append(qt)  # installed first: the app's own answers before Qt's
            else:
                log.info("Qt's %s translation is not in %s", language, qt_folder)
            _installed.append(ours)
        else:
            log.info("No %s translation at %s: the window stays in English", language, path)
            language = ENGLISH
    for translator in _installed:
        app.installTranslator(translator)
    if language == ENGLISH and preference == "system":
        QLocale.setDefault(QLocale.system())
    elif language == ENGLISH:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    else:
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    _in_effect[0] = language
    return language
