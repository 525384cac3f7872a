"""What the window says must still be true (issue 17, defect 10).

A week of use found notes that outlived what they were about: "SmolLM2 cannot see images"
stayed after switching to a vision model, "Stopped" stayed in a new chat, the empty chat
offered image prompts to a text-only model, and a Regenerate that could not be pressed
looked like one that could.  Real window (offscreen) on ``ScriptedBackend``; nothing timed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop_app.core.images import normalize_image
from desktop_app.core.settings import AppPaths
from tests.helpers.fake_backend import MODEL, TEXT_MODEL, ScriptedBackend
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, send, wait_idle

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 10_000  # a ceiling for state to arrive, never a duration anything depends on
SETTINGS_NOTE = "The setting “temperature” was not a number; the default is used."
IMAGE_WORDS = ("image", "screenshot", "photo", "picture")


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend()
    yield backend
    for call in backend.calls:  # a failed test must not leave a worker waiting at a gate
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    win = open_window(qtbot, paths, backend)
    assert win.model.id == MODEL
    return win


def model(window: Any, model_id: str) -> Any:
    return next(m for m in window.models if m.id == model_id)


def start_answer(qtbot: Any, window: Any, backend: ScriptedBackend, text: str) -> Any:
    calls = len(backend.calls)
    send(qtbot, window, text)
    qtbot.waitUntil(lambda: len(backend.calls) == calls + 1, timeout=WAIT_MS)
    call = backend.calls[-1]
    qtbot.waitUntil(
        lambda: call.at == "loading" and window.chat_controller.streaming_widget() is not None,
        timeout=WAIT_MS,
    )
    return call


def notice_shown(window: Any) -> str:
    notice = window.composer.notice
    return notice.text() if notice.isVisibleTo(window.composer) else ""


def save_grab(widget: Any, name: str) -> None:
    """Keep a picture to look at when ``LOCALSIGHT_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if folder:
        QApplication.processEvents()  # lay out what changed before it is pictured
        widget.grab().save(str(Path(folder) / name))


# -- notices about the model and about the chat ------------------------------------------


def test_a_notice_about_the_model_goes_when_the_model_changes(qtbot: Any, window: Any) -> None:
    """ "… cannot see images" named the text-only model after a vision model was chosen;
    a note about the settings shown beside it is not the model's and stays."""
    window.composer.show_notice(SETTINGS_NOTE)
    window.choose_model(model(window, TEXT_MODEL))
    window.composer.add_image(normalize_image(png_bytes()), "photo.png")
    send(qtbot, window, "What is in this picture?")
    assert "Scripted Text cannot see images" in notice_shown(window)
    assert SETTINGS_NOTE in notice_shown(window)  # neither hides the other

    window.choose_model(model(window, MODEL))
    assert "cannot see images" not in notice_shown(window)
    assert SETTINGS_NOTE in notice_shown(window)
    assert len(window.composer.pending) == 1  # the draft is kept, ready to send now


def test_a_notice_about_a_chat_goes_when_another_chat_is_shown(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    """ "… is still answering" refused a message in a new chat; opening the chat that
    answers makes it untrue.  The settings note stays; the draft is kept."""
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    answering = window.conversation_id
    window.new_chat()
    window.composer.show_notice(SETTINGS_NOTE)
    send(qtbot, window, "A second question.")
    assert "still answering" in notice_shown(window)

    window.open_conversation(answering)
    assert "still answering" not in notice_shown(window)
    assert SETTINGS_NOTE in notice_shown(window)
    assert window.composer.text() == "A second question."
    call.finish()
    wait_idle(qtbot, window)


def test_stopped_is_not_said_in_a_new_chat(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    call = start_answer(qtbot, window, backend, "Tell me something.")
    first = window.conversation_id
    qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert call.outcome == "cancelled"
    assert window.stage_label.text() == "Stopped"  # said where it happened

    window.new_chat()
    assert window.stage_label.text() != "Stopped"
    window.open_conversation(first)  # the stopped answer says so on its own card
    assert "incomplete" in window.chat.widgets[-1].status.text()


# -- the empty chat's example prompts -----------------------------------------------------


def example_texts(window: Any) -> list[str]:
    return [b.text() for b in window.chat.empty_state.examples if not b.isHidden()]


def test_examples_fit_what_the_model_can_do(qtbot: Any, window: Any) -> None:
    assert window.chat.empty_state.isVisible()
    vision_examples = example_texts(window)
    assert len(vision_examples) == 3
    assert all(any(w in text.lower() for w in IMAGE_WORDS) for text in vision_examples)

    window.choose_model(model(window, TEXT_MODEL))
    text_examples = example_texts(window)
    assert len(text_examples) == 3, text_examples
    for text in text_examples:
        assert not any(w in text.lower() for w in IMAGE_WORDS), text
    save_grab(window.chat, "empty-chat-text-only-model.png")
    qtbot.mouseClick(window.chat.empty_state.examples[0], Qt.MouseButton.LeftButton)
    assert window.composer.text() == text_examples[0]

    window.choose_model(model(window, MODEL))
    assert example_texts(window) == vision_examples


# -- a Regenerate that cannot be pressed looks it -----------------------------------------


def test_a_disabled_regenerate_looks_disabled(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    """Only the last answer can be regenerated; the earlier answer's button is disabled and
    must not look like the one that works."""
    for question in ("First question.", "Second question."):
        start_answer(qtbot, window, backend, question).finish()
        wait_idle(qtbot, window)
    first, last = (w for w in window.chat.widgets if not w.is_user)
    disabled, enabled = first.action_buttons["regenerate"], last.action_buttons["regenerate"]
    assert not disabled.isEnabled() and enabled.isEnabled()
    for card in (first, last):
        card._set_actions_visible(True)  # as when hovered
    assert "last answer" in disabled.toolTip()  # why it cannot be pressed

    looks_disabled = disabled.grab().toImage()
    looks_enabled = enabled.grab().toImage()
    assert looks_disabled.size() == looks_enabled.size()
    assert ink(looks_disabled) != ink(looks_enabled), "disabled Regenerate looks enabled"
    save_grab(window.chat, "disabled-regenerate.png")


def ink(image: QImage) -> set[int]:
    """The colours a button's label is painted in (its background left out)."""
    background = image.pixel(0, 0)
    return {
        image.pixel(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixel(x, y) != background
    }
