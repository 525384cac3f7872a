"""Models added with Model → Add a model file… stay as they were added (issue 17, defects 2, 3).

Real widgets (offscreen) on the real llama.cpp backend, built from the settings file the way
the app builds it (``make_backend``), so closing the window and building another one from
the same settings is a restart.  The tiny vision model sits beside its projector in a folder
of its own, as a person downloads the pair; the tiny text model has none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from desktop_app.core.models.factory import make_backend
from desktop_app.core.settings import AppPaths, Settings, app_paths

pytestmark = pytest.mark.usefixtures("qapp")

WAIT = 30_000


@pytest.fixture
def paths(localsight_home: Path) -> AppPaths:
    paths = app_paths().ensure()  # nothing in the models folder: only the built-in SmolLM2
    Settings(max_tokens=8, temperature=0.0, num_ctx=1024).save(paths.settings_path)
    return paths


@pytest.fixture
def start_window(qtbot: Any, paths: AppPaths) -> Iterator[Callable[[], Any]]:
    """Start the app on ``paths``: the backend made from the saved settings, as at launch."""

    def start() -> Any:
        from desktop_app.qt.app import create_window

        settings = Settings.load(paths.settings_path)
        backend = make_backend("llama-cpp", settings, paths)  # in-process: same discovery
        win = create_window(paths, backend=backend, extra_backends={})
        qtbot.addWidget(win)
        win.resize(1024, 600)
        win.show()
        qtbot.waitUntil(lambda: win.model is not None, timeout=WAIT)
        return win

    yield start


def add_model(qtbot: Any, window: Any, path: Path) -> str:
    """Model → Add a model file… with ``path`` chosen; the id it was added under."""
    wanted = os.path.realpath(path)
    window.models_controller.add_model_path(path)
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == wanted, timeout=WAIT)
    return wanted


def listed(window: Any) -> dict[str, Any]:
    return {m.id: m for m in window.state.models}


def restart(qtbot: Any, window: Any, start: Callable[[], Any]) -> Any:
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    again = start()
    # The first listing is the one that reads the saved paths: wait for it to finish.
    qtbot.waitUntil(lambda: len(again.state.models) > 1, timeout=WAIT)
    return again


def test_an_added_vision_model_still_sees_after_a_restart(
    qtbot: Any, start_window: Callable[[], Any], tiny_vlm: tuple[Path, Path]
) -> None:
    """Defect 2: the projector was paired only when the model was added; the saved path was
    then rescanned as a lone file, so after a restart the model could no longer see."""
    window = start_window()
    model_id = add_model(qtbot, window, tiny_vlm[0])
    assert window.model.capabilities.vision  # paired with its projector when added

    again = restart(qtbot, window, start_window)
    assert again.model is not None and again.model.id == model_id  # still the chosen one
    assert again.model.capabilities.vision, "the added model lost its projector"
    assert listed(again)[model_id].capabilities.vision
    assert not any(Path(i).name == tiny_vlm[1].name for i in listed(again)), "projector listed"


def test_settings_ok_keeps_every_added_model(
    qtbot: Any,
    paths: AppPaths,
    start_window: Callable[[], Any],
    tiny_vlm: tuple[Path, Path],
    tiny_text_model: Path,
) -> None:
    """Defect 3: the dialog's "Extra models folder" showed the first saved path and wrote back
    only that one, so OK dropped every other added model."""
    window = start_window()
    vision_id = add_model(qtbot, window, tiny_vlm[0])
    text_id = add_model(qtbot, window, tiny_text_model)
    before = list(Settings.load(paths.settings_path).extra_model_paths)
    assert len(before) == 2

    pressed: list[bool] = []

    def press_ok() -> None:
        from desktop_app.qt.settings.dialog import SettingsDialog

        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(50, press_ok)  # not shown yet
            return
        dialog.grab().save(str(paths.cache_dir / "settings-dialog.png"))
        dialog.tabs.setCurrentIndex(1)
        dialog.grab().save(str(paths.cache_dir / "settings-dialog-sources.png"))
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        pressed.append(True)
        ok.click()

    QTimer.singleShot(0, press_ok)
    window.settings_button.click()  # opens the dialog; returns once OK was pressed
    assert pressed

    assert window.settings.extra_model_paths == before
    assert Settings.load(paths.settings_path).extra_model_paths == before
    qtbot.waitUntil(lambda: {vision_id, text_id} <= set(listed(window)), timeout=WAIT)
    again = restart(qtbot, window, start_window)
    models = listed(again)
    assert vision_id in models and text_id in models
    assert models[vision_id].capabilities.vision and not models[text_id].capabilities.vision


def test_settings_ok_keeps_the_folder_edited_and_the_added_models(
    qtbot: Any, paths: AppPaths, tmp_path: Path, tiny_vlm: tuple[Path, Path], tiny_text_model: Path
) -> None:
    """The folder field edits the saved folder only: a new folder is added beside the added
    model files, and clearing it removes the folder and nothing else."""
    from desktop_app.qt.settings.dialog import SettingsDialog

    folder = tmp_path / "more-models"
    folder.mkdir()
    added = [str(tiny_vlm[0]), str(tiny_text_model)]
    dialog = SettingsDialog(Settings(extra_model_paths=added), "", str(paths.models_dir))
    qtbot.addWidget(dialog)
    assert dialog.models_folder.text() == ""  # no folder saved: the files are not a folder
    dialog.models_folder.setText(str(folder))
    updated, _ = dialog.result_settings()
    assert updated.extra_model_paths == [*added, str(folder)]

    dialog = SettingsDialog(updated, "", str(paths.models_dir))
    qtbot.addWidget(dialog)
    assert dialog.models_folder.text() == str(folder)
    assert dialog.result_settings()[0].extra_model_paths == updated.extra_model_paths
    dialog.models_folder.setText("")
    assert dialog.result_settings()[0].extra_model_paths == added


def test_adding_a_model_again_saves_it_once(
    qtbot: Any, paths: AppPaths, start_window: Callable[[], Any], tiny_vlm: tuple[Path, Path]
) -> None:
    """Adding the same file twice listed its path twice in the settings (and in the list)."""
    window = start_window()
    controller = window.models_controller
    added: list[Any] = []
    model_added = controller._model_added

    def counting(info: Any) -> None:
        model_added(info)
        added.append(info)

    controller._model_added = counting  # connected by name when each add starts
    for _ in range(2):
        controller.add_model_path(tiny_vlm[0])
    qtbot.waitUntil(lambda: len(added) == 2, timeout=WAIT)
    assert window.settings.extra_model_paths == [os.path.realpath(tiny_vlm[0])]
    assert Settings.load(paths.settings_path).extra_model_paths == window.settings.extra_model_paths
