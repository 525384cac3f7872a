"""Settings' Clear through a real engine process: the engine's memory tier and the folder.

A kept image is never written again while the engine's memory still holds it (a memory hit
stores nothing), so a file that comes back after Clear, when the same image is read again,
shows that the engine forgot it in memory too, not only on disk.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backends.base import ChatRequest, Done, GenerationOptions, Message, SupportsImageCache
from backends.engine import EngineBackend
from backends.llama_cpp.image_embeddings import (
    Embedding,
    EmbeddingKey,
    ImageCacheSize,
    ImageEmbeddingCache,
)
from desktop_app.core.images import normalize_image
from tests.helpers.images import png_bytes

GREEDY = GenerationOptions(temperature=0.0, max_tokens=4, num_ctx=2048, seed=1, threads=2)
CEILING_S = 60.0  # a ceiling for a background write to land, never a duration relied on


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.emb"))


def wait_for_a_file(folder: Path) -> list[Path]:
    deadline = time.monotonic() + CEILING_S
    while not kept(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    return kept(folder)


def test_clear_without_an_engine_clears_the_folder_and_starts_none(tmp_path: Path) -> None:
    writer = ImageEmbeddingCache(tmp_path)
    writer.put(EmbeddingKey("scope", "0" * 64, 0), Embedding(1, 4, bytes(16)))
    assert writer.flush()
    backend = EngineBackend(include_embedded=False, image_cache=ImageCacheSize(tmp_path))
    try:
        assert isinstance(backend, SupportsImageCache)
        assert backend.clear_image_embeddings() == 1
        assert kept(tmp_path) == [] and backend.pid is None
    finally:
        backend.close()


def test_clear_empties_a_running_engines_memory_and_folder(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    image = normalize_image(png_bytes((30, 120, 200), size=(320, 240)))
    backend = EngineBackend(include_embedded=False, image_cache=ImageCacheSize(tmp_path))
    try:
        model = backend.register(*tiny_vlm).id

        def ask(before: str) -> None:
            # A turn before the image's: the prefix cache cannot reuse the image's tokens
            # from the last answer once it differs (the image may come first in its turn).
            messages = (
                Message("user", before),
                Message("assistant", "Yes."),
                Message("user", "What is this?", (image,)),
            )
            chunks = list(backend.stream_chat(ChatRequest(model, messages, GREEDY)))
            assert isinstance(chunks[-1], Done)

        ask("One.")
        files = wait_for_a_file(tmp_path)
        assert files
        pid = backend.pid
        assert backend.clear_image_embeddings() == len(files)  # counted in the engine
        assert kept(tmp_path) == [] and backend.pid == pid  # the same engine, still up
        ask("Two.")  # another prefix: the image is evaluated again, a miss in memory too
        assert wait_for_a_file(tmp_path)
    finally:
        backend.close()


@pytest.mark.parametrize("name", ["ollama", "openai"])
def test_servers_have_no_image_cache(name: str) -> None:
    from backends.ollama import OllamaBackend
    from backends.openai_compat import OpenAICompatBackend

    backend = (
        OllamaBackend("http://127.0.0.1:9")
        if name == "ollama"
        else OpenAICompatBackend("http://127.0.0.1:9/v1", None)
    )
    try:
        assert not isinstance(backend, SupportsImageCache)
    finally:
        backend.close()
