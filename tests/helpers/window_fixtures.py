"""What every window test starts from: an app home seeded with the tiny vision model, and
the real window opened on it (offscreen) once its model is chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from desktop_app.core.settings import AppPaths, Settings, app_paths


def seed_tiny_vlm(tiny_vlm: tuple[Path, Path], *, max_tokens: int) -> AppPaths:
    """The app's folders with the tiny model and its projector in the models folder, chosen
    in the settings at temperature 0 with ``max_tokens`` (the tiny model never stops)."""
    paths = app_paths().ensure()
    for file in tiny_vlm:
        (paths.models_dir / file.name).write_bytes(file.read_bytes())
    model_id = str((paths.models_dir / tiny_vlm[0].name).resolve())
    settings = Settings(model=model_id, max_tokens=max_tokens, temperature=0.0, num_ctx=2048)
    settings.save(paths.settings_path)
    return paths


def open_window(qtbot: Any, paths: AppPaths, backend: Any, *, timeout_ms: int = 60_000) -> Any:
    """The main window on ``backend``, shown at 1024x700, once it has picked its model
    (a generous wait: listing validates the model files, slow on a loaded 2-core machine)."""
    from desktop_app.qt.app import create_window

    win = create_window(paths, backend=backend, extra_backends={})
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitUntil(lambda: win.model is not None, timeout=timeout_ms)
    return win


#: A ceiling for window state to arrive, never a duration anything depends on.
WAIT_MS = 60_000


def send(qtbot: Any, window: Any, text: str) -> None:
    """Type ``text`` in the message box and press Enter, as a person does."""
    window.composer.edit.setPlainText(text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)


def wait_idle(qtbot: Any, window: Any, timeout: int = WAIT_MS) -> None:
    """Until the answer has ended for the window too: the worker's end (``runner.busy``)
    comes before the queued "finished" signal reaches the controller, and a send between
    the two is refused as "still answering"."""
    qtbot.waitUntil(
        lambda: (
            window.chat_controller.generation is None
            and not window.runner.busy
            and window.composer.send_button.isVisible()
        ),
        timeout=timeout,
    )
