"""The chat list (sidebar) as a person uses it: search shows each chat once and says when
nothing matches; Delete and F2 act on the selected chat (issue 17, defect 10).

Real widgets (offscreen), real SQLite, the scripted fake backend (nothing is generated).
Questions and the rename box are answered by replacing the one static call each uses
(the rename box is ``chat_tools.TextDialog.ask``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from desktop_app.core.settings import AppPaths
from desktop_app.qt.chat.chat_tools import TextDialog
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 5_000  # a ceiling for state to arrive, never a duration anything depends on


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend()
    yield backend
    for call in backend.calls:
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    return open_window(qtbot, paths, backend)


class Questions:
    """Every ``QMessageBox.question`` asked (its text), answered from ``answers`` in order
    (No once they run out: a test that forgets to answer deletes nothing)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answers: list[QMessageBox.StandardButton] = []

    def question(self, _parent: Any, _title: str, text: str, *_args: Any) -> Any:
        self.asked.append(text)
        return self.answers.pop(0) if self.answers else QMessageBox.StandardButton.No


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    answered = Questions()
    monkeypatch.setattr(QMessageBox, "question", answered.question)
    return answered


def titles(window: Any) -> list[str]:
    chat_list = window.sidebar.list
    return [chat_list.item(i).text() for i in range(chat_list.count())]


def chat(window: Any, title: str, *texts: str) -> int:
    conversation = int(window.store.create_conversation(title=title))
    for text in texts:
        window.store.add_message(conversation, "user", text)
    return conversation


def searched(qtbot: Any, window: Any, query: str) -> None:
    """Type ``query`` into the search box and wait until the list shows its result."""
    window.sidebar.search.setText(query)
    qtbot.waitUntil(lambda: all("\n" in t for t in titles(window)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.sidebar._search_timer.isActive(), timeout=WAIT_MS)


def no_match_label(window: Any) -> QLabel:
    label = window.sidebar.findChild(QLabel, "NoChatsMatch")
    assert isinstance(label, QLabel)
    return label


# -- search ---------------------------------------------------------------------------------


def test_search_lists_each_chat_once(qtbot: Any, window: Any) -> None:
    """Three matching messages in one chat were three lines for the same chat."""
    busy = chat(window, "Lighthouses", "a lighthouse", "another lighthouse", "lighthouse again")
    quiet = chat(window, "Coasts", "the coast has a lighthouse too")
    chat(window, "Cooking", "onion soup")
    window.refresh_conversations()
    searched(qtbot, window, "lighthouse")
    ids = [
        window.sidebar.list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(window.sidebar.list.count())
    ]
    assert sorted(ids) == sorted([busy, quiet]), titles(window)
    assert not no_match_label(window).isVisible()


def test_search_says_so_when_nothing_matches(qtbot: Any, window: Any, tmp_path: Path) -> None:
    """An empty list after typing looked like the app had lost every chat."""
    chat(window, "Giraffes", "Tell me about giraffes.")
    window.refresh_conversations()
    assert window.sidebar.list.count() == 1
    label = no_match_label(window)
    assert not label.isVisible()  # no search, no notice

    window.sidebar.search.setText("zebra <b>nowhere</b>")
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(label.isVisible, timeout=WAIT_MS)
    assert label.text() == "No chats match “zebra <b>nowhere</b>”."
    assert label.textFormat() == Qt.TextFormat.PlainText  # what was typed shows as typed
    shot = window.sidebar.grab()
    assert not shot.isNull()
    if os.environ.get("LOCALSIGHT_SCREENSHOTS"):
        shot.save(str(Path(os.environ["LOCALSIGHT_SCREENSHOTS"]) / "sidebar_no_match.png"))

    window.sidebar.search.setText("x" * 400)  # one word too long to wrap
    qtbot.waitUntil(lambda: label.text().endswith("…”."), timeout=WAIT_MS)
    assert window.sidebar.minimumSizeHint().width() < window.sidebar.width()  # not widened

    window.sidebar.search.clear()
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 1, timeout=WAIT_MS)
    assert not label.isVisible()


# -- keys -----------------------------------------------------------------------------------


def select(qtbot: Any, window: Any, conversation: int) -> None:
    chat_list = window.sidebar.list
    for row in range(chat_list.count()):
        if chat_list.item(row).data(Qt.ItemDataRole.UserRole) == conversation:
            chat_list.setCurrentRow(row)
    qtbot.waitUntil(lambda: window.conversation_id == conversation, timeout=WAIT_MS)
    chat_list.setFocus()


def test_delete_key_asks_then_deletes_the_selected_chat(
    qtbot: Any, window: Any, questions: Questions
) -> None:
    keep = chat(window, "Keep me", "hello")
    doomed = chat(window, "Old notes", "bye")
    window.refresh_conversations()
    select(qtbot, window, doomed)

    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)  # answered No
    assert len(questions.asked) == 1  # the context menu's question, about this chat
    assert "Delete “Old notes” and its images? This cannot be undone." in questions.asked[0]
    assert [c.id for c in window.store.list_conversations()] == [doomed, keep]

    questions.answers.append(QMessageBox.StandardButton.Yes)
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    assert len(questions.asked) == 2
    assert [c.id for c in window.store.list_conversations()] == [keep]
    assert titles(window) == ["Keep me"]


def test_f2_renames_the_selected_chat(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def get_text(_parent: Any, _title: str, _label: str, text: str) -> str:
        asked.append(text)
        return "Tall animals"

    monkeypatch.setattr(TextDialog, "ask", get_text)
    chat(window, "Other", "hi")
    giraffes = chat(window, "Giraffes", "Tell me about giraffes.")
    window.refresh_conversations()
    select(qtbot, window, giraffes)

    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_F2)
    assert asked == ["Giraffes"]  # the box starts from the current title
    assert window.store.conversation(giraffes).title == "Tall animals"
    assert "Tall animals" in titles(window)


def test_delete_and_f2_in_the_search_box_edit_the_text_not_the_chats(
    qtbot: Any, window: Any, questions: Questions, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[str] = []
    monkeypatch.setattr(TextDialog, "ask", lambda *_a, **_k: renamed.append("x"))
    only = chat(window, "Only chat", "hello")
    window.refresh_conversations()
    select(qtbot, window, only)
    window.sidebar.search.setFocus()
    qtbot.keyClick(window.sidebar.search, Qt.Key.Key_Delete)
    qtbot.keyClick(window.sidebar.search, Qt.Key.Key_F2)
    assert questions.asked == [] and renamed == []
    assert [c.id for c in window.store.list_conversations()] == [only]


def test_keys_with_nothing_selected_do_nothing(
    qtbot: Any, window: Any, questions: Questions
) -> None:
    chat(window, "A chat", "hello")
    window.refresh_conversations()
    window.sidebar.list.setCurrentRow(-1)  # (focusing the list would make its first row current)
    assert window.sidebar.current_id() is None
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    assert questions.asked == []
