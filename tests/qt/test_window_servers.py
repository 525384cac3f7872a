"""Servers in the window: an OpenAI-compatible server chosen in Settings, an Ollama address.

The settings dialog is filled in like a person would (tab, preset list, fields) and the
window is expected to reconnect at once: the server's models appear in the picker, an answer
streams from it, and turning it off removes them again.  The server is the loopback stub
that speaks llama-server's wire format (tests/helpers/openai_stub.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.settings import Settings
from tests.helpers.openai_stub import Script, StubServer
from tests.helpers.window_fixtures import open_window
from tests.qt.test_window import backend, paths, send, wait_idle  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def stub() -> Iterator[StubServer]:
    models = [
        {"id": "vision-on-the-lan", "object": "model", "owned_by": "lab"},
        {"id": "text-on-the-lan", "object": "model", "owned_by": "lab"},
    ]
    with StubServer(models=models) as server:
        yield server


@pytest.fixture
def window(qtbot: Any, paths: Any, backend: LlamaCppBackend) -> Any:  # noqa: F811
    return open_window(qtbot, paths, backend)


def picker_labels(window: Any) -> list[str]:
    combo = window.picker.combo
    return [combo.itemText(i) for i in range(combo.count())]


def test_the_settings_dialog_sets_up_a_server(qtbot: Any, window: Any, stub: StubServer) -> None:
    from desktop_app.qt.settings.dialog import CUSTOM, SettingsDialog

    dialog = SettingsDialog(window.settings, "", str(window.paths.models_dir), window)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(1)
    assert not dialog.server_url.isEnabled()  # "Off" by default
    dialog.server.setCurrentIndex(dialog.server.findData("lm-studio"))
    assert "LM Studio" in dialog.server_note.text()
    assert not dialog.server_url.isEnabled()  # a preset's address is fixed
    dialog.server.setCurrentIndex(dialog.server.findData(CUSTOM))
    assert dialog.server_url.isEnabled()
    qtbot.keyClicks(dialog.server_url, stub.base_url)
    qtbot.keyClicks(dialog.server_vision, "vision-on-the-lan, other")
    updated, _ = dialog.result_settings()
    assert updated.openai_base_url == stub.base_url
    assert updated.openai_preset is None
    assert updated.openai_vision_models == ["vision-on-the-lan", "other"]

    window.apply_settings(updated)
    qtbot.waitUntil(
        lambda: any("vision-on-the-lan" in label for label in picker_labels(window)),
        timeout=20_000,
    )
    labels = picker_labels(window)
    seeing = next(label for label in labels if label.startswith("vision-on-the-lan"))
    assert "server" in seeing and "sees images" in seeing
    assert "text only" in next(label for label in labels if label.startswith("text-on-the-lan"))
    assert any("SmolLM2" in label or "tiny" in label.lower() for label in labels), labels
    # Kept for the next start, without any key in it.
    saved = Settings.load(window.paths.settings_path)
    assert saved.openai_base_url == stub.base_url and saved.openai_api_key is None


def test_an_answer_streams_from_the_server(qtbot: Any, window: Any, stub: StubServer) -> None:
    window.apply_settings(dataclasses.replace(window.settings, openai_base_url=stub.base_url))
    qtbot.waitUntil(lambda: "text-on-the-lan" in window.model_backend, timeout=20_000)
    info = next(m for m in window.models if m.id == "text-on-the-lan")
    window.choose_model(info)
    assert window.backend.name == "openai"
    stub.scripts.append(Script(deltas=("Rome", " is", " the", " capital.")))
    send(qtbot, window, "Capital of Italy?")
    wait_idle(qtbot, window)
    answer = window.store.messages(window.conversation_id)[-1]
    assert answer.text == "Rome is the capital."
    assert stub.chats()[-1].body["model"] == "text-on-the-lan"
    # The conversation records the backend by name only.
    conversation = window.store.conversation(window.conversation_id)
    assert conversation.backend == "openai"


def test_a_server_that_is_not_running_is_a_note_not_a_failure(
    qtbot: Any, window: Any, stub: StubServer
) -> None:
    gone = stub.base_url
    stub.__exit__()
    window.apply_settings(dataclasses.replace(window.settings, openai_base_url=gone))
    qtbot.waitUntil(lambda: "Ready" in window.stage_label.text(), timeout=20_000)
    assert "openai" in window.backends
    assert not any(name == "openai" for name in window.model_backend.values())
    status = window.stage_label.text()
    assert "127.0.0.1" in status, status  # the note names the address it tried
    assert window.model is not None  # the local models are still there


def test_turning_the_server_off_removes_its_models(
    qtbot: Any, window: Any, stub: StubServer
) -> None:
    window.apply_settings(dataclasses.replace(window.settings, openai_base_url=stub.base_url))
    qtbot.waitUntil(lambda: "text-on-the-lan" in window.model_backend, timeout=20_000)
    window.apply_settings(dataclasses.replace(window.settings, openai_base_url=None))
    qtbot.waitUntil(lambda: "text-on-the-lan" not in window.model_backend, timeout=20_000)
    assert "openai" not in window.backends
    assert not any("on-the-lan" in label for label in picker_labels(window))


def test_a_missing_key_variable_is_explained(qtbot: Any, window: Any, stub: StubServer) -> None:
    window.apply_settings(
        dataclasses.replace(
            window.settings,
            openai_base_url=stub.base_url,
            openai_api_key_env="LOCALSIGHT_TEST_NO_SUCH_VARIABLE",
        )
    )
    assert "openai" not in window.backends
    notice = window.composer.notice.text()
    assert "LOCALSIGHT_TEST_NO_SUCH_VARIABLE" in notice and "not set" in notice


def test_changing_the_ollama_address_reconnects(
    qtbot: Any,
    paths: Any,  # noqa: F811
    backend: LlamaCppBackend,  # noqa: F811
) -> None:
    from desktop_app.qt.app import create_window

    win = create_window(paths, backend=backend)  # the real set: llama.cpp and Ollama
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model is not None, timeout=20_000)
    first = win.backends["ollama"]
    win.apply_settings(dataclasses.replace(win.settings, ollama_host="http://127.0.0.1:9"))
    second = win.backends["ollama"]
    assert second is not first
    assert "127.0.0.1:9" in repr(second) or "127.0.0.1:9" in str(getattr(second, "host", ""))
    qtbot.waitUntil(lambda: "Ollama" in win.stage_label.text(), timeout=20_000)
    assert Path(paths.settings_path).is_file()
    qtbot.keyClick(win.composer.edit, Qt.Key.Key_Escape)  # still responsive
