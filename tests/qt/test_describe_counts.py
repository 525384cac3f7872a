"""Describe's progress counts the whole job, and it shows the model the window uses now
(issue 17, item 10: "Done: 5 of 5" after a resume of 11; the old model after a change).

Real window and Describe panel (offscreen) on ``ScriptedBackend``; every wait is on state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.core.settings import AppPaths
from tests.helpers.fake_backend import MODEL, TEXT_MODEL, ScriptedBackend
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 20_000  # a ceiling for state to arrive, never a duration anything depends on


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    # Paced, so a Stop pressed mid-run finds an answer still streaming and cancels it.
    backend = ScriptedBackend(gated=False, deltas=["A ", "small ", "square."], pace_s=0.02)
    yield backend
    for call in backend.calls:
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    return open_window(qtbot, paths, backend)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "scans"
    folder.mkdir()
    files = []
    for i in range(11):
        path = folder / f"scan{i:02}.png"
        path.write_bytes(png_bytes((20 * i, 90, 200 - 15 * i), (32, 24)))
        files.append(path)
    return files


def wait_run_end(qtbot: Any, panel: Any) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    qtbot.waitUntil(panel.start_button.isVisible, timeout=WAIT_MS)
    QApplication.processEvents()  # rows and the summary emitted last
    QApplication.processEvents()


def test_a_resumed_run_counts_the_whole_job(qtbot: Any, window: Any, images: list[Path]) -> None:
    window.open_describe(images)
    panel = window.describe_panel
    assert panel is not None

    def stop_after_four(*_args: object) -> None:
        if len(panel.table.results) == 4 and not panel.runner.stopping:
            panel.stop()

    panel.runner.row_ready.connect(stop_after_four)
    panel.start()
    wait_run_end(qtbot, panel)
    panel.runner.row_ready.disconnect(stop_after_four)
    before = len(panel.table.finished_rows())
    assert 4 <= before < 11
    assert f"Stopped: {before} of 11 done" in panel.progress_label.text()

    seen: list[str] = []
    panel.runner.row_ready.connect(lambda *_: seen.append(panel.progress_label.text()))
    panel.start()
    wait_run_end(qtbot, panel)
    assert len(panel.table.finished_rows()) == 11
    summary = panel.progress_label.text()
    assert summary.startswith(f"Done: 11 of 11 ({before} from before)"), summary
    assert panel.progress.value() == panel.progress.maximum() == 11
    # While it ran, the line counted from the rows already done, up to the whole list.
    counts = [int(m.group(1)) for t in seen if (m := re.match(r"(\d+) of 11", t))]
    assert counts and counts[0] == before + 1 and counts[-1] == 11


def test_describe_shows_the_model_chosen_in_the_window(
    qtbot: Any, window: Any, images: list[Path]
) -> None:
    window.open_describe(images[:2])
    panel = window.describe_panel
    assert "(sees images)" in panel.model_label.text()
    assert not panel.notice.isVisible()

    text_model = next(m for m in window.models if m.id == TEXT_MODEL)
    window.choose_model(text_model)
    assert text_model.name in panel.model_label.text() and "text only" in panel.model_label.text()
    assert panel.notice.isVisible() and "cannot see images" in panel.notice.text()
    assert not panel.start_button.isEnabled()

    window.choose_model(next(m for m in window.models if m.id == MODEL))
    assert "(sees images)" in panel.model_label.text()
    assert not panel.notice.isVisible()  # the refusal about the other model is gone
    assert panel.start_button.isEnabled()
