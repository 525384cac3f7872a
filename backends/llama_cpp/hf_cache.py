"""GGUF models already in the user's Hugging Face cache, used where they are.

Anyone who ran ``huggingface-cli download`` or ``hf_hub_download`` for a GGUF repo has the
files in ``<cache>/models--<org>--<name>/snapshots/<revision>/``, as symlinks into
``blobs/`` named by each file's sha256 (its LFS etag).  Listing them lets LocalSight run
those files without a second copy.  The cache folder is found the way ``huggingface_hub``
finds it: ``HF_HUB_CACHE`` (or the older ``HUGGINGFACE_HUB_CACHE``), else ``HF_HOME/hub``,
else ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``.

The cache is read-only here: nothing is written, moved or deleted in it.  Its entries are
looked at with ``stat`` before anything opens them (a snapshot link whose blob was deleted,
a link loop or a named pipe is reported and skipped), and a repo id or file name is joined
to the cache folder only when it cannot leave it (``backends.safe_names``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from backends.base import BackendError
from backends.llama_cpp.discovery import (
    LocalModel,
    SummaryCache,
    _name_score,
    compatible,
    entry_problem,
)
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.messages import message, sentence_of
from backends.safe_names import plain_name_problem

MAX_SNAPSHOT_DEPTH = 3


def hub_cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """The Hugging Face hub cache folder, honouring the same variables as huggingface_hub."""
    env = os.environ if environ is None else environ
    for key in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(key):
            return Path(env[key]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def repo_folder(root: Path, repo: str) -> Path:
    """``org/name`` → ``<root>/models--org--name`` (huggingface_hub's naming)."""
    return root / ("models--" + repo.replace("/", "--"))


def repo_of(folder: Path) -> str:
    """``models--org--name`` → ``org/name``."""
    return folder.name.removeprefix("models--").replace("--", "/")


def _snapshots(repo_dir: Path) -> list[Path]:
    """Snapshot folders, the one ``refs/main`` names first (the newest the user fetched)."""
    snapshots = repo_dir / "snapshots"
    try:
        folders = sorted(p for p in snapshots.iterdir() if p.is_dir())
    except OSError:
        return []
    try:
        main = (repo_dir / "refs" / "main").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        main = ""
    return sorted(folders, key=lambda p: p.name != main)


def _unreadable(folder: Path, error: OSError) -> str:
    """The sentence for a cache folder that could not be listed (the system's reason)."""
    return message(
        "Hugging Face cache {path}: {reason}",
        path=str(folder),
        reason=os.strerror(error.errno or 0),
    )


def _gguf_files(snapshot: Path, problems: list[str]) -> list[Path]:
    """The snapshot's ``.gguf`` files that can be read; each one that cannot is a problem."""
    found: list[Path] = []
    try:
        candidates = sorted(snapshot.rglob("*.gguf"))
    except OSError as error:
        problems.append(_unreadable(snapshot, error))
        return []
    for path in candidates:
        if len(path.relative_to(snapshot).parts) > MAX_SNAPSHOT_DEPTH:
            continue
        problem = entry_problem(path)
        if problem is not None:
            problems.append(
                message(
                    "{path} {problem}; download it again or remove it.",
                    path=str(path),
                    problem=problem,
                )
            )
        elif os.path.lexists(path):
            found.append(path)
    return found


def _safe_repo(repo: str) -> bool:
    """``org/name`` with two plain parts: anything else could leave the cache folder."""
    parts = repo.split("/")
    return len(parts) == 2 and all(plain_name_problem(p) is None for p in parts)


def find_cached_file(root: Path, repo: str, filename: str) -> Path | None:
    """A complete cached copy of ``filename`` from ``repo``, in any snapshot, if there is one.

    ``None`` for a repo or file name that could name something outside the cache (``..``,
    separators): callers pass catalog data, and data is checked where it becomes a path.
    """
    if not _safe_repo(repo) or plain_name_problem(filename) is not None:
        return None
    for snapshot in _snapshots(repo_folder(root, repo)):
        candidate = snapshot / filename
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a snapshot the user may not look into: not a usable copy
            continue
    return None


def _pair(
    model: tuple[Path, GGUFSummary], projectors: list[tuple[Path, GGUFSummary]]
) -> GGUFSummary | None:
    """The projector in the same snapshot folder, by width then by shared file name."""
    path, summary = model
    candidates = [
        (p_path, p)
        for p_path, p in projectors
        if p_path.parent == path.parent and p.has_vision_encoder and compatible(summary, p)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: _name_score(path, c[0]))[1]


def scan_hub_cache(root: Path, cache: SummaryCache) -> tuple[list[LocalModel], list[str]]:
    """Runnable GGUF models in the hub cache; ids are snapshot paths, names the file stems."""
    try:
        if not root.is_dir():
            return [], []
        repos = sorted(p for p in root.glob("models--*") if p.is_dir())
    except OSError as error:
        return [], [_unreadable(root, error)]
    models: list[LocalModel] = []
    problems: list[str] = []
    seen_blobs: set[Path] = set()
    for repo_dir in repos:
        for snapshot in _snapshots(repo_dir):
            entries: list[tuple[Path, GGUFSummary]] = []
            for file in _gguf_files(snapshot, problems):
                try:
                    entries.append((file, cache.get(file)))
                except (BackendError, OSError) as error:
                    problems.append(sentence_of(error))
            projectors = [e for e in entries if e[1].is_projector]
            for path, summary in entries:
                if summary.is_projector or summary.path in seen_blobs:
                    continue
                seen_blobs.add(summary.path)
                projector = _pair((path, summary), projectors)
                models.append(
                    LocalModel(summary, projector, model_id=str(path), file_stem=path.stem)
                )
    return models, problems
