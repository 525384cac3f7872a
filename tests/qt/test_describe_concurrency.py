"""The window's "Describe each" on the pool engine: images in flight at once on a server.

A fake server backend stands in for Ollama / an OpenAI-compatible server: every request
blocks until the test lets it go, and the backends of one run share a counter of the
requests in flight, so "up to N at once" is observed, not timed.  The real widgets run
(offscreen); the settings' ``describe_concurrency`` decides the number.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from backends.base import (
    CancelToken,
    Capabilities,
    ChatRequest,
    Chunk,
    Done,
    GenerationOptions,
    ModelInfo,
    Stats,
    TextDelta,
    VisionNotSupported,
)
from desktop_app.core.images import ImagePolicy
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.qt.common.theme import current_colors
from desktop_app.qt.controllers.lease import BackendLease
from desktop_app.qt.describe import panel as panel_module
from desktop_app.qt.describe.panel import DescribePanel
from desktop_app.qt.describe.table import COL_TEXT
from desktop_app.qt.settings.dialog import SettingsDialog
from tests.helpers.images import png_bytes

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 20_000
MODEL = ModelInfo("seer", "Seer", capabilities=Capabilities(vision=True))


class Server:
    """What the fake backends of one run share: the gate and the in-flight counter."""

    def __init__(self) -> None:
        self.gate = threading.Semaphore(0)  # one release lets one request answer
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.started = 0
        self.answered = 0
        self.made = 0  # backends made for further slots


class FakeServerBackend:
    """A server-like backend: blocks each request on the gate; a cancel ends it."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self.name = name
        self.closed = False

    def list_models(self) -> list[ModelInfo]:
        return [MODEL]

    def model_info(self, model_id: str) -> ModelInfo:
        return MODEL

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.started += 1
            server.most = max(server.most, server.in_flight)
        try:
            while not server.gate.acquire(timeout=0.01):
                if cancel is not None and cancel.cancelled:
                    yield Done(Stats(), "cancelled")
                    return
            with server.lock:
                server.answered += 1
            yield TextDelta("a picture")
            yield Done(Stats(), "stop")
        finally:
            with server.lock:
                server.in_flight -= 1

    def close(self) -> None:
        self.closed = True


class Host:
    """The main window as the panel sees it (``DescribeHost``)."""

    def __init__(self, backend: FakeServerBackend, settings: Settings, paths: AppPaths) -> None:
        self.colors = current_colors()
        self.model: ModelInfo | None = MODEL
        self.lease = BackendLease()
        self.backend = backend
        self.settings = settings
        self.paths = paths

    def image_policy(self) -> ImagePolicy:
        return ImagePolicy()

    def options(self) -> GenerationOptions:
        return GenerationOptions(max_tokens=8)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    made = []
    for i in range(6):
        path = folder / f"photo{i}.png"
        path.write_bytes(png_bytes((30 * i, 100, 200 - 20 * i), (32, 24)))
        made.append(path)
    return made


def _panel(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    name: str,
    concurrency: int,
) -> tuple[DescribePanel, Server]:
    server = Server()
    made: list[FakeServerBackend] = []

    def make_backend(kind: str, settings: Settings, paths: AppPaths, **_: Any) -> Any:
        assert kind == name
        server.made += 1
        made.append(FakeServerBackend(server, kind))
        return made[-1]

    monkeypatch.setattr(panel_module, "make_backend", make_backend)
    paths = AppPaths(tmp_path / "data", tmp_path / "config", tmp_path / "cache")
    host = Host(FakeServerBackend(server, name), Settings(describe_concurrency=concurrency), paths)
    panel = DescribePanel(host)
    qtbot.addWidget(panel)
    return panel, server


def _states(panel: DescribePanel) -> list[str]:
    items = (panel.table.item(row, COL_TEXT) for row in range(len(panel.table.paths)))
    return [item.text() if item is not None else "" for item in items]


def _wait_ended(qtbot: Any, panel: DescribePanel, timeout: int = WAIT_MS) -> None:
    """The run's thread has ended and the GUI has taken its last signal (rows come first,
    then the end, which gives the lease back)."""
    qtbot.waitUntil(lambda: not panel.busy and panel.host.lease.free_for("chat"), timeout=WAIT_MS)


def _finish(qtbot: Any, panel: DescribePanel, server: Server) -> None:
    for _ in range(len(panel.table.paths)):
        server.gate.release()
    _wait_ended(qtbot, panel)


def test_concurrency_setting_puts_that_many_in_flight_and_each_image_is_one_row(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, images: list[Path]
) -> None:
    panel, server = _panel(qtbot, monkeypatch, tmp_path, name="openai", concurrency=3)
    panel.add_files(images)
    panel.start()
    qtbot.waitUntil(lambda: server.in_flight == 3, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: _states(panel).count("Describing…") == 3, timeout=WAIT_MS)
    _finish(qtbot, panel, server)
    assert server.most == 3
    assert server.made == 2  # the window's own backend plus one per further slot
    rows = panel.table.finished_rows()
    assert sorted(Path(r.path) for r in rows) == sorted(p.absolute() for p in images)
    assert all(r.text == "a picture" and not r.error for r in rows)
    assert not cast(Host, panel.host).backend.closed  # the window's backend still serves the chat
    assert panel.host.lease.free_for("chat")


def test_in_process_llama_cpp_reads_one_at_a_time(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, images: list[Path]
) -> None:
    panel, server = _panel(qtbot, monkeypatch, tmp_path, name="llama-cpp", concurrency=3)
    panel.add_files(images)
    panel.start()
    for answered in range(len(images)):
        qtbot.waitUntil(lambda n=answered: server.started == n + 1, timeout=WAIT_MS)
        assert server.in_flight == 1
        server.gate.release()
    _wait_ended(qtbot, panel)
    assert server.most == 1
    assert server.made == 0
    assert len(panel.table.finished_rows()) == len(images)


def test_stop_mid_run_cancels_in_flight_without_rows_and_start_continues(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, images: list[Path]
) -> None:
    panel, server = _panel(qtbot, monkeypatch, tmp_path, name="ollama", concurrency=3)
    panel.add_files(images)
    panel.start()
    qtbot.waitUntil(lambda: server.in_flight == 3, timeout=WAIT_MS)
    server.gate.release()  # one image answers; a fourth takes its place
    qtbot.waitUntil(lambda: len(panel.table.results) == 1 and server.started == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: server.in_flight == 3, timeout=WAIT_MS)
    panel.stop()
    _wait_ended(qtbot, panel)
    assert server.answered == 1
    assert len(panel.table.results) == 1  # the three cancelled got no row
    assert server.started == 4  # nothing new started after Stop
    assert "Stopped: 1 of 6 done" in panel.progress_label.text()

    panel.start()  # the rest, each once
    _finish(qtbot, panel, server)
    rows = panel.table.finished_rows()
    assert len(rows) == len(images)
    assert len({r.path for r in rows}) == len(images)
    assert server.answered == len(images)


class RefusingBackend(FakeServerBackend):
    """A server whose model cannot see: every request fails the same way."""

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        with self.server.lock:
            self.server.started += 1
        raise VisionNotSupported("seer cannot see images on this server")
        yield  # a generator, like the real backends


def test_a_server_that_fails_every_image_ends_the_run_with_its_error(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, images: list[Path]
) -> None:
    panel, server = _panel(qtbot, monkeypatch, tmp_path, name="openai", concurrency=2)
    cast(Host, panel.host).backend = RefusingBackend(server, "openai")
    monkeypatch.setattr(
        panel_module, "make_backend", lambda kind, *_a, **_k: RefusingBackend(server, kind)
    )
    panel.add_files(images)
    panel.start()
    _wait_ended(qtbot, panel)
    assert "seer cannot see images on this server" in panel.notice.text()
    assert panel.table.results == {}  # no error row: Start tries the images again
    assert panel.host.lease.free_for("chat")


def test_settings_spin_box_saves_images_described_at_once(qtbot: Any, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(), "", "/models")
    qtbot.addWidget(dialog)
    box = dialog.describe_concurrency
    assert box.value() == 1
    assert (box.minimum(), box.maximum()) == (1, 16)
    assert "llama-server -np" in box.toolTip()
    box.setValue(4)
    updated, _prompt = dialog.result_settings()
    assert updated.describe_concurrency == 4
    path = tmp_path / "settings.json"
    updated.save(path)
    assert Settings.load(path).describe_concurrency == 4
    again = SettingsDialog(Settings.load(path), "", "/models")
    qtbot.addWidget(again)
    assert again.describe_concurrency.value() == 4


@pytest.mark.llama_server
def test_real_llama_server_two_slots_describes_each_image_once(
    qtbot: Any, tmp_path: Path, images: list[Path], tiny_vlm: tuple[Path, Path]
) -> None:
    """A real llama-server with ``-np 2`` behind the OpenAI-compatible backend, the tiny
    vision model, two images in flight: six images, six rows, none an error."""
    from backends.openai_compat import OpenAICompatBackend
    from tests.helpers.llama_server import LlamaServer
    from tests.helpers.llama_tools import ensure_tool

    model, mmproj = tiny_vlm
    server = LlamaServer(
        ensure_tool("llama-server"),
        model=model,
        mmproj=mmproj,
        alias="tiny-vlm",
        ctx=4096,
        extra=("-np", "2"),
    ).start()
    try:
        settings = Settings(
            openai_base_url=server.base_url,
            openai_vision_models=["tiny-vlm"],
            describe_concurrency=2,
        )
        backend = OpenAICompatBackend(server.base_url)
        paths = AppPaths(tmp_path / "data", tmp_path / "config", tmp_path / "cache")
        host = Host(backend, settings, paths)  # type: ignore[arg-type]
        host.model = ModelInfo("tiny-vlm", "tiny-vlm", capabilities=Capabilities(vision=True))
        panel = DescribePanel(host)
        qtbot.addWidget(panel)
        panel.add_files(images)
        panel.start()
        _wait_ended(qtbot, panel, timeout=180_000)
        rows = panel.table.finished_rows()
        assert sorted(Path(r.path) for r in rows) == sorted(p.absolute() for p in images)
        assert all(r.text and not r.error for r in rows), [r.error for r in rows]
        backend.close()
    finally:
        server.stop()
