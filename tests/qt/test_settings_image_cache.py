"""Settings → Chat → Image cache: the disk budget, what the cache keeps now, and Clear.

Real widgets (offscreen), real cache files written by ``ImageEmbeddingCache`` in the test's
app folders, and a real ``LlamaCppBackend`` whose memory tier Clear must empty as well.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.image_embeddings import Embedding, EmbeddingKey, ImageEmbeddingCache
from desktop_app.core.models.image_cache import ImageCache, image_cache_folder
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.qt.models.transfers import format_bytes
from desktop_app.qt.settings.dialog import SettingsDialog
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.window_fixtures import open_window

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 5_000  # a ceiling for state to arrive, never a duration anything depends on
SCOPE = "projector abc; image tokens -1..-1; flash attention 1; n_embd_inp 8; build"


def key(n: int) -> EmbeddingKey:
    return EmbeddingKey(SCOPE, f"{n:064x}", 0)


def embedding(n: int) -> Embedding:
    return Embedding(16, 8, struct.pack("<128f", *(float(n + i) for i in range(128))))


def fill(folder: Path, count: int) -> tuple[ImageEmbeddingCache, int]:
    """``count`` images kept on disk (and in the returned cache's memory); their bytes."""
    cache = ImageEmbeddingCache(folder)
    for n in range(count):
        cache.put(key(n), embedding(n))
    assert cache.flush()
    return cache, sum(p.stat().st_size for p in folder.glob("*.emb"))


@pytest.fixture
def backend(paths: AppPaths) -> Iterator[LlamaCppBackend]:
    """The in-process llama.cpp backend with a cache on the app's folder (no model needed:
    the cache is what Clear talks to)."""
    cache, _ = fill(image_cache_folder(paths), 3)
    backend = LlamaCppBackend(
        model_dirs=[paths.models_dir], include_embedded=False, image_embeddings=cache
    )
    yield backend
    backend.close()


def test_the_group_shows_the_usage_and_clear_empties_disk_and_memory(
    qtbot: Any, paths: AppPaths, backend: LlamaCppBackend
) -> None:
    folder = image_cache_folder(paths)
    size = sum(p.stat().st_size for p in folder.glob("*.emb"))
    cache = backend.image_embeddings
    assert cache is not None and cache.get(key(0), 16, 8) is not None  # in memory now
    dialog = SettingsDialog(
        Settings(), "", str(paths.models_dir), image_cache=ImageCache(folder, (backend,))
    )
    qtbot.addWidget(dialog)
    assert dialog.image_cache_usage.text() == f"Using {format_bytes(size)} in 3 images."
    assert dialog.image_cache_mb.value() == 1024
    group = dialog.image_cache_mb.parentWidget()
    assert group is not None and "always safe" in group.toolTip()
    assert "next time LocalSight starts" in dialog.image_cache_mb.toolTip()

    dialog.image_cache_clear.click()
    assert not dialog.image_cache_clear.isEnabled()  # until the worker answers
    qtbot.waitUntil(lambda: "Cleared" in dialog.image_cache_usage.text(), timeout=WAIT_MS)
    assert dialog.image_cache_usage.text() == f"Cleared; {format_bytes(size)} freed. Empty."
    assert dialog.image_cache_clear.isEnabled()
    assert not list(folder.glob("*.emb"))
    # The memory tier went too: the next look-up is a miss, from memory and from disk.
    assert cache.get(key(0), 16, 8) is None and cache._memory_used == 0


def test_clear_asks_the_backends_off_the_gui_thread_and_clears_the_folder_for_any_backend(
    qtbot: Any, paths: AppPaths
) -> None:
    """With Ollama or an OpenAI-compatible server chosen (no image cache of their own), Clear
    still empties the folder; a backend that has one is asked on a worker thread."""
    folder = image_cache_folder(paths)
    fill(folder, 2)
    asked: list[threading.Thread] = []

    class Engine(ScriptedBackend):
        def clear_image_embeddings(self) -> int:
            asked.append(threading.current_thread())
            return 0

    dialog = SettingsDialog(
        Settings(),
        "",
        str(paths.models_dir),
        image_cache=ImageCache(folder, (ScriptedBackend(), Engine())),
    )
    qtbot.addWidget(dialog)
    dialog.image_cache_clear.click()
    qtbot.waitUntil(lambda: dialog.image_cache_usage.text().endswith("Empty."), timeout=WAIT_MS)
    assert asked and asked[0] is not threading.main_thread()
    assert not list(folder.glob("*.emb"))


def test_zero_shows_off_and_ok_saves_the_budget(qtbot: Any, paths: AppPaths) -> None:
    dialog = SettingsDialog(Settings(image_cache_mb=0), "", str(paths.models_dir))
    qtbot.addWidget(dialog)
    assert dialog.image_cache_mb.text() == "Off"
    assert dialog.image_cache_usage.text() == "Empty. The cache is off."
    assert (dialog.image_cache_mb.minimum(), dialog.image_cache_mb.maximum()) == (0, 102400)
    dialog.image_cache_mb.setValue(256)
    assert dialog.image_cache_mb.text() == "256 MB"
    assert dialog.image_cache_usage.text() == "Empty."
    assert dialog.result_settings()[0].image_cache_mb == 256


def test_the_window_saves_the_budget_and_gives_clear_its_backends(
    qtbot: Any, paths: AppPaths
) -> None:
    """Through the window: OK stores ``image_cache_mb`` in settings.json; the dialog it opens
    reads the app's cache folder."""
    _, size = fill(image_cache_folder(paths), 2)
    window = open_window(qtbot, paths, ScriptedBackend())
    seen: list[str] = []

    def press_ok() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(50, press_ok)  # not shown yet
            return
        seen.append(dialog.image_cache_usage.text())
        dialog.image_cache_mb.setValue(2048)
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, press_ok)
    window.settings_button.click()
    assert seen == [f"Using {format_bytes(size)} in 2 images."]
    assert window.settings.image_cache_mb == 2048
    assert Settings.load(paths.settings_path).image_cache_mb == 2048


def test_conversations_kept_on_disk_show_in_the_usage_and_clear_empties_both_folders(
    qtbot: Any, paths: AppPaths
) -> None:
    """The second spin box saves ``conversation_cache_mb``; the usage line counts the kept
    conversations too, and Clear deletes them with the images (files only: no engine holds
    a conversation's state in memory for this)."""
    from backends.llama_cpp.conversation_states import ConversationStates, Snapshot
    from desktop_app.core.models.image_cache import conversation_cache_folder

    images = image_cache_folder(paths)
    _, image_bytes = fill(images, 2)
    conversations = conversation_cache_folder(paths)
    store = ConversationStates(conversations)
    for n in range(3):
        state = Snapshot([n, n + 1], [1, 1], [1, 1], 2, 2, None, bytearray(2000))
        assert store.put("scope", "/models/a.gguf", state)
    assert store.flush()
    state_bytes = sum(p.stat().st_size for p in conversations.glob("*.state"))

    dialog = SettingsDialog(
        Settings(conversation_cache_mb=512),
        "",
        str(paths.models_dir),
        image_cache=ImageCache(images, (), conversations),
    )
    qtbot.addWidget(dialog)
    assert dialog.conversation_cache_mb.value() == 512
    assert dialog.image_cache_usage.text() == (
        f"Using {format_bytes(image_bytes)} in 2 images. "
        f"Conversations: {format_bytes(state_bytes)} in 3 files."
    )
    assert "next time LocalSight starts" in dialog.conversation_cache_mb.toolTip()
    dialog.conversation_cache_mb.setValue(0)
    assert dialog.conversation_cache_mb.text() == "Off"
    assert dialog.result_settings()[0].conversation_cache_mb == 0

    dialog.image_cache_clear.click()
    qtbot.waitUntil(lambda: "Cleared" in dialog.image_cache_usage.text(), timeout=WAIT_MS)
    freed = format_bytes(image_bytes + state_bytes)
    assert dialog.image_cache_usage.text() == f"Cleared; {freed} freed. Empty."
    assert not list(images.glob("*.emb")) and not list(conversations.glob("*.state"))
