"""The model files on this computer, as the model manager lists them (issue 17).

Model → Manage models… showed only the catalog and Ollama: a file added with "Add a model
file…", a GGUF copied into the models folder and the built-in model were nowhere to be
managed.  :func:`local_models` sorts what the llama.cpp backend listed into kinds, and
each kind says what Remove means for it:

* ``builtin``: the model that ships with LocalSight: nothing to remove.
* ``added``: a file the person added by path: Remove takes it off the list (the file is
  theirs and stays where it is).
* ``downloaded``: a catalog model LocalSight downloaded: Remove deletes it, after asking
  (the catalog row's own Remove).
* ``models-folder``: a GGUF in LocalSight's own models folder: Remove deletes it, after
  asking.
* ``elsewhere``: found in an extra models folder or a cache: listed, not removable here
  (the folder setting decides what is looked at).

Qt-free: the manager's widgets (``desktop_app/qt/models/manager.py``) show the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backends.base import ModelInfo

Kind = Literal["builtin", "added", "downloaded", "models-folder", "elsewhere"]

LLAMA_CPP = "llama-cpp"


@dataclass(frozen=True, slots=True)
class LocalModel:
    """One model file of the llama.cpp backend, and what the manager may do with it."""

    model_id: str
    name: str
    kind: Kind
    path: Path | None  # the file, when the id is a path that exists
    size: int | None
    vision: bool
    catalog_id: str | None = None  # for ``downloaded``: the catalog entry it came from

    @property
    def removable(self) -> bool:
        return self.kind in ("added", "downloaded", "models-folder")

    @property
    def deletes_file(self) -> bool:
        """Whether Remove deletes the file (and so must ask first)."""
        return self.kind in ("downloaded", "models-folder")


def _real(path: str | Path) -> str:
    return os.path.realpath(path)


def _inside(path: str, folder: Path) -> bool:
    try:
        return os.path.commonpath([_real(path), _real(folder)]) == _real(folder)
    except ValueError:  # another drive (Windows)
        return False


def local_models(
    models: Iterable[ModelInfo],
    backend_of: Mapping[str, str],
    *,
    added: Iterable[str],
    models_dir: Path,
    builtin_id: str | None,
    downloaded: Mapping[str, str],
) -> list[LocalModel]:
    """The llama.cpp backend's models as the manager lists them, built-in first, then by
    name.  ``added``: the saved ``extra_model_paths``; ``downloaded``: model id → catalog
    entry id of catalog downloads."""
    added_real = {_real(p) for p in added if p.lower().endswith(".gguf")}
    downloaded_real = {_real(k): v for k, v in downloaded.items()}
    builtin_real = _real(builtin_id) if builtin_id else None
    found: list[LocalModel] = []
    for info in models:
        if backend_of.get(info.id) != LLAMA_CPP:
            continue
        real = _real(info.id)
        path = Path(info.id) if os.path.isfile(info.id) else None
        catalog_id = downloaded_real.get(real)
        kind: Kind
        if builtin_real is not None and real == builtin_real:
            kind = "builtin"
        elif catalog_id is not None:
            kind = "downloaded"
        elif real in added_real:
            kind = "added"
        elif path is not None and _inside(info.id, models_dir):
            kind = "models-folder"
        else:
            kind = "elsewhere"
        size = info.size
        if size is None and path is not None:
            try:
                size = path.stat().st_size
            except OSError:
                size = None
        found.append(
            LocalModel(info.id, info.name, kind, path, size, info.capabilities.vision, catalog_id)
        )
    found.sort(key=lambda m: (m.kind != "builtin", m.name.lower()))
    return found


def remove_model_file(model: LocalModel) -> int:
    """Delete a ``models-folder`` file; returns the bytes freed.  Other kinds are refused:
    the caller asks first, and only LocalSight's own folder is ever deleted from."""
    if model.kind != "models-folder" or model.path is None:
        raise ValueError(f"{model.name} is not a file in LocalSight's models folder")
    size = model.path.stat().st_size
    model.path.unlink()
    return size
