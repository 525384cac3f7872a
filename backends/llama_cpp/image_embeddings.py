"""The projector's output per image, kept so an image already seen is never encoded again.

Encoding an image is the expensive half of reading it: seconds for a LLaVA-size projector on
a laptop CPU, tens of seconds on a Raspberry Pi (issue 20), every time the image is new to
the context -- a reopened chat, a regenerate after the model was reloaded, the same
screenshot in another chat, ``describe`` run again with another prompt.  The embeddings it
produces depend only on the projector file, the image's bytes, the few mtmd settings that
change the pixels or the output width, and the llama.cpp build, so they are kept under a
key made of exactly those (``EmbeddingKey``) and fed to the language model instead of
encoding again (``prefix_cache.ContextCache._eval_image``).

Two tiers, both least recently used first out and bounded in bytes:

* memory (default 256 MiB: a conversation's worth of the largest common projector outputs,
  ~27 LLaVA-1.5 images of 9.4 MB, ~100 Gemma 3 images of 2.6 MB, a small share of an
  8 GB machine that is also holding a model);
* a folder on disk (default 1 GiB: ~100 LLaVA-1.5 or ~400 Gemma 3 images, a few days of
  use, 0.4 % of a 256 GB laptop disk), one self-describing file per image
  (``_encode_file``): a truncated, foreign or corrupt file is deleted and never used.

Disk writes go through a temporary file and ``os.replace`` on a background thread, so a
stream never waits for the disk; a full disk or a folder that cannot be written turns the
disk tier's writes off (logged once) and changes nothing else.  Everything here is a cache:
any failure only costs an encode.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import struct
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from backends.llama_cpp.cache_folder import delete_files, folder_usage, trim_folder

log = logging.getLogger(__name__)

#: Defaults sized for an 8 GB machine (see the module docstring).
DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024
DEFAULT_DISK_BYTES = 1024 * 1024 * 1024

#: The folder under the app's cache folder that the app gives the engine.
FOLDER_NAME = "image-embeddings"

_MAGIC = b"LSIMGEMB"
_FORMAT_VERSION = 1
# magic, format version, key length, n_tokens, n_embd, sha256 of the payload
_HEADER = struct.Struct("<8sIIII32s")
_SUFFIX = ".emb"
#: A key is a few hundred bytes; a header claiming more is not one of ours.
_MAX_KEY_BYTES = 4096
#: No projector output comes near this (Qwen2.5-VL at 3584 px: ~16 000 tokens x 3584 x 4
#: = 230 MB); a header claiming more is damaged, and reading it would take the memory.
_MAX_PAYLOAD_BYTES = 512 * 1024 * 1024
#: Writes waiting for the disk hold their bytes; past this, new ones are not written.
_MAX_PENDING_BYTES = 128 * 1024 * 1024


def projector_identity(path: Path) -> str:
    """A hash of the projector file's path, size, modification time and inode.

    Taken *before* the projector is loaded: if the file changes after this, its new
    weights can only be stored under the old identity, which no later load will have.
    Any change to the file (rewritten, replaced, touched) gives another identity, so its
    cached embeddings are simply never found again.
    """
    real = path.resolve()
    info = real.stat()
    text = f"{real}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def build_identity(llama_cpp: ModuleType) -> str:
    """Which llama.cpp computes the embeddings: the binding's version, the CPU code it runs
    (another SIMD variant may round differently) and the byte order of the floats."""
    from backends.llama_cpp import cpu_variants

    variant = cpu_variants.current().variant or "native"
    features = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    return f"llama-cpp-python {llama_cpp.__version__}; {variant}; {features}; {sys.byteorder}"


def projector_scope(llama_cpp: ModuleType, mtmd: ModuleType, llm: Any, identity: str) -> str:
    """Everything besides the image that decides a loaded projector's embeddings.

    mtmd's image token bounds (``image_min_tokens``/``image_max_tokens``: the binding's
    handlers leave the defaults, recorded so a change of default is a change of key), the
    projector's flash attention (the handler copies the model's), the width the language
    model reads (``llama_model_n_embd_inp``) and the build.
    """
    params = mtmd.mtmd_context_params_default()
    flash = int(llm.context_params.flash_attn_type)
    n_embd = int(llama_cpp.llama_model_n_embd_inp(llm._model.model))
    return (
        f"projector {identity}; image tokens {int(params.image_min_tokens)}.."
        f"{int(params.image_max_tokens)}; flash attention {flash}; n_embd_inp {n_embd}; "
        f"{build_identity(llama_cpp)}"
    )


def _passing(error: OSError) -> bool:
    """A write failure that concerns one file, not the folder: on Windows ``os.replace``
    fails with a permission error while another process (the window's engine, a CLI run, a
    virus scanner) has the target open; that must not turn the disk cache off for good, as a
    full disk or a read-only folder does."""
    return isinstance(error, PermissionError) and sys.platform == "win32"


@dataclass(frozen=True, slots=True)
class EmbeddingKey:
    """One image chunk's embeddings under one projector scope.

    ``image`` is the image's sha256 (mtmd's chunk id); ``part`` tells apart the chunks one
    image becomes (SmolVLM's tiles all carry the image's id): its ordinal among the chunks
    with that id in the prompt.  The same image twice in a prompt gets other ordinals the
    second time -- stored twice, never confused, since ordinal k of an image is always the
    same tile.
    """

    scope: str
    image: str
    part: int

    @property
    def text(self) -> str:
        return f"{self.scope}; image {self.image}; part {self.part}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Embedding:
    """``n_tokens`` x ``n_embd`` float32 values, in this machine's byte order."""

    n_tokens: int
    n_embd: int
    data: bytes


def _encode_file(key: EmbeddingKey, embedding: Embedding) -> bytes:
    """The file: a header (magic, format version, key length, shape, the payload's sha256),
    the key's text, the payload.  Everything a reader needs to refuse a file not made for
    the key it looks up, a file cut short, or flipped bits."""
    key_bytes = key.text.encode("utf-8")
    header = _HEADER.pack(
        _MAGIC,
        _FORMAT_VERSION,
        len(key_bytes),
        embedding.n_tokens,
        embedding.n_embd,
        hashlib.sha256(embedding.data).digest(),
    )
    return header + key_bytes + embedding.data


def _decode_file(raw: bytes, key: EmbeddingKey, n_tokens: int, n_embd: int) -> Embedding | None:
    """The embedding in ``raw`` if it is a whole, intact file for ``key`` of that shape."""
    if len(raw) < _HEADER.size:
        return None
    magic, version, key_len, tokens, embd, checksum = _HEADER.unpack_from(raw)
    if magic != _MAGIC or version != _FORMAT_VERSION or (tokens, embd) != (n_tokens, n_embd):
        return None
    start = _HEADER.size + key_len
    if raw[_HEADER.size : start] != key.text.encode("utf-8"):
        return None
    data = raw[start:]
    if len(data) != 4 * n_tokens * n_embd or hashlib.sha256(data).digest() != checksum:
        return None
    return Embedding(n_tokens, n_embd, data)


class ImageEmbeddingCache:
    """Embeddings in memory and under ``folder``, each tier bounded in bytes, LRU.

    Thread-safe: the generation thread looks up and stores, a background thread writes to
    the disk.  ``folder`` None or ``disk_bytes`` 0: memory only; ``memory_bytes`` 0: disk
    only.  ``hits``/``misses`` count image chunks (``disk_hits`` the hits read from disk),
    ``encode_s`` the seconds spent encoding misses: what tests and benchmarks read.
    """

    def __init__(
        self,
        folder: Path | None,
        *,
        disk_bytes: int = DEFAULT_DISK_BYTES,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
    ) -> None:
        self.folder = folder if folder is not None and disk_bytes > 0 else None
        self.disk_bytes = max(0, disk_bytes)
        self.memory_bytes = max(0, memory_bytes)
        self.hits = 0
        self.disk_hits = 0
        self.misses = 0
        self.encode_s = 0.0
        self.discarded = 0  # files refused (and deleted) as truncated, foreign or corrupt
        self._memory: OrderedDict[str, Embedding] = OrderedDict()
        self._memory_used = 0
        self._lock = threading.Lock()
        self._writable = self.folder is not None
        # Each waiting write carries the ``clear`` count it was asked under: a write asked
        # for before a clear is dropped, not written after it.
        self._queue: queue.Queue[tuple[int, EmbeddingKey, Embedding]] = queue.Queue()
        self._clears = 0
        self._pending_bytes = 0
        self._writer: threading.Thread | None = None
        self._touched: set[str] = set()  # files whose mtime a memory hit refreshed

    @property
    def disk_writable(self) -> bool:
        """False once a write failed (a full disk, a folder that cannot be written)."""
        return self._writable

    # -- lookups --------------------------------------------------------------------------

    def get(self, key: EmbeddingKey, n_tokens: int, n_embd: int) -> Embedding | None:
        """The embeddings stored for ``key`` with that shape, from memory or disk; counts a
        hit, or nothing (a miss is counted by ``encoded``, when the caller encodes)."""
        digest = key.digest
        with self._lock:
            found = self._memory.get(digest)
            if found is not None:
                self._memory.move_to_end(digest)
        if found is not None and (found.n_tokens, found.n_embd) == (n_tokens, n_embd):
            self.hits += 1
            self._touch(digest)
            return found
        found = self._read(key, n_tokens, n_embd)
        if found is not None:
            self.hits += 1
            self.disk_hits += 1
            self._remember(digest, found)
        return found

    def _touch(self, digest: str) -> None:
        """Mark the file of a memory hit as used now, once per process: the disk's LRU clock
        is the files' mtime, and an image a long-running engine keeps re-reading from memory
        must not look old on disk and be trimmed first."""
        if self.folder is None or digest in self._touched:
            return
        self._touched.add(digest)
        with contextlib.suppress(OSError):
            os.utime(self._path(digest))

    def _path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{digest}{_SUFFIX}"

    def _read(self, key: EmbeddingKey, n_tokens: int, n_embd: int) -> Embedding | None:
        if self.folder is None:
            return None
        path = self._path(key.digest)
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > _HEADER.size + _MAX_KEY_BYTES + _MAX_PAYLOAD_BYTES:
                    raw = b""
                else:
                    raw = handle.read()
        except OSError:  # missing (the usual miss), unreadable, or the folder is not one
            return None
        found = _decode_file(raw, key, n_tokens, n_embd)
        if found is None:
            self.discarded += 1
            log.info("Discarded a damaged or foreign image embedding file: %s", path.name)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # the modification time is the file's last use (LRU)
        return found

    # -- storing --------------------------------------------------------------------------

    def encoded(self, seconds: float) -> None:
        """Count a miss: an image chunk was encoded, taking ``seconds``."""
        self.misses += 1
        self.encode_s += seconds

    def put(self, key: EmbeddingKey, embedding: Embedding) -> None:
        """Keep ``embedding`` in memory now and on disk soon (never waits for the disk)."""
        self._remember(key.digest, embedding)
        if not self._writable or len(embedding.data) > self.disk_bytes:
            return
        with self._lock:
            if self._pending_bytes + len(embedding.data) > _MAX_PENDING_BYTES:
                return  # the disk is far behind; this one is only kept in memory
            self._pending_bytes += len(embedding.data)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="image-embedding-writer", daemon=True
                )
                self._writer.start()
        self._queue.put((self._clears, key, embedding))

    def _remember(self, digest: str, embedding: Embedding) -> None:
        size = len(embedding.data)
        if size > self.memory_bytes:
            return
        with self._lock:
            previous = self._memory.pop(digest, None)
            if previous is not None:
                self._memory_used -= len(previous.data)
            self._memory[digest] = embedding
            self._memory_used += size
            while self._memory_used > self.memory_bytes:
                _, evicted = self._memory.popitem(last=False)
                self._memory_used -= len(evicted.data)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every write asked for so far is on disk (or given up); for tests,
        benchmarks and a clean close.  False if that took longer than ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.005)
        return False

    def clear_memory(self) -> None:
        """Forget the memory tier (the disk tier stays): what a new process starts with."""
        with self._lock:
            self._memory.clear()
            self._memory_used = 0

    def clear(self) -> int:
        """Forget everything kept, in memory and on disk (Settings' Clear); how many files
        went.  Writes asked for before it are dropped, even one being written (only one
        caught between its last check and its rename lands).  Always safe: a forgotten image
        is encoded again.
        """
        with self._lock:
            self._clears += 1
            self._memory.clear()
            self._memory_used = 0
            self._touched.clear()
        return 0 if self.folder is None else clear_folder(self.folder)

    # -- the writer thread ----------------------------------------------------------------

    def _write_loop(self) -> None:
        """Runs as long as the process (a daemon thread: an engine killed at quit loses at
        most the writes in flight, whose temporaries the next trim sweeps away)."""
        while True:
            asked_at, key, embedding = self._queue.get()
            try:
                if self._writable and asked_at == self._clears:
                    self._write(key, embedding, asked_at)
            except Exception:  # never expected; the thread must outlive it all the same
                log.exception("Writing an image embedding file failed")
            finally:
                with self._lock:
                    self._pending_bytes -= len(embedding.data)
                self._queue.task_done()

    def _write(self, key: EmbeddingKey, embedding: Embedding, asked_at: int = 0) -> None:
        """Write one file; dropped if a ``clear`` came since it was asked for (``asked_at``)."""
        folder = self.folder
        assert folder is not None
        temporary: str | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_encode_file(key, embedding))
            if asked_at != self._clears:
                return  # cleared meanwhile; the temporary goes in ``finally``
            os.replace(temporary, self._path(key.digest))
            temporary = None
        except OSError as error:
            if _passing(error):
                return  # this one file: the next write tries again
            self._writable = False
            log.warning(
                "Image embeddings will not be kept on disk in %s (%s); images are encoded "
                "again after a restart.",
                folder,
                error.strerror or error,
            )
            return
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        self._trim(folder)

    def _trim(self, folder: Path) -> None:
        """Delete the least recently used files beyond the budget, and stale temporaries.

        The folder is listed again each time (a thousand entries at most, on this thread):
        the window's engine and a command may share it, and neither's count is the truth.
        """
        trim_folder(folder, _SUFFIX, self.disk_bytes)


@dataclass(frozen=True, slots=True)
class ImageCacheSize:
    """Where the cache keeps its files and how big it may grow: what the app decides (the
    folder under its cache folder, the disk budget from its settings), as plain values
    that cross to the engine process."""

    folder: Path | None
    disk_bytes: int = DEFAULT_DISK_BYTES
    memory_bytes: int = DEFAULT_MEMORY_BYTES

    def make(self) -> ImageEmbeddingCache | None:
        """The cache; None when both tiers are off."""
        disk = self.folder is not None and self.disk_bytes > 0
        if not disk and self.memory_bytes <= 0:
            return None
        return ImageEmbeddingCache(
            self.folder, disk_bytes=self.disk_bytes, memory_bytes=self.memory_bytes
        )


@dataclass(frozen=True, slots=True)
class ProjectorEmbeddings:
    """The cache as one loaded projector uses it: the store and the key's scope."""

    cache: ImageEmbeddingCache
    scope: str

    def key(self, image_id: str, part: int) -> EmbeddingKey | None:
        """The key of a chunk of the image with id ``image_id`` (its sha256); None for an
        id that is not one (nothing would then tell two images apart)."""
        if len(image_id) != 64 or any(c not in "0123456789abcdef" for c in image_id):
            return None
        return EmbeddingKey(self.scope, image_id, part)


def disk_usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) the cache keeps in ``folder``: what Settings shows beside its budget."""
    return folder_usage(folder, _SUFFIX)


def clear_folder(folder: Path) -> int:
    """Delete every kept embedding file in ``folder`` (Settings' Clear); how many went.

    Always safe, even while an engine uses the folder: a file gone is a miss, and one being
    written lands whole or not at all.  An engine's memory tier keeps what it holds until
    the engine stops or is asked to forget it (``ImageEmbeddingCache.clear``, Settings'
    Clear through ``clear_image_embeddings``).
    """
    return delete_files(folder, _SUFFIX)


def read_chunk_embedding(mtmd: ModuleType, mtmd_ctx: Any, n_tokens: int, n_embd: int) -> bytes:
    """A copy of what ``mtmd_encode_chunk`` just left in the mtmd context."""
    import ctypes

    pointer = mtmd.mtmd_get_output_embd(mtmd_ctx)
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    if not address:
        raise RuntimeError("mtmd returned no embeddings for the image")
    return ctypes.string_at(address, 4 * n_tokens * n_embd)
