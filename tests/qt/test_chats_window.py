"""Issue 17's chat features through the real window: a chat's own settings and presets, the
context meter, Export / Import from the Chat menu, pinned chats, titles from the first
exchange, the answering mark, the search jump and a rename box wide enough for a title.

Real widgets (offscreen), real SQLite, the scripted fake backend (its requests are what the
model would have been asked).  File dialogs, questions and the name box are answered by
replacing the one static call each uses.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from backends.base import BackendError, GenerationOptions, ModelInfo
from desktop_app.core.chat.export import JSON_FILENAME
from desktop_app.core.images import normalize_image
from desktop_app.core.settings import AppPaths, Settings, app_paths
from desktop_app.qt.chat.chat_tools import TITLE_CHARS, ChatSettingsDialog, TextDialog, short_count
from desktop_app.qt.chat.sidebar import ANSWERING_MARK, PINNED_ROLE
from desktop_app.qt.controllers.chat_tools import JSON_FILTER, MARKDOWN_FILTER
from tests.helpers.fake_backend import MODEL, Script, ScriptedBackend, ScriptedModel
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 5_000  # a ceiling for state to arrive, never a duration anything depends on
PIRATE = "Answer like a pirate."


@pytest.fixture
def paths(localsight_home: Path) -> AppPaths:
    paths = app_paths().ensure()
    Settings(
        model=MODEL, max_tokens=64, temperature=0.0, num_ctx=2048, system_prompt="Be brief."
    ).save(paths.settings_path)
    return paths


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend(gated=False)
    yield backend
    for call in backend.calls:
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    return open_window(qtbot, paths, backend)


def send_and_wait(qtbot: Any, window: Any, backend: ScriptedBackend, text: str) -> Any:
    """Send ``text``; the request the backend got, once the answer is in and shown."""
    calls = len(backend.calls)
    window.composer.edit.setPlainText(text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(backend.calls) == calls + 1, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: window.chat_controller.generation is None and not window.runner.busy,
        timeout=WAIT_MS,
    )
    return backend.calls[-1].request


def sidebar_rows(window: Any) -> list[str]:
    chat_list = window.sidebar.list
    return [chat_list.item(i).text() for i in range(chat_list.count())]


def settings_dialog(qtbot: Any, window: Any) -> ChatSettingsDialog:
    qtbot.mouseClick(window.tools_bar.settings_button, Qt.MouseButton.LeftButton)
    dialog = window.chat_tools.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def menu_action(menu: Any, text: str) -> Any:
    for action in menu.actions():
        if action.text() == text:
            return action
        if action.menu() is not None:
            found = menu_action(action.menu(), text)
            if found is not None:
                return found
    return None


# -- a chat's own settings -------------------------------------------------------------------


def test_a_chats_own_settings_are_what_the_backend_is_asked_with(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    first = send_and_wait(qtbot, window, backend, "hello")
    # A chat that follows the defaults answers with Settings' system prompt and options.
    assert first.messages[0].role == "system" and first.messages[0].text == "Be brief."
    assert first.options.temperature == 0.0 and first.options.num_ctx == 2048
    chat = window.conversation_id
    assert window.store.own_settings(chat) == (None, None)  # not pinned to today's

    dialog = settings_dialog(qtbot, window)
    assert dialog.follows_defaults and dialog.system_prompt.toPlainText() == "Be brief."
    dialog.system_prompt.setPlainText(PIRATE)
    dialog.temperature.setValue(0.9)
    dialog.num_ctx.setValue(3072)
    assert not dialog.follows_defaults
    dialog.accept()
    assert window.store.own_settings(chat)[0] == PIRATE

    second = send_and_wait(qtbot, window, backend, "and now?")
    assert second.messages[0].role == "system" and second.messages[0].text == PIRATE
    assert (second.options.temperature, second.options.num_ctx) == (0.9, 3072)
    assert second.options.max_tokens == 64

    # Another chat is not affected; back in this one the settings are still its own.
    window.new_chat()
    third = send_and_wait(qtbot, window, backend, "elsewhere")
    assert third.messages[0].text == "Be brief." and third.options.temperature == 0.0
    window.open_conversation(chat)

    # "Use the defaults" makes the chat follow Settings again, changes to them included.
    dialog = settings_dialog(qtbot, window)
    assert not dialog.follows_defaults and dialog.system_prompt.toPlainText() == PIRATE
    qtbot.mouseClick(dialog.defaults_button, Qt.MouseButton.LeftButton)
    assert dialog.follows_defaults and dialog.system_prompt.toPlainText() == "Be brief."
    dialog.accept()
    assert window.store.own_settings(chat) == (None, None)
    window.apply_settings(dataclasses.replace(window.settings, temperature=0.5))
    fourth = send_and_wait(qtbot, window, backend, "defaults again")
    assert fourth.messages[0].text == "Be brief." and fourth.options.temperature == 0.5


def test_settings_chosen_before_a_new_chats_first_message_are_its_own(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    dialog = settings_dialog(qtbot, window)
    dialog.system_prompt.setPlainText(PIRATE)
    dialog.accept()
    request = send_and_wait(qtbot, window, backend, "ahoy")
    assert request.messages[0].text == PIRATE
    assert window.store.own_settings(window.conversation_id)[0] == PIRATE


def test_a_chat_from_before_follows_the_settings_as_it_did(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    """Chats made before chat settings existed (or by ``ask --save``) recorded the app's
    settings of their time; the window answered them with the app's settings, and still does."""
    store = window.store
    old = store.create_conversation(
        title="Old", system_prompt="Old prompt", options=GenerationOptions(temperature=0.9)
    )
    store.add_message(old, "user", "hi")
    store.add_message(old, "assistant", "hello")
    window.refresh_conversations()
    window.open_conversation(old)
    assert window.tools_bar.summary.text() == ""
    request = send_and_wait(qtbot, window, backend, "again")
    assert request.messages[0].text == "Be brief." and request.options.temperature == 0.0


# -- presets ---------------------------------------------------------------------------------


def test_presets_from_the_composer(
    qtbot: Any, window: Any, backend: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    bar = window.tools_bar
    names = [a.text() for a in bar.presets_menu.actions() if a.data()]
    assert names == ["Describe for alt text", "Read the text in this image", "Translate to 中文"]

    menu_action(bar.presets_menu, "Describe for alt text").trigger()
    assert window.composer.text() == "Write alt text for this image."  # the prompt, filled in
    request = send_and_wait(qtbot, window, backend, window.composer.text())
    assert "alt text" in request.messages[0].text
    assert request.options.temperature == 0.2 and request.options.num_ctx == 2048
    assert "own settings" in bar.summary.text()

    # Saved from this chat's settings; offered in every chat; renamed; deleted.
    answers = iter(["Alt text, my way", "Alt text v2"])
    monkeypatch.setattr(TextDialog, "ask", lambda *_args: next(answers))
    menu_action(bar.presets_menu, "Save this chat's settings as a preset…").trigger()
    (saved,) = window.store.presets()
    assert saved.name == "Alt text, my way" and "alt text" in (saved.system_prompt or "")
    assert menu_action(bar.presets_menu, "Alt text, my way") is not None
    menu_action(bar.presets_menu, "Rename “Alt text, my way”…").trigger()
    assert [p.name for p in window.store.presets()] == ["Alt text v2"]

    window.new_chat()
    menu_action(bar.presets_menu, "Alt text v2").trigger()
    request = send_and_wait(qtbot, window, backend, "this one")
    assert "alt text" in request.messages[0].text and request.options.temperature == 0.2

    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    menu_action(bar.presets_menu, "Delete “Alt text v2”…").trigger()
    assert window.store.presets() == []
    assert menu_action(bar.presets_menu, "Alt text v2") is None


# -- the context meter ------------------------------------------------------------------------


def test_the_context_meter_follows_the_chat_the_answers_and_the_settings(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    meter = window.tools_bar.meter
    # An empty new chat holds the system prompt only; 2048 tokens of context (Settings).
    assert meter.use is not None and meter.use.size == 2048
    assert meter.label.text() == f"≈{meter.use.used} / 2k"
    empty = meter.use.used
    assert "When it is full" in meter.toolTip() and "estimated" in meter.toolTip()

    send_and_wait(qtbot, window, backend, "x" * 4000)
    QApplication.processEvents()  # the meter refreshes once the event loop runs
    after_answer = meter.use.used
    assert after_answer >= empty + 1000  # the message, and the answer with it
    assert meter.label.text() == f"≈{short_count(after_answer)} / 2k"
    assert short_count(1234) == "1.2k" and short_count(4096) == "4k" and short_count(999) == "999"
    assert meter.bar.value() == int(after_answer / 2048 * 1000)

    chat = window.conversation_id
    window.new_chat()  # another chat: its own (empty) count
    QApplication.processEvents()
    assert meter.use.used == empty
    window.open_conversation(chat)
    QApplication.processEvents()
    assert meter.use.used == after_answer

    dialog = settings_dialog(qtbot, window)  # a bigger context for this chat: capped by the
    dialog.num_ctx.setValue(16384)  # model's own (4096 for the scripted model)
    dialog.accept()
    QApplication.processEvents()
    assert meter.use.size == 4096 and meter.label.text().endswith("/ 4k")


# -- export and import --------------------------------------------------------------------


def chat_with_images(window: Any) -> int:
    store = window.store
    chat = store.create_conversation(title="Two squares")
    red = normalize_image(png_bytes((200, 10, 10), size=(120, 80)), name="red.png")
    blue = normalize_image(png_bytes((10, 10, 200), size=(80, 120)), name="blue.png")
    store.add_message(chat, "user", "What are these?", [red, blue])
    store.add_message(chat, "assistant", "A red and a blue rectangle.")
    window.refresh_conversations()
    window.open_conversation(chat)
    return chat


def test_export_and_import_from_the_chat_menu(
    qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = chat_with_images(window)
    before = window.store.messages(chat)
    target = tmp_path / "shared" / "squares.json"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), JSON_FILTER)
    )
    window.chat_tools.export_chat()
    qtbot.waitUntil(lambda: "Exported to" in window.stage_label.text(), timeout=WAIT_MS)
    document = json.loads(target.read_text(encoding="utf-8"))
    files = [i["file"] for i in document["conversations"][0]["messages"][0]["images"]]
    assert all((target.parent / f).is_file() for f in files) and len(files) == 2
    assert not list(target.parent.glob(".localsight-export-*"))  # the scratch folder went

    markdown = tmp_path / "shared" / "squares notes.md"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(markdown), MARKDOWN_FILTER)
    )
    window.stage_label.clear()
    window.chat_tools.export_chat()
    qtbot.waitUntil(lambda: "Exported to" in window.stage_label.text(), timeout=WAIT_MS)
    text = markdown.read_text(encoding="utf-8")
    assert "A red and a blue rectangle." in text and f"]({files[0]})" in text

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(target), ""))
    window.chat_tools.import_chat()
    qtbot.waitUntil(lambda: window.conversation_id != chat, timeout=WAIT_MS)
    imported = window.conversation_id
    assert imported != chat and len(window.store.list_conversations()) == 2
    after = window.store.messages(imported)
    assert [(m.role, m.text, m.images) for m in after] == [
        (m.role, m.text, m.images) for m in before
    ]
    assert sidebar_rows(window).count("Two squares") == 2
    assert len(window.chat.widgets) == 2  # the imported chat is on screen, and selected
    assert window.sidebar.current_id() == imported


@pytest.mark.parametrize("content", ["{not json", '{"format": "localsight-export", "version": 1}'])
def test_a_broken_import_says_why_and_changes_nothing(
    qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    chat = chat_with_images(window)
    broken = tmp_path / JSON_FILENAME
    broken.write_text(content, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(broken), ""))
    window.chat_tools.import_chat()
    qtbot.waitUntil(lambda: window.chat_tools.warning is not None, timeout=WAIT_MS)
    box = window.chat_tools.warning
    assert box.isVisible() and box.text().startswith("Nothing was imported.")
    assert JSON_FILENAME in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert [c.id for c in window.store.list_conversations()] == [chat]
    assert window.conversation_id == chat
    box.close()


# -- pins, titles, the answering mark ----------------------------------------------------------


def test_pin_and_unpin_from_the_chat_list(qtbot: Any, window: Any, paths: AppPaths) -> None:
    store = window.store
    oldest = store.create_conversation(title="Oldest")
    for title in ("Middle", "Newest"):
        store.create_conversation(title=title)
    window.refresh_conversations()
    assert sidebar_rows(window) == ["Newest", "Middle", "Oldest"]
    chat_list = window.sidebar.list
    menu_action(window.sidebar.menu_for(chat_list.item(2)), "Pin to the top").trigger()
    assert sidebar_rows(window) == ["Oldest", "Newest", "Middle"]
    pinned = chat_list.item(0)
    assert pinned.data(PINNED_ROLE) and not pinned.icon().isNull()
    assert chat_list.item(1).icon().isNull()
    assert store.conversation(oldest).pinned

    menu_action(window.sidebar.menu_for(chat_list.item(0)), "Unpin").trigger()
    assert sidebar_rows(window) == ["Newest", "Middle", "Oldest"]
    assert not store.conversation(oldest).pinned


def test_the_first_answer_titles_the_chat_but_not_over_a_rename(
    qtbot: Any, window: Any, backend: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    send_and_wait(qtbot, window, backend, "Could you please tell me what is in this photo?")
    assert sidebar_rows(window) == ["What is in this photo?"]
    assert window.windowTitle() == "LocalSight — What is in this photo?"

    window.new_chat()
    window.composer.edit.setPlainText("Hello there, what is a lighthouse for?")
    monkeypatch.setattr(TextDialog, "ask", lambda *_args: "Lighthouses")
    # Renamed while the first answer is written: the person's title stays.
    backend.gated = True
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(backend.calls) == 2 and backend.calls[1].at == "loading")
    window.chat_controller.rename_conversation(window.conversation_id)
    backend.calls[1].finish()
    qtbot.waitUntil(lambda: window.chat_controller.generation is None, timeout=WAIT_MS)
    assert window.store.conversation(window.conversation_id).title == "Lighthouses"
    assert "Lighthouses" in [row.removeprefix(f"{ANSWERING_MARK} ") for row in sidebar_rows(window)]


def test_the_answering_mark_follows_the_answer_and_goes_on_error(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    store = window.store
    pinned = store.create_conversation(title="Pinned")
    store.set_pinned(pinned, True)
    window.refresh_conversations()
    backend.gated = True
    backend.script(Script(fail=("first-token", BackendError("The model crashed."))))
    window.composer.edit.setPlainText("question")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(backend.calls) == 1 and backend.calls[0].at == "loading")
    answering = window.conversation_id
    marked = [r for r in sidebar_rows(window) if r.startswith(ANSWERING_MARK)]
    assert marked == [f"{ANSWERING_MARK} question"]
    window.open_conversation(pinned)  # switch away: the mark stays on the answering chat
    assert [r for r in sidebar_rows(window) if r.startswith(ANSWERING_MARK)] == marked
    assert sidebar_rows(window)[0] == "Pinned"
    backend.calls[0].release("loading", "first-token")
    qtbot.waitUntil(lambda: window.chat_controller.generation is None, timeout=WAIT_MS)
    assert not any(r.startswith(ANSWERING_MARK) for r in sidebar_rows(window))
    assert store.messages(answering)[-1].state == "error"


# -- search jump and the rename box ----------------------------------------------------------


def highlighted(window: Any) -> list[int]:
    """The messages whose card is marked by "jump to match" (ChatView.reveal_message)."""
    return [w.message.id for w in window.chat.widgets if w.bubble.property("highlight") is True]


def test_choosing_a_search_hit_reveals_the_matching_message(qtbot: Any, window: Any) -> None:
    store = window.store
    other = store.create_conversation(title="Other")
    store.add_message(other, "user", "nothing to see")
    chat = store.create_conversation(title="Zoo")
    texts = [f"message number {n}" for n in range(200)]
    texts[3] = "the zebra has stripes"  # far above what a long chat builds when it opens
    for text in texts:
        store.add_message(chat, "user", text)
    zebra = store.messages(chat)[3].id
    window.open_conversation(chat)  # already open: choosing the hit must still reveal it
    assert window.chat.widget_for(zebra) is None

    window.sidebar.search.setText("zebra")
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 1, timeout=WAIT_MS)
    item = window.sidebar.list.item(0)
    rect = window.sidebar.list.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.conversation_id == chat and highlighted(window) == [zebra]

    window.open_conversation(other)
    assert highlighted(window) == []
    window.sidebar.list.setCurrentRow(-1)
    window.sidebar.list.setCurrentRow(0)  # by keyboard: the current row moves to the hit
    assert window.conversation_id == chat and highlighted(window) == [zebra]


def test_a_search_hit_in_an_earlier_version_shows_that_version(qtbot: Any, window: Any) -> None:
    """Regenerate keeps the answer it replaces; search finds it; choosing the hit shows
    the branch it is in (‹ 1/2 ›), not the version on screen."""
    store = window.store
    chat = store.create_conversation(title="Versions")
    store.add_message(chat, "user", "Name an animal.")
    first = store.add_message(chat, "assistant", "An okapi.")
    second = store.add_message(chat, "assistant", "A heron.", version_of=first.id)
    window.open_conversation(chat)
    assert [m.text for m in store.messages(chat)][-1] == "A heron."

    window.sidebar.search.setText("okapi")
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 1, timeout=WAIT_MS)
    rect = window.sidebar.list.visualItemRect(window.sidebar.list.item(0))
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [m.id for m in store.messages(chat)][-1] == first.id
    assert highlighted(window) == [first.id]
    assert window.chat.widget_for(second.id) is None


def test_the_rename_box_fits_a_title(qtbot: Any) -> None:
    title = "What is the tall striped animal standing by the"  # 47 characters
    dialog = TextDialog("Rename chat", "Title:", title)
    qtbot.addWidget(dialog)
    dialog.show()
    metrics = dialog.edit.fontMetrics()
    assert dialog.edit.width() >= metrics.averageCharWidth() * TITLE_CHARS
    assert dialog.edit.width() >= metrics.horizontalAdvance(title)
    assert dialog.edit.text() == title
    app = QApplication.instance()
    assert app is not None


@dataclasses.dataclass(frozen=True)
class SmallContextModel(ScriptedModel):
    """A model trained for 1024 tokens: the context a chat gets is capped by it."""

    def info(self) -> ModelInfo:
        return dataclasses.replace(super().info(), context_length=1024)


def test_the_context_meter_follows_the_model(qtbot: Any, paths: AppPaths) -> None:
    backend = ScriptedBackend(
        gated=False,
        models=(ScriptedModel(MODEL, vision=True), SmallContextModel("small-model")),
    )
    window = open_window(qtbot, paths, backend)
    meter = window.tools_bar.meter
    assert meter.use.size == 2048
    small = next(m for m in window.models if m.id == "small-model")
    window.models_controller.select_without_saving(small)  # as opening a chat does
    qtbot.waitUntil(lambda: meter.use.size == 1024, timeout=WAIT_MS)
    assert meter.label.text().endswith("/ 1k")


def test_a_nearly_full_context_meter_is_drawn_in_the_warning_colour(qtbot: Any) -> None:
    """A 1 000-message chat read "≈16k / 4k" with the same blue bar as an empty one."""
    from PySide6.QtGui import QColor

    from desktop_app.core.chat.context import ContextUse
    from desktop_app.qt.chat.chat_tools import ContextMeter
    from desktop_app.qt.common.theme import LIGHT, stylesheet

    meter = ContextMeter()
    meter.setStyleSheet(stylesheet(LIGHT))
    qtbot.addWidget(meter)
    meter.show()

    def bar_colour() -> str:
        image = meter.bar.grab().toImage()
        return QColor(image.pixel(8, image.height() // 2)).name()  # past the rounded end

    meter.set_use(ContextUse(used=400, size=4096), "")
    QApplication.processEvents()
    assert bar_colour() == QColor(LIGHT.accent).name()
    meter.set_use(ContextUse(used=16_000, size=4096), "")
    QApplication.processEvents()
    assert meter.bar.property("full") is True
    assert bar_colour() == QColor(LIGHT.error_text).name()
    meter.set_use(ContextUse(used=1000, size=4096), "")
    QApplication.processEvents()
    assert bar_colour() == QColor(LIGHT.accent).name()


def test_a_chat_opened_without_the_list_is_the_one_marked_in_it(window: Any) -> None:
    """Opening a chat from elsewhere left the list marking the chat shown before."""
    store = window.store
    first = store.create_conversation(title="First")
    store.add_message(first, "user", "one")
    second = store.create_conversation(title="Second")
    store.add_message(second, "user", "two")
    window.chat_controller.refresh_conversations()
    window.open_conversation(second)
    assert window.sidebar.current_id() == second
    window.open_conversation(first)
    assert window.sidebar.current_id() == first and window.conversation_id == first


def long_branches(window: Any) -> tuple[int, int, int]:
    """A chat whose second question has two versions, each followed by 150 messages."""
    store = window.store
    chat = store.create_conversation(title="Branches")
    store.add_message(chat, "user", "Start.")
    store.add_message(chat, "assistant", "Started.")
    first = store.add_message(chat, "user", "The short way?")
    for n in range(150):
        store.add_message(chat, "assistant" if n % 2 == 0 else "user", f"short {n}")
    second = store.add_message(chat, "user", "The long way, told at length?", version_of=first.id)
    for n in range(150):
        store.add_message(chat, "assistant" if n % 2 == 0 else "user", f"long {n} " + "word " * 60)
    return chat, first.id, second.id


def test_switching_a_version_above_a_long_branch_builds_only_what_is_near(
    window: Any,
) -> None:
    """‹ › built every card of the branch below, one by one (defect 1's freeze again)."""
    chat, first, second = long_branches(window)
    window.open_conversation(chat)
    window.chat.reveal_message(second)
    QApplication.processEvents()
    card = window.chat.widget_for(second)
    assert card is not None
    window.chat_controller.show_version(first)
    QApplication.processEvents()
    assert [m.id for m in window.store.messages(chat)][2] == first
    assert window.chat.widget_for(first) is not None
    assert len(window.chat.widgets) <= 2 * window.chat.OPEN_COUNT
    assert window.chat.message_count == 153


def test_the_context_meter_follows_a_version_switch(qtbot: Any, window: Any) -> None:
    chat, first, second = long_branches(window)
    window.open_conversation(chat)
    qtbot.waitUntil(lambda: window.chat_tools.context_use() is not None, timeout=WAIT_MS)
    window.chat.reveal_message(second)
    QApplication.processEvents()
    long_use = window.chat_tools.context_use().used
    window.chat_controller.show_version(first)
    qtbot.waitUntil(lambda: window.chat_tools.context_use().used < long_use / 4, timeout=WAIT_MS)


def test_a_search_jump_to_another_version_ends_an_edit(qtbot: Any, window: Any) -> None:
    """An edit started on one branch was sent against the branch a search hit showed."""
    store = window.store
    chat = store.create_conversation(title="Versions")
    question = store.add_message(chat, "user", "Name an animal.")
    first = store.add_message(chat, "assistant", "An okapi.")
    store.add_message(chat, "assistant", "A heron.", version_of=first.id)
    window.open_conversation(chat)
    window.chat_controller.start_edit(question.id)
    assert window.composer.editing_message_id == question.id
    window.sidebar.search.setText("okapi")
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 1, timeout=WAIT_MS)
    rect = window.sidebar.list.visualItemRect(window.sidebar.list.item(0))
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert highlighted(window) == [first.id]
    assert window.composer.editing_message_id is None


def test_continue_and_versions_are_greyed_out_while_an_answer_runs(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    """They looked clickable during an answer (the controller only ignored the click)."""
    store = window.store
    chat = store.create_conversation(title="Busy")
    store.add_message(chat, "user", "Tell me a story.")
    first = store.add_message(chat, "assistant", "Once upon a time")
    second = store.add_message(chat, "assistant", "Long ago", version_of=first.id)
    store.update_message(second.id, state="interrupted")
    window.open_conversation(chat)
    card = window.chat.widget_for(second.id)
    assert card is not None
    assert card.previous_version.isEnabled() and card.action_buttons["continue"].isEnabled()

    backend.gated = True
    backend.script(Script())
    window.composer.edit.setPlainText("And then?")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(backend.calls) == 1, timeout=WAIT_MS)
    assert not card.previous_version.isEnabled()
    assert not card.action_buttons["continue"].isEnabled()
    backend.calls[0].finish()
    qtbot.waitUntil(lambda: window.chat_controller.generation is None, timeout=WAIT_MS)
    assert card.previous_version.isEnabled() and not card.next_version.isEnabled()
