"""The window's language (issue 19): the system's or the person's choice, Qt's own dialogs
too, and a change that reaches every sentence on screen without a restart.

Translations come from a small .qm made for the test (``tests/helpers/translations.py``):
real sentences of the window under their real contexts.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QLocale, QSize, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.core.images import normalize_image
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.qt.common import language
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.language import apply_language
from desktop_app.qt.main_window import MainWindow
from desktop_app.qt.settings.dialog import SettingsDialog
from tests.helpers.fake_backend import MODEL, ScriptedBackend
from tests.helpers.images import png_bytes
from tests.helpers.translations import write_qm
from tests.helpers.window_fixtures import WAIT_MS
from tests.qt.test_window_races import advance_to, start_answer

pytestmark = pytest.mark.usefixtures("qapp")

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def qm_folder(tmp_path: Path) -> Path:
    return write_qm(tmp_path / "translations")


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts and ends with an English system and no translator installed."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    app = QCoreApplication.instance()
    assert app is not None
    apply_language(app, "en")
    QLocale.setDefault(QLocale.system())


def system(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    """The system's locale as the environment gives it (Qt reads it again on each ask)."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def app() -> QCoreApplication:
    instance = QCoreApplication.instance()
    assert instance is not None
    return instance


def settings_word() -> str:
    return translator("SettingsDialog")("Settings")


# -- which language ---------------------------------------------------------------------------


def test_a_chinese_system_gets_chinese(monkeypatch: pytest.MonkeyPatch, qm_folder: Path) -> None:
    system(monkeypatch, LANG="zh_CN.UTF-8")
    assert apply_language(app(), "system", folder=qm_folder) == "zh_CN"
    assert settings_word() == "设置"
    assert QLocale().language() == QLocale.Language.Chinese


@pytest.mark.parametrize(
    "variables",
    [
        {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"},
        {"LANG": "zh_SG.UTF-8"},
        {"LANG": "zh_TW.UTF-8"},  # the only Chinese shipped is read better than English
        {"LANG": "zh_HK.UTF-8"},
        {"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"},
    ],
)
def test_every_chinese_locale_gets_the_chinese_shipped(
    monkeypatch: pytest.MonkeyPatch, qm_folder: Path, variables: dict[str, str]
) -> None:
    system(monkeypatch, **variables)
    assert apply_language(app(), "system", folder=qm_folder) == "zh_CN"
    assert settings_word() == "设置"


@pytest.mark.parametrize(
    "variables",
    [{"LANG": "de_DE.UTF-8"}, {"LANG": "C.UTF-8"}, {"LANGUAGE": "de:zh_CN", "LANG": "zh_CN"}],
)
def test_any_other_system_gets_english(
    monkeypatch: pytest.MonkeyPatch, qm_folder: Path, variables: dict[str, str]
) -> None:
    system(monkeypatch, **variables)
    assert apply_language(app(), "system", folder=qm_folder) == "en"
    assert settings_word() == "Settings"


def test_english_chosen_on_a_chinese_system(
    monkeypatch: pytest.MonkeyPatch, qm_folder: Path
) -> None:
    system(monkeypatch, LANG="zh_CN.UTF-8")
    assert apply_language(app(), "en", folder=qm_folder) == "en"
    assert settings_word() == "Settings"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_chinese_chosen_on_an_english_system(qm_folder: Path) -> None:
    assert apply_language(app(), "zh_CN", folder=qm_folder) == "zh_CN"
    assert settings_word() == "设置"


def test_qts_own_dialogs_speak_chinese_too(qm_folder: Path) -> None:
    """Qt's catalog from the PySide6 install: a message box's and a file picker's buttons."""
    apply_language(app(), "zh_CN", folder=qm_folder)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    assert QCoreApplication.translate("QPlatformTheme", "OK") == "确定"
    assert QCoreApplication.translate("QFileDialog", "Look in:") != "Look in:"


def test_switching_back_to_english_removes_the_translators(qm_folder: Path) -> None:
    apply_language(app(), "zh_CN", folder=qm_folder)
    assert apply_language(app(), "en", folder=qm_folder) == "en"
    assert settings_word() == "Settings"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    assert QLocale().language() == QLocale.Language.English
    assert apply_language(app(), "zh_CN", folder=qm_folder) == "zh_CN"  # and back again
    assert settings_word() == "设置"


def test_a_missing_translation_is_english_said_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="desktop_app.qt.common.language"):
        assert apply_language(app(), "zh_CN", folder=tmp_path / "nothing-here") == "en"
    assert settings_word() == "Settings"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"  # no mix
    assert any("localsight_zh_CN.qm" in record.getMessage() for record in caplog.records)


# -- Settings → Appearance → Language ---------------------------------------------------------


def test_the_language_choice_is_in_the_dialog_and_saved(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(), "", "/models")
    qtbot.addWidget(dialog)
    names = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert names == ["Same as the system", "English", "简体中文"]
    assert dialog.language.currentData() == "system"
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    updated, _prompt = dialog.result_settings()
    assert updated.language == "zh_CN"
    again = SettingsDialog(updated, "", "/models")
    qtbot.addWidget(again)
    assert again.language.currentData() == "zh_CN"


def test_the_language_names_stay_untranslated(qtbot: Any, qm_folder: Path) -> None:
    apply_language(app(), "zh_CN", folder=qm_folder)
    dialog = SettingsDialog(Settings(), "", "/models")
    qtbot.addWidget(dialog)
    names = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert names == ["跟随系统", "English", "简体中文"]
    assert dialog.windowTitle() == "设置"


# -- the window, rebuilt in the new language ---------------------------------------------------


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend()
    yield backend
    for call in backend.calls:
        call.finish()


@pytest.fixture
def chinese_folder(qm_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(language, "TRANSLATIONS_DIR", qm_folder)
    return qm_folder


def open_window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> MainWindow:
    """``window_fixtures.open_window`` without handing the window to qtbot: a window
    rebuilt in another language is deleted, and qtbot would close it again at the end."""
    from desktop_app.qt.app import create_window

    window = create_window(paths, backend=backend, extra_backends={})
    window.resize(1024, 700)
    window.show()
    qtbot.waitUntil(lambda: window.model is not None, timeout=WAIT_MS)
    return window


def close_all(qtbot: Any, window: MainWindow) -> None:
    """Close whichever window is the one on screen now (a rebuilt one has no qtbot owner)."""
    while window.successor is not None:
        window = window.successor
    if shiboken6.isValid(window):
        window.close()


def successor_of(qtbot: Any, window: MainWindow) -> MainWindow:
    """The window rebuilt in place of ``window``, once there is one."""
    qtbot.waitUntil(lambda: window.successor is not None, timeout=WAIT_MS)
    new = window.successor
    assert new is not None
    return new


def choose_language(window: MainWindow, choice: str) -> None:
    """Settings → Language → OK, as the dialog's OK applies it."""
    window.apply_settings(dataclasses.replace(window.settings, language=choice))


def test_the_window_is_rebuilt_in_chinese_keeping_what_was_on_screen(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    window = open_window(qtbot, paths, backend)
    try:
        store = window.store
        other = store.create_conversation(title="Another chat")
        store.add_message(other, "user", "Other question")
        chat = store.create_conversation(title="Groceries")
        for number in range(30):
            store.add_message(chat, "user", f"Question {number}")
            store.add_message(chat, "assistant", f"Answer {number}")
        window.refresh_conversations()
        window.open_conversation(chat)
        image = normalize_image(png_bytes(), name="red.png")
        window.composer.add_image(image, "red.png")
        window.composer.edit.setPlainText("What is in this photo?")
        window.sidebar.search.setText("Gro")
        screen = window.screen().availableGeometry()
        size = QSize(screen.width() - 30, screen.height() - 70)  # on screen: kept as it is
        window.resize(size)
        assert window.size() == size
        assert window.settings_button.text() == "Settings"
        state = window.state

        choose_language(window, "zh_CN")
        new = successor_of(qtbot, window)
        qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT_MS)  # deleted

        assert new.isVisible() and new.state is state  # the same store, backends, settings
        assert new.store is store and new.backends["llama-cpp"] is backend
        assert backend.closed == 0  # the engine was not stopped
        assert QApplication.instance() is not None and not QApplication.closingDown()
        assert new.settings_button.text() == "设置"
        assert new.composer.send_button.text() == "发送"
        assert [a.text() for a in new.menuBar().actions()][:2] == ["聊天(&C)", "模型(&M)"]
        assert new.menuBar().actions()[0].menu().actions()[0].text() == "新建聊天"
        assert new.conversation_id == chat
        assert new.chat.message_count == 60
        assert new.chat.last_message(user=False).id == store.messages(chat)[-1].id
        bar = new.chat.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=WAIT_MS)
        assert new.composer.text() == "What is in this photo?"
        assert [i.sha256 for i in new.composer.images()] == [image.sha256]
        assert new.sidebar.search.text() == "Gro"
        assert new.size() == size
        assert new.model is not None and new.model.id == MODEL
        assert Settings.load(paths.settings_path).language == "zh_CN"
        store.add_message(chat, "user", "Still writable")  # the history was not closed
    finally:
        close_all(qtbot, window)


def test_a_rebuilt_window_still_answers_and_closes_the_app_as_before(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    window = open_window(qtbot, paths, backend)
    try:
        choose_language(window, "zh_CN")
        new = successor_of(qtbot, window)
        call = start_answer(qtbot, new, backend, "Hello")
        call.finish()
        qtbot.waitUntil(lambda: new.chat_controller.generation is None, timeout=WAIT_MS)
        assert new.store.messages(new.conversation_id)[-1].role == "assistant"
        new.close()
        assert backend.closed == 1  # the last window closes the engine, once
    finally:
        close_all(qtbot, window)


def test_the_rebuild_waits_for_the_answer_being_written(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    """An answer streaming when the language changes is never cut: the window says it will
    change when the answer ends, and does then."""
    window = open_window(qtbot, paths, backend)
    try:
        call = start_answer(qtbot, window, backend, "Talk for a while.")
        advance_to(qtbot, window, call, "after-2")
        choose_language(window, "zh_CN")
        qtbot.waitUntil(
            lambda: "when the answer being written ends" in window.composer.notice.text(),
            timeout=WAIT_MS,
        )
        assert window.successor is None and window.isVisible()
        call.finish()
        new = successor_of(qtbot, window)
        answer = new.store.messages(new.conversation_id)[-1]
        assert answer.role == "assistant" and answer.state == "complete"
        assert new.chat.text_of(answer.id) == answer.text
        assert new.settings_button.text() == "设置"
    finally:
        close_all(qtbot, window)


def test_back_to_english_rebuilds_in_english(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    window = open_window(qtbot, paths, backend)
    try:
        choose_language(window, "zh_CN")
        chinese = successor_of(qtbot, window)
        choose_language(chinese, "en")
        qtbot.waitUntil(lambda: chinese.successor is not None, timeout=WAIT_MS)
        english = chinese.successor
        assert english is not None
        assert english.settings_button.text() == "Settings"
        assert backend.closed == 0
    finally:
        close_all(qtbot, window)


def test_the_first_window_is_built_in_the_language_of_the_settings(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    settings = Settings.load(paths.settings_path)
    dataclasses.replace(settings, language="zh_CN").save(paths.settings_path)
    window = open_window(qtbot, paths, backend)
    try:
        assert window.settings_button.text() == "设置"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        close_all(qtbot, window)


# -- what is sent to a model: in the person's language (item 6) ---------------------------------


def test_the_prompts_put_in_for_the_person_are_in_their_language(qm_folder: Path) -> None:
    """A built-in preset's message and the Describe window's prompt are the person's words:
    in Chinese they are Chinese, so the model answers in Chinese."""
    from desktop_app.core.chat.presets import BUILTIN_PRESETS
    from desktop_app.core.describe.run import DEFAULT_PROMPT
    from desktop_app.qt.chat.chat_tools import builtin_prompt
    from desktop_app.qt.describe.layout import default_prompt

    alt_text = next(p for p in BUILTIN_PRESETS if p.key == "builtin:alt-text")
    assert builtin_prompt(alt_text) == alt_text.prompt == "Write alt text for this image."
    assert default_prompt() == DEFAULT_PROMPT
    apply_language(app(), "zh_CN", folder=qm_folder)
    assert builtin_prompt(alt_text) == "为这张图片写替代文字。"
    assert default_prompt() == "用一两句话描述这张图片。"


def test_the_describe_window_and_the_model_manager_come_along(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path, tmp_path: Path
) -> None:
    """The Describe window keeps its list (and results) and stays open; an open model
    manager is open again in the new window."""
    picture = tmp_path / "red.png"
    picture.write_bytes(png_bytes())
    window = open_window(qtbot, paths, backend)
    try:
        window.open_describe([picture])
        panel = window.describe_panel
        assert panel is not None and panel.table.paths == [picture]
        window.open_model_manager()
        choose_language(window, "zh_CN")
        new = successor_of(qtbot, window)
        qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT_MS)
        assert new.describe_panel is panel and shiboken6.isValid(panel)
        assert panel.isVisible() and panel.parent() is new and panel.host is new
        assert panel.table.paths == [picture]
        assert new.model_manager is not None and new.model_manager.isVisible()
    finally:
        close_all(qtbot, window)


def test_a_closed_describe_window_is_built_anew_in_the_new_language(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    """A Describe window that was closed does not come along (it would stay English for the
    rest of the session): the next one is built in the new language."""
    window = open_window(qtbot, paths, backend)
    try:
        window.open_describe([])
        panel = window.describe_panel
        assert panel is not None
        panel.close()
        choose_language(window, "zh_CN")
        new = successor_of(qtbot, window)
        assert new.describe_panel is None
        new.open_describe([])
        fresh = new.describe_panel
        assert fresh is not None and fresh is not panel
        assert fresh.isVisible() and re.search(r"[\u4e00-\u9fff]", fresh.windowTitle())
    finally:
        close_all(qtbot, window)


def test_the_rebuild_waits_for_an_open_dialog(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    """A dialog running its own event loop over the window (a question, a file picker)
    would be deleted with the window mid-exec -- a QMessageBox aborts the process -- so the
    rebuild waits until it has closed."""
    window = open_window(qtbot, paths, backend)
    try:
        box = QMessageBox(QMessageBox.Icon.Question, "Delete?", "Delete this chat?", parent=window)
        box.setWindowModality(Qt.WindowModality.ApplicationModal)
        box.show()
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is box, timeout=WAIT_MS)
        choose_language(window, "zh_CN")
        qtbot.wait(1200)  # two turns of the 500 ms poll
        assert window.successor is None and shiboken6.isValid(box)
        box.close()
        successor_of(qtbot, window)
    finally:
        close_all(qtbot, window)


def test_no_rebuild_when_the_language_shown_stays(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    """English chosen on an English system that the window follows already: nothing to
    rebuild (the choice is saved all the same)."""
    window = open_window(qtbot, paths, backend)
    try:
        rebuilt: list[bool] = []
        window.rebuild = lambda: rebuilt.append(True)  # type: ignore[method-assign]
        choose_language(window, "en")
        QCoreApplication.processEvents()
        assert rebuilt == [] and window.successor is None
        assert Settings.load(paths.settings_path).language == "en"
        choose_language(window, "zh_CN")
        qtbot.waitUntil(lambda: rebuilt == [True], timeout=WAIT_MS)
    finally:
        close_all(qtbot, window)


def test_an_edit_in_progress_comes_along(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, chinese_folder: Path
) -> None:
    window = open_window(qtbot, paths, backend)
    try:
        store = window.store
        chat = store.create_conversation(title="Photo")
        image = normalize_image(png_bytes(), name="red.png")
        asked = store.add_message(chat, "user", "What colour?", [image])
        store.add_message(chat, "assistant", "Red.")
        window.refresh_conversations()
        window.open_conversation(chat)
        window.chat_controller.start_edit(asked.id)
        window.composer.edit.setPlainText("Which colour exactly?")
        choose_language(window, "zh_CN")
        new = successor_of(qtbot, window)
        assert new.composer.editing_message_id == asked.id
        assert new.composer.edit_banner.isVisible()
        assert new.composer.text() == "Which colour exactly?"
        assert [p.from_message for p in new.composer.pending] == [True]
        assert [i.sha256 for i in new.composer.images()] == [image.sha256]
    finally:
        close_all(qtbot, window)
