"""The model manager lists the model files on this computer too (issue 17).

Before, Model → Manage models… showed only the catalog and Ollama: a file added by path,
a GGUF copied into the models folder and the built-in model were nowhere to manage.  Now
each is listed with Use, Show in folder and (where it means something) Remove, and a
search box filters the catalog and the files.  Real window (offscreen) on llama.cpp in
its engine, as the app runs it; the confirmation and the file manager are answered by
replacing the one static call each goes through.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from desktop_app.core.models.factory import make_backend
from desktop_app.core.settings import AppPaths, Settings, app_paths

pytestmark = pytest.mark.usefixtures("qapp")

WAIT = 30_000


@pytest.fixture
def paths(localsight_home: Path, tiny_text_model: Path) -> AppPaths:
    paths = app_paths().ensure()
    shutil.copyfile(tiny_text_model, paths.models_dir / "my-notes-model.gguf")
    Settings(max_tokens=8, temperature=0.0, num_ctx=1024).save(paths.settings_path)
    return paths


@pytest.fixture
def start_window(qtbot: Any, paths: AppPaths) -> Iterator[Callable[[], Any]]:
    def start() -> Any:
        from desktop_app.qt.app import create_window

        settings = Settings.load(paths.settings_path)
        backend = make_backend("llama-cpp", settings, paths, isolated=True)  # as the app
        win = create_window(paths, backend=backend, extra_backends={})
        qtbot.addWidget(win)
        win.resize(1024, 600)
        win.show()
        qtbot.waitUntil(lambda: win.model is not None, timeout=WAIT)
        return win

    yield start


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What "Show in folder" asked the desktop to open (no file manager starts in tests)."""
    urls: list[str] = []

    def open_url(url: QUrl) -> bool:
        urls.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    return urls


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def buttons(line: Any) -> dict[str, QPushButton]:
    return {b.text(): b for b in line.findChildren(QPushButton)}


def click(qtbot: Any, widget: Any) -> None:
    """Scrolled into view first, as a person would (the click goes to that point)."""
    from PySide6.QtWidgets import QScrollArea

    assert widget.isVisible() and widget.isEnabled(), widget.text()
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None:
        parent.ensureWidgetVisible(widget)
        QApplication.processEvents()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def open_manager(qtbot: Any, window: Any, count: int) -> Any:
    window.open_model_manager()
    manager = window.model_manager
    qtbot.waitUntil(lambda: manager.loaded and len(manager.local.lines) == count, timeout=WAIT)
    QApplication.processEvents()
    return manager


def kinds(manager: Any) -> dict[str, str]:
    return {m.model_id: m.kind for m in manager.local.models}


def test_files_on_this_computer_are_listed_with_use_show_and_remove(  # noqa: PLR0917
    qtbot: Any,
    start_window: Callable[[], Any],
    paths: AppPaths,
    tiny_vlm: tuple[Path, Path],
    opened: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = start_window()
    added = os.path.realpath(tiny_vlm[0])
    window.models_controller.add_model_path(tiny_vlm[0])
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == added, timeout=WAIT)
    copied = os.path.realpath(paths.models_dir / "my-notes-model.gguf")
    builtin = window.models_controller._default_model
    assert builtin is not None  # SmolLM2, installed with LocalSight

    manager = open_manager(qtbot, window, 3)
    assert kinds(manager) == {builtin: "builtin", added: "added", copied: "models-folder"}
    assert manager.local.models[0].model_id == builtin  # the built-in first
    lines = manager.local.lines
    assert set(buttons(lines[builtin])) == {"Use", "Show in folder"}  # nothing to remove
    assert {"Use", "Show in folder", "Remove"} <= set(buttons(lines[added]))
    assert {"Use", "Show in folder", "Remove"} <= set(buttons(lines[copied]))
    save_grab(manager, "polish_model_manager.png")

    click(qtbot, buttons(lines[added])["Show in folder"])
    assert opened == [str(Path(added).parent)]

    # An added file: off the list at once, no question, the file stays.
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    click(qtbot, buttons(lines[added])["Remove"])
    qtbot.waitUntil(lambda: added not in kinds(manager), timeout=WAIT)
    assert asked == [] and Path(added).exists()
    assert added not in {m.id for m in window.state.models}
    assert Settings.load(paths.settings_path).extra_model_paths == []

    # A file in LocalSight's folder: asked first; No keeps it, Yes deletes it.
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    click(qtbot, buttons(manager.local.lines[copied])["Remove"])
    assert len(asked) == 1 and "my-notes-model" in asked[0] and Path(copied).exists()
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    click(qtbot, buttons(manager.local.lines[copied])["Remove"])
    qtbot.waitUntil(lambda: copied not in kinds(manager), timeout=WAIT)
    assert len(asked) == 1 and not Path(copied).exists()
    assert copied not in {m.id for m in window.state.models}
    assert kinds(manager) == {builtin: "builtin"}

    click(qtbot, buttons(manager.local.lines[builtin])["Use"])
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == builtin, timeout=WAIT)


def test_the_search_box_filters_the_catalog_and_the_files(
    qtbot: Any, start_window: Callable[[], Any]
) -> None:
    window = start_window()
    manager = open_manager(qtbot, window, 2)
    rows = manager.rows
    assert len(rows) > 2

    def visible() -> set[str]:
        return {entry_id for entry_id, row in rows.items() if row.isVisibleTo(manager)}

    qtbot.keyClicks(manager.search, "GEMMA")
    assert visible() and all("gemma" in rows[i].entry.name.lower() for i in visible())
    assert len(visible()) < len(rows)
    assert not manager.no_match.isVisibleTo(manager)

    manager.search.clear()
    qtbot.keyClicks(manager.search, "notes")  # the copied file's name, no catalog entry
    assert visible() == set()
    shown = [
        m.name for m in manager.local.models if manager.local.lines[m.model_id].isVisibleTo(manager)
    ]
    assert len(shown) == 1 and "notes" in shown[0].lower()
    assert manager.no_match.isVisibleTo(manager)
    assert "notes" in manager.no_match.text()

    manager.search.clear()
    assert visible() == set(rows)
    assert all(line.isVisibleTo(manager) for line in manager.local.lines.values())


def save_grab(widget: Any, name: str) -> None:
    folder = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if folder:
        QApplication.processEvents()
        widget.grab().save(str(Path(folder) / name))
