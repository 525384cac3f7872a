"""The Simplified Chinese translation (issue 19): complete, faithful to each sentence's slots,
mnemonics and tags, in step with the code, compiled, and shown by the real window.

The .ts file is the translators' source; the .qm next to it is what the app loads.  These
tests keep the two honest: a sentence added to the code without a translation, a stale
.qm, or a translation that drops a ``{slot}`` (the value would silently vanish from the
sentence) fails here with the command that fixes it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QDialog, QTableWidget

from desktop_app.core.settings import AppPaths
from desktop_app.qt.common.i18n import translator, update_translations
from tests.helpers import REPO

TS = REPO / "desktop_app" / "translations" / "localsight_zh_CN.ts"
QM = TS.with_suffix(".qm")
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")
LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")
UPDATE = f"python -m desktop_app.qt.common.i18n {TS.relative_to(REPO)}"
RELEASE = f"pyside6-lrelease {TS.relative_to(REPO)} -qm {QM.relative_to(REPO)}"

SLOT = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
CJK = re.compile(r"[\u3400-\u9fff]")
#: Sentences whose translation is rightly the same text: a product name.
SAME_IN_CHINESE = {"Ollama"}


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    translation: str
    kind: str | None  # the translation's type: None (finished), unfinished, vanished, obsolete

    def __str__(self) -> str:
        return f"[{self.context}] {self.source!r}"


def messages(ts: Path) -> list[Message]:
    found = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            # A count sentence (numerus="yes") has one form per plural form of the
            # language; Chinese has one.
            forms = [form.text or "" for form in translation.findall("numerusform")]
            assert len(forms) <= 1, f"[{name}] more plural forms than Chinese has"
            found.append(
                Message(
                    name,
                    message.findtext("source") or "",
                    forms[0] if forms else translation.text or "",
                    translation.get("type"),
                )
            )
    return found


def mnemonics(text: str) -> list[str]:
    """The keys of ``&X`` accelerators (``&&`` is a literal ampersand)."""
    return [key.lower() for key in re.findall(r"&(\S)", text.replace("&&", "")) if key != "&"]


# -- the .ts file -------------------------------------------------------------------------------


def test_every_message_is_translated_and_finished() -> None:
    root = ET.parse(TS).getroot()
    assert root.get("language") == "zh_CN"
    found = messages(TS)
    assert len(found) > 400
    unfinished = [str(m) for m in found if m.kind is not None or not m.translation.strip()]
    assert unfinished == [], f"not translated (or marked {{unfinished, vanished}}): {unfinished}"


def test_no_translation_is_the_english_sentence_left_as_it_was() -> None:
    copied = [
        str(m)
        for m in messages(TS)
        if m.translation == m.source and m.source not in SAME_IN_CHINESE
    ]
    assert copied == []
    # "{done} of {total}" → "{done}/{total}" rightly has no Chinese; a sentence does.
    without_chinese = [
        str(m)
        for m in messages(TS)
        if not CJK.search(m.translation)
        and len(re.findall(r"[A-Za-z]{3,}", SLOT.sub("", m.source))) > 1
    ]
    assert without_chinese == []


def test_each_translation_keeps_exactly_the_slots_of_its_source() -> None:
    """A slot missing from a translation loses its value; an extra one shows "{name}"."""
    wrong = [
        f"{m}: {sorted(SLOT.findall(m.source))} -> {sorted(SLOT.findall(m.translation))}"
        for m in messages(TS)
        if Counter(SLOT.findall(m.source)) != Counter(SLOT.findall(m.translation))
    ]
    assert wrong == []


def test_a_count_sentence_keeps_its_count() -> None:
    """``%n`` is where Qt puts the number: a translation without it would drop the count."""
    wrong = [str(m) for m in messages(TS) if "%n" in m.source and "%n" not in m.translation]
    assert wrong == [], f"the translation lost %n: {wrong}"


def test_a_mnemonic_stays_a_mnemonic_on_the_same_key() -> None:
    """ "&Chat" → "对话(&C)": Alt+C still opens the menu, in either language."""
    wrong = [
        f"{m} -> {m.translation!r}"
        for m in messages(TS)
        if mnemonics(m.source) != mnemonics(m.translation)
    ]
    assert wrong == []
    chat = next(m for m in messages(TS) if (m.context, m.source) == ("MainWindow", "&Chat"))
    assert chat.translation == "对话(&C)"


def test_rich_text_keeps_its_tags() -> None:
    wrong = [
        f"{m} -> {m.translation!r}"
        for m in messages(TS)
        if Counter(TAG.findall(m.source)) != Counter(TAG.findall(m.translation))
    ]
    assert wrong == []
    assert any(TAG.search(m.source) for m in messages(TS))  # the check has something to see


# -- in step with the code, and compiled --------------------------------------------------------


@pytest.mark.skipif(
    not LUPDATE.exists() and shutil.which("pyside6-lupdate") is None,
    reason="pyside6-lupdate is not installed",
)
def test_the_ts_file_has_every_sentence_of_the_code_and_no_other(tmp_path: Path) -> None:
    copy = tmp_path / TS.name
    shutil.copyfile(TS, copy)
    update_translations([copy])
    after = messages(copy)
    committed = {(m.context, m.source) for m in messages(TS)}
    new = [str(m) for m in after if (m.context, m.source) not in committed]
    gone = [str(m) for m in after if m.kind in {"vanished", "obsolete"}]
    assert new == [], (
        f"{len(new)} sentence(s) of desktop_app/qt have no translation: {new}. "
        f"Run `{UPDATE}`, translate them in the .ts, then `{RELEASE}`."
    )
    assert gone == [], (
        f"{len(gone)} sentence(s) of the .ts are no longer in the code: {gone}. "
        f"Run `{UPDATE}`, delete the messages marked vanished, then `{RELEASE}`."
    )


@pytest.mark.skipif(not LRELEASE.exists(), reason="pyside6-lrelease is not installed")
def test_the_committed_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    fresh = tmp_path / QM.name
    subprocess.run(
        [str(LRELEASE), str(TS), "-qm", str(fresh)], check=True, capture_output=True, text=True
    )
    assert QM.exists(), f"{QM.relative_to(REPO)} is missing: run `{RELEASE}`"
    # What the two translate, not their bytes: another PySide6's lrelease may lay the file
    # out otherwise.
    committed, compiled = QTranslator(), QTranslator()
    assert committed.load(str(QM)) and compiled.load(str(fresh))
    stale = []
    for m in messages(TS):
        counts = (1, 2) if "%n" in m.source else (-1,)
        for n in counts:
            now = compiled.translate(m.context, m.source, None, n)
            if committed.translate(m.context, m.source, None, n) != now:
                stale.append(str(m))
    assert stale == [], f"the .qm is stale ({stale[:5]}…): run `{RELEASE}`"


def test_the_cli_reads_the_same_translations_as_the_window() -> None:
    """The CLI cannot load Qt, so it reads the .ts (``desktop_app.core.i18n.Catalog``); the
    window reads the .qm.  Every sentence must come out the same from both."""
    from desktop_app.core.i18n import Catalog

    catalog = Catalog.read(TS)
    compiled = QTranslator()
    assert compiled.load(str(QM))
    differ = [
        str(m)
        for m in messages(TS)
        if catalog.translate(m.context, m.source, 2)
        != compiled.translate(m.context, m.source, None, 2)
    ]
    assert differ == []
    assert len(catalog.sentences) == len(list(messages(TS)))


# -- loaded ---------------------------------------------------------------------------------------


@pytest.fixture
def chinese(qapp: QCoreApplication) -> Iterator[QTranslator]:
    """The committed .qm installed on the application; removed after, so others stay English."""
    loaded = QTranslator()
    assert loaded.load(str(QM))
    assert QCoreApplication.installTranslator(loaded)
    yield loaded
    QCoreApplication.removeTranslator(loaded)


def test_the_qm_answers_the_contexts_the_app_asks_in(chinese: QTranslator) -> None:
    assert translator("MainWindow")("New chat") == "新建对话"
    assert translator("MainWindow")("&Chat") == "对话(&C)"
    assert translator("Composer")("Send") == "发送"
    removed = translator("ModelManager")("Removed; {size} freed.", size="1.2 GB")
    assert removed == "已移除；释放了 1.2 GB。"
    QCoreApplication.removeTranslator(chinese)
    assert translator("MainWindow")("New chat") == "New chat"


def test_sentences_kept_in_tables_are_translated_too(chinese: QTranslator) -> None:
    """Sentences held in module-level tables (marked with ``QT_TRANSLATE_NOOP``) and the
    Describe window's buttons (built by a helper) reached no .ts before: lupdate extracts
    only literal ``tr("…")`` calls."""
    from desktop_app.qt.common.overlays import ShortcutsDialog
    from desktop_app.qt.common.theme import LIGHT
    from desktop_app.qt.describe.layout import DescribePanelLayout

    dialog = ShortcutsDialog()
    table = dialog.findChild(QTableWidget)
    assert table is not None
    actions = [table.item(row, 1).text() for row in range(table.rowCount())]
    assert actions and all(CJK.search(text) for text in actions), actions
    assert table.item(3, 0).text() == "Up（输入框为空时）"
    dialog.deleteLater()

    panel = DescribePanelLayout(LIGHT)
    assert panel.prompt_edit.text() == "用一两句话描述这张图片。"
    assert panel.start_button.text() == "开始(&S)"
    assert panel.sidecar_button.toolTip().startswith("将每条描述")
    assert panel.close_button.accessibleName() == "关闭"
    panel.deleteLater()


def test_the_describe_prompt_marked_for_lupdate_is_the_cores_default() -> None:
    """layout.py writes the core's ``DEFAULT_PROMPT`` out for lupdate; if the core's changes,
    the prompt box would show the English one, untranslated, without this."""
    from desktop_app.core.describe.run import DEFAULT_PROMPT

    assert ("DescribePanel", DEFAULT_PROMPT) in {(m.context, m.source) for m in messages(TS)}


# -- the real window ------------------------------------------------------------------------------


def test_the_window_menus_are_chinese(
    qtbot: Any, paths: AppPaths, chinese: QTranslator, tmp_path: Path
) -> None:
    """Every menu and every menu item: the items' sentences used to be passed through a
    variable (``QAction(tr(text))``), which lupdate cannot see."""
    from tests.helpers.fake_backend import ScriptedBackend
    from tests.helpers.window_fixtures import open_window

    window = open_window(qtbot, paths, ScriptedBackend(gated=False, deltas=["好的。"]))
    menus = [action.menu() for action in window.menuBar().actions()]
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["对话(&C)", "模型(&M)", "视图(&V)", "帮助(&H)"]
    items = [item.text() for menu in menus for item in menu.actions() if not item.isSeparator()]
    assert len(items) > 15
    assert [text for text in items if not CJK.search(text)] == []
    assert window.composer.send_button.text() == "发送"
    window.grab().save(str(tmp_path / "window_zh_CN.png"))
    assert not isinstance(QApplication.activeModalWidget(), QDialog)
