"""``desktop_app/qt/common/i18n.py``: one ``tr`` per module, values put in by name, and sentences
that ``pyside6-lupdate`` finds under the context the app asks for."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

from desktop_app.qt.common.i18n import QT_DIR, fill, module_context, translator, update_translations
from tests.helpers import REPO

LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")
LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")


def qt_modules() -> list[Path]:
    return sorted(QT_DIR.rglob("*.py"))


# -- fill ---------------------------------------------------------------------------------------


def test_fill_puts_each_value_in_its_named_slot() -> None:
    assert fill("{done} of {total}", done="3", total="8") == "3 of 8"
    assert fill("{total} 中的 {done}", done="3", total="8") == "8 中的 3"


def test_fill_leaves_out_a_value_whose_slot_is_missing() -> None:
    assert fill("Removed.", size="1 GB") == "Removed."
    assert fill("{n} images", n=3, unused="x") == "3 images"


def test_fill_leaves_other_braces_alone() -> None:
    text = "{n} of {total} {} { n } {n!r} {{n}} {"
    assert fill(text, n=5) == "5 of {total} {} { n } {n!r} {5} {"
    assert fill("{x}") == "{x}"


def test_fill_inserts_str_of_values_that_are_not_str() -> None:
    assert fill("{n} tokens, {r} tok/s", n=42, r=3.5) == "42 tokens, 3.5 tok/s"
    assert fill("kept as {path}", path=Path("/tmp/chats.db")) == "kept as /tmp/chats.db"
    assert fill("{v}", v=None) == "None"


def test_fill_fills_the_same_slot_twice() -> None:
    assert fill("the first {max} of {n}: at most {max}", max=8, n=12) == (
        "the first 8 of 12: at most 8"
    )


def test_fill_does_not_rescan_an_inserted_value() -> None:
    assert fill("{model} and {text}", model="{text}", text="SmolLM2") == "{text} and SmolLM2"


def test_a_slot_may_be_named_text() -> None:
    assert translator("NoSuchContext")("{text} is ready", text="SmolLM2") == "SmolLM2 is ready"


# -- translator, with a real QTranslator --------------------------------------------------------

CONTEXT = "I18nTest"
SENTENCE = "Delete {name} ({size}) from this computer?"
TRANSLATED = "从这台电脑删除 {name}（{size}）？"


def ts_file(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
        '<TS version="2.1" language="zh_CN">\n'
        f"<context><name>{CONTEXT}</name><message><source>{SENTENCE}</source>"
        f"<translation>{TRANSLATED}</translation></message></context>\n</TS>\n",
        encoding="utf-8",
    )
    return path


class DictTranslator(QTranslator):
    """Stands in for a compiled .qm when ``pyside6-lrelease`` is not installed."""

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        return TRANSLATED if (context, source) == (CONTEXT, SENTENCE) else ""


@pytest.fixture
def chinese(qapp: QCoreApplication, tmp_path: Path) -> Iterator[QTranslator]:
    if LRELEASE.exists():
        qm = tmp_path / "test_zh_CN.qm"
        subprocess.run(
            [str(LRELEASE), str(ts_file(tmp_path / "test_zh_CN.ts")), "-qm", str(qm)],
            check=True,
            capture_output=True,
        )
        loaded: QTranslator = QTranslator()
        assert loaded.load(str(qm))
    else:
        loaded = DictTranslator()
    assert QCoreApplication.installTranslator(loaded)
    yield loaded
    QCoreApplication.removeTranslator(loaded)


def test_a_translated_sentence_gets_its_values(chinese: QTranslator) -> None:
    filled = translator(CONTEXT)(SENTENCE, name="Qwen3-VL 2B", size="1.9 GB")
    assert filled == "从这台电脑删除 Qwen3-VL 2B（1.9 GB）？"


def test_the_context_decides_and_english_is_the_fallback(chinese: QTranslator) -> None:
    other = translator("SomeOtherContext")
    assert other(SENTENCE, name="A", size="1 GB") == "Delete A (1 GB) from this computer?"
    assert translator(CONTEXT)("Not translated {count}", count=2) == "Not translated 2"


# -- the guard ----------------------------------------------------------------------------------


def test_no_module_defines_its_own_tr_or_formats_with_replace() -> None:
    """Every module binds ``tr = translator("Context")`` and passes values by name; a
    ``.replace("{x}", …)`` chain or a ``def tr`` of its own is the old way back."""
    offences = []
    for path in qt_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "tr":
                offences.append(f"{path.relative_to(REPO)}:{node.lineno} def tr")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "replace"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value.startswith("{")
            ):
                offences.append(f"{path.relative_to(REPO)}:{node.lineno} .replace({{…}})")
    assert offences == []


# -- extraction ---------------------------------------------------------------------------------


def literal_sentences() -> set[tuple[str, str]]:
    """(context, sentence) of every ``tr("…")`` with a literal sentence, read with ``ast``."""
    names = {".".join(p.relative_to(REPO).with_suffix("").parts): p for p in qt_modules()}
    contexts = {name: c for name, path in names.items() if (c := module_context(path))}
    found = set()
    for path in qt_modules():
        context = module_context(path, contexts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                assert context, f"{path} calls tr without tr = translator(…)"
                found.add((context, node.args[0].value))
    return found


@pytest.mark.skipif(
    not LUPDATE.exists() and shutil.which("pyside6-lupdate") is None,
    reason="pyside6-lupdate is not installed",
)
def test_lupdate_finds_every_sentence_under_its_context(tmp_path: Path) -> None:
    ts = tmp_path / "localsight_zh_CN.ts"
    update_translations([ts])
    extracted = {
        (context.findtext("name"), message.findtext("source"))
        for context in ET.parse(ts).getroot().iter("context")
        for message in context.iter("message")
    }
    wanted = literal_sentences()
    assert len(wanted) > 300
    assert wanted - extracted == set()
    assert "" not in {context for context, _ in extracted}
    assert ("ModelManager", "Removed; {size} freed.") in extracted
    assert ("MainWindow", "Could not save settings: {e}") in extracted
