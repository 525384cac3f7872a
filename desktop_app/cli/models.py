"""``localsight models [list|pull|delete]``: what a backend can run, and managing Ollama's models.

``catalog``, ``download``, ``remove`` and the every-backend ``list`` live in ``catalog``.

``localsight models`` alone still lists, as it did before pulls existed.  Pull progress goes
to stderr so stdout stays clean for scripts (``desktop_app.cli.progress``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from backends.base import (
    Backend,
    ModelInfo,
    SupportsDelete,
    SupportsPull,
    backend_problems,
)
from desktop_app.cli.catalog import (
    CATALOG_ACTIONS,
    add_catalog_actions,
    run_catalog_action,
    wants_every_backend,
)
from desktop_app.cli.common import EXIT_OK, CliError, host_help, load_settings, open_backend
from desktop_app.cli.i18n import pad, shown, tr
from desktop_app.cli.openai import add_openai_arguments
from desktop_app.cli.progress import PULL_FORMAT, TransferProgress
from desktop_app.core.models.factory import BACKEND_NAMES
from desktop_app.core.settings import AppPaths


def add_models_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``models`` and its actions on the top-level subparsers."""
    models = commands.add_parser("models", help=tr("list, pull or delete models"))
    _add_common(models, inner=False)
    add_openai_arguments(models)
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")
    listing = actions.add_parser("list", help=tr("list the models a backend can run (default)"))
    _add_common(listing, inner=True)
    add_openai_arguments(listing, inner=True)
    pull = actions.add_parser("pull", help=tr("download a model into Ollama, showing progress"))
    _add_common(pull, inner=True, json_flag=False)
    pull.add_argument("name", metavar="NAME", help=tr("an Ollama model name, e.g. gemma3:4b"))
    delete = actions.add_parser("delete", help=tr("remove a model from Ollama"))
    _add_common(delete, inner=True, json_flag=False)
    delete.add_argument("name", metavar="NAME")
    add_catalog_actions(actions)


def _add_common(parser: argparse.ArgumentParser, *, inner: bool, json_flag: bool = True) -> None:
    # Options may come before or after the action; the inner copies leave the outer
    # values alone unless they are given (argparse would otherwise reset them).
    unset: Any = argparse.SUPPRESS if inner else None
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=unset)
    parser.add_argument("--host", metavar="URL", default=unset, help=host_help())
    if json_flag:
        parser.add_argument(
            "--json",
            action="store_true",
            default=argparse.SUPPRESS if inner else False,
            help=tr("machine-readable output"),
        )


def run_models(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    settings = load_settings(paths, err)
    action = getattr(args, "models_action", None) or "list"
    if action in CATALOG_ACTIONS or wants_every_backend(args, action):
        return run_catalog_action(args, paths, out, err)
    with open_backend(args, settings, paths, err) as backend:
        if action == "list":
            _list(backend, paths, bool(getattr(args, "json", False)), out, err)
        elif action == "pull":
            _pull(backend, args.name, out, err)
        else:
            _delete(backend, args.name, out)
        return EXIT_OK


def _badge(info: ModelInfo) -> str:
    """What a model can do for ``--json``: "vision,thinking,tools" (English keys, always)."""
    caps = info.capabilities
    names = [n for n, on in (("vision", caps.vision), ("thinking", caps.thinking)) if on]
    names += ["tools"] if caps.tools else []
    return ",".join(names) or "text"


def _badge_shown(info: ModelInfo) -> str:
    """``_badge`` as the table shows it, in the CLI's language."""
    words = {"vision": tr("vision"), "thinking": tr("thinking"), "tools": tr("tools")}
    return ",".join(words.get(name, tr("text")) for name in _badge(info).split(","))


def _list(backend: Backend, paths: AppPaths, as_json: bool, out: TextIO, err: TextIO) -> None:
    models = backend.list_models()
    if as_json:
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "size": m.size,
                "family": m.family,
                "quantization": m.quantization,
                "parameter_size": m.parameter_size,
                "context_length": m.context_length,
                "vision": m.capabilities.vision,
                "capabilities": [c for c in _badge(m).split(",") if c != "text"],
            }
            for m in models
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        for m in models:
            size = f"{(m.size or 0) / 1e6:,.0f} MB"
            row = (pad(m.name, 40), pad(_badge_shown(m), 7), pad(size, 10, ">"), "", m.id)
            out.write(" ".join(row) + "\n")
        if not models and backend.name == "ollama":
            out.write(tr("Ollama has no models yet. Pull one: localsight models pull NAME") + "\n")
        elif not models:
            out.write(tr("No models yet. Put .gguf files in {folder}", folder=paths.models_dir))
            out.write("\n")
    for problem in backend_problems(backend):
        err.write(tr("localsight: skipped: {problem}", problem=shown(problem)) + "\n")


def _pull(backend: Backend, name: str, out: TextIO, err: TextIO) -> None:
    if not isinstance(backend, SupportsPull):
        raise CliError(
            tr(
                "Only Ollama pulls models: add --backend ollama. The llama.cpp backend runs the "
                ".gguf files in your models folder."
            )
        )
    progress = TransferProgress(err, bar_format=PULL_FORMAT, redraw=err.isatty())
    status = ""
    try:
        for line in backend.pull(name):
            if line.digest and line.total:
                desc = shown(line.status)
                progress.update(line.digest, line.completed or 0, line.total, desc=desc)
            elif line.status and line.status != status:
                progress.line(shown(line.status))  # "pulling manifest", "verifying sha256 …"
            status = line.status
    finally:
        progress.close()
    out.write(tr("Pulled {name}.", name=name) + "\n")


def _delete(backend: Backend, name: str, out: TextIO) -> None:
    if not isinstance(backend, SupportsDelete):
        raise CliError(tr("Only Ollama deletes models: add --backend ollama."))
    backend.delete(name)
    out.write(tr("Deleted {name}.", name=name) + "\n")
