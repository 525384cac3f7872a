"""One way to translate a sentence and put values into it: ``translator`` and ``fill``.

Each module of the window binds its own ``tr`` once, with the module's translation context::

    tr = translator("ModelManager")
    tr("Removed; {size} freed.", size=format_bytes(freed))

``tr`` looks the sentence up with ``QCoreApplication.translate`` (so an installed
``QTranslator`` answers) and then ``fill`` puts each value into its ``{name}`` slot.  Before
this module every file defined the same ``tr`` and formatted with chains of
``str.replace``; now the look-up and the formatting rule live here and nowhere else.

Why named ``{name}`` slots, not Qt's ``%1 %2``: Qt's C++ ``QString::arg`` fills ``%1``, but
PySide returns a plain ``str``, so ``%1`` would still need a replacement of our own, and a
translator sees only "%1" and "%2" with no hint of what goes there.  ``{size}`` or ``{model}``
tells the translator what the slot holds, and the slots may move freely within the
translated sentence (word order differs between English and Chinese).

``fill`` replaces only the slots it is given a value for, in one pass: it is not
``str.format``, because a translated sentence may contain other braces, which are left as
they are; a value whose slot is missing from the (translated) sentence is simply unused;
an inserted value is never scanned again, so a model named "{text}" stays as it is; a
value that is not a ``str`` is inserted as ``str(value)``.

How ``pyside6-lupdate`` finds the sentences: ``tr("…")`` is one of the function names its
Python parser knows (``-tr-function-alias tr+=tr`` adds nothing), and ``tr("…", size=…)``
is read up to the first comma, so every literal sentence is extracted, including ones
split over several lines.  But lupdate files a bare ``tr("…")`` under the *empty* context:
it knows a context only from ``self.tr`` (the class), ``Context.tr("…")`` or
``translate("Context", "…")``, never from ``tr = translator("Context")``.  A .ts file made
by plain lupdate therefore would not match the contexts the app asks for at run time, and
no translation would ever show (the ``def tr`` each module had before fared no better).
``update_translations`` (below) runs lupdate on copies of the sources in which each ``tr(``
reads ``Context.tr(`` on the same line, so the .ts file gets the right contexts and the
right file names and line numbers; the command is::

    .venv/bin/python -m desktop_app.qt.common.i18n translations/localsight_zh_CN.ts

(each .ts file named is created, or merged with the sentences found, as lupdate does).
A sentence in a variable, ``tr(text)``, is not extracted by any of this: a sentence kept in a
constant is written ``QT_TRANSLATE_NOOP("Context", "…")`` (below), which lupdate reads.

Counts: one sentence, Qt's ``%n``.  ``tr("%n image(s)", n=count)`` -- ``n`` is keyword-only
and is never a ``{slot}`` (no sentence has a ``{n}`` slot; a test keeps it so) -- asks
``QCoreApplication.translate(context, text, None, n)``: a translation picks the plural form
its language wants (Chinese has one) and Qt puts the number in place of ``%n``.  English is
the source language, so no translator answers it; then the English rule applies: every
``(s)`` in the sentence becomes ``s`` unless ``n`` is 1 ("1 image", "0 images", "3
images").  That is the whole rule, so an English sentence with a count is written so that
only ``(s)`` words change with it (no "was/were": "%n answer(s) cut off", not "were cut
off").  Why not an English .qm with numerus forms (Qt's own way): one more file to keep in
step with every sentence, and English would break wherever it is missing; the rule needs
nothing.  ``update_translations`` marks these sentences numerus (``numerus="yes"`` in the
.ts): lupdate's Python parser takes a call as numerus only with a third positional
argument, so the copy it reads has ``Context.tr("…", None, n=count)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication

from backends.messages import MESSAGES_CONTEXT, english_plural, fill, render, sentence_of

__all__ = [
    "QT_TRANSLATE_NOOP",
    "Translate",
    "english_plural",
    "error_text",
    "fill",
    "shown",
    "translator",
    "update_translations",
]

QT_DIR = Path(__file__).resolve().parents[1]  # desktop_app/qt

ROOT = QT_DIR.parent.parent  # the checkout (or site-packages): backends/ and desktop_app/
#: Where the Qt-free code lives whose ``message("…")`` sentences the window shows.
MESSAGE_PACKAGES = ("backends", "desktop_app/core", "desktop_app/cli")


class Translate(Protocol):
    def __call__(self, text: str, /, *, n: int | None = None, **values: object) -> str: ...


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name lupdate knows
    """``text`` as it is; marks a sentence kept in a constant for lupdate, under ``context``
    (the ``tr`` of that context translates it where it is shown).  Qt's own returns
    ``object`` to a type checker; this one says ``str``."""
    del context
    return text


def translator(context: str) -> Translate:
    """The ``tr`` of a module: translate in ``context``, then ``fill`` the values.

    ``n``: the count of a sentence with ``%n`` (see the module's docstring).
    """

    def translate(text: str, /, *, n: int | None = None, **values: object) -> str:
        if n is None:
            return fill(QCoreApplication.translate(context, text), **values)
        count = str(n)
        translated = QCoreApplication.translate(context, text, None, n).replace("%n", count)
        if translated == text.replace("%n", count):  # no translation: the English source
            translated = english_plural(translated, n)
        return fill(translated, **values)

    return translate


def _translate_message(template: str, n: int | None) -> str:
    if n is None:
        return QCoreApplication.translate(MESSAGES_CONTEXT, template)
    return QCoreApplication.translate(MESSAGES_CONTEXT, template, None, n)


def shown(text: object) -> str:
    """``text`` as the window shows it: a ``backends.messages.Message`` (a sentence from the
    backends or the core) in the window's language, anything else as ``str(text)``.

    Call it before a sentence goes through a signal or into a widget: a Qt signal carrying
    ``str`` hands on a plain string, and the template is lost.  Thread-safe (a worker may
    call it): ``QCoreApplication.translate`` is.
    """
    return render(text, _translate_message)


def error_text(error: BaseException) -> str:
    """What ``error`` says, in the window's language when it was raised with a ``message``."""
    return shown(sentence_of(error))


def module_context(path: Path, contexts: dict[str, str] | None = None) -> str | None:
    """The context of the ``tr`` a module binds (``tr = translator("…")``) or imports."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [ast.unparse(target) for target in node.targets] == ["tr"]
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "translator"
            and isinstance(node.value.args[0], ast.Constant)
        ):
            return str(node.value.args[0].value)
        if isinstance(node, ast.ImportFrom) and any(alias.name == "tr" for alias in node.names):
            return (contexts or {}).get(node.module or "")
    return None


def lupdate_source(source: str, context: str | None, *, messages: bool = False) -> str:
    """``source`` with every call ``tr(`` written ``context.tr(`` (and, with ``messages``,
    every ``message(`` written ``Messages.tr(``), on the same lines, and ``None`` after the
    sentence of a call given ``n=`` (lupdate's mark of a count)."""
    import ast

    contexts = {"tr": context} if context else {}
    if messages:
        contexts["message"] = MESSAGES_CONTEXT
    lines = source.encode("utf-8").splitlines(keepends=True)
    edits: list[tuple[int, int, int, bytes]] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in contexts
        ):
            start = node.func.col_offset
            name = node.func.id
            edits.append(
                (node.lineno - 1, start, start + len(name), f"{contexts[name]}.tr".encode())
            )
            first = node.args[0] if node.args else None
            if first is not None and any(word.arg == "n" for word in node.keywords):
                assert first.end_lineno is not None and first.end_col_offset is not None
                end = first.end_col_offset
                edits.append((first.end_lineno - 1, end, end, b", None"))
    for line, start, end, text in sorted(edits, reverse=True):  # ast columns count UTF-8 bytes
        lines[line] = lines[line][:start] + text + lines[line][end:]
    return b"".join(lines).decode("utf-8")


def translated_modules(root: Path = ROOT) -> list[Path]:
    """Every module whose sentences reach a person: the window's and the Qt-free code's."""
    folders = [root / "desktop_app" / "qt", *(root / folder for folder in MESSAGE_PACKAGES)]
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def update_translations(ts_files: list[Path], root: Path = ROOT) -> str:
    """Run ``pyside6-lupdate`` for the modules ``translated_modules`` lists; its report."""
    import shutil
    import subprocess
    import sys
    import tempfile

    modules = translated_modules(root)
    names = {".".join(path.relative_to(root).with_suffix("").parts): path for path in modules}
    contexts = {name: context for name, path in names.items() if (context := module_context(path))}
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    command = str(lupdate) if lupdate.exists() else shutil.which("pyside6-lupdate")
    if command is None:
        raise FileNotFoundError("pyside6-lupdate (from PySide6) is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        copies = []
        for path in modules:
            copy = Path(scratch) / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            source = path.read_text(encoding="utf-8")
            context = module_context(path, contexts)
            qt_free = not path.is_relative_to(root / "desktop_app" / "qt")
            if context or qt_free:
                source = lupdate_source(source, context, messages=qt_free)
            copy.write_text(source, "utf-8")
            copies.append(str(copy))
        targets = []
        for ts in (path.resolve() for path in ts_files):
            inside = ts.is_relative_to(root)
            target = Path(scratch) / (ts.relative_to(root) if inside else Path(ts.name))
            target.parent.mkdir(parents=True, exist_ok=True)
            if ts.exists():
                shutil.copyfile(ts, target)
            targets.append((target, ts))
        done = subprocess.run(
            [command, *copies, "-ts", *(str(target) for target, _ in targets)],
            capture_output=True,
            text=True,
            check=True,
        )
        for target, ts in targets:
            ts.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, ts)
    return done.stdout + done.stderr


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 2:
        sys.exit("usage: python -m desktop_app.qt.common.i18n TS_FILE...")
    print(update_translations([Path(arg) for arg in sys.argv[1:]]), end="")
