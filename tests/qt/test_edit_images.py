"""Images while editing a message (issue 17, defect 6): pasted, dropped or attached while a
message is being edited, they become part of the edited message -- sent to the model and
stored with it -- and the message's own images stay (shown in the composer, removable).

Real widgets (offscreen), the real ``ChatSession`` on its worker thread, real SQLite, the
scripted backend with its gates open (tests/helpers/fake_backend.py) so each request the
model received can be read back.  Nothing is timed: every wait is on state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from desktop_app.core.settings import AppPaths
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, send

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 10_000  # a ceiling for state to arrive, never a duration anything depends on


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend(gated=False)
    yield backend
    for call in backend.calls:
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    return open_window(qtbot, paths, backend)


def wait_answered(qtbot: Any, window: Any, backend: ScriptedBackend, calls: int) -> None:
    qtbot.waitUntil(lambda: len(backend.calls) == calls, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    qtbot.waitUntil(window.composer.send_button.isVisible, timeout=WAIT_MS)


def paste_image(window: Any, color: Qt.GlobalColor, size: tuple[int, int]) -> None:
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(color)
    mime = QMimeData()
    mime.setImageData(image)
    window.composer.edit.insertFromMimeData(mime)  # what Ctrl+V does with image data


def drop_files(window: Any, files: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    event = QDropEvent(
        QPointF(window.width() / 2, window.height() / 2),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def images_sent(backend: ScriptedBackend) -> list[int]:
    """How many images each user turn of the last request carried."""
    return [len(m.images) for m in backend.requests[-1].messages if m.role == "user"]


def test_an_image_pasted_while_editing_is_sent_and_stored(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    send(qtbot, window, "First question.")
    wait_answered(qtbot, window, backend, 1)
    send(qtbot, window, "Second question.")
    wait_answered(qtbot, window, backend, 2)

    original = window.chat.widgets[0].message
    window.chat.widgets[0].action_buttons["edit"].click()
    assert window.composer.editing_message_id is not None
    paste_image(window, Qt.GlobalColor.darkGreen, (80, 60))
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    window.composer.edit.setPlainText("First question, about this picture.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_answered(qtbot, window, backend, 3)

    stored = window.store.messages(window.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].text == "First question, about this picture."
    assert [(i.width, i.height) for i in stored[0].images] == [(80, 60)]
    assert images_sent(backend) == [1]  # the model saw it
    # The edit is a new version written whole; the message before it is kept, unchanged.
    assert stored[0].versions == (original.id, stored[0].id)
    assert window.store.message(original.id).text == "First question."
    assert window.store.message(original.id).images == ()
    user = window.chat.widgets[0]
    assert user.is_user and len(user.message.images) == 1  # and the chat shows it
    assert window.composer.pending == [] and window.composer.editing_message_id is None


def test_editing_keeps_the_messages_images_and_adds_dropped_ones(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    first = tmp_path / "first.png"
    first.write_bytes(png_bytes((10, 120, 200), size=(48, 32)))
    second = tmp_path / "second.png"
    second.write_bytes(png_bytes((200, 120, 10), size=(40, 30)))
    drop_files(window, [first])
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is this?")
    wait_answered(qtbot, window, backend, 1)

    window.chat.widgets[0].action_buttons["edit"].click()
    # The message's own image is shown with the text being edited, so it can be seen
    # (and removed); it is sent again with the edit.
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    drop_files(window, [second])
    qtbot.waitUntil(lambda: len(window.composer.pending) == 2, timeout=WAIT_MS)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_answered(qtbot, window, backend, 2)

    stored = window.store.messages(window.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert [(i.width, i.height) for i in stored[0].images] == [(48, 32), (40, 30)]
    assert images_sent(backend) == [2]


def test_an_edit_without_new_images_keeps_the_message_and_its_images(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes((10, 120, 200), size=(48, 32)))
    drop_files(window, [photo])
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is this?")
    wait_answered(qtbot, window, backend, 1)
    original = window.store.messages(window.conversation_id)[0]

    window.chat.widgets[0].action_buttons["edit"].click()
    window.composer.edit.setPlainText("What colour is this?")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_answered(qtbot, window, backend, 2)

    stored = window.store.messages(window.conversation_id)
    # A new version of the message (issue 17, versions); the original stays, hidden.
    assert stored[0].versions == (original.id, stored[0].id)
    assert stored[0].text == "What colour is this?"
    assert stored[0].images == original.images
    assert images_sent(backend) == [1]


def test_removing_the_messages_image_while_editing_removes_it(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes((10, 120, 200), size=(48, 32)))
    drop_files(window, [photo])
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is this?")
    wait_answered(qtbot, window, backend, 1)

    window.chat.widgets[0].action_buttons["edit"].click()
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    window.composer.pending[0].remove_button.click()
    window.composer.edit.setPlainText("Never mind the picture: say hello.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_answered(qtbot, window, backend, 2)

    stored = window.store.messages(window.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].images == () and images_sent(backend) == [0]


def test_cancelling_an_edit_drops_the_messages_images_but_keeps_pasted_ones(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes((10, 120, 200), size=(48, 32)))
    drop_files(window, [photo])
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    send(qtbot, window, "What is this?")
    wait_answered(qtbot, window, backend, 1)

    window.chat.widgets[0].action_buttons["edit"].click()
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=WAIT_MS)
    paste_image(window, Qt.GlobalColor.darkRed, (30, 20))
    qtbot.waitUntil(lambda: len(window.composer.pending) == 2, timeout=WAIT_MS)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)

    assert window.composer.editing_message_id is None
    # What the person pasted is theirs and stays attached; the message's own image
    # belonged to the edit and goes with it.
    assert [(p.image.width, p.image.height) for p in window.composer.pending] == [(30, 20)]
