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

    .venv/bin/python -m desktop_app.qt.common.i18n desktop_app/qt/translations/localsight_zh_CN.ts

(each .ts file named is created, or merged with the sentences found, as lupdate does; then
``pyside6-lrelease`` compiles the .qm the app loads, and tests/qt/test_translations.py
checks both are in step with the code).  A sentence in a variable, ``tr(text)``, is not
extracted by any of this: mark the literal where it is written with ``QT_TRANSLATE_NOOP``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication

from desktop_app.qt.common.slots import fill

__all__ = ["QT_TRANSLATE_NOOP", "Translate", "fill", "translator", "update_translations"]

QT_DIR = Path(__file__).resolve().parents[1]  # desktop_app/qt


class Translate(Protocol):
    def __call__(self, text: str, /, **values: object) -> str: ...


def translator(context: str) -> Translate:
    """The ``tr`` of a module: translate in ``context``, then ``fill`` the values."""

    def translate(text: str, /, **values: object) -> str:
        return fill(QCoreApplication.translate(context, text), **values)

    return translate


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """``text`` as it is, marked for lupdate as a sentence of ``context``.

    For sentences kept in a table (the Help list of shortcuts, the answer's stages, file
    dialog filters) and translated where they are shown, by the module's ``tr``: lupdate
    reads only literals, so ``tr(text)`` alone would leave them out of the .ts file.
    lupdate knows this name whatever it is imported from; PySide's own ``QT_TRANSLATE_NOOP``
    is typed as returning ``object``, this one keeps the ``str``.
    """
    return text


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


def lupdate_source(source: str, context: str) -> str:
    """``source`` with every call ``tr(`` written ``context.tr(``, on the same lines."""
    import ast

    lines = source.encode("utf-8").splitlines(keepends=True)
    calls = [
        (node.lineno - 1, node.col_offset)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
    ]
    for line, column in sorted(calls, reverse=True):  # ast columns count UTF-8 bytes
        lines[line] = lines[line][:column] + f"{context}.".encode() + lines[line][column:]
    return b"".join(lines).decode("utf-8")


def update_translations(ts_files: list[Path], root: Path = QT_DIR.parent.parent) -> str:
    """Run ``pyside6-lupdate`` for the modules under ``desktop_app/qt``; its report."""
    import shutil
    import subprocess
    import sys
    import tempfile

    modules = sorted(QT_DIR.rglob("*.py"))
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
            copy.write_text(lupdate_source(source, context) if context else source, "utf-8")
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
