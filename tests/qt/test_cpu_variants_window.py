"""The window on a machine whose CPU variant traps mid-answer, and Help → About.

The person asks; the engine's variant dies by SIGILL (the engine test hook executes an
illegal instruction once the model is loaded); the answer still arrives, and its card says
in plain words that LocalSight switched to a compatible mode.  About shows what ``localsight
doctor`` prints, with the platform plugin this window really uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from backends.engine import EngineBackend
from backends.engine.child import TEST_TRAP_ENV as ENGINE_TRAP_ENV
from backends.llama_cpp import cpu_variants
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(cpu_variants.CACHE_ENV, str(tmp_path / "cpu-cache"))
    cpu_variants.forget()
    yield tmp_path / "cpu-cache"
    cpu_variants.forget()


def test_first_answer_survives_a_trapping_variant_and_the_card_says_so(
    qtbot: Any,
    localsight_home: Path,
    tiny_vlm: tuple[Path, Path],
    fresh_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=12)
    chosen = cpu_variants.current().variant
    assert chosen is not None
    monkeypatch.setenv(ENGINE_TRAP_ENV, chosen)
    engine = EngineBackend(model_dirs=[paths.models_dir])
    win = open_window(qtbot, paths, engine, timeout_ms=60_000)
    try:
        win.composer.edit.setPlainText("Describe the weather.")
        qtbot.keyClick(win.composer.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: not win.runner.busy and win.chat.widgets and not win.chat.widgets[-1].is_user,
            timeout=120_000,
        )
        qtbot.waitUntil(lambda: win.chat.widgets[-1].message.state != "streaming", timeout=60_000)
        card = win.chat.widgets[-1]
        assert card.message.state == "complete"
        assert card.text.strip()
        assert card.status.isVisible()
        assert "processor rejected an instruction set" in card.status.text()
        assert "switched to a compatible mode" in card.status.text()
        assert "compatible mode" in win.stage_label.text()
        assert cpu_variants.current().variant != chosen
    finally:
        win.close()
        engine.close()


def test_about_shows_the_diagnostics_with_a_copy_button(qtbot: Any, fresh_cache: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    from desktop_app.qt.common.about_dialog import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.copy_button.isEnabled, timeout=60_000)
    text = dialog.report.toPlainText()
    variant = cpu_variants.current().variant
    assert variant is not None
    assert "CPU variant" in text and variant in text
    assert re.search(rf"Qt platform\s+{QGuiApplication.platformName()}$", text)
    assert "Memory" in text and "Threads" in text
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text
