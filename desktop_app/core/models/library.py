"""The catalog's models on this machine: which fit, which are here, download, remove.

This is the Qt-free API behind the window's model manager and first-run screen, and behind
``localsight models catalog|download|remove``:

* ``ModelLibrary.statuses()`` → one ``CatalogStatus`` per catalog entry: the fit badge
  (memory and disk, with the reason), whether the pair is installed and where, bytes of an
  interrupted download kept for resuming, and the Ollama name of the same family if Ollama
  has already pulled it.
* ``ModelLibrary.recommend()`` → the best entry for this machine's memory (first run).
* ``ModelLibrary.download(id, progress=..., cancel=...)`` → blocks on a worker thread,
  reports ``Progress`` (bytes done/total, speed, ETA), returns an ``InstalledPair``;
  raises a ``DownloadError`` subclass whose ``str()`` says what to do.
* ``ModelLibrary.remove(id)`` → deletes LocalSight's own copy (and any partial download),
  never the user's Hugging Face cache or Ollama's store.

Catalog downloads live in ``<models folder>/<id>/``: the llama.cpp backend scans direct
subfolders of the models folder and pairs the model with its projector there, so a finished
download appears in the model picker with vision, without any registration step.  A pair
already complete in the Hugging Face cache is used where it is and not downloaded again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backends.base import CancelToken
from backends.llama_cpp import hf_cache, ollama_store
from backends.messages import message
from desktop_app.core.downloads.errors import NotEnoughSpace, WillNotFit
from desktop_app.core.downloads.fetch import (
    Downloader,
    FileRequest,
    ProgressCallback,
    discard_partial,
    partial_bytes,
)
from desktop_app.core.downloads.verified import VERIFIED_FILENAME, VerifiedRecord
from desktop_app.core.models.catalog import Catalog, CatalogEntry, load_catalog
from desktop_app.core.models.fit import (
    DEFAULT_CONTEXT,
    PairFit,
    Resources,
    free_disk,
    pair_fit,
)
from desktop_app.core.settings import AppPaths

Location = Literal["models folder", "Hugging Face cache"]
# Quality first; the first that this machine's memory can hold is the first-run suggestion.
# Qwen2.5-VL is left out (non-commercial licence), as are moondream2 and LLaVA 1.5 (weaker
# answers for their size).
RECOMMENDATION_ORDER = ("gemma3-4b", "smolvlm2-2.2b", "smolvlm-500m")


@dataclass(frozen=True, slots=True)
class InstalledPair:
    """Both files of a catalog entry, complete, and how to ask the backend for them."""

    entry: CatalogEntry
    model_path: Path
    mmproj_path: Path
    location: Location

    @property
    def model_id(self) -> str:
        """What goes into ``ChatRequest.model`` for the llama.cpp backend."""
        if self.location == "Hugging Face cache":
            return str(self.model_path)
        # realpath, as the backend's scan does: resolve() raises on a link loop (3.11).
        return os.path.realpath(self.model_path)

    @property
    def size(self) -> int:
        return self.model_path.stat().st_size + self.mmproj_path.stat().st_size


@dataclass(frozen=True, slots=True)
class CatalogStatus:
    """One row of the model manager."""

    entry: CatalogEntry
    fit: PairFit
    installed: InstalledPair | None
    partial_bytes: int
    ollama_name: str | None

    @property
    def action(self) -> Literal["use", "resume", "download"]:
        if self.installed is not None:
            return "use"
        return "resume" if self.partial_bytes else "download"


class ModelLibrary:
    """Catalog + this machine. Cheap to create; every method reads the disk afresh."""

    def __init__(
        self,
        paths: AppPaths,
        catalog: Catalog | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        downloader_factory: Callable[[], Downloader] | None = None,
    ) -> None:
        """``environ`` locates the HF cache, Ollama's store and ``HF_ENDPOINT`` (tests)."""
        self.paths = paths
        self.catalog = catalog or load_catalog()
        self._hf_root = hf_cache.hub_cache_root(environ)
        self._ollama_root = ollama_store.store_root(environ)
        endpoint = None if environ is None else environ.get("HF_ENDPOINT")
        self._downloader_factory = downloader_factory or (lambda: Downloader(endpoint=endpoint))

    @property
    def verified(self) -> VerifiedRecord:
        return VerifiedRecord(self.paths.models_dir / VERIFIED_FILENAME)

    def folder(self, entry: CatalogEntry) -> Path:
        return self.paths.models_dir / entry.id

    # -- what is here -----------------------------------------------------------------------

    def installed(self, entry: CatalogEntry) -> InstalledPair | None:
        """The pair in LocalSight's models folder, else complete in the HF cache, else None."""
        folder = self.folder(entry)
        model = folder / entry.model_file.filename
        mmproj = folder / entry.mmproj_file.filename
        if _is_file(model) and _is_file(mmproj):
            return InstalledPair(entry, model, mmproj, "models folder")
        cached_model = hf_cache.find_cached_file(
            self._hf_root, entry.repo, entry.model_file.filename
        )
        cached_mmproj = hf_cache.find_cached_file(
            self._hf_root, entry.repo, entry.mmproj_file.filename
        )
        if cached_model is not None and cached_mmproj is not None:
            return InstalledPair(entry, cached_model, cached_mmproj, "Hugging Face cache")
        return None

    def partial_bytes(self, entry: CatalogEntry) -> int:
        folder = self.folder(entry)
        return sum(
            partial_bytes(folder / f.filename) + self._complete_size(folder / f.filename)
            for f in entry.files
        )

    @staticmethod
    def _complete_size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def ollama_name(self, entry: CatalogEntry) -> str | None:
        """The entry's Ollama tag if Ollama's store has it (runnable in-process by that name)."""
        if entry.ollama_tag is None:
            return None
        found = ollama_store.find_in_store(self._ollama_root, entry.ollama_tag)
        return found.name.short if found is not None else None

    def fit(
        self,
        entry: CatalogEntry,
        resources: Resources | None = None,
        num_ctx: int = DEFAULT_CONTEXT,
    ) -> PairFit:
        """Memory for the pair, and disk for what is still to download, before any download."""
        resources = resources or Resources.probe(self.paths.models_dir)
        to_fetch = 0
        if self.installed(entry) is None:
            to_fetch = max(entry.download_bytes - self.partial_bytes(entry), 0)
        return pair_fit(
            entry.download_bytes, to_fetch, resources, ram_bytes=entry.ram_bytes, num_ctx=num_ctx
        )

    def status(
        self, entry_id: str, resources: Resources | None = None, num_ctx: int = DEFAULT_CONTEXT
    ) -> CatalogStatus:
        entry = self.catalog.get(entry_id)
        resources = resources or Resources.probe(self.paths.models_dir)
        installed = self.installed(entry)
        return CatalogStatus(
            entry=entry,
            fit=self.fit(entry, resources, num_ctx),
            installed=installed,
            partial_bytes=0 if installed else self.partial_bytes(entry),
            ollama_name=self.ollama_name(entry),
        )

    def statuses(
        self, resources: Resources | None = None, num_ctx: int = DEFAULT_CONTEXT
    ) -> list[CatalogStatus]:
        """Every catalog row; probes memory and disk once for all of them."""
        resources = resources or Resources.probe(self.paths.models_dir)
        return [self.status(e.id, resources, num_ctx) for e in self.catalog]

    def recommend(self, resources: Resources | None = None) -> CatalogEntry | None:
        """The first-run suggestion: the best model this machine's memory can hold.

        Judged on the memory verdict only ("fits" or "tight": tight means close programs,
        not "impossible"); ``None`` when even the smallest will not fit.
        """
        resources = resources or Resources.probe(self.paths.models_dir)
        for entry_id in RECOMMENDATION_ORDER:
            entry = self.catalog.get(entry_id)
            memory = pair_fit(entry.download_bytes, 0, resources, ram_bytes=entry.ram_bytes).memory
            if memory.level in ("fits", "tight"):
                return entry
        return None

    # -- changing what is here ----------------------------------------------------------------

    def download(
        self,
        entry_id: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        resources: Resources | None = None,
        ignore_memory: bool = False,
    ) -> InstalledPair:
        """Fetch both files into ``<models>/<id>/`` (resuming, verified) and return the pair.

        Refuses before the first byte when the disk cannot hold the rest
        (``NotEnoughSpace``) or the model cannot run in this machine's memory
        (``WillNotFit``, unless ``ignore_memory``).  Blocks: call it from a worker thread.
        """
        entry = self.catalog.get(entry_id)
        existing = self.installed(entry)
        if existing is not None:
            return existing
        fit = self.fit(entry, resources)
        if fit.disk.level == "too-big":
            raise NotEnoughSpace(
                message("{model} {reason}.", model=entry.name, reason=fit.disk.reason)
            )
        if fit.memory.level == "too-big" and not ignore_memory:
            raise WillNotFit(
                message(
                    "{model} {reason}. Nothing was downloaded. Pick a smaller model, or "
                    "download it anyway (--anyway) to use on another machine.",
                    model=entry.name,
                    reason=fit.memory.reason,
                )
            )
        folder = self.folder(entry)
        requests = [
            FileRequest(entry.repo, entry.revision, f.filename, folder / f.filename, f.sha256)
            for f in entry.files
        ]
        with self._downloader_factory() as downloader:
            downloader.download(
                requests,
                record=self.verified,
                progress=progress,
                cancel=cancel,
                free_disk=free_disk,
            )
        return InstalledPair(
            entry,
            folder / entry.model_file.filename,
            folder / entry.mmproj_file.filename,
            "models folder",
        )

    def remove(self, entry_id: str) -> int:
        """Delete LocalSight's copy of an entry (and partial downloads); bytes freed.

        Files in the Hugging Face cache or Ollama's store belong to those tools and are
        left alone; the verified hashes are kept so a later download is still checked.
        """
        entry = self.catalog.get(entry_id)
        folder = self.folder(entry)
        if not _is_dir(folder):
            return 0
        freed = 0
        record = self.verified
        for file in entry.files:
            path = folder / file.filename
            freed += self._complete_size(path) + partial_bytes(path)
            discard_partial(path)
            if path.is_file():
                path.unlink()
                record.forget_path(path)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: never delete what the user put there
        return freed


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that says False, not raises, for a folder the user may not enter.

    A models folder can hold anything (issue 16): the model manager must still list the
    catalog when one of its folders cannot be looked into.
    """
    try:
        return path.is_file()
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    """``Path.is_dir`` with the same tolerance as ``_is_file``."""
    try:
        return path.is_dir()
    except OSError:
        return False
