"""``localsight models catalog|download|remove``, and ``models list`` across every backend.

* ``catalog``: the recommended vision models with a fit verdict for this machine (memory
  and disk, and why), and whether each is installed, half-downloaded or already in Ollama.
* ``download ID``: both files of the pair, resumable, sha256-verified; progress on stderr
  (bar, percent, MB, speed, ETA: ``desktop_app.cli.progress``).  Ctrl-C keeps what was
  fetched: the same command resumes.
* ``remove ID``: deletes LocalSight's copy; never files in the HF cache or Ollama's store.
* ``list`` without ``--backend``/``--host``: every model LocalSight can run — in-process
  GGUFs (models folder, added paths, HF cache, Ollama's store) and, if Ollama is running,
  its server's models — with capabilities, size and where each lives.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from backends.base import BackendError, CancelToken, ModelInfo, backend_problems
from backends.messages import sentence_of
from desktop_app.cli.common import EXIT_INTERRUPTED, EXIT_OK, CliError, load_settings
from desktop_app.cli.i18n import clip, pad, shown, tr
from desktop_app.cli.progress import TransferProgress, download_format
from desktop_app.core.downloads.errors import DownloadError
from desktop_app.core.models.catalog import CatalogError
from desktop_app.core.models.factory import make_backend
from desktop_app.core.models.fit import DEFAULT_CONTEXT, GIB, Resources
from desktop_app.core.settings import AppPaths

if TYPE_CHECKING:  # httpx and the GGUF readers load only when a catalog action runs
    from desktop_app.core.downloads.fetch import Progress
    from desktop_app.core.models.library import CatalogStatus, ModelLibrary

CATALOG_ACTIONS = ("catalog", "download", "remove")
_BACKEND_CHOICES = ("backend", "host", "base_url", "preset")


def add_catalog_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``catalog``, ``download`` and ``remove`` on the ``models`` sub-actions."""
    catalog = actions.add_parser(
        "catalog", help=tr("recommended vision models, whether they fit this machine")
    )
    catalog.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    catalog.add_argument(
        "--ctx", type=int, default=None, help=tr("context size to judge memory for (tokens)")
    )
    download = actions.add_parser(
        "download", help=tr("download a catalog model (both files), resumable and verified")
    )
    download.add_argument("id", metavar="ID", help=tr("a catalog id, e.g. smolvlm-500m"))
    download.add_argument(
        "--anyway",
        action="store_true",
        help=tr("download even if it will not fit this machine's memory"),
    )
    remove = actions.add_parser("remove", help=tr("delete a downloaded catalog model"))
    remove.add_argument("id", metavar="ID")


def wants_every_backend(args: argparse.Namespace, action: str) -> bool:
    """Plain ``models list``: no backend or address was chosen, so show them all."""
    return action == "list" and not any(getattr(args, k, None) for k in _BACKEND_CHOICES)


def run_catalog_action(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    """Run ``catalog``/``download``/``remove``/every-backend ``list``; errors as ``CliError``."""
    action = getattr(args, "models_action", None) or "list"
    as_json = bool(getattr(args, "json", False))
    try:
        if action == "list":
            return list_every_backend(paths, as_json, out, err)
        from desktop_app.core.models.library import ModelLibrary

        library = ModelLibrary(paths)
        if action == "catalog":
            return show_catalog(library, as_json, args.ctx, out)
        if action == "download":
            return download(library, args.id, bool(args.anyway), out, err)
        return remove(library, args.id, out)
    except (CatalogError, DownloadError) as error:
        raise CliError(sentence_of(error)) from None


# -- catalog --------------------------------------------------------------------------------


def _gb(value: int) -> str:
    return f"{value / 1e9:.1f} GB"


def _mb(value: int) -> str:
    return f"{value / 1e6:,.0f} MB"


def _location(where: str) -> str:
    """A place a model lives, as a table shows it (``--json`` keeps the English key)."""
    return {
        "models folder": tr("models folder"),
        "Hugging Face cache": tr("Hugging Face cache"),
        "Ollama store": tr("Ollama store"),
        "Ollama server": tr("Ollama server"),
        "built in": tr("built in"),
        "added by path": tr("added by path"),
    }.get(where, where)


def _capabilities(names: list[str]) -> str:
    """What a model can do, as a table shows it: "vision,tools", or "text" for none."""
    shown_names = {
        "vision": tr("vision"),
        "thinking": tr("thinking"),
        "tools": tr("tools"),
    }
    return ",".join(shown_names.get(n, n) for n in names) or tr("text")


def _state(status: CatalogStatus) -> str:
    if status.installed is not None:
        return tr("installed ({location})", location=_location(status.installed.location))
    if status.partial_bytes:
        return tr("{size} downloaded, resumable", size=_mb(status.partial_bytes))
    if status.ollama_name:
        return tr("not downloaded; Ollama has {name} (runs in-process)", name=status.ollama_name)
    return tr("not downloaded")


def show_catalog(library: ModelLibrary, as_json: bool, ctx: int | None, out: TextIO) -> int:
    resources = Resources.probe(library.paths.models_dir)
    statuses = library.statuses(resources, ctx or DEFAULT_CONTEXT)
    recommended = library.recommend(resources)
    if as_json:
        rows = [
            {
                "id": s.entry.id,
                "name": s.entry.name,
                "repo": s.entry.repo,
                "files": [f.filename for f in s.entry.files],
                "download_bytes": s.entry.download_bytes,
                "ram_bytes": s.entry.ram_bytes,
                "fit": s.fit.level,
                "memory_fit": s.fit.memory.level,
                "disk_fit": s.fit.disk.level,
                "reason": s.fit.reason,
                "installed": None if s.installed is None else str(s.installed.model_path),
                "location": None if s.installed is None else s.installed.location,
                "partial_bytes": s.partial_bytes,
                "ollama_name": s.ollama_name,
                "licence": s.entry.licence,
                "image_long_edge": s.entry.image_long_edge,
                "recommended": recommended is not None and recommended.id == s.entry.id,
            }
            for s in statuses
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    total = resources.total_memory
    free = resources.available_memory
    if total is not None and free is not None:
        memory = f"{total / GIB:.1f} GB"
        free_now = f"{free / GIB:.1f} GB"
        if resources.free_disk is not None:
            machine = tr(
                "This machine: {memory} memory, {free} free now; {disk} free disk for models.",
                memory=memory,
                free=free_now,
                disk=_gb(resources.free_disk),
            )
        else:
            machine = tr(
                "This machine: {memory} memory, {free} free now.", memory=memory, free=free_now
            )
        out.write(machine + "\n\n")
    header = (
        pad("ID", 15),  # the same in Chinese
        pad(tr("NAME"), 15),
        pad(tr("DOWNLOAD"), 9, ">"),
        pad(tr("MEMORY"), 7, ">"),
        "",
        pad(tr("FIT"), 13),
        tr("STATUS"),
    )
    out.write(" ".join(header) + "\n")
    for s in statuses:
        mark = " *" if recommended is not None and recommended.id == s.entry.id else ""
        cells = (
            pad(s.entry.id, 15),
            pad(s.entry.name, 15),
            pad(_gb(s.entry.download_bytes), 9, ">"),
            pad(_gb(s.fit.memory.needed), 7, ">"),
            "",
            pad(shown(s.fit.label) + mark, 13),
            _state(s),
        )
        out.write(" ".join(cells) + "\n")
    out.write("\n")
    for s in statuses:
        if s.fit.level != "fits" and s.fit.reason:
            out.write(tr("{id}: {reason}.", id=s.entry.id, reason=shown(s.fit.reason)) + "\n")
    if recommended is not None:
        line = tr("* recommended here. Get it: localsight models download {id}", id=recommended.id)
        out.write(line + "\n")
    return EXIT_OK


# -- download -------------------------------------------------------------------------------


class _DownloadProgress:
    """The downloader's reports as a bar per file, and a line while a file's sha256 is checked."""

    def __init__(self, stream: TextIO, *, redraw: bool) -> None:
        self._bars = TransferProgress(stream, bar_format=download_format(), redraw=redraw)

    def __call__(self, progress: Progress) -> None:
        if progress.total:
            self._bars.update(
                progress.filename,
                progress.done,
                progress.total,
                desc=f"{progress.filename} ({progress.file_index}/{progress.file_count})",
            )
        if progress.phase == "verifying":
            self._bars.line(tr("{file}: checking sha256…", file=progress.filename))
        elif progress.phase == "done":
            self._bars.finish()

    def close(self) -> None:
        self._bars.close()


def download(library: ModelLibrary, entry_id: str, anyway: bool, out: TextIO, err: TextIO) -> int:
    entry = library.catalog.get(entry_id)
    status = library.status(entry.id)
    if status.installed is not None:
        where = _location(status.installed.location)
        out.write(tr("{name} is already installed ({location}):", name=entry.name, location=where))
        out.write("\n")
        out.write(f"  {status.installed.model_path}\n  {status.installed.mmproj_path}\n")
        return EXIT_OK
    if status.ollama_name:
        note = tr(
            "localsight: note: Ollama already has {name}; it runs in-process without this "
            "download: localsight ask --model {name} ...",
            name=status.ollama_name,
        )
        err.write(note + "\n")
    fit = status.fit
    if fit.level in ("tight", "too-big") and fit.reason:
        note = tr("localsight: note: {name} {reason}.", name=entry.name, reason=shown(fit.reason))
        err.write(note + "\n")
    printer = _DownloadProgress(err, redraw=err.isatty())
    cancel = CancelToken()
    try:
        pair = library.download(entry.id, progress=printer, cancel=cancel, ignore_memory=anyway)
    except KeyboardInterrupt:
        cancel.cancel()
        printer.close()
        stopped = tr(
            "localsight: stopped. What was downloaded is kept: run the same command to resume."
        )
        err.write(stopped + "\n")
        return EXIT_INTERRUPTED
    finally:
        printer.close()
    done = tr(
        "Downloaded {name} (sha256 verified) into {folder}",
        name=entry.name,
        folder=pair.model_path.parent,
    )
    try_it = tr(
        'Try it: localsight ask --model {path} --image PHOTO "Describe this image."',
        path=pair.model_path,
    )
    out.write(f"{done}\n{try_it}\n")
    return EXIT_OK


def remove(library: ModelLibrary, entry_id: str, out: TextIO) -> int:
    entry = library.catalog.get(entry_id)
    freed = library.remove(entry.id)
    if freed:
        out.write(tr("Removed {name} ({size} freed).", name=entry.name, size=_mb(freed)) + "\n")
        return EXIT_OK
    left = library.installed(entry)
    if left is not None and left.location == "Hugging Face cache":
        line = tr(
            "LocalSight has no copy of {name}. The one in your Hugging Face cache ({folder}) "
            "belongs to huggingface_hub; LocalSight leaves it alone.",
            name=entry.name,
            folder=left.model_path.parent,
        )
    else:
        line = tr("{name} is not downloaded; nothing to remove.", name=entry.name)
    out.write(line + "\n")
    return EXIT_OK


# -- list, every backend ----------------------------------------------------------------------


def _where(info: ModelInfo, paths: AppPaths, hf_root: Path, embedded: Path | None) -> str:
    """Where a llama.cpp model lives, from its id (a path, or an Ollama name)."""
    path = Path(info.id)
    if not path.is_absolute():
        return "Ollama store"
    if embedded is not None and path == embedded:
        return "built in"
    for root, label in ((hf_root, "Hugging Face cache"), (paths.models_dir, "models folder")):
        try:
            path.relative_to(root.resolve() if label == "models folder" else root)
        except ValueError:
            continue
        return label
    return "added by path"


def _caps(info: ModelInfo) -> list[str]:
    caps = info.capabilities
    return [
        n
        for n, on in (("vision", caps.vision), ("thinking", caps.thinking), ("tools", caps.tools))
        if on
    ]


def _rows(paths: AppPaths, err: TextIO, as_json: bool) -> list[dict[str, Any]]:
    from backends.llama_cpp import hf_cache
    from backends.llama_cpp.discovery import embedded_default_model

    settings = load_settings(paths, err)
    rows: list[dict[str, Any]] = []
    local = make_backend("llama-cpp", settings, paths)
    embedded_path = embedded_default_model()
    embedded = embedded_path.resolve() if embedded_path else None
    hf_root = hf_cache.hub_cache_root()
    try:
        for info in local.list_models():
            rows.append(
                _row(
                    info, "llama-cpp", _where(info, paths, hf_root, embedded and embedded.resolve())
                )
            )
        for problem in backend_problems(local):
            err.write(tr("localsight: skipped: {problem}", problem=shown(problem)) + "\n")
    finally:
        local.close()
    try:
        remote = make_backend("ollama", settings, paths)
    except BackendError:
        return rows
    try:
        for info in remote.list_models():
            rows.append(_row(info, "ollama", "Ollama server"))
    except BackendError:
        if not as_json:
            note = tr(
                "localsight: note: Ollama is not running; its server's models are not listed."
            )
            err.write(note + "\n")
    finally:
        remote.close()
    return rows


def _row(info: ModelInfo, backend: str, where: str) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "backend": backend,
        "location": where,
        "size": info.size,
        "family": info.family,
        "quantization": info.quantization,
        "parameter_size": info.parameter_size,
        "context_length": info.context_length,
        "vision": info.capabilities.vision,
        "capabilities": _caps(info),
    }


def list_every_backend(paths: AppPaths, as_json: bool, out: TextIO, err: TextIO) -> int:
    rows = _rows(paths, err, as_json)
    if as_json:
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    if not rows:
        line = tr(
            "No models yet. Put .gguf files in {folder}, or get one: localsight models catalog",
            folder=paths.models_dir,
        )
        out.write(line + "\n")
        return EXIT_OK
    header = (
        pad(tr("NAME"), 36),
        pad(tr("BACKEND"), 9),
        pad(tr("CAN"), 7),
        pad(tr("SIZE"), 9, ">"),
        "",
        pad(tr("WHERE"), 19),
        "ID",  # the same in Chinese
    )
    out.write(" ".join(header) + "\n")
    for row in rows:
        cells = (
            pad(clip(row["name"], 36), 36),
            pad(row["backend"], 9),
            pad(_capabilities(row["capabilities"]), 7),
            pad(_mb(row["size"] or 0), 9, ">"),
            "",
            pad(_location(row["location"]), 19),
            row["id"],
        )
        out.write(" ".join(cells) + "\n")
    return EXIT_OK
