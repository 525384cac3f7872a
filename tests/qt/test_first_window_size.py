"""The first window fits the screen it opens on (issue 17, defect 8).

It used to open at 1100×720 whatever the screen: at 1024×600 the composer and the Settings
button were below or beyond the screen's edge.  Now it takes at most ~90 % of the screen's
available area (never less than a usable minimum, never more than the screen), centred; a
remembered geometry is clamped to the screen it is shown on now; and the widgets' minimum
sizes let the window fit 1024×600.

The sizing rules are tested on given available areas (a laptop, a netbook, a second
monitor, a panel at the top); the window itself on the offscreen platform's screen (800×800
here, smaller than the old fixed size) and, in a child process, on a 1024×600 screen made
with the offscreen platform's ``configfile``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.core.settings import AppPaths
from desktop_app.qt.main_window import (
    MIN_WINDOW,
    PREFERRED_WINDOW,
    clamp_to_available,
    first_window_geometry,
)
from tests.helpers.fake_backend import ScriptedBackend

pytestmark = pytest.mark.usefixtures("qapp")

REPO = Path(__file__).resolve().parents[2]


# -- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "available",
    [
        QRect(0, 0, 1024, 600),  # a netbook
        QRect(0, 27, 1024, 573),  # the same with a panel at the top
        QRect(0, 0, 1366, 728),  # a common laptop less its taskbar
        QRect(1920, 0, 1280, 800),  # a second monitor to the right
        QRect(0, 0, 3840, 2160),  # a large screen: the usual size, not a giant window
        QRect(-1280, -200, 1280, 1024),  # a monitor left of and above the primary
    ],
)
def test_first_window_fits_and_is_centred(available: QRect) -> None:
    rect = first_window_geometry(available)
    assert available.contains(rect)
    assert rect.width() <= max(int(available.width() * 0.9), MIN_WINDOW.width())
    assert rect.height() <= max(int(available.height() * 0.9), MIN_WINDOW.height())
    assert rect.width() <= PREFERRED_WINDOW.width()
    assert rect.height() <= PREFERRED_WINDOW.height()
    assert rect.width() >= min(MIN_WINDOW.width(), available.width())
    assert rect.height() >= min(MIN_WINDOW.height(), available.height())
    assert abs(rect.center().x() - available.center().x()) <= 1
    assert abs(rect.center().y() - available.center().y()) <= 1


def test_a_screen_smaller_than_the_minimum_gets_all_of_it() -> None:
    available = QRect(0, 0, 640, 400)
    assert first_window_geometry(available) == available


def test_a_large_screen_gets_the_usual_size() -> None:
    rect = first_window_geometry(QRect(0, 0, 1920, 1080))
    assert rect.size() == PREFERRED_WINDOW


@pytest.mark.parametrize(
    ("saved", "available"),
    [
        (QRect(0, 0, 1100, 720), QRect(0, 0, 1024, 600)),  # saved on a bigger screen
        (QRect(2400, 300, 900, 500), QRect(0, 0, 1024, 600)),  # on a monitor now unplugged
        (QRect(-500, -400, 800, 500), QRect(0, 0, 1024, 600)),  # above and left of it
        (QRect(100, 50, 800, 500), QRect(0, 0, 1024, 600)),  # fits: left as it is
    ],
)
def test_a_remembered_geometry_is_clamped_to_the_screen(saved: QRect, available: QRect) -> None:
    rect = clamp_to_available(saved, available)
    assert available.contains(rect)
    if available.contains(saved):
        assert rect == saved
    else:
        assert rect.width() == min(saved.width(), available.width())
        assert rect.height() == min(saved.height(), available.height())


# -- the window ---------------------------------------------------------------------------


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend(gated=False)
    yield backend
    for call in backend.calls:
        call.cancel.cancel()


def new_window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    from desktop_app.qt.app import create_window

    window = create_window(paths, backend=backend, extra_backends={})
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model is not None, timeout=10_000)
    return window


def on_screen(widget: QWidget, available: QRect) -> bool:
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return available.contains(QRect(top_left, widget.size()))


def test_the_first_window_fits_the_screen(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend
) -> None:
    window = new_window(qtbot, paths, backend)
    available = window.screen().availableGeometry()
    qtbot.waitUntil(lambda: available.contains(window.frameGeometry()), timeout=5_000)
    assert on_screen(window.composer, available) and on_screen(window.settings_button, available)


def test_the_widgets_let_the_window_fit_1024_by_600(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend
) -> None:
    window = new_window(qtbot, paths, backend)
    needed = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert needed.width() <= 1024 and needed.height() <= 600 - 40  # room for a title bar
    window.resize(921, 540)  # what 90 % of 1024×600 gives
    QApplication.processEvents()
    assert window.size() == QSize(921, 540)
    assert window.composer.send_button.isVisible()


def test_a_remembered_geometry_larger_than_the_screen_is_clamped(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend
) -> None:
    first = new_window(qtbot, paths, backend)
    available = first.screen().availableGeometry()
    first.setGeometry(
        QRect(available.topLeft(), available.size() + QSize(600, 400))  # a bigger screen's
    )
    QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat).setValue(
        "geometry", first.saveGeometry()
    )
    first.close()
    window = new_window(qtbot, paths, ScriptedBackend(gated=False))
    qtbot.waitUntil(lambda: available.contains(window.frameGeometry()), timeout=5_000)
    assert on_screen(window.composer, available)


# -- a real 1024×600 screen, in a child process -------------------------------------------

CHILD = """
import json, sys
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication
from desktop_app.core.settings import Settings, app_paths
from desktop_app.qt.app import create_window
from tests.helpers.fake_backend import MODEL, ScriptedBackend

paths = app_paths().ensure()
Settings(model=MODEL, max_tokens=8, temperature=0.0).save(paths.settings_path)
window = create_window(paths, backend=ScriptedBackend(gated=False), extra_backends={})
window.show()
app = QApplication.instance()
for _ in range(20):
    app.processEvents()

def rect(widget):
    top_left = widget.mapToGlobal(QPoint(0, 0))
    r = QRect(top_left, widget.size())
    return [r.x(), r.y(), r.width(), r.height()]

available = window.screen().availableGeometry()
print(json.dumps({
    "available": [available.x(), available.y(), available.width(), available.height()],
    "window": [window.frameGeometry().x(), window.frameGeometry().y(),
               window.frameGeometry().width(), window.frameGeometry().height()],
    "composer": rect(window.composer),
    "send": rect(window.composer.send_button),
    "settings": rect(window.settings_button),
}))
window.close()
"""


def test_at_1024_by_600_the_composer_and_settings_are_on_screen(tmp_path: Path) -> None:
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "netbook",
                        "x": 0,
                        "y": 0,
                        "width": 1024,
                        "height": 600,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    env["LOCALSIGHT_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    available = QRect(*seen["available"])
    assert available == QRect(0, 0, 1024, 600)
    for part in ("window", "composer", "send", "settings"):
        assert available.contains(QRect(*seen[part])), (part, seen)
