"""Theme choice and text size (issue 17, "what users of the peers reach for").

Settings → Appearance chooses System / Light / Dark and the text size; Ctrl+= / Ctrl+- /
Ctrl+0 change the size.  Both apply at once, persist in settings.json and survive a
restart.  Real window (offscreen) on ``ScriptedBackend``; nothing timed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from desktop_app.core.settings import TEXT_SIZE_MAX, TEXT_SIZE_MIN, AppPaths, Settings
from desktop_app.qt.chat.markdown import MarkdownTheme
from desktop_app.qt.common.theme import DARK, LIGHT, apply_theme
from tests.helpers.fake_backend import MODEL, ScriptedBackend
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 10_000  # a ceiling for state to arrive, never a duration anything depends on
ANSWER = ["Here:\n\n", "```python\n", "print('hi')\n", "```\n"]


@pytest.fixture(autouse=True)
def system_scheme_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The application's palette is process-wide: later tests get the light one back."""
    monkeypatch.setenv("LOCALSIGHT_THEME", "light")  # what "the system" says here
    yield
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")


@pytest.fixture
def start(qtbot: Any, paths: AppPaths) -> Callable[[], Any]:
    def start_window() -> Any:
        window = open_window(qtbot, paths, ScriptedBackend(gated=False, deltas=ANSWER))
        assert window.model.id == MODEL
        return window

    return start_window


def window_color() -> str:
    return str(QApplication.palette().color(QPalette.ColorRole.Window).name())


def in_settings(qtbot: Any, window: Any, change: Callable[[Any], None]) -> None:
    """Open Settings with its button, ``change`` the dialog, press OK."""
    from desktop_app.qt.settings.dialog import SettingsDialog

    done: list[bool] = []

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(20, act)  # not shown yet
            return
        change(dialog)
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        done.append(True)
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, act)
    window.settings_button.click()  # returns once OK was pressed
    assert done


def choose(dialog: Any, combo_name: str, data: str) -> None:
    combo = getattr(dialog, combo_name)
    index = combo.findData(data)
    assert index >= 0
    combo.setCurrentIndex(index)


def answer_label(qtbot: Any, window: Any) -> Any:
    """Send a question and return the rich-text label of the (code-holding) answer."""
    window.composer.edit.setPlainText("Show me code.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            any(not w.is_user and "print" in w.text for w in window.chat.widgets)
            and not window.runner.busy
        ),
        timeout=WAIT_MS,
    )
    widget = next(w for w in window.chat.widgets if not w.is_user)
    return widget.body


def test_the_theme_chosen_in_settings_applies_at_once_and_persists(
    qtbot: Any, start: Callable[[], Any], paths: AppPaths
) -> None:
    window = start()
    assert window_color() == LIGHT.window
    label = answer_label(qtbot, window)
    light_html = label.text()

    in_settings(qtbot, window, lambda d: choose(d, "theme", "dark"))
    assert window_color() == DARK.window
    assert window.theme == MarkdownTheme.dark()
    # The answer shown is re-rendered in the dark Markdown colours, not only new ones.
    assert label.text() != light_html and MarkdownTheme.dark().code_background in label.text()
    assert Settings.load(paths.settings_path).theme == "dark"
    save_grab(window, "polish_theme_dark.png")

    window.close()
    again = start()  # a restart opens dark, though "the system" is light
    assert window_color() == DARK.window and again.theme == MarkdownTheme.dark()

    in_settings(qtbot, again, lambda d: choose(d, "theme", "system"))
    assert window_color() == LIGHT.window
    assert Settings.load(paths.settings_path).theme == "system"


def test_a_system_scheme_change_is_followed_only_under_system(
    qtbot: Any, start: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    window = start()
    in_settings(qtbot, window, lambda d: choose(d, "theme", "light"))
    monkeypatch.setenv("LOCALSIGHT_THEME", "dark")
    window._scheme_changed()  # what QStyleHints.colorSchemeChanged calls
    assert window_color() == LIGHT.window  # the person chose light: it stays
    in_settings(qtbot, window, lambda d: choose(d, "theme", "system"))
    assert window_color() == DARK.window  # "system" now says dark


def point_size(widget: Any) -> float:
    return float(widget.font().pointSizeF())


def test_ctrl_plus_minus_zero_scale_the_conversation_bounded_and_persisted(
    qtbot: Any, start: Callable[[], Any], paths: AppPaths
) -> None:
    window = start()
    label = answer_label(qtbot, window)
    usual_label, usual_edit = point_size(label), point_size(window.composer.edit)
    usual_height = label.sizeHint().height()
    assert usual_label > 0

    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert window.settings.text_size == 120
    assert point_size(label) == pytest.approx(usual_label * 1.2)
    assert point_size(window.composer.edit) == pytest.approx(usual_edit * 1.2)
    assert label.sizeHint().height() > usual_height  # the code block grew with the text
    assert Settings.load(paths.settings_path).text_size == 120
    save_grab(window, "polish_text_120.png")

    for _ in range(20):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.settings.text_size == TEXT_SIZE_MIN
    assert point_size(label) == pytest.approx(usual_label * TEXT_SIZE_MIN / 100)

    qtbot.keyClick(window.composer.edit, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.settings.text_size == 100
    assert point_size(label) == pytest.approx(usual_label)
    for _ in range(20):
        window.step_text_size(1)
    assert window.settings.text_size == TEXT_SIZE_MAX

    window.close()
    again = start()  # remembered
    assert point_size(again.chat) == pytest.approx(usual_label * TEXT_SIZE_MAX / 100)


def test_the_text_size_in_settings_applies_at_once(
    qtbot: Any, start: Callable[[], Any], paths: AppPaths
) -> None:
    window = start()
    usual = point_size(window.chat)
    in_settings(qtbot, window, lambda d: d.text_size.setValue(150))
    assert point_size(window.chat) == pytest.approx(usual * 1.5)
    assert Settings.load(paths.settings_path).text_size == 150


def save_grab(widget: Any, name: str) -> None:
    """Keep a picture to look at when ``LOCALSIGHT_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if folder:
        QApplication.processEvents()
        widget.grab().save(str(Path(folder) / name))
