"""Getting a model in the window: the model manager and the first-run card, driven by clicks.

Real widgets (offscreen), the real downloader against the loopback Hugging Face hub
(``tests/helpers/hf_server.py``) serving the tiny vision pair, the real llama.cpp backend finding
what was downloaded, and the loopback Ollama server for pulls.  The catalog is the shipped
one with Gemma 3 4B's files swapped for the tiny pair (the id is kept, so it is also the
first-run recommendation); every other entry answers 404 on the loopback hub.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.models.catalog import Catalog, CatalogFile, load_catalog
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.settings import Settings, app_paths
from tests.helpers import REPO
from tests.helpers.hf_server import HubFile, HubState, hub_server

pytestmark = pytest.mark.usefixtures("qapp")

TINY_REPO = "localsight/Tiny-VLM-GGUF"
TINY_ID = "gemma3-4b"  # the recommendation order's first id, so the first run offers it
WAIT = 30_000


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubState]:
    with hub_server() as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield state


@pytest.fixture
def catalog(tiny_vlm: tuple[Path, Path]) -> Catalog:
    shipped = load_catalog()
    entries = tuple(
        dataclasses.replace(
            entry,
            name="Tiny VLM",
            repo=TINY_REPO,
            model_file=CatalogFile(tiny_vlm[0].name, tiny_vlm[0].stat().st_size, None),
            mmproj_file=CatalogFile(tiny_vlm[1].name, tiny_vlm[1].stat().st_size, None),
            ram_bytes=64 * 1024**2,
        )
        if entry.id == TINY_ID
        else entry
        for entry in shipped
    )
    return Catalog(entries)


def serve_tiny(hub: HubState, tiny_vlm: tuple[Path, Path], **faults: Any) -> list[HubFile]:
    return [hub.add(TINY_REPO, f.name, HubFile(f.read_bytes(), **faults)) for f in tiny_vlm]


@pytest.fixture
def paths(localsight_home: Path) -> Any:
    paths = app_paths().ensure()  # no model in the models folder: only the built-in SmolLM2
    Settings(max_tokens=8, temperature=0.0, num_ctx=1024).save(paths.settings_path)
    return paths


def downloaded_id(paths: Any, tiny_vlm: tuple[Path, Path]) -> str:
    return str((paths.models_dir / TINY_ID / tiny_vlm[0].name).resolve())


@pytest.fixture
def make_window(qtbot: Any, paths: Any, catalog: Catalog) -> Iterator[Any]:
    backends: list[Any] = []

    def make(ollama: Any | None = None) -> Any:
        from desktop_app.qt.app import create_window

        backend = LlamaCppBackend(model_dirs=[paths.models_dir])
        backends.append(backend)
        extra = {} if ollama is None else {"ollama": ollama}
        win = create_window(paths, backend=backend, extra_backends=extra, catalog=catalog)
        qtbot.addWidget(win)
        win.resize(1024, 600)
        win.show()
        qtbot.waitUntil(lambda: win.model is not None, timeout=WAIT)
        return win

    yield make
    for backend in backends:
        backend.close()


def open_manager(qtbot: Any, window: Any) -> Any:
    window.open_model_manager()
    manager = window.model_manager
    # Rows added to a visible dialog are shown by the layout on the next event loop pass.
    qtbot.waitUntil(
        lambda: manager.loaded and all(r.isVisible() for r in manager.rows.values()),
        timeout=WAIT,
    )
    return manager


def click(qtbot: Any, widget: Any) -> None:
    """Click as a person does: scrolled into view first (a click goes to whatever is at
    that point of the window; the files "On this computer" push the catalog down)."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    assert widget.isVisible() and widget.isEnabled(), widget.text()
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
            QApplication.processEvents()
            break
        parent = parent.parentWidget()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    """Answer the next confirmation with ``button``; returns the questions asked."""
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def names_and_tooltips_missing(root: Any) -> list[str]:
    from PySide6.QtWidgets import QAbstractButton, QComboBox

    return [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()}"
        for w in root.findChildren(QAbstractButton) + root.findChildren(QComboBox)
        if w.isVisibleTo(root) and not (w.accessibleName() and w.toolTip())
    ]


# -- the model manager ------------------------------------------------------------------------


def test_download_shows_progress_then_the_model_is_in_the_picker_and_can_be_used(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    serve_tiny(hub, tiny_vlm, piece_delay_s=0.02)
    window = make_window()
    manager = open_manager(qtbot, window)
    row = manager.rows[TINY_ID]
    assert row.fit_badge.text() == "fits" and row.fit_badge.toolTip()
    assert "not downloaded" in row.state_line.text()
    assert not row.use_button.isVisible() and not row.remove_button.isVisible()
    assert names_and_tooltips_missing(manager) == []
    reports: list[Any] = []
    click(qtbot, row.download_button)
    manager.jobs[TINY_ID].progress.connect(reports.append)
    assert row.bar.isVisible() and row.cancel_button.isVisible()
    qtbot.waitUntil(lambda: row.status.installed is not None, timeout=WAIT)
    middle = [p for p in reports if p.fraction is not None and 0 < p.fraction < 1]
    assert middle, [p.phase for p in reports]
    assert any(" of " in row_text(p) for p in middle)
    assert not row.bar.isVisible() and "Downloaded" in row.progress_label.text()
    assert "downloaded" in row.state_line.text()
    model_id = downloaded_id(paths, tiny_vlm)
    qtbot.waitUntil(lambda: model_id in window.model_backend, timeout=WAIT)
    found = next(m for m in window.models if m.id == model_id)
    assert found.capabilities.vision
    assert found.name == "Tiny VLM"  # the catalog's name, not the file's
    picker_ids = [window.picker.combo.itemData(i).id for i in range(window.picker.combo.count())]
    assert model_id in picker_ids
    click(qtbot, row.use_button)
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == model_id, timeout=WAIT)
    assert not manager.isVisible()
    assert Settings.load(paths.settings_path).model == model_id


def row_text(progress: Any) -> str:
    from desktop_app.qt.models.transfers import progress_text

    return progress_text(progress)


def test_cancel_mid_download_keeps_the_bytes_and_resume_finishes(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    files = serve_tiny(hub, tiny_vlm, piece_delay_s=0.1)
    window = make_window()
    manager = open_manager(qtbot, window)
    row = manager.rows[TINY_ID]
    click(qtbot, row.download_button)
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT)
    click(qtbot, row.cancel_button)
    qtbot.waitUntil(lambda: not row.busy, timeout=WAIT)
    assert not row.error.isVisible()
    assert "cancelled" in row.progress_label.text() and "kept" in row.progress_label.text()
    qtbot.waitUntil(lambda: row.status.action == "resume", timeout=WAIT)
    assert row.download_button.text() == "Resume"
    assert "partly downloaded" in row.state_line.text()
    assert downloaded_id(paths, tiny_vlm) not in window.model_backend
    for file in files:
        file.piece_delay_s = 0.0
    click(qtbot, row.download_button)
    qtbot.waitUntil(lambda: row.status.installed is not None, timeout=WAIT)
    assert hub.ranges(), "the second download resumed with a Range request"
    assert (paths.models_dir / TINY_ID / tiny_vlm[0].name).read_bytes() == files[0].data


def test_bad_checksum_and_404_are_inline_errors_and_the_window_keeps_working(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    files = serve_tiny(hub, tiny_vlm, wrong_sha=True)
    window = make_window()
    manager = open_manager(qtbot, window)
    row = manager.rows[TINY_ID]
    click(qtbot, row.download_button)
    qtbot.waitUntil(row.error.isVisible, timeout=WAIT)
    assert "damaged" in row.error.text()
    assert row.download_button.text() == "Try again" and row.download_button.isVisible()
    missing = manager.rows["smolvlm-500m"]  # not on the loopback hub
    click(qtbot, missing.download_button)
    qtbot.waitUntil(missing.error.isVisible, timeout=WAIT)
    assert "404" in missing.error.text()
    assert row.error.isVisible()  # each row keeps its own error
    # The window still answers, and the row can retry once the hub is right.
    window.composer.edit.setPlainText("Hello")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.chat.widgets) == 2 and not window.runner.busy, timeout=WAIT)
    assert window.chat.widgets[-1].message.state == "complete"
    for file in files:
        file.wrong_sha = False
    click(qtbot, row.download_button)
    qtbot.waitUntil(lambda: row.status.installed is not None, timeout=WAIT)
    assert not row.error.isVisible()


def test_network_gone_mid_download_is_an_inline_error_and_resume_finishes_later(  # noqa: PLR0917
    qtbot: Any,
    make_window: Any,
    tiny_vlm: tuple[Path, Path],
    paths: Any,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.core.downloads.fetch import Downloader

    def library() -> ModelLibrary:  # one quick retry, so the test does not wait for back-off
        return ModelLibrary(
            paths, catalog, downloader_factory=lambda: Downloader(retries=1, retry_delay_s=0.05)
        )

    with hub_server() as (url, gone):
        monkeypatch.setenv("HF_ENDPOINT", url)
        # The server cuts the first body at 256 KiB, and is shut down before that: the
        # automatic resume finds nobody listening.
        serve_tiny(gone, tiny_vlm, piece_delay_s=0.1, close_after=256 * 1024)
        window = make_window()
        window.model_library = library
        manager = open_manager(qtbot, window)
        row = manager.rows[TINY_ID]
        click(qtbot, row.download_button)
        qtbot.waitUntil(lambda: row.bar.maximum() > 0 and row.bar.value() > 0, timeout=WAIT)
    qtbot.waitUntil(row.error.isVisible, timeout=WAIT)
    assert "kept" in row.error.text() and "resumes" in row.error.text()
    qtbot.waitUntil(lambda: row.download_button.text() == "Resume", timeout=WAIT)
    with hub_server() as (url, back):
        monkeypatch.setenv("HF_ENDPOINT", url)
        serve_tiny(back, tiny_vlm)
        click(qtbot, row.download_button)
        qtbot.waitUntil(lambda: row.status.installed is not None, timeout=WAIT)
        assert back.ranges() and not row.error.isVisible()


def test_remove_asks_first_then_deletes_and_the_picker_forgets_it(  # noqa: PLR0917 - fixtures
    qtbot: Any,
    make_window: Any,
    hub: HubState,
    tiny_vlm: tuple[Path, Path],
    paths: Any,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve_tiny(hub, tiny_vlm)
    ModelLibrary(paths, catalog).download(TINY_ID)
    model_id = downloaded_id(paths, tiny_vlm)
    window = make_window()
    assert model_id in window.model_backend
    manager = open_manager(qtbot, window)
    row = manager.rows[TINY_ID]
    assert row.use_button.isVisible() and row.remove_button.isVisible()
    assert not row.download_button.isVisible()
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    click(qtbot, row.remove_button)
    assert asked and "Tiny VLM" in asked[0]
    assert (paths.models_dir / TINY_ID).is_dir()
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    click(qtbot, row.remove_button)
    qtbot.waitUntil(lambda: row.status.installed is None, timeout=WAIT)
    assert not (paths.models_dir / TINY_ID).exists()
    assert "not downloaded" in row.state_line.text() and row.download_button.isVisible()
    qtbot.waitUntil(lambda: model_id not in window.model_backend, timeout=WAIT)


def test_closing_the_manager_or_the_window_mid_download_cancels_without_hanging(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    serve_tiny(hub, tiny_vlm, piece_delay_s=0.2)
    window = make_window()
    manager = open_manager(qtbot, window)
    row = manager.rows[TINY_ID]
    click(qtbot, row.download_button)
    job = manager.jobs[TINY_ID]
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT)
    manager.close()
    assert not job.running  # cancelled and its thread finished
    qtbot.waitUntil(
        lambda: (
            ModelLibrary(paths, manager.library.catalog).partial_bytes(
                manager.library.catalog.get(TINY_ID)
            )
            > 0
        ),
        timeout=WAIT,
    )
    assert open_manager(qtbot, window) is manager  # the same dialog, re-read
    qtbot.waitUntil(lambda: row.download_button.text() == "Resume", timeout=WAIT)
    click(qtbot, row.download_button)
    job = manager.jobs[TINY_ID]
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT)
    window.close()
    assert not job.running


# -- Ollama -----------------------------------------------------------------------------------


@pytest.fixture
def ollama_server(smollm2: Path, tiny_vlm: tuple[Path, Path], tmp_path: Path) -> Iterator[Any]:
    from tests.helpers.ollama_server import build_test_server

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_vlm[0].read_bytes()[:1000])
    llama = LlamaCppBackend(include_embedded=False)
    server = build_test_server(llama, smollm2=smollm2, tiny_vlm=tiny_vlm, broken=broken)
    server.pull_step_s = 0.05
    with server:
        yield server
    llama.close()


def test_ollama_pull_with_progress_then_use_and_delete(
    qtbot: Any, make_window: Any, ollama_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backends.ollama import OllamaBackend
    from tests.helpers.ollama_server import PULLABLE_MODEL, VISION_MODEL

    window = make_window(OllamaBackend(ollama_server.url, timeout=30))
    manager = open_manager(qtbot, window)
    section = manager.ollama
    qtbot.waitUntil(lambda: section.running is True, timeout=WAIT)
    assert VISION_MODEL in [m.id for m in section.models]
    assert "gemma3:4b" in [section.tag.itemText(i) for i in range(section.tag.count())]
    assert names_and_tooltips_missing(manager) == []
    section.tag.setEditText(PULLABLE_MODEL)
    click(qtbot, section.pull_button)  # cancelled half-way first
    qtbot.waitUntil(lambda: section.bar.maximum() > 0 and section.bar.value() > 0, timeout=WAIT)
    click(qtbot, section.cancel_button)
    qtbot.waitUntil(
        lambda: not section.job.running and section.pull_button.isEnabled(), timeout=WAIT
    )
    assert "cancelled" in section.progress_label.text() and not section.error.isVisible()
    assert PULLABLE_MODEL not in window.model_backend
    reports: list[Any] = []
    click(qtbot, section.pull_button)
    section.job.progress.connect(reports.append)
    assert section.bar.isVisible() and section.cancel_button.isVisible()
    qtbot.waitUntil(lambda: PULLABLE_MODEL in window.model_backend, timeout=WAIT)
    assert any(r.fraction is not None and 0 < r.fraction < 1 for r in reports)
    assert any("of" in r.text() for r in reports)
    assert "ready" in section.progress_label.text() and not section.bar.isVisible()
    assert window.model_backend[PULLABLE_MODEL] == "ollama"
    qtbot.waitUntil(lambda: PULLABLE_MODEL in [m.id for m in section.models], timeout=WAIT)

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    section.delete(next(m for m in section.models if m.id == PULLABLE_MODEL))
    qtbot.waitUntil(lambda: PULLABLE_MODEL not in window.model_backend, timeout=WAIT)
    qtbot.waitUntil(lambda: PULLABLE_MODEL not in [m.id for m in section.models], timeout=WAIT)

    section.tag.setEditText("no-such-model:1b")
    click(qtbot, section.pull_button)
    qtbot.waitUntil(section.error.isVisible, timeout=WAIT)
    assert section.error.text()

    line = next(
        w
        for w in section.findChildren(QWidget, "OllamaModel")
        if w.accessibleName() == VISION_MODEL
    )
    use = next(b for b in line.findChildren(QPushButton) if b.text() == "Use")
    click(qtbot, use)
    qtbot.waitUntil(
        lambda: window.model is not None and window.model.id == VISION_MODEL, timeout=WAIT
    )
    assert window.backend.name == "ollama" and not manager.isVisible()


def test_ollama_not_running_is_said_plainly(qtbot: Any, make_window: Any) -> None:
    from backends.ollama import OllamaBackend
    from tests.helpers.ollama_server import refusing_url

    window = make_window(OllamaBackend(refusing_url(), timeout=5))
    manager = open_manager(qtbot, window)
    section = manager.ollama
    qtbot.waitUntil(lambda: section.running is False, timeout=WAIT)
    assert "Ollama is not running" in section.status.text()
    assert "ollama serve" in section.status.text()
    assert not section.pull_button.isVisible()


# -- the first run ----------------------------------------------------------------------------


def test_first_run_offers_the_vision_model_ollama_has(
    qtbot: Any, make_window: Any, ollama_server: Any, paths: Any
) -> None:
    from backends.ollama import OllamaBackend
    from tests.helpers.ollama_server import VISION_MODEL

    window = make_window(OllamaBackend(ollama_server.url, timeout=30))
    card = window.first_run
    qtbot.waitUntil(card.isVisible, timeout=WAIT)
    assert window.chat.empty_state.isVisible()
    assert card.primary.text() == f"Use {VISION_MODEL} (Ollama)"
    assert "Ollama" in card.body.text()
    assert names_and_tooltips_missing(card) == []
    click(qtbot, card.primary)
    assert window.model is not None and window.model.id == VISION_MODEL
    assert window.model_backend[VISION_MODEL] == "ollama"
    assert not card.isVisible()
    assert Settings.load(paths.settings_path).first_run_dismissed is True
    assert "can see images" in window.chat.empty_state.model_line.text()


def test_first_run_without_ollama_offers_smollm2_now_and_one_click_download(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    from backends.ollama import OllamaBackend
    from tests.helpers.ollama_server import refusing_url

    serve_tiny(hub, tiny_vlm, piece_delay_s=0.02)
    window = make_window(OllamaBackend(refusing_url(), timeout=5))
    card = window.first_run
    qtbot.waitUntil(card.isVisible, timeout=WAIT)
    assert window.model is not None and "SmolLM2" in window.model.name
    assert "SmolLM2" in card.body.text() and "cannot see images" in card.body.text()
    assert card.secondary.text() == "Start chatting"
    assert card.primary.text() == "Download Tiny VLM (1 MB) for images"
    assert names_and_tooltips_missing(card) == []
    # "See all models…" looks and behaves like a link (accent colour: tests/qt/test_theme.py).
    assert card.more.objectName() == "LinkButton"
    assert card.more.cursor().shape() == Qt.CursorShape.PointingHandCursor
    reports: list[Any] = []
    click(qtbot, card.primary)
    card.job.progress.connect(reports.append)
    assert card.bar.isVisible() and card.cancel_button.isVisible()
    model_id = downloaded_id(paths, tiny_vlm)
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == model_id, timeout=WAIT)
    assert window.model.capabilities.vision
    assert any(p.fraction is not None and 0 < p.fraction < 1 for p in reports)
    assert not card.isVisible()
    assert Settings.load(paths.settings_path).first_run_dismissed is True
    assert "can see images" in window.chat.empty_state.model_line.text()


def test_first_run_start_chatting_is_remembered_and_chats_hide_it(
    qtbot: Any, make_window: Any, hub: HubState, paths: Any
) -> None:
    window = make_window()
    card = window.first_run
    qtbot.waitUntil(card.isVisible, timeout=WAIT)
    click(qtbot, card.secondary)
    assert not card.isVisible()
    assert window.model is not None and "SmolLM2" in window.model.name
    assert Settings.load(paths.settings_path).first_run_dismissed is True
    assert all(example.isVisible() for example in window.chat.empty_state.examples)
    window.close()
    again = make_window()
    qtbot.wait_until(lambda: again.model is not None, timeout=WAIT)
    again.models_controller.load_models()
    qtbot.waitUntil(lambda: again.stage_label.text().startswith("Ready"), timeout=WAIT)
    assert again.first_run.plan is None and not again.first_run.isVisible()
    again.close()
    Settings(max_tokens=8).save(paths.settings_path)  # not dismissed, but a chat exists
    from desktop_app.core.store.database import Store

    store = Store.open(paths.database_path)
    store.create_conversation(model="x", backend="llama-cpp")
    store.close()
    third = make_window()
    qtbot.waitUntil(lambda: third.stage_label.text().startswith("Ready"), timeout=WAIT)
    assert third.first_run.plan is None and not third.first_run.isVisible()


def test_fit_is_said_in_words_not_colour_alone(qtbot: Any, paths: Any, catalog: Catalog) -> None:
    from desktop_app.core.models.fit import GIB, Resources
    from desktop_app.qt.models.catalog_row import CatalogRow

    library = ModelLibrary(paths, catalog)
    laptop = Resources(total_memory=int(7.6 * GIB), available_memory=int(3.5 * GIB), free_disk=None)
    tight = CatalogRow(library.status("qwen2.5-vl-3b", laptop), recommended=False)
    qtbot.addWidget(tight)
    assert tight.fit_badge.text() == "tight" and tight.fit_badge.property("level") == "tight"
    assert "close other programs" in tight.state_line.text()
    assert "close other programs" in tight.fit_badge.toolTip()
    assert tight.download_button.isEnabled()
    pi = Resources(total_memory=4 * GIB, available_memory=3 * GIB, free_disk=100 * GIB)
    too_big = CatalogRow(library.status("llava-1.5-7b", pi), recommended=False)
    qtbot.addWidget(too_big)
    assert too_big.fit_badge.text() == "will not fit"
    assert "choose a smaller model" in too_big.state_line.text()
    assert not too_big.download_button.isEnabled()
    assert "choose a smaller model" in too_big.download_button.toolTip()


def test_settings_files_from_before_the_first_run_card_still_load(tmp_path: Path) -> None:
    old = tmp_path / "settings.json"
    old.write_text('{"backend": "llama-cpp", "model": "/m.gguf", "schema_version": 1}')
    assert Settings.load(old).first_run_dismissed is False
    assert Settings.load(old).model == "/m.gguf"
    Settings(first_run_dismissed=True).save(old)
    assert Settings.load(old).first_run_dismissed is True


def test_first_run_download_can_be_cancelled_and_resumed_from_the_card(
    qtbot: Any, make_window: Any, hub: HubState, tiny_vlm: tuple[Path, Path], paths: Any
) -> None:
    files = serve_tiny(hub, tiny_vlm, piece_delay_s=0.1)
    window = make_window()
    card = window.first_run
    qtbot.waitUntil(card.isVisible, timeout=WAIT)
    assert not any(example.isVisible() for example in window.chat.empty_state.examples)
    click(qtbot, card.primary)
    qtbot.waitUntil(lambda: card.bar.maximum() > 0 and card.bar.value() > 0, timeout=WAIT)
    assert not card.close_button.isEnabled()  # "Not now" would hide a running download
    click(qtbot, card.cancel_button)
    qtbot.waitUntil(lambda: card.primary.text().startswith("Resume Tiny VLM"), timeout=WAIT)
    assert "kept" in card.progress_label.text() and not card.error.isVisible()
    assert card.isVisible() and window.model is not None and "SmolLM2" in window.model.name
    for file in files:
        file.piece_delay_s = 0.0
    click(qtbot, card.primary)
    model_id = downloaded_id(paths, tiny_vlm)
    qtbot.waitUntil(lambda: window.model is not None and window.model.id == model_id, timeout=WAIT)
    assert hub.ranges() and not card.isVisible()


def test_the_window_opens_without_loading_the_downloader() -> None:
    """httpx and the model library cost ~0.3 s of imports here (more on a Pi): they load when
    the model manager or the first-run card needs them, never at launch."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, desktop_app.qt.main_window; "
        "print(sorted(m for m in ('httpx', 'desktop_app.core.downloads.fetch', "
        "'desktop_app.core.models.library') if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=env,
    )
    assert result.stdout.strip() == "[]"
