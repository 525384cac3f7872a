"""The image-embedding store without llama.cpp: LRU bounds, the file format, failing disks.

Everything it keeps is a cache, so every failure must end in "not found" (an encode), never
in wrong embeddings or an exception reaching the answer.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from backends.llama_cpp import cache_folder, image_embeddings
from backends.llama_cpp.image_embeddings import (
    Embedding,
    EmbeddingKey,
    ImageCacheSize,
    ImageEmbeddingCache,
    ProjectorEmbeddings,
    projector_identity,
)

SCOPE = "projector abc; image tokens -1..-1; flash attention 1; n_embd_inp 4; build"


def key(n: int, scope: str = SCOPE, part: int = 0) -> EmbeddingKey:
    return EmbeddingKey(scope, f"{n:064x}", part)


def embedding(n: int, n_tokens: int = 4, n_embd: int = 4) -> Embedding:
    data = struct.pack(f"<{n_tokens * n_embd}f", *(float(n + i) for i in range(n_tokens * n_embd)))
    return Embedding(n_tokens, n_embd, data)


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.emb"))


def stored_on_disk(folder: Path, n: int) -> ImageEmbeddingCache:
    """A cache that wrote image ``n``, and a new one (empty memory) reading the same folder."""
    writer = ImageEmbeddingCache(folder)
    writer.put(key(n), embedding(n))
    assert writer.flush()
    return ImageEmbeddingCache(folder)


def test_memory_keeps_the_most_recently_used_within_its_budget() -> None:
    size = len(embedding(0).data)  # 64 bytes
    cache = ImageEmbeddingCache(None, memory_bytes=3 * size)
    for n in range(3):
        cache.put(key(n), embedding(n))
    assert cache.get(key(0), 4, 4) == embedding(0)  # 0 is now the most recent
    cache.put(key(3), embedding(3))  # evicts 1, the least recently used
    assert cache.get(key(1), 4, 4) is None
    assert [cache.get(key(n), 4, 4) for n in (0, 2, 3)] == [embedding(n) for n in (0, 2, 3)]
    assert (cache.hits, cache.disk_hits) == (4, 0)


def test_an_embedding_larger_than_the_memory_budget_is_not_kept_in_memory() -> None:
    cache = ImageEmbeddingCache(None, memory_bytes=10)
    cache.put(key(0), embedding(0))
    assert cache.get(key(0), 4, 4) is None


def test_the_disk_keeps_the_most_recently_used_within_its_budget(tmp_path: Path) -> None:
    size = len(image_embeddings._encode_file(key(0), embedding(0)))
    cache = ImageEmbeddingCache(tmp_path, disk_bytes=3 * size, memory_bytes=0)
    for n in range(3):
        cache.put(key(n), embedding(n))
        assert cache.flush()
        past = time.time() - 100 + n  # distinct, increasing last uses
        os.utime(tmp_path / f"{key(n).digest}.emb", (past, past))
    assert cache.get(key(0), 4, 4) == embedding(0)  # a disk hit marks it used now
    cache.put(key(3), embedding(3))
    assert cache.flush()
    assert {p.name for p in files(tmp_path)} == {f"{key(n).digest}.emb" for n in (0, 2, 3)}
    assert cache.get(key(1), 4, 4) is None
    assert (cache.hits, cache.disk_hits) == (1, 1)


def test_a_new_cache_reads_what_another_wrote(tmp_path: Path) -> None:
    reader = stored_on_disk(tmp_path, 7)
    assert reader.get(key(7), 4, 4) == embedding(7)
    assert (reader.hits, reader.disk_hits, reader.discarded) == (1, 1, 0)
    (path,) = files(tmp_path)
    path.unlink()
    assert reader.get(key(7), 4, 4) == embedding(7)  # now from memory


@pytest.mark.parametrize(
    "damage",
    ["truncated", "header only", "empty", "corrupt payload", "bad magic", "newer format"],
)
def test_a_damaged_file_is_discarded_and_deleted(tmp_path: Path, damage: str) -> None:
    reader = stored_on_disk(tmp_path, 1)
    (path,) = files(tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "truncated":
        raw = raw[:-5]
    elif damage == "header only":
        raw = raw[: image_embeddings._HEADER.size]
    elif damage == "empty":
        raw = bytearray()
    elif damage == "corrupt payload":
        raw[-3] ^= 0x40
    elif damage == "bad magic":
        raw[0:8] = b"NOTOURS!"
    else:
        raw[8:12] = struct.pack("<I", 99)
    path.write_bytes(bytes(raw))
    assert reader.get(key(1), 4, 4) is None
    assert reader.discarded == 1 and reader.hits == 0
    assert not path.exists()


def test_a_file_for_another_key_is_never_used(tmp_path: Path) -> None:
    """A file renamed or copied to another key's name (or a digest collision): refused."""
    reader = stored_on_disk(tmp_path, 1)
    (path,) = files(tmp_path)
    other = key(1, scope=SCOPE.replace("abc", "another projector"))
    path.rename(tmp_path / f"{other.digest}.emb")
    assert reader.get(other, 4, 4) is None
    assert reader.discarded == 1
    assert files(tmp_path) == []


def test_a_file_of_another_shape_is_never_used(tmp_path: Path) -> None:
    reader = stored_on_disk(tmp_path, 1)
    assert reader.get(key(1), 2, 8) is None  # same bytes, another shape: not this chunk's
    assert reader.discarded == 1


def test_a_full_disk_turns_disk_writes_off_once_and_memory_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(image_embeddings.os, "replace", full)
    cache = ImageEmbeddingCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger=image_embeddings.__name__):
        for n in range(3):
            cache.put(key(n), embedding(n))
            assert cache.flush()
    assert not cache.disk_writable
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "No space left" in warnings[0].getMessage()
    assert list(tmp_path.iterdir()) == []  # no temporary left behind
    assert [cache.get(key(n), 4, 4) for n in range(3)] == [embedding(n) for n in range(3)]


def test_a_folder_that_cannot_be_made_means_memory_only(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    cache = ImageEmbeddingCache(blocker / "image-embeddings")
    cache.put(key(0), embedding(0))
    assert cache.flush()
    assert not cache.disk_writable
    assert cache.get(key(0), 4, 4) == embedding(0)
    assert ImageEmbeddingCache(blocker / "image-embeddings").get(key(0), 4, 4) is None


def test_an_unwritable_folder_means_memory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission bits do not stop root (the test machines), so the refusal is simulated."""

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(image_embeddings.tempfile, "mkstemp", refused)
    cache = ImageEmbeddingCache(tmp_path)
    cache.put(key(0), embedding(0))
    assert cache.flush()
    assert not cache.disk_writable
    assert cache.get(key(0), 4, 4) == embedding(0)


def test_stale_temporaries_are_swept_and_fresh_ones_kept(tmp_path: Path) -> None:
    stale, fresh = tmp_path / ".old.tmp", tmp_path / ".new.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    past = time.time() - 2 * cache_folder.STALE_TEMP_S
    os.utime(stale, (past, past))
    cache = ImageEmbeddingCache(tmp_path)
    cache.put(key(0), embedding(0))
    assert cache.flush()
    assert not stale.exists() and fresh.exists()


def test_only_a_sha256_names_an_image() -> None:
    cache = ProjectorEmbeddings(ImageEmbeddingCache(None), SCOPE)
    assert cache.key("a" * 64, 0) is not None
    assert cache.key("", 0) is None
    assert cache.key("image_1", 0) is None
    assert cache.key("A" * 64, 0) is None


def test_tiles_of_one_image_have_keys_of_their_own() -> None:
    assert key(1, part=0).digest != key(1, part=1).digest


def test_the_projector_identity_changes_with_the_file(tmp_path: Path) -> None:
    projector = tmp_path / "mmproj.gguf"
    projector.write_bytes(b"weights")
    first = projector_identity(projector)
    assert projector_identity(projector) == first
    later = time.time() + 10
    os.utime(projector, (later, later))
    touched = projector_identity(projector)
    assert touched != first
    replacement = tmp_path / "other.gguf"
    replacement.write_bytes(b"weights")
    os.utime(replacement, (later, later))
    os.replace(replacement, projector)  # same name, size and time: another inode
    assert projector_identity(projector) != touched


def test_sizes_that_turn_the_cache_off() -> None:
    assert ImageCacheSize(None, disk_bytes=0, memory_bytes=0).make() is None
    memory_only = ImageCacheSize(None).make()
    assert memory_only is not None and memory_only.folder is None
    disk_only = ImageCacheSize(Path("x"), memory_bytes=0).make()
    assert disk_only is not None and disk_only.folder == Path("x")


def test_usage_and_clear_for_the_settings_page(tmp_path: Path) -> None:
    cache = ImageEmbeddingCache(tmp_path)
    for n in range(3):
        cache.put(key(n), embedding(n))
    assert cache.flush()
    (tmp_path / "unrelated.txt").write_text("kept")
    size = len(image_embeddings._encode_file(key(0), embedding(0)))
    assert image_embeddings.disk_usage(tmp_path) == (3, 3 * size)
    assert image_embeddings.clear_folder(tmp_path) == 3
    assert image_embeddings.disk_usage(tmp_path) == (0, 0)
    assert (tmp_path / "unrelated.txt").exists()
    assert image_embeddings.disk_usage(tmp_path / "missing") == (0, 0)
    assert image_embeddings.clear_folder(tmp_path / "missing") == 0


def test_a_file_held_open_on_windows_skips_one_write_not_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows ``os.replace`` fails while another process (the window's engine, a CLI
    run, a virus scanner) has the target open: that one file is skipped, and the next write
    still reaches the disk (a full disk turns writes off; this must not)."""
    real_replace = os.replace
    held = {"count": 1}

    def replace_once_refused(source: str, target: str) -> None:
        if held["count"]:
            held["count"] -= 1
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        real_replace(source, target)

    monkeypatch.setattr(image_embeddings.sys, "platform", "win32")
    monkeypatch.setattr(image_embeddings.os, "replace", replace_once_refused)
    cache = ImageEmbeddingCache(tmp_path)
    cache.put(key(0), embedding(0))
    assert cache.flush()
    cache.put(key(1), embedding(1))
    assert cache.flush()
    assert cache.disk_writable
    assert len(files(tmp_path)) == 1 and not list(tmp_path.glob("*.tmp"))
    assert ImageEmbeddingCache(tmp_path).get(key(1), 4, 4) == embedding(1)


def test_a_memory_hit_marks_the_file_used(tmp_path: Path) -> None:
    """The disk's LRU clock is the files' mtime: an image served from memory all day must
    not look old on disk and be the first one trimmed."""
    cache = ImageEmbeddingCache(tmp_path)
    cache.put(key(0), embedding(0))
    assert cache.flush()
    (path,) = files(tmp_path)
    old = time.time() - 3600
    os.utime(path, (old, old))
    assert cache.get(key(0), 4, 4) == embedding(0)  # from memory
    assert path.stat().st_mtime > old + 3000


def test_a_projector_path_that_loops_means_no_cache_not_a_failed_load(tmp_path: Path) -> None:
    from backends.llama_cpp.backend import LlamaCppBackend

    loop = tmp_path / "loop.gguf"
    loop.symlink_to(loop)
    backend = LlamaCppBackend(
        model_dirs=[tmp_path], include_embedded=False, image_embeddings=ImageEmbeddingCache(None)
    )
    try:
        assert backend._projector_identity(str(loop)) is None
    finally:
        backend.close()


def test_clear_empties_memory_and_disk_and_drops_waiting_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings' Clear: nothing stays, in memory or on disk, and a write asked for before
    the clear does not land after it."""
    cache = ImageEmbeddingCache(tmp_path)
    for n in range(3):
        cache.put(key(n), embedding(n))
    assert cache.flush()
    (tmp_path / "unrelated.txt").write_text("kept")
    entered, gate = threading.Event(), threading.Event()
    real_write = cache._write

    def held_write(*args: Any) -> None:
        entered.set()
        gate.wait(5)
        real_write(*args)

    monkeypatch.setattr(cache, "_write", held_write)
    cache.put(key(7), embedding(7))  # reaches the writer, which waits at the gate
    assert entered.wait(5)
    cache.put(key(8), embedding(8))  # still waiting in the queue when the clear comes
    assert cache.clear() == 3
    gate.set()
    assert cache.flush()
    assert files(tmp_path) == []
    assert all(cache.get(key(n), 4, 4) is None for n in (0, 1, 2, 7, 8))
    assert not list(tmp_path.glob("*.tmp"))
    assert (tmp_path / "unrelated.txt").exists()
    monkeypatch.setattr(cache, "_write", real_write)
    cache.put(key(9), embedding(9))  # after a clear the cache goes on as before
    assert cache.flush() and len(files(tmp_path)) == 1
    assert ImageEmbeddingCache(tmp_path).get(key(9), 4, 4) == embedding(9)


def test_clear_with_memory_only_removes_no_files(tmp_path: Path) -> None:
    cache = ImageEmbeddingCache(None)
    cache.put(key(0), embedding(0))
    assert cache.clear() == 0 and cache.get(key(0), 4, 4) is None


def test_the_llama_cpp_backend_clears_its_cache_and_says_it_can(tmp_path: Path) -> None:
    from backends.base import SupportsImageCache
    from backends.llama_cpp.backend import LlamaCppBackend

    cache = ImageEmbeddingCache(tmp_path)
    cache.put(key(0), embedding(0))
    assert cache.flush()
    backend = LlamaCppBackend(model_dirs=[tmp_path], include_embedded=False, image_embeddings=cache)
    off = LlamaCppBackend(model_dirs=[tmp_path], include_embedded=False)
    try:
        assert isinstance(backend, SupportsImageCache)
        assert backend.clear_image_embeddings() == 1
        assert cache.get(key(0), 4, 4) is None and files(tmp_path) == []
        assert off.clear_image_embeddings() == 0
    finally:
        backend.close()
        off.close()


def test_the_window_names_the_folder_the_backends_use() -> None:
    from desktop_app.core.models import image_cache

    assert image_cache.FOLDER_NAME == image_embeddings.FOLDER_NAME
