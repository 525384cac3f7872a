"""Counts in sentences (issue 19): one ``tr("%n image(s)", n=count)`` per count phrase, the
English singular and plural from it, a translation's own forms, and lupdate marking each
such sentence numerus so the translator can give those forms."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from desktop_app.qt.common.i18n import (
    QT_DIR,
    english_plural,
    lupdate_source,
    translator,
    update_translations,
)
from desktop_app.qt.common.language import apply_language
from tests.helpers import REPO
from tests.helpers.translations import write_qm

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def chinese(tmp_path: Path) -> Iterator[None]:
    app = QCoreApplication.instance()
    assert app is not None
    assert apply_language(app, "zh_CN", folder=write_qm(tmp_path / "qm")) == "zh_CN"
    yield
    apply_language(app, "system")  # conftest sets LANGUAGE=en: English, the system locale


def test_english_singular_and_plural() -> None:
    tr = translator("DescribePanel")
    assert tr("%n image(s)", n=1) == "1 image"
    assert tr("%n image(s)", n=0) == "0 images"
    assert tr("%n image(s)", n=3) == "3 images"
    assert tr("Exported %n row(s) to {file}", n=1, file="a.csv") == "Exported 1 row to a.csv"
    assert tr("Exported %n row(s) to {file}", n=12, file="a.csv") == "Exported 12 rows to a.csv"
    assert english_plural("A .txt file is beside 2 image(s). Replace the file(s)?", 2) == (
        "A .txt file is beside 2 images. Replace the files?"
    )


def test_n_is_the_count_never_a_slot() -> None:
    """``n`` goes to Qt, not into ``{n}``: a count and a slot cannot be confused."""
    assert translator("X")("{n} and %n", n=2) == "{n} and 2"


def test_a_translation_gives_its_own_form(chinese: None) -> None:
    tr = translator("DescribePanel")
    assert tr("%n image(s)", n=1) == "1 张图片"
    assert tr("%n image(s)", n=7) == "7 张图片"
    assert translator("Other")("%n image(s)", n=7) == "7 images"  # not translated there


def test_lupdate_source_marks_a_count() -> None:
    source = 'a = tr("%n image(s)", n=k)\nb = tr(\n    "x %n "\n    "y", n=k, file=f\n)\n'
    assert lupdate_source(source, "Ctx") == (
        'a = Ctx.tr("%n image(s)", None, n=k)\nb = Ctx.tr(\n    "x %n "\n    "y", None, n=k, '
        "file=f\n)\n"
    )
    assert lupdate_source('c = tr("plain", file=f)\n', "Ctx") == 'c = Ctx.tr("plain", file=f)\n'


def tr_calls() -> Iterator[tuple[Path, int, str, set[str]]]:
    """(file, line, sentence, keyword names) of every literal ``tr("…")`` of the window."""
    for path in sorted(QT_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keywords = {word.arg or "**" for word in node.keywords}
                yield path.relative_to(REPO), node.lineno, node.args[0].value, keywords


def test_every_count_is_a_numerus_sentence() -> None:
    """``{n}`` is no slot (``n`` is the count), and ``n=`` goes with ``%n`` and only it."""
    offences = [
        f"{path}:{line} {sentence!r}"
        for path, line, sentence, keywords in tr_calls()
        if "{n}" in sentence or (("n" in keywords) != ("%n" in sentence))
    ]
    assert offences == []


def test_the_count_phrases_are_numerus() -> None:
    found = {(str(path), sentence) for path, _line, sentence, kw in tr_calls() if "n" in kw}
    sentences = {sentence for _path, sentence in found}
    assert {
        "%n image(s)",
        "%n chat(s) imported.",
        "%n token(s)",
        "Exported %n row(s) to {file}",
        "Wrote %n .txt file(s) beside the images",
        "You dropped %n image(s).",
    } <= sentences


def test_lupdate_extracts_counts_as_numerus_and_marked_sentences(tmp_path: Path) -> None:
    ts = tmp_path / "localsight_zh_CN.ts"
    update_translations([ts])
    numerus = {
        (context.findtext("name"), message.findtext("source")): message.get("numerus")
        for context in ET.parse(ts).getroot().iter("context")
        for message in context.iter("message")
    }
    assert numerus[("DescribePanel", "%n image(s)")] == "yes"
    assert numerus[("MessageWidget", "%n token(s)")] == "yes"
    assert numerus[("ChatTools", "%n chat(s) imported.")] == "yes"
    assert numerus[("DescribePanel", "Exported %n row(s) to {file}")] == "yes"
    assert numerus[("SettingsDialog", "Settings")] is None
    # Sentences kept in constants or passed to a helper are found too (they were not).
    for marked in [
        ("MainWindow", "New chat"),  # a menu item
        ("MainWindow", "Loading model…"),  # a stage
        ("Overlays", "Edit your last message"),  # the shortcuts list
        ("Overlays", "Up (in an empty message box)"),
        ("DescribePanel", "&Start"),  # a Describe window button
        ("DescribePanel", "Describe every image not described yet"),  # its tooltip
    ]:
        assert marked in numerus, marked
    counted = {key for key, value in numerus.items() if value == "yes"}
    assert all("%n" in source for _context, source in counted)
