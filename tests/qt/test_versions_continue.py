"""Versions and Continue in the window (issue 17): the ‹ 1/2 › control on a card shows the
other versions Regenerate and Edit kept, the choice survives reopening the chat and a new
window on the same history; an answer cut by the token limit says so and Continue makes the
same card longer.

Real widgets (offscreen), real llama.cpp with the tiny vision model (it never stops by
itself, so every answer ends at ``max_tokens``: "length"), real SQLite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from backends.llama_cpp import LlamaCppBackend
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm, send, wait_idle

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 60_000  # a ceiling for state to arrive, never a duration anything depends on


@pytest.fixture
def paths(localsight_home: Path, tiny_vlm: tuple[Path, Path]) -> Any:
    return seed_tiny_vlm(tiny_vlm, max_tokens=12)


@pytest.fixture
def backend(paths: Any) -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(model_dirs=[paths.models_dir])
    yield backend
    backend.close()


@pytest.fixture
def window(qtbot: Any, paths: Any, backend: LlamaCppBackend) -> Any:
    return open_window(qtbot, paths, backend)


def test_the_version_control_switches_the_branch_and_is_kept(
    qtbot: Any, paths: Any, window: Any
) -> None:
    send(qtbot, window, "Hello there.")
    wait_idle(qtbot, window)
    first = window.chat.widgets[-1]
    first_text = first.text
    assert not first.versions.isVisible()  # one version: no control
    # A shorter limit, so the second version differs from the first (greedy otherwise).
    window.settings = dataclasses.replace(window.settings, max_tokens=5)
    first.action_buttons["regenerate"].click()
    wait_idle(qtbot, window)
    second = window.chat.widgets[-1]
    second_text = second.text
    assert second_text != first_text
    assert second.versions.isVisible() and second.version_label.text() == "2/2"
    assert not second.next_version.isEnabled()

    second.previous_version.click()
    card = window.chat.widgets[-1]
    assert card.text == first_text and card.version_label.text() == "1/2"
    assert [m.text for m in window.store.messages(window.conversation_id)][1] == first_text
    window.chat.widgets[-1].grab().save("/tmp/h/answers-version-card.png")

    # Reopening the chat shows the version chosen.
    conversation = window.conversation_id
    window.chat_controller.new_chat()
    window.chat_controller.open_conversation(conversation)
    assert window.chat.widgets[-1].text == first_text
    assert window.chat.widgets[-1].version_label.text() == "1/2"
    window.close()

    # And so does a new window on the same history (the store closed and opened again).
    from desktop_app.qt.app import create_window

    again = create_window(
        paths, backend=LlamaCppBackend(model_dirs=[paths.models_dir]), extra_backends={}
    )
    qtbot.addWidget(again)
    again.chat_controller.open_conversation(conversation)
    card = again.chat.widgets[-1]
    assert card.text == first_text and card.version_label.text() == "1/2"
    card.next_version.click()
    assert again.chat.widgets[-1].text == second_text
    again.close()


def test_an_edit_keeps_the_old_branch_one_click_away(qtbot: Any, window: Any) -> None:
    send(qtbot, window, "First question.")
    wait_idle(qtbot, window)
    send(qtbot, window, "Second question.")
    wait_idle(qtbot, window)
    before = [w.text for w in window.chat.widgets]
    window.chat.widgets[0].action_buttons["edit"].click()
    window.composer.edit.setPlainText("First question, edited.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.chat.widgets[0].text == "First question, edited."
    assert len(window.chat.widgets) == 2
    edited = window.chat.widgets[0]
    assert edited.version_label.text() == "2/2"
    edited.previous_version.click()
    assert [w.text for w in window.chat.widgets] == before  # the whole old branch is back


def test_an_answer_cut_by_the_limit_says_so_and_continue_extends_it(
    qtbot: Any, paths: Any, window: Any
) -> None:
    """Defect 4: "Stopped at the 12-token limit" with Continue; Continue streams into the
    same card and the same stored row; the notice is kept across a restart."""
    send(qtbot, window, "Tell me everything.")
    wait_idle(qtbot, window)
    card = window.chat.widgets[-1]
    assert card.status.isVisible()
    assert card.status.text() == "Stopped at the 12-token limit."
    assert card.action_buttons["continue"].isVisible()
    window.chat.widgets[-1].grab().save("/tmp/h/answers-continue-card.png")
    cut = card.text
    message_id = card.message.id
    tokens = card.message.stats.completion_tokens

    card.action_buttons["continue"].click()
    wait_idle(qtbot, window)
    assert len(window.chat.widgets) == 2
    longer = window.chat.widgets[-1]
    assert longer.message.id == message_id
    assert longer.text.startswith(cut) and len(longer.text) > len(cut)
    stored = window.store.messages(window.conversation_id)
    assert [m.id for m in stored][-1] == message_id and stored[-1].text == longer.text
    assert stored[-1].stats is not None and stored[-1].stats.completion_tokens == tokens + 12
    conversation = window.conversation_id
    window.close()

    from desktop_app.qt.app import create_window

    again = create_window(
        paths, backend=LlamaCppBackend(model_dirs=[paths.models_dir]), extra_backends={}
    )
    qtbot.addWidget(again)
    again.chat_controller.open_conversation(conversation)
    card = again.chat.widgets[-1]
    assert card.status.text() == "Stopped at the 12-token limit."
    assert not card.action_buttons["continue"].isHidden()
    again.close()


def test_a_stopped_answer_offers_continue(qtbot: Any, window: Any) -> None:
    window.settings = dataclasses.replace(window.settings, max_tokens=100_000)
    send(qtbot, window, "Go on forever.")
    qtbot.waitUntil(
        lambda: (w := window.chat_controller.streaming_widget()) is not None and len(w.text) > 20,
        timeout=WAIT_MS,
    )
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    card = window.chat.widgets[-1]
    assert card.message.state == "interrupted"
    assert not card.action_buttons["continue"].isHidden()
    stopped = card.text
    window.settings = dataclasses.replace(window.settings, max_tokens=6)
    card.action_buttons["continue"].click()
    wait_idle(qtbot, window)
    card = window.chat.widgets[-1]
    assert card.text.startswith(stopped) and len(card.text) > len(stopped)
    assert card.message.state == "complete" and card.message.cut_by_limit
