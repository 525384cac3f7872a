"""The image viewer (issue 17, item 10: no fit-to-window, no previous/next).

Clicking a thumbnail in the chat opens the image fitted to the window; a button (or F)
switches to 100 %; ← / → go through the chat's images in the order they were sent; Esc
closes.  Real window (offscreen) on ``ScriptedBackend``; the viewer is modal, so the test
acts from a timer once it is shown, records what it sees, and asserts afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QToolButton

from desktop_app.core.images import normalize_image
from desktop_app.core.settings import AppPaths
from desktop_app.qt.common.overlays import ImageViewer
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 10_000  # a ceiling for state to arrive, never a duration anything depends on
SIZES = [(1600, 1200), (300, 200), (900, 1400)]  # stored at most 1024 on the long edge


@pytest.fixture
def window(qtbot: Any, paths: AppPaths) -> Any:
    return open_window(qtbot, paths, ScriptedBackend(gated=False))


def send_images(qtbot: Any, window: Any, sizes: list[tuple[int, int]], text: str) -> None:
    for n, size in enumerate(sizes):
        image = normalize_image(png_bytes((40 * n, 100, 160), size))
        window.composer.add_image(image, f"photo{n}.png")
    window.composer.edit.setPlainText(text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: not window.runner.busy and window.composer.send_button.isVisible(),
        timeout=WAIT_MS,
    )


def thumbnails(window: Any) -> list[QToolButton]:
    return [b for b in window.chat.findChildren(QToolButton, "Thumbnail") if b.isVisible()]


def while_open(act: Callable[[ImageViewer], None]) -> list[BaseException]:
    """Run ``act`` on the viewer once it is shown; what it raises is returned, not lost."""
    errors: list[BaseException] = []

    def run() -> None:
        viewer = QApplication.activeModalWidget()
        if not isinstance(viewer, ImageViewer):
            QTimer.singleShot(20, run)
            return
        try:
            act(viewer)
        except BaseException as error:  # asserted by the test after the viewer closed
            errors.append(error)
            viewer.reject()

    QTimer.singleShot(0, run)
    return errors


def test_fit_actual_size_previous_next_and_escape(qtbot: Any, window: Any) -> None:
    send_images(qtbot, window, SIZES[:2], "Compare these two.")
    send_images(qtbot, window, SIZES[2:], "And this one.")
    buttons = thumbnails(window)
    assert len(buttons) == 3
    seen: dict[str, Any] = {}

    def act(viewer: ImageViewer) -> None:
        QApplication.processEvents()
        seen["first"] = (viewer.index, viewer.count, viewer.position_label.text())
        room = viewer.area.maximumViewportSize()
        fitted = viewer.shown_size
        seen["fits"] = fitted.width() <= room.width() and fitted.height() <= room.height()
        seen["fitted_width"] = fitted.width()
        save_grab(viewer, "polish_image_viewer_fit.png")
        qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)  # 100 %
        QApplication.processEvents()
        seen["actual"] = (viewer.shown_size.width(), viewer.shown_size.height())
        seen["scrolls"] = viewer.area.horizontalScrollBar().maximum() > 0
        qtbot.keyClick(viewer, Qt.Key.Key_F)  # back to fit
        seen["refit"] = viewer.shown_size.width()
        qtbot.keyClick(viewer, Qt.Key.Key_Left)  # already the first: stays
        seen["left_at_start"] = viewer.index
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
        seen["second"] = (viewer.index, viewer.position_label.text(), viewer.shown_size.width())
        qtbot.keyClick(viewer, Qt.Key.Key_Right)  # into the next message's image
        qtbot.keyClick(viewer, Qt.Key.Key_Right)  # the last: stays
        seen["third"] = (viewer.index, viewer.position_label.text(), viewer.next_button.isEnabled())
        qtbot.keyClick(viewer, Qt.Key.Key_Escape)

    errors = while_open(act)
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)  # returns once the viewer closed
    assert not errors, errors
    assert seen["first"] == (0, 3, "1 of 3 · 1024×768")
    assert seen["fits"] and seen["fitted_width"] < 1024  # shrunk to the window
    assert seen["actual"] == (1024, 768) and seen["scrolls"]
    assert seen["refit"] == seen["fitted_width"]
    assert seen["left_at_start"] == 0
    assert seen["second"] == (1, "2 of 3 · 300×200", 300)  # small images are not enlarged
    assert seen["third"] == (2, "3 of 3 · 658×1024", False)
    assert isinstance(window.images_controller.viewer, ImageViewer)
    assert not window.images_controller.viewer.isVisible()  # Esc closed it


def test_a_lone_image_has_no_previous_or_next(qtbot: Any, window: Any) -> None:
    send_images(qtbot, window, SIZES[1:2], "Just one.")
    seen: dict[str, Any] = {}

    def act(viewer: ImageViewer) -> None:
        seen["buttons"] = (viewer.previous_button.isVisible(), viewer.next_button.isVisible())
        seen["text"] = viewer.position_label.text()
        viewer.reject()

    errors = while_open(act)
    qtbot.mouseClick(thumbnails(window)[0], Qt.MouseButton.LeftButton)
    assert not errors, errors
    assert seen == {"buttons": (False, False), "text": "1 of 1 · 300×200"}


def save_grab(widget: Any, name: str) -> None:
    folder = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if folder:
        QApplication.processEvents()
        widget.grab().save(str(Path(folder) / name))
