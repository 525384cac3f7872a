"""Defect 5 (issue 17): an image chat with a text-only model is no dead end.

After switching to a text-only model in a chat with images, every follow-up failed "cannot
see images" and Retry repeated it.  Now the composer says, before anything is sent, that the
model answers without the chat's images and offers the vision model back; a follow-up is
answered (the images left out of what the model reads) and its card says so.

Real widgets (offscreen), real llama.cpp: the tiny vision model, then SmolLM2 (text only).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from backends.llama_cpp import LlamaCppBackend
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm, send, wait_idle

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 60_000  # a ceiling for state to arrive, never a duration anything depends on


@pytest.fixture
def paths(localsight_home: Path, tiny_vlm: tuple[Path, Path]) -> Any:
    return seed_tiny_vlm(tiny_vlm, max_tokens=8)


@pytest.fixture
def backend(paths: Any) -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(model_dirs=[paths.models_dir])
    yield backend
    backend.close()


@pytest.fixture
def window(qtbot: Any, paths: Any, backend: LlamaCppBackend) -> Any:
    return open_window(qtbot, paths, backend)


def drop(window: Any, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(
        QDropEvent(
            QPointF(window.width() / 2, window.height() / 2),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )


def test_a_text_model_goes_on_without_the_images_and_offers_the_vision_model(
    qtbot: Any, window: Any, tmp_path: Path, smollm2: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes((200, 40, 40)))
    drop(window, photo)
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is in this photo?")
    wait_idle(qtbot, window)
    vision = window.model
    assert window.chat.widgets[-1].message.state == "complete"
    assert not window.composer.notice_button.isVisible()

    text_only = next(m for m in window.models if m.id == str(smollm2.resolve()))
    window.choose_model(text_only)
    composer = window.composer
    assert composer.notice.isVisible()
    assert "cannot see images" in composer.notice.text()
    assert composer.notice_button.isVisible()
    assert composer.notice_button.text() == f"Switch to {vision.name}"

    send(qtbot, window, "Tell me more about red things.")
    wait_idle(qtbot, window)
    answer = window.chat.widgets[-1]
    assert answer.message.state == "complete" and answer.text  # not "cannot see images"
    assert "Answered without seeing the images" in answer.status.text()
    stored = window.store.messages(window.conversation_id)
    assert [m.state for m in stored] == ["complete"] * 4
    assert len(stored[0].images) == 1  # kept for a vision model
    window.grab().save("/tmp/h/answers-text-model-image-chat.png")

    assert composer.notice_button.isVisible()  # still offered after the send
    composer.notice_button.click()
    assert window.model == vision
    assert not composer.notice_button.isVisible()
    assert "cannot see images" not in composer.notice.text()


def test_reopening_an_image_chat_with_a_text_model_says_so_before_sending(
    qtbot: Any, window: Any, tmp_path: Path, smollm2: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes((40, 40, 200)))
    drop(window, photo)
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is in this photo?")
    wait_idle(qtbot, window)
    conversation = window.conversation_id
    window.chat_controller.new_chat()
    text_only = next(m for m in window.models if m.id == str(smollm2.resolve()))
    window.choose_model(text_only)
    assert "cannot see images" not in window.composer.notice.text()  # a new chat: no images
    window.chat_controller.open_conversation(conversation)
    if window.model is not text_only:  # opening a chat selects the model it was held with
        window.choose_model(text_only)
    assert "cannot see images" in window.composer.notice.text()
    assert window.composer.notice_button.isVisible()
