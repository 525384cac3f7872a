"""Answers read from kept image embeddings are the answers a fresh encode gives (issue 20).

Real llama.cpp, the tiny vision model and the Gemma 3 stand-in (the real Gemma 3 270M with a
synthetic projector of its width), greedy: an answer from the cache -- after the model was
unloaded and loaded again, and from a new backend reading only the disk -- must be token for
token the answer of a backend without any cache, for one image, two images in one message and
images in two turns.  The counts (and the encoder, counted where llama.cpp is called) prove
the cache was what answered.  Damaged files, a disk that fails and a changed projector each
leave the answer exactly as it was.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import ChatRequest, Done, ImageInput, Message
from backends.engine import EngineBackend
from backends.llama_cpp import LlamaCppBackend, image_embeddings
from backends.llama_cpp.image_embeddings import ImageEmbeddingCache
from tests.helpers import vision_chats
from tests.helpers.vision_chats import GREEDY, MODELS, Conversation, conversations, model_pair


@pytest.fixture(scope="module")
def photos() -> tuple[ImageInput, ImageInput]:
    return vision_chats.photos()


@pytest.fixture(scope="module", params=MODELS)
def pair(request: pytest.FixtureRequest, tiny_vlm: tuple[Path, Path]) -> tuple[Path, Path]:
    return model_pair(request.param, tiny_vlm)


def run(
    backend: LlamaCppBackend | EngineBackend, pair: tuple[Path, Path], turns: Conversation
) -> list[str]:
    """Each turn's greedy answer, the conversation growing as the window would send it."""
    model_id = backend.register(*pair).id
    history: list[Message] = []
    answers: list[str] = []
    for text, images in turns:
        history.append(Message("user", text, images))
        request = ChatRequest(model_id, tuple(history), GREEDY)
        chunks = list(backend.stream_chat(request))
        assert isinstance(chunks[-1], Done)
        answer = "".join(getattr(chunk, "text", "") for chunk in chunks[:-1])
        answers.append(answer)
        history.append(Message("assistant", answer))
    return answers


def image_count(turns: Conversation) -> int:
    return sum(len(images) for _, images in turns)


_FRESH: dict[tuple[Path, Path], dict[str, list[str]]] = {}


def fresh(pair: tuple[Path, Path], photos: tuple[ImageInput, ImageInput]) -> dict[str, list[str]]:
    """What a backend without any cache answers, each conversation in a new context (once
    per model pair and test session)."""
    if pair not in _FRESH:
        answers: dict[str, list[str]] = {}
        backend = LlamaCppBackend(include_embedded=False, include_stores=False)
        try:
            for name, turns in conversations(photos).items():
                backend.unload()
                answers[name] = run(backend, pair, turns)
        finally:
            backend.close()
        _FRESH[pair] = answers
    return _FRESH[pair]


@pytest.fixture(scope="module")
def fresh_answers(
    pair: tuple[Path, Path], photos: tuple[ImageInput, ImageInput]
) -> dict[str, list[str]]:
    return fresh(pair, photos)


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call of llama.cpp's image encoder, recorded."""
    from llama_cpp import mtmd_cpp

    calls: list[object] = []
    real = mtmd_cpp.mtmd_encode_chunk

    def counting(ctx: Any, chunk: Any) -> int:
        calls.append(chunk)
        return int(real(ctx, chunk))

    monkeypatch.setattr(mtmd_cpp, "mtmd_encode_chunk", counting)
    return calls


@pytest.fixture
def make_backend() -> Iterator[Callable[[ImageEmbeddingCache | None], LlamaCppBackend]]:
    made: list[LlamaCppBackend] = []

    def make(cache: ImageEmbeddingCache | None) -> LlamaCppBackend:
        backend = LlamaCppBackend(
            include_embedded=False, include_stores=False, image_embeddings=cache
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.mark.parametrize("shape", ["one image", "two images in one message", "images in two turns"])
def test_answers_from_kept_embeddings_equal_a_fresh_encode(  # noqa: PLR0917 - fixtures
    pair: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    fresh_answers: dict[str, list[str]],
    make_backend: Callable[[ImageEmbeddingCache | None], LlamaCppBackend],
    encodes: list[object],
    tmp_path: Path,
    shape: str,
) -> None:
    turns = conversations(photos)[shape]
    images = image_count(turns)
    expected = fresh_answers[shape]

    cache = ImageEmbeddingCache(tmp_path)
    backend = make_backend(cache)
    assert run(backend, pair, turns) == expected  # encodes and keeps
    assert (cache.hits, cache.misses, len(encodes)) == (0, images, images)

    backend.unload()  # a reload: the context is new, the memory tier still holds them
    assert run(backend, pair, turns) == expected
    assert (cache.hits, cache.disk_hits, cache.misses, len(encodes)) == (images, 0, images, images)

    assert cache.flush()
    assert len(list(tmp_path.glob("*.emb"))) == len(set(photos) & {i for _, t in turns for i in t})
    reader = ImageEmbeddingCache(tmp_path)  # another process: only the disk
    assert run(make_backend(reader), pair, turns) == expected
    assert (reader.hits, reader.disk_hits, reader.misses, len(encodes)) == (
        images,
        images,
        0,
        images,
    )


@pytest.mark.parametrize("damage", ["truncated", "foreign", "corrupt"])
def test_a_damaged_file_is_discarded_and_the_answer_unchanged(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[ImageEmbeddingCache | None], LlamaCppBackend],
    tmp_path: Path,
    damage: str,
) -> None:
    pair, fresh_answers = tiny_vlm, fresh(tiny_vlm, photos)  # the store is model-blind
    shape = "two images in one message"
    turns = conversations(photos)[shape]
    writer = ImageEmbeddingCache(tmp_path)
    run(make_backend(writer), pair, turns)
    assert writer.flush()
    first, second = sorted(tmp_path.glob("*.emb"))
    if damage == "truncated":
        first.write_bytes(first.read_bytes()[:-100])
    elif damage == "foreign":  # a whole, valid file, made for the other image
        first.write_bytes(second.read_bytes())
    else:
        raw = bytearray(first.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        first.write_bytes(bytes(raw))

    reader = ImageEmbeddingCache(tmp_path)
    assert run(make_backend(reader), pair, turns) == fresh_answers[shape]
    assert (reader.discarded, reader.hits, reader.misses) == (1, 1, 1)
    assert reader.flush()
    # The damaged file was deleted, and the image encoded again was written anew.
    assert len(list(tmp_path.glob("*.emb"))) == 2


@pytest.mark.parametrize("failure", ["full disk", "folder under a file"])
def test_a_disk_that_fails_leaves_the_answer_and_the_memory_cache(  # noqa: PLR0917 - fixtures
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[ImageEmbeddingCache | None], LlamaCppBackend],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    failure: str,
) -> None:
    pair, fresh_answers = tiny_vlm, fresh(tiny_vlm, photos)  # the store is model-blind
    if failure == "full disk":
        folder = tmp_path / "cache"

        def full(*_args: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(image_embeddings.os, "replace", full)
    else:
        (tmp_path / "file").write_bytes(b"")
        folder = tmp_path / "file" / "image-embeddings"
    shape = "images in two turns"
    turns = conversations(photos)[shape]
    cache = ImageEmbeddingCache(folder)
    backend = make_backend(cache)
    assert run(backend, pair, turns) == fresh_answers[shape]
    assert cache.flush()
    assert not cache.disk_writable
    assert not list(tmp_path.rglob("*.emb")) and not list(tmp_path.rglob("*.tmp"))
    backend.unload()
    assert run(backend, pair, turns) == fresh_answers[shape]
    assert (cache.hits, cache.misses) == (2, 2)


def test_a_changed_projector_file_misses(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[ImageEmbeddingCache | None], LlamaCppBackend],
    tmp_path: Path,
) -> None:
    model = tmp_path / "tiny-vlm.gguf"
    model.symlink_to(tiny_vlm[0])
    projector = tmp_path / "tiny-vlm-mmproj.gguf"
    projector.write_bytes(tiny_vlm[1].read_bytes())
    turns = conversations(photos)["one image"]
    cache = ImageEmbeddingCache(tmp_path / "cache")
    backend = make_backend(cache)
    answer = run(backend, (model, projector), turns)
    assert (cache.hits, cache.misses) == (0, 1)

    later = time.time() + 60
    os.utime(projector, (later, later))  # touched: maybe rewritten with other weights
    backend.unload()
    assert run(backend, (model, projector), turns) == answer
    assert (cache.hits, cache.misses) == (0, 2)

    copy = tmp_path / "copy" / "tiny-vlm-mmproj.gguf"
    copy.parent.mkdir()
    copy.write_bytes(projector.read_bytes())  # another file, same weights
    backend.unload()
    assert run(backend, (model, copy), turns) == answer
    assert (cache.hits, cache.misses) == (0, 3)

    backend.unload()
    assert run(backend, (model, projector), turns) == answer  # the touched file, again
    assert (cache.hits, cache.misses) == (1, 3)


def test_the_app_gives_its_engine_a_disk_cache_that_outlives_it(
    tiny_vlm: tuple[Path, Path], photos: tuple[ImageInput, ImageInput], tmp_path: Path
) -> None:
    """Through the factory, as the window and ``describe`` build it: the engine keeps the
    embeddings in the cache folder, and the next engine (a restart) reads them -- its use of
    a file shows in the file's modification time, the cache's last-use mark."""
    from desktop_app.core.models.factory import make_backend
    from desktop_app.core.settings import Settings, app_paths

    paths = app_paths().ensure()
    folder = paths.cache_dir / image_embeddings.FOLDER_NAME
    turns = conversations(photos)["one image"]
    expected = fresh(tiny_vlm, photos)["one image"]
    # Without kept conversation states: the restarted engine would restore the conversation
    # and need no image at all (tests/integration/test_conversation_states.py).
    settings = Settings(conversation_cache_mb=0)
    for attempt in ("first engine", "restarted engine"):
        engine = make_backend("llama-cpp", settings, paths, isolated=True)
        try:
            assert isinstance(engine, EngineBackend)
            assert run(engine, tiny_vlm, turns) == expected, attempt
        finally:
            engine.close()
        (kept,) = folder.glob("*.emb")
        if attempt == "first engine":
            past = time.time() - 1000
            os.utime(kept, (past, past))
    assert time.time() - kept.stat().st_mtime < 500  # read by the restarted engine

    off = make_backend("llama-cpp", Settings(image_cache_mb=0), paths)
    try:
        assert isinstance(off, LlamaCppBackend) and off.image_embeddings is None
    finally:
        off.close()


@pytest.mark.parametrize("family", ["smolvlm", "qwen2.5-vl"])
def test_tiled_and_mrope_images_from_kept_embeddings_answer_the_same(
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[ImageEmbeddingCache | None], LlamaCppBackend],
    tmp_path: Path,
    family: str,
) -> None:
    """SmolVLM cuts a photo into 13 chunks carrying the same id (each kept as its own part),
    Qwen2.5-VL places its tokens by M-RoPE: both read back exactly.  The same photo twice
    in one message gives each of its parts a second key, never another tile's embeddings."""
    from tests.helpers.family_models import cached_family

    pair = cached_family(family)
    a = photos[0]
    turns: Conversation = [("Are these the same?", (a, a))]
    fresh_backend = make_backend(None)
    expected = run(fresh_backend, pair, turns)
    fresh_backend.close()

    cache = ImageEmbeddingCache(tmp_path)
    backend = make_backend(cache)
    assert run(backend, pair, turns) == expected
    chunks = cache.misses
    assert chunks == (26 if family == "smolvlm" else 2) and cache.hits == 0
    backend.unload()
    assert run(backend, pair, turns) == expected
    assert (cache.hits, cache.misses) == (chunks, chunks)
