"""The message card's small defects of issue 17, item 10, on real widgets with the app's theme.

* Hover actions used to appear by being shown, growing the card by ~27 px: the text under
  the pointer moved (at the bottom of a chat the view followed, so the code block's Copy ran
  away from the cursor).  Hidden actions now keep their place.
* Copy confirmed only in the status bar, far from the eye: the button itself says
  "Copied ✓" for a moment, and a code block's Copy shows it at the pointer.
* Keyboard focus on a card's actions was invisible: the focused one has a ring.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QHoverEvent
from PySide6.QtWidgets import QApplication, QToolTip

from desktop_app.core.store.database import Store
from desktop_app.qt.chat.chat_view import ChatView
from desktop_app.qt.chat.markdown import MarkdownTheme
from desktop_app.qt.chat.message_widget import MessageWidget
from desktop_app.qt.common.theme import apply_theme
from tests.helpers.long_chat import make_long_chat

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def view(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatView]:
    """A short chat (its last answer has a code block) at its bottom, in the light theme."""
    monkeypatch.setenv("LOCALSIGHT_THEME", "light")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app)
    store = Store.open(tmp_path / "chats.sqlite")
    conversation = make_long_chat(store, 3)  # question, answer, question
    store.add_message(conversation, "assistant", "Here:\n\n```python\nprint('hi')\n```\n")
    chat = ChatView(store.thumbnail, MarkdownTheme.light())
    qtbot.addWidget(chat)
    chat.resize(700, 360)
    chat.show()
    qtbot.waitExposed(chat)
    chat.set_messages(store.messages(conversation))
    QApplication.processEvents()
    yield chat
    store.close()


def hover(widget: MessageWidget, kind: QEvent.Type) -> None:
    inside = QPointF(10, 10)
    QApplication.sendEvent(widget, QHoverEvent(kind, inside, inside, QPointF(-1, -1)))
    QApplication.processEvents()


def test_hovering_a_card_moves_nothing(view: ChatView) -> None:
    card = view.widgets[-1]
    assert view.at_bottom

    def place() -> tuple[QPoint, int, int]:
        return card.body.mapTo(view.viewport(), QPoint(0, 0)), card.height(), card.body.height()

    before = place()
    hover(card, QEvent.Type.HoverEnter)
    assert place() == before
    assert card.actions_shown
    hover(card, QEvent.Type.HoverLeave)
    assert place() == before
    assert not card.actions_shown


def test_copy_says_copied_on_the_button(qtbot: Any, view: ChatView) -> None:
    card = view.widgets[-1]
    button = card.action_buttons["copy"]
    width = button.width()
    copied: list[str] = []
    view.copy_requested.connect(copied.append)
    hover(card, QEvent.Type.HoverEnter)
    button.click()
    assert copied == [card.text]
    assert button.text() == "Copied ✓"
    assert button.width() == width  # the confirmation moves nothing either
    qtbot.waitUntil(lambda: button.text() == "Copy", timeout=10_000)


def test_a_code_blocks_copy_says_copied_at_the_pointer(view: ChatView) -> None:
    card = view.widgets[-1]
    card._on_link("copy:0")  # what clicking the block's "Copy" link does
    assert QGuiApplication.clipboard().text() == "print('hi')"
    assert QToolTip.isVisible() and QToolTip.text() == "Copied ✓"
    QToolTip.hideText()


def test_keyboard_focus_on_an_action_shows_a_ring(qtbot: Any, view: ChatView) -> None:
    view.activateWindow()
    qtbot.waitActive(view)
    card = view.widgets[-1]
    button = card.action_buttons["copy"]
    assert not card.actions_shown
    button.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert button.hasFocus()
    assert card.actions_shown  # reached by Tab: the actions show without a pointer
    focused = button.grab().toImage()
    view.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert not card.actions_shown  # left by keyboard: hidden again
    hover(card, QEvent.Type.HoverEnter)  # shown, not focused: no ring
    assert not button.hasFocus() and card.actions_shown
    unfocused = button.grab().toImage()
    assert focused != unfocused
