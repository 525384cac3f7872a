"""Long chats (issue 17, defect 1): a 1 000-message chat opens with few widgets, shows the
right messages in order at every scroll position, follows a streaming answer at its end, and
jumps to the latest or to a search match, all on a real store and real widgets.

The defect: one Markdown widget per message froze a 400-message chat for ~16 s and made the
column taller than the window system draws, so it opened blank and scrolling showed earlier
messages below later ones.  Speed is measured in ``benchmarks/long_chat.py``; these tests
check only what is built and where it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.store.database import Store
from desktop_app.qt.chat.chat_view import ChatView
from desktop_app.qt.chat.markdown import MarkdownTheme
from desktop_app.qt.chat.message_widget import MessageWidget
from tests.helpers.long_chat import make_long_chat
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm

pytestmark = pytest.mark.usefixtures("qapp")

COUNT = 1000
#: What the window system draws reliably: a taller column rendered blank (the defect).
MAX_COLUMN_PX = 32_000
MAX_WIDGETS = 120


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    """One store with a 1 000-message chat for the module (building it takes seconds)."""
    store = Store.open(tmp_path_factory.mktemp("long-chat") / "chats.sqlite")
    conversation = make_long_chat(store, COUNT)
    yield store, conversation
    store.close()


@pytest.fixture
def view(qtbot: Any, long_store: tuple[Store, int]) -> ChatView:
    store, conversation = long_store
    chat = ChatView(store.thumbnail, MarkdownTheme.light())
    qtbot.addWidget(chat)
    chat.resize(760, 560)
    chat.show()
    qtbot.waitExposed(chat)
    chat.set_messages(store.messages(conversation))
    QApplication.processEvents()
    return chat


def ids(view: ChatView) -> list[int]:
    return [w.message.id for w in view.widgets]


def row_ids(view: ChatView) -> list[int]:
    return [row.id for row in view._rows]


def visible(view: ChatView) -> list[MessageWidget]:
    """The built widgets that lie in the viewport now."""
    top = view.verticalScrollBar().value()
    bottom = top + view.viewport().height()
    return [w for w in view.widgets if w.y() < bottom and w.geometry().bottom() > top]


def check_window(view: ChatView) -> None:
    """Built widgets are a contiguous, ordered run of the chat, and the column stays drawable."""
    start, end = view.window_range
    assert ids(view) == row_ids(view)[start:end]
    assert 0 < len(view.widgets) <= MAX_WIDGETS
    assert view._column.height() < MAX_COLUMN_PX
    shown = visible(view)
    assert shown, "nothing on screen"
    # What is painted at the viewport's centre is the widget the positions say is there.
    middle = QPoint(view.viewport().width() // 2, view.viewport().height() // 2)
    hit: QWidget | None = view.viewport().childAt(middle)
    while hit is not None and not isinstance(hit, MessageWidget):
        hit = hit.parentWidget()
    if hit is not None:  # None: the centre falls in the spacing between two messages
        assert hit in shown


def scroll_to_first(view: ChatView) -> None:
    """Drag to the top again and again, as a person would, until the first message is built."""
    bar = view.verticalScrollBar()
    for _ in range(COUNT):
        if view.window_range[0] == 0 and bar.value() == 0:
            return
        bar.setValue(0)
        QApplication.processEvents()
        check_window(view)
    raise AssertionError("never reached the first message")


def test_a_long_chat_opens_at_its_end_with_few_widgets(view: ChatView) -> None:
    assert len(view.widgets) <= MAX_WIDGETS
    assert view._column.height() < MAX_COLUMN_PX
    assert view.message_count == COUNT
    assert view.window_range[1] == COUNT
    assert view.widgets[-1].message.id == row_ids(view)[-1]
    assert view.at_bottom
    assert view.widgets[-1] in visible(view)
    check_window(view)


def test_every_position_shows_the_right_messages_in_order(view: ChatView) -> None:
    scroll_to_first(view)
    assert visible(view)[0].message.id == row_ids(view)[0]
    bar = view.verticalScrollBar()
    order = {message_id: i for i, message_id in enumerate(row_ids(view))}
    seen: set[int] = set()
    last_first = -1
    for _ in range(COUNT * 4):
        check_window(view)
        shown = [order[w.message.id] for w in visible(view)]
        assert shown == list(range(shown[0], shown[0] + len(shown)))  # contiguous, in order
        assert shown[0] >= last_first  # scrolling down never shows an earlier message
        last_first = shown[0]
        seen.update(shown)
        if view.window_range[1] == COUNT and view.at_bottom:
            break
        bar.setValue(bar.value() + view.viewport().height() // 2)
        QApplication.processEvents()
    assert seen == set(range(COUNT))


def test_the_last_message_streams_and_the_view_follows(
    view: ChatView, long_store: tuple[Store, int]
) -> None:
    store, conversation = long_store
    row = store.add_message(conversation, "assistant", "", state="streaming")
    try:
        widget = view.add_message(row)
        assert widget is not None
        text = ""
        for step in range(60):
            text += f"word{step} " * 6 + ("\n\n" if step % 5 == 0 else "")
            widget.set_text(text)
            QApplication.processEvents()
            assert view.at_bottom and widget in visible(view)
        check_window(view)
        # Scrolled up to read: the stream goes on, the view stays where the person reads.
        view.verticalScrollBar().setValue(0)
        QApplication.processEvents()
        reading = visible(view)[0].message.id
        for step in range(10):
            text += f"more{step} " * 8
            widget.set_text(text)
            QApplication.processEvents()
            assert visible(view)[0].message.id == reading
        assert view.jump_button.isVisible()
    finally:
        store.delete_messages_after(conversation, row.id, inclusive=True)


def test_jump_to_latest_lands_on_the_true_last_message(qtbot: Any, view: ChatView) -> None:
    scroll_to_first(view)
    assert view.window_range[1] < COUNT  # the end is not built up here
    view.jump_button.click()
    QApplication.processEvents()
    check_window(view)
    assert view.window_range[1] == COUNT and view.at_bottom
    assert visible(view)[-1].message.id == row_ids(view)[-1]
    # Home and End go to the chat's real start and end.
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    QApplication.processEvents()
    assert view.window_range[0] == 0 and visible(view)[0].message.id == row_ids(view)[0]
    qtbot.keyClick(view, Qt.Key.Key_End)
    QApplication.processEvents()
    assert view.window_range[1] == COUNT and view.at_bottom


def test_reveal_message_shows_an_early_message_highlighted(view: ChatView) -> None:
    target = row_ids(view)[37]
    assert view.widget_for(target) is None
    assert view.reveal_message(target)
    QApplication.processEvents()
    check_window(view)
    widget = view.widget_for(target)
    assert widget is not None and widget in visible(view)
    assert widget.bubble.property("highlight") is True
    assert not view.reveal_message(10**9)  # not a message of this chat


def test_remove_from_in_a_long_chat(view: ChatView) -> None:
    last_answer = view.last_message(user=False)
    assert last_answer is not None and last_answer.id == row_ids(view)[-1]
    regenerate = {w.message.id: w.action_buttons.get("regenerate") for w in view.widgets}
    enabled = [i for i, b in regenerate.items() if b is not None and b.isEnabled()]
    assert enabled == [last_answer.id]  # only the chat's last answer
    scroll_to_first(view)  # the end is not built: remove it anyway (Ctrl+R from up here)
    view.remove_from(last_answer.id)
    assert view.message_count == COUNT - 1
    assert last_answer.id not in row_ids(view)
    check_window(view)
    view.scroll_to_bottom()
    QApplication.processEvents()
    assert view.widgets[-1].message.id == row_ids(view)[-1] != last_answer.id
    new_last = view.last_message(user=False)
    assert new_last is not None
    button = view.widgets[-1 if not view.widgets[-1].is_user else -2].action_buttons["regenerate"]
    assert button.isEnabled()


def test_regenerate_in_a_long_chat_through_the_window(
    qtbot: Any, localsight_home: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=8)
    backend = LlamaCppBackend(model_dirs=[paths.models_dir])
    try:
        window = open_window(qtbot, paths, backend)
        conversation = make_long_chat(window.store, 120)
        window.chat_controller.refresh_conversations()
        window.chat_controller.open_conversation(conversation)
        chat = window.chat
        assert chat.message_count == 120 and len(chat.widgets) < 120
        old_last = chat.last_message(user=False)
        scroll_to_first(chat)
        window.chat_controller.regenerate()
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
        stored = window.store.messages(conversation)
        assert len(stored) == 120 and stored[-1].id != old_last.id
        chat.jump_button.click()
        QApplication.processEvents()
        assert chat.widgets[-1].message.id == stored[-1].id
        assert chat.widgets[-1].text == stored[-1].text
        assert chat.widgets[-1].message.state == stored[-1].state
    finally:
        backend.close()


def test_an_answer_streaming_far_below_keeps_its_text(
    view: ChatView, long_store: tuple[Store, int]
) -> None:
    """Its card is dropped while the person reads far above, and built again with all of it."""
    store, conversation = long_store
    row = store.add_message(conversation, "assistant", "", state="streaming")
    try:
        widget = view.add_message(row)
        assert widget is not None
        widget.set_text("Streamed so far, not yet in the store.")
        scroll_to_first(view)
        assert view.widget_for(row.id) is None  # dropped: far from the viewport
        assert view.text_of(row.id) == "Streamed so far, not yet in the store."
        view.scroll_to_bottom()
        QApplication.processEvents()
        rebuilt = view.widget_for(row.id)
        assert rebuilt is not None and rebuilt is view.widgets[-1]
        assert rebuilt.text == "Streamed so far, not yet in the store."
    finally:
        store.delete_messages_after(conversation, row.id, inclusive=True)
