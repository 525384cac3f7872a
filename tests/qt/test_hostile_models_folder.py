"""The window with a models folder full of entries that cannot be read (issue 16, item 2).

One symlink loop beside the user's model kept the window on "Looking for models…" and Send
answered "No model is selected": the listing died on the loop.  Here the folder holds a
loop, two links pointing at each other, a link to nothing, a named pipe, a folder and a
device, all named ``*.gguf``; the window must still find the model the settings name,
select it, and say it is ready.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.llama_cpp import LlamaCppBackend
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    from desktop_app.core.settings import app_paths

    made = LlamaCppBackend([app_paths().models_dir], include_stores=False)
    yield made
    made.close()


def test_the_window_selects_its_model_beside_unreadable_entries(
    qtbot: Any, tiny_vlm: tuple[Path, Path], backend: LlamaCppBackend
) -> None:
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=4)
    models = paths.models_dir
    (models / "loop.gguf").symlink_to("loop.gguf")
    (models / "loop-a.gguf").symlink_to("loop-b.gguf")
    (models / "loop-b.gguf").symlink_to("loop-a.gguf")
    (models / "dangling.gguf").symlink_to("gone.gguf")
    os.mkfifo(models / "fifo.gguf")
    (models / "folder.gguf").mkdir()
    (models / "device.gguf").symlink_to(os.devnull)

    window = open_window(qtbot, paths, backend)

    wanted = str((models / tiny_vlm[0].name).resolve())
    assert window.model.id == wanted and window.model.capabilities.vision
    qtbot.waitUntil(lambda: window.stage_label.text() != "Looking for models…", timeout=20_000)
    assert window.stage_label.text().startswith("Ready"), window.stage_label.text()
    # The skipped entries are known to the backend, one note each, for whoever shows them.
    assert len(backend.problems) == 7, backend.problems


def _listed_again(qtbot: Any, window: Any) -> None:
    """Ask for the models again and wait for the listing to end."""
    window.models_controller.load_models()
    assert window.stage_label.text() == "Looking for models…"
    qtbot.waitUntil(lambda: window.stage_label.text().startswith("Ready"), timeout=20_000)


def test_the_window_tells_what_it_skipped_once_per_note(
    qtbot: Any, tiny_vlm: tuple[Path, Path], backend: LlamaCppBackend
) -> None:
    """The backend knew what it skipped, but the window showed none of it: the person saw
    their file missing from the picker with no reason.  Each note is shown once, above the
    message box like the window's other notes, not again on every listing."""
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=4)
    models = paths.models_dir
    (models / "loop.gguf").symlink_to("loop.gguf")
    os.mkfifo(models / "fifo.gguf")

    window = open_window(qtbot, paths, backend)
    qtbot.waitUntil(lambda: window.stage_label.text().startswith("Ready"), timeout=20_000)
    notice = window.composer.notice
    assert notice.isVisible(), "the skipped entries were not told"
    text = notice.text()
    assert f"{os.sep}loop.gguf " in text and "link loop" in text, text
    assert f"{os.sep}fifo.gguf " in text and "named pipe" in text, text
    for problem in backend.problems:
        assert text.count(problem) == 1, text

    # The same notes are not told again on the next listing (a settings change, a download).
    window.composer.show_notice("")
    _listed_again(qtbot, window)
    assert not notice.isVisible(), notice.text()

    # A new one is, alone.
    (models / "dangling.gguf").symlink_to("gone.gguf")
    _listed_again(qtbot, window)
    assert notice.isVisible()
    assert "dangling.gguf" in notice.text() and "loop.gguf" not in notice.text(), notice.text()


def test_many_skipped_entries_are_counted_past_the_first_few(
    qtbot: Any, tiny_vlm: tuple[Path, Path], backend: LlamaCppBackend
) -> None:
    """A folder of hundreds of broken links must not push the message box off the window:
    the first few are named, the rest counted, with where to see them all."""
    from desktop_app.qt.controllers.models import SKIPPED_SHOWN

    paths = seed_tiny_vlm(tiny_vlm, max_tokens=4)
    extra = 3
    for number in range(SKIPPED_SHOWN + extra):
        (paths.models_dir / f"loop-{number}.gguf").symlink_to(f"loop-{number}.gguf")
    window = open_window(qtbot, paths, backend)
    qtbot.waitUntil(lambda: window.stage_label.text().startswith("Ready"), timeout=20_000)
    text = window.composer.notice.text()
    assert text.count("link loop") == SKIPPED_SHOWN, text
    assert f"Skipped {extra} more; “localsight models” lists every one." in text, text
