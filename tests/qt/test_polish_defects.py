"""Item 10's small defects of issue 17, each through the real window (offscreen).

Keyboard focus invisible on Attach and the chat list, the composer's text starting ~85 px
in, the F1 list cramped with two scroll bars.  Nothing timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.core.settings import AppPaths
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def window(qtbot: Any, paths: AppPaths) -> Iterator[Any]:
    win = open_window(qtbot, paths, ScriptedBackend(gated=False))
    win.activateWindow()
    yield win


def picture(widget: QWidget) -> QImage:
    QApplication.processEvents()
    return widget.grab().toImage()


def has_colour(image: QImage, colour: str) -> bool:
    """Whether any pixel is ``colour`` (within 24 per channel: antialiased edges)."""
    want = QColor(colour)
    for y in range(image.height()):
        for x in range(image.width()):
            got = image.pixelColor(x, y)
            if (
                abs(got.red() - want.red()) < 24
                and abs(got.green() - want.green()) < 24
                and abs(got.blue() - want.blue()) < 24
            ):
                return True
    return False


def test_attach_shows_keyboard_focus(qtbot: Any, window: Any) -> None:
    button = window.composer.attach_button
    window.composer.edit.setFocus(Qt.FocusReason.TabFocusReason)
    unfocused = picture(button)
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=5_000)
    focused = picture(button)
    assert focused != unfocused
    assert has_colour(focused, window.colors.accent) and not has_colour(
        unfocused, window.colors.accent
    )
    assert focused.size() == unfocused.size()  # the ring does not resize the button


def test_the_chat_list_shows_keyboard_focus(qtbot: Any, window: Any) -> None:
    for title in ("Receipts", "Holiday photos"):
        window.store.create_conversation(title=title)
    window.refresh_conversations()
    chats = window.sidebar.list
    assert chats.count() >= 2
    chats.setCurrentRow(0)
    window.composer.edit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not chats.hasFocus(), timeout=5_000)
    row = chats.visualItemRect(chats.item(0))
    unfocused = picture(chats.viewport()).copy(row)
    chats.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(chats.hasFocus, timeout=5_000)
    focused = picture(chats.viewport()).copy(row)
    assert has_colour(focused, window.colors.accent)
    assert not has_colour(unfocused, window.colors.accent)


def test_the_composer_text_starts_near_the_left_edge(window: Any) -> None:
    """The first character typed sits within the composer's own margin, not ~85 px in."""
    composer, edit = window.composer, window.composer.edit
    edit.setPlainText("Hello")
    QApplication.processEvents()
    caret = edit.cursorRect(edit.document().find("H"))
    start = edit.viewport().mapTo(composer, QPoint(caret.left(), 0)).x()
    assert start <= 24, start


def table_of(dialog: Any) -> Any:
    from PySide6.QtWidgets import QTableWidget

    table = dialog.findChild(QTableWidget)
    assert table is not None
    return table


def scroll_bars_shown(dialog: Any) -> tuple[bool, bool]:
    table = table_of(dialog)
    return (
        table.horizontalScrollBar().isVisibleTo(dialog),
        table.verticalScrollBar().isVisibleTo(dialog),
    )


def rows_visible(dialog: Any) -> bool:
    table = table_of(dialog)
    last = table.visualItemRect(table.item(table.rowCount() - 1, 1))
    return last.bottom() <= table.viewport().height()


def test_the_shortcuts_list_is_readable_without_scrolling(qtbot: Any, window: Any) -> None:
    """F1: a 460×460 table with both scroll bars; now every row shows, nothing scrolls."""
    from desktop_app.qt.common.overlays import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    assert scroll_bars_shown(dialog) == (False, False)
    assert rows_visible(dialog)
    save_grab(dialog, "polish_shortcuts.png")


def test_the_shortcuts_list_fits_a_1024x600_screen(qtbot: Any, window: Any) -> None:
    from PySide6.QtCore import QRect

    from desktop_app.qt.common.overlays import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.fit_to(QRect(0, 0, 1024, 570))  # 600 less a panel
    QApplication.processEvents()
    assert dialog.height() <= 530 and dialog.width() <= 984
    assert scroll_bars_shown(dialog) == (False, False) and rows_visible(dialog)
    dialog.fit_to(QRect(0, 0, 1024, 360))  # shorter still: one scroll bar, down only
    QApplication.processEvents()
    assert dialog.height() <= 320
    assert scroll_bars_shown(dialog) == (False, True)


def save_grab(widget: Any, name: str) -> None:
    import os

    folder = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if folder:
        QApplication.processEvents()
        widget.grab().save(str(Path(folder) / name))


def accent_share(image: QImage, colour: str) -> float:
    """The share of the bar's middle row painted in ``colour`` (the filled part)."""
    want = QColor(colour)
    y = image.height() // 2
    painted = 0
    for x in range(image.width()):
        got = image.pixelColor(x, y)
        if max(abs(got.red() - want.red()), abs(got.green() - want.green())) < 24 and (
            abs(got.blue() - want.blue()) < 24
        ):
            painted += 1
    return painted / image.width()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_contacting_the_server_is_a_busy_bar_not_a_full_one(qtbot: Any, dark: bool) -> None:
    """Before the sizes are known the bar is busy: a moving segment, never all filled."""
    from PySide6.QtWidgets import QVBoxLayout

    from desktop_app.qt.common.theme import DARK, LIGHT, apply_theme
    from desktop_app.qt.models.catalog_row import ProgressLine

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    colors = apply_theme(app, "dark" if dark else "light")
    try:
        assert colors == (DARK if dark else LIGHT)
        host = QWidget()
        qtbot.addWidget(host)
        line = ProgressLine(QVBoxLayout(host), host, name="Download", cancel_tip="Cancel")
        host.resize(400, 80)
        host.show()
        line.busy("Contacting the server…")
        busy = accent_share(picture(line.bar), colors.accent)
        assert 0.05 < busy < 0.9, busy
        line.show_fraction(0.25)
        quarter = accent_share(picture(line.bar), colors.accent)
        assert 0.15 < quarter < 0.35, quarter
    finally:
        apply_theme(app, "light")
