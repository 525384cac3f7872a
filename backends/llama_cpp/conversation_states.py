"""Evaluated conversations kept on disk, so a reopened chat is not read again from the start.

Between turns llama.cpp's context holds the conversation's last prompt (``prefix_cache``).
When that context is about to be lost -- another conversation takes it, the engine has been
idle a few seconds after an answer, the model is unloaded or the app quits -- its sequence
state (``llama_state_seq_get_data``: every KV cell of sequence 0) is written here with the
*keys* that say what it holds (token ids, ``image:<sha256>`` per image chunk) and the logits
of the prompt's last token.  When a prompt arrives that shares a longer prefix with a kept
state than with what the context holds, the state is put back (``ContextCache.restore``) and
only the rest is evaluated: images are neither encoded nor decoded again.

A state is only right for exactly the model file, projector, context settings and llama.cpp
build that made it: all of these form its *scope*, written in the file and compared before
use.  A file of another scope for the same model (the file was touched, a setting or the
build changed), a truncated, foreign or corrupt file is deleted and never read into the
context: a cache can only cost an evaluation, never give a wrong answer.

The folder is bounded in bytes, least recently used first out (a file's mtime is its last
use); a state bigger than a quarter of the budget is not kept (logged once per model).
Writes happen on a background thread through a temporary file and ``os.replace``; a full
disk or a folder that cannot be written turns writes off (logged once).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import struct
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from backends.llama_cpp.cache_folder import delete_files, folder_usage, trim_folder
from backends.llama_cpp.image_embeddings import _passing, build_identity, projector_identity

log = logging.getLogger(__name__)

Key = int | str

#: The default budget: ~100 conversations of a few thousand tokens of a 4B model, or
#: thousands for a 270M one; 0.8 % of a 256 GB laptop disk.
DEFAULT_DISK_BYTES = 2048 * 1024 * 1024

#: The folder under the app's cache folder (beside ``image-embeddings``).
FOLDER_NAME = "conversations"

_MAGIC = b"LSCONVST"
_FORMAT_VERSION = 1
# magic, format version, header (JSON) length, logits length, state length, sha256 of all
# that follows the fixed header
_FIXED = struct.Struct("<8sIIQQ32s")
_SUFFIX = ".state"
#: A header holds the keys: ~8 bytes a token in JSON; 128 k tokens stay far below this.
_MAX_HEADER_BYTES = 16 * 1024 * 1024
#: Snapshots waiting for the disk hold their bytes; past this, new ones are not written.
_MAX_PENDING_BYTES = 512 * 1024 * 1024


def model_scope(
    llama_cpp: ModuleType, llm: Any, model_identity: str, projector: str | None, max_ctx: int
) -> str:
    """Everything besides the keys that decides the bytes of a sequence's state.

    ``model_identity``/``projector``: ``projector_identity`` of the files (taken before
    loading).  ``max_ctx``: the context size the cache may grow to.  The KV cache's types,
    flash attention (V is stored transposed without it), batch sizes (they cut the
    evaluation) and the SWA cache's layout, then the build.
    """
    params = llm.context_params
    return (
        f"model {model_identity}; projector {projector or 'none'}; n_ctx {max_ctx}; "
        f"flash attention {int(params.flash_attn_type)}; kv {int(params.type_k)}/"
        f"{int(params.type_v)}; batch {int(params.n_batch)}/{int(params.n_ubatch)}; "
        f"swa_full {bool(params.swa_full)}; {build_identity(llama_cpp)}"
    )


def file_identity(path: Path) -> str | None:
    """``projector_identity`` of a model file; None when it cannot be looked at."""
    try:
        return projector_identity(path)
    except (OSError, RuntimeError, ValueError):
        return None


@dataclass(slots=True)
class Snapshot:
    """Sequence 0 of a context as it was between turns: its keys and its state's bytes."""

    keys: list[Key]
    n_pos: list[int]
    n_cells: list[int]
    n_past: int
    prompt_keys: int
    logits: bytes | None  # the last prompt's last logits (exact Regenerate), if kept
    state: Any  # a ctypes array or a bytearray: ``llama_state_seq_*_data``'s bytes
    #: ``state`` is the whole context's (``llama_state_*_data``) with one throwaway cell
    #: after the conversation (sliding-window models: ``ContextCache._whole_snapshot``).
    whole: bool = False

    @property
    def nbytes(self) -> int:
        return len(self.state) + len(self.logits or b"")


@dataclass(slots=True)
class _Entry:
    """One file, as the index knows it (its header only)."""

    path: Path
    scope: str
    keys: tuple[Key, ...]
    size: int


def common_prefix(cached: Sequence[Key], wanted: Sequence[Key]) -> int:
    """How many leading keys two sequences share (``prefix_cache`` imports this module)."""
    limit = min(len(cached), len(wanted))
    index = 0
    while index < limit and cached[index] == wanted[index]:
        index += 1
    return index


def _header(scope: str, model: str, snapshot: Snapshot) -> bytes:
    return json.dumps(
        {
            "scope": scope,
            "model": model,
            "keys": snapshot.keys,
            "n_pos": snapshot.n_pos,
            "n_cells": snapshot.n_cells,
            "n_past": snapshot.n_past,
            "prompt_keys": snapshot.prompt_keys,
            "whole": snapshot.whole,
        },
        separators=(",", ":"),
    ).encode("utf-8")


def _read_header(handle: Any) -> tuple[dict[str, Any], int, int, bytes, bytes] | None:
    """(header, logits length, state length, checksum, header bytes), or None: not ours."""
    fixed = handle.read(_FIXED.size)
    if len(fixed) != _FIXED.size:
        return None
    magic, version, header_len, logits_len, state_len, checksum = _FIXED.unpack(fixed)
    if magic != _MAGIC or version != _FORMAT_VERSION or header_len > _MAX_HEADER_BYTES:
        return None
    raw = handle.read(header_len)
    if len(raw) != header_len:
        return None
    try:
        header = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(header.get("keys"), list):
        return None
    return header, logits_len, state_len, checksum, raw


class ConversationStates:
    """The folder of kept states, its budget, and the thread writing to it.

    Thread-safe: the generation thread looks up and asks for writes, the writer thread
    writes and trims.  ``written``, ``restored``, ``discarded`` count files: what tests
    and benchmarks read; ``written_bytes`` the bytes those writes put on disk.
    """

    def __init__(self, folder: Path, *, disk_bytes: int = DEFAULT_DISK_BYTES) -> None:
        self.folder = folder
        self.disk_bytes = max(0, disk_bytes)
        self.written = 0
        self.written_bytes = 0
        self.write_s = 0.0
        self.restored = 0
        self.discarded = 0
        self._writable = disk_bytes > 0
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}
        self._indexed: set[str] = set()  # scopes whose files were read into ``_entries``
        self._too_big: set[str] = set()  # scopes already logged as too big to keep
        self._queue: queue.Queue[tuple[int, str, str, Snapshot]] = queue.Queue()
        self._clears = 0
        self._pending_bytes = 0
        self._writer: threading.Thread | None = None

    @property
    def disk_writable(self) -> bool:
        return self._writable

    # -- the index --------------------------------------------------------------------------

    def index(self, scope: str, model: str) -> None:
        """Read the headers of the folder's files once for this scope (a model load).

        A file of ``model`` under another scope (its file touched, another context size,
        another build) and a file that is not whole are deleted: no later load can use
        them.  Files of other models are left for their own loads (and the LRU trim).
        """
        with self._lock:
            if scope in self._indexed:
                return
            self._indexed.add(scope)
        found: list[_Entry] = []
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            for dir_entry in entries:
                if not dir_entry.name.endswith(_SUFFIX):
                    continue
                path = Path(dir_entry.path)
                entry = self._index_file(path, scope, model)
                if entry is not None:
                    found.append(entry)
        with self._lock:
            for entry in found:
                self._entries[entry.path] = entry

    def _index_file(self, path: Path, scope: str, model: str) -> _Entry | None:
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                read = _read_header(handle)
        except OSError:
            return None
        if read is None:
            self._discard(path, "not a conversation state")
            return None
        header, logits_len, state_len, _, raw = read
        whole = size == _FIXED.size + len(raw) + logits_len + state_len
        if header.get("model") == model and (header.get("scope") != scope or not whole):
            self._discard(path, "made for another model file, setting or build")
            return None
        if header.get("scope") != scope:
            return None
        if not whole:
            self._discard(path, "cut short")
            return None
        return _Entry(path, scope, tuple(header["keys"]), size)

    def _discard(self, path: Path, why: str) -> None:
        self.discarded += 1
        log.info("Discarded a kept conversation state (%s): %s", why, path.name)
        with contextlib.suppress(OSError):
            path.unlink()
        with self._lock:
            self._entries.pop(path, None)

    def best(self, scope: str, keys: Sequence[Key]) -> tuple[Path, int] | None:
        """The kept state sharing the longest prefix with ``keys``, and that length."""
        best: tuple[Path, int] | None = None
        with self._lock:
            # A state still waiting for the disk (size 0) cannot be read yet: offering it
            # would fail the read and forget the entry, and with it the write.
            candidates = [e for e in self._entries.values() if e.scope == scope and e.size]
        for entry in candidates:
            shared = common_prefix(entry.keys, keys)
            if shared and (best is None or shared > best[1]):
                best = (entry.path, shared)
        return best

    def holds(self, scope: str, keys: Sequence[Key]) -> bool:
        """Whether exactly this state is kept already (asked to be, or on disk)."""
        wanted = tuple(keys)
        with self._lock:
            found = [e for e in self._entries.values() if e.scope == scope and e.keys == wanted]
        # Pending (size 0), or still on disk: Settings' Clear empties the folder behind the
        # engine's back, and a cleared conversation must be kept again.
        return any(e.size == 0 or e.path.exists() for e in found)

    # -- reading ----------------------------------------------------------------------------

    def load(self, path: Path, scope: str) -> Snapshot | None:
        """The state in ``path`` if it is whole, intact and of ``scope``; else deleted."""
        try:
            with path.open("rb") as handle:
                read = _read_header(handle)
                if read is None:
                    payload = None
                else:
                    header, logits_len, state_len, checksum, raw = read
                    payload = bytearray(logits_len + state_len)
                    got = handle.readinto(payload)
                    extra = handle.read(1)
        except (OSError, MemoryError):
            with self._lock:
                self._entries.pop(path, None)  # gone (cleared, trimmed by another process)
            return None
        if read is None or payload is None:
            self._discard(path, "not a conversation state")
            return None
        digest = hashlib.sha256(raw)
        digest.update(payload)
        if got != len(payload) or extra or digest.digest() != checksum:
            self._discard(path, "damaged")
            return None
        if header.get("scope") != scope:
            self._discard(path, "made for another model file, setting or build")
            return None
        try:
            snapshot = Snapshot(
                keys=list(header["keys"]),
                n_pos=[int(n) for n in header["n_pos"]],
                n_cells=[int(n) for n in header["n_cells"]],
                n_past=int(header["n_past"]),
                prompt_keys=int(header["prompt_keys"]),
                logits=bytes(payload[:logits_len]) if logits_len else None,
                state=memoryview(payload)[logits_len:],
                whole=bool(header.get("whole", False)),
            )
        except (KeyError, TypeError, ValueError):
            self._discard(path, "damaged")
            return None
        if not (len(snapshot.keys) == len(snapshot.n_pos) == len(snapshot.n_cells)):
            self._discard(path, "damaged")
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # the modification time is the file's last use (LRU)
        self.restored += 1
        return snapshot

    # -- writing ----------------------------------------------------------------------------

    def accepts(self, scope: str, size: int) -> bool:
        """Whether a state of ``size`` bytes would be written: asked before copying one (a
        4B model's long chat is hundreds of MB, not to be copied only to be refused)."""
        if not self._writable:
            return False
        if size > self.disk_bytes // 4:
            if scope not in self._too_big:
                self._too_big.add(scope)
                log.warning(
                    "A conversation of this model is too big (%d MB) to keep on disk within "
                    "a quarter of %d MB; it is read again after a restart.",
                    size // (1024 * 1024),
                    self.disk_bytes // (1024 * 1024),
                )
            return False
        return True

    def put(self, scope: str, model: str, snapshot: Snapshot) -> bool:
        """Write ``snapshot`` soon (never waits for the disk); False when it is not kept:
        writes are off, it is too big for the budget, or the disk is far behind."""
        size = snapshot.nbytes
        if not self.accepts(scope, size):
            return False
        digest = hashlib.sha256(scope.encode("utf-8"))
        digest.update(json.dumps(snapshot.keys).encode("utf-8"))
        path = self.folder / f"{digest.hexdigest()[:40]}{_SUFFIX}"
        with self._lock:
            if self._pending_bytes + size > _MAX_PENDING_BYTES:
                return False
            self._pending_bytes += size
            # Known at once, so the same state is not asked for twice (idle, then quit).
            self._entries[path] = _Entry(path, scope, tuple(snapshot.keys), 0)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="conversation-state-writer", daemon=True
                )
                self._writer.start()
        self._queue.put((self._clears, scope, model, snapshot))
        return True

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every write asked for so far is done (or given up); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.005)
        return False

    def clear(self) -> int:
        """Forget every kept state (Settings' Clear); how many files went."""
        with self._lock:
            self._clears += 1
            self._entries.clear()
        return clear_folder(self.folder)

    def _write_loop(self) -> None:
        while True:
            asked_at, scope, model, snapshot = self._queue.get()
            try:
                if self._writable and asked_at == self._clears:
                    self._write(scope, model, snapshot, asked_at)
            except Exception:  # never expected; the thread must outlive it all the same
                log.exception("Writing a conversation state failed")
            finally:
                with self._lock:
                    self._pending_bytes -= snapshot.nbytes
                self._queue.task_done()

    def _write(self, scope: str, model: str, snapshot: Snapshot, asked_at: int) -> None:
        started = time.perf_counter()
        header = _header(scope, model, snapshot)
        logits = snapshot.logits or b""
        state = memoryview(snapshot.state).cast("B")
        digest = hashlib.sha256(header)
        digest.update(logits)
        digest.update(state)
        fixed = _FIXED.pack(
            _MAGIC, _FORMAT_VERSION, len(header), len(logits), len(state), digest.digest()
        )
        keys = tuple(snapshot.keys)
        path = next(
            (e.path for e in list(self._entries.values()) if e.scope == scope and e.keys == keys),
            None,
        )
        if path is None:
            return  # cleared meanwhile
        temporary: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                for part in (fixed, header, logits, state):
                    handle.write(part)
            if asked_at != self._clears:
                return
            os.replace(temporary, path)
            temporary = None
        except OSError as error:
            with self._lock:
                self._entries.pop(path, None)
            if _passing(error):
                return  # this one file (Windows: another process has it open)
            self._writable = False
            log.warning(
                "Conversations will not be kept on disk in %s (%s); they are read again "
                "after a restart.",
                self.folder,
                error.strerror or error,
            )
            return
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        size = _FIXED.size + len(header) + len(logits) + len(state)
        self.written += 1
        self.written_bytes += size
        self.write_s += time.perf_counter() - started
        with self._lock:
            self._entries[path] = _Entry(path, scope, keys, size)
        self._supersede(scope, keys, path)
        self._trim()

    def _supersede(self, scope: str, keys: tuple[Key, ...], kept: Path) -> None:
        """Delete this scope's states whose keys are a prefix of ``keys``: the new one holds
        all they hold (an earlier turn of the same conversation)."""
        with self._lock:
            older = [
                e.path
                for e in self._entries.values()
                if e.scope == scope
                and e.path != kept
                and len(e.keys) < len(keys)
                and keys[: len(e.keys)] == e.keys
            ]
            for path in older:
                self._entries.pop(path, None)
        for path in older:
            with contextlib.suppress(OSError):
                path.unlink()

    def _trim(self) -> None:
        """Delete the least recently used files beyond the budget, and stale temporaries."""
        for path in trim_folder(self.folder, _SUFFIX, self.disk_bytes):
            with self._lock:
                self._entries.pop(Path(path), None)


@dataclass(frozen=True, slots=True)
class StateCacheSize:
    """Where states are kept and how much they may take: plain values for the engine."""

    folder: Path | None
    disk_bytes: int = DEFAULT_DISK_BYTES

    def make(self) -> ConversationStates | None:
        if self.folder is None or self.disk_bytes <= 0:
            return None
        return ConversationStates(self.folder, disk_bytes=self.disk_bytes)


@dataclass(slots=True)
class ModelStates:
    """The store as one loaded model uses it: its scope, and which keys it last kept."""

    store: ConversationStates
    scope: str
    model: str

    def find(self, keys: Sequence[Key]) -> tuple[Path, int] | None:
        return self.store.best(self.scope, keys)

    def load(self, path: Path) -> Snapshot | None:
        return self.store.load(path, self.scope)

    def keep(self, snapshot: Snapshot) -> bool:
        """Ask for ``snapshot`` to be written, unless it is kept already."""
        if self.store.holds(self.scope, snapshot.keys):
            return False
        return self.store.put(self.scope, self.model, snapshot)


def disk_usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) kept in ``folder``: what Settings shows."""
    return folder_usage(folder, _SUFFIX)


def clear_folder(folder: Path) -> int:
    """Delete every kept state in ``folder`` (Settings' Clear); how many went.  Safe while
    an engine uses the folder: a state gone is only read again."""
    return delete_files(folder, _SUFFIX)
