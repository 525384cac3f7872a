"""``localsight models [list|pull|delete]``: what a backend can run, and managing Ollama's models.

``catalog``, ``download``, ``remove`` and the every-backend ``list`` live in ``cli_catalog``.

``localsight models`` alone still lists, as it did before pulls existed.  Pull progress goes
to stderr so stdout stays clean for scripts: on a terminal one line redrawn in place (bar,
percent, MB, speed), elsewhere (a log, a CI job, a test) plain lines at every tenth.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, TextIO

from backends.base import Backend, ModelInfo
from desktop_app.cli_catalog import (
    CATALOG_ACTIONS,
    add_catalog_actions,
    run_catalog_action,
    wants_every_backend,
)
from desktop_app.cli_openai import add_openai_arguments, implied_backend, openai_overrides
from desktop_app.core.backend_factory import BACKEND_NAMES, backend_name, make_backend
from desktop_app.core.settings import AppPaths, Settings

HOST_HELP = "Ollama's address (default: your setting, else OLLAMA_HOST, else 127.0.0.1:11434)"


def add_models_command(commands: Any) -> None:
    """Register ``models`` and its actions on the top-level subparsers."""
    models = commands.add_parser("models", help="list, pull or delete models")
    _add_common(models, inner=False)
    add_openai_arguments(models)
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the models a backend can run (default)")
    _add_common(listing, inner=True)
    add_openai_arguments(listing, inner=True)
    pull = actions.add_parser("pull", help="download a model into Ollama, showing progress")
    _add_common(pull, inner=True, json_flag=False)
    pull.add_argument("name", metavar="NAME", help="an Ollama model name, e.g. gemma3:4b")
    delete = actions.add_parser("delete", help="remove a model from Ollama")
    _add_common(delete, inner=True, json_flag=False)
    delete.add_argument("name", metavar="NAME")
    add_catalog_actions(actions)


def _add_common(parser: argparse.ArgumentParser, *, inner: bool, json_flag: bool = True) -> None:
    # Options may come before or after the action; the inner copies leave the outer
    # values alone unless they are given (argparse would otherwise reset them).
    unset: Any = argparse.SUPPRESS if inner else None
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=unset)
    parser.add_argument("--host", metavar="URL", default=unset, help=HOST_HELP)
    if json_flag:
        parser.add_argument(
            "--json",
            action="store_true",
            default=argparse.SUPPRESS if inner else False,
            help="machine-readable output",
        )


def run_models(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    settings = Settings.load(paths.settings_path)
    action = getattr(args, "models_action", None) or "list"
    if action in CATALOG_ACTIONS or wants_every_backend(args, action):
        return run_catalog_action(args, paths, out, err)
    name = backend_name(implied_backend(args), args.host, settings)
    backend = make_backend(name, settings, paths, host=args.host, openai=openai_overrides(args))
    try:
        for warning in getattr(backend, "warnings", ()):
            err.write(f"localsight: warning: {warning}\n")
        if action == "list":
            _list(backend, paths, bool(getattr(args, "json", False)), out, err)
        elif action == "pull":
            _pull(backend, args.name, out, err)
        else:
            _delete(backend, args.name, out)
        return 0
    finally:
        backend.close()


def _badge(info: ModelInfo) -> str:
    caps = info.capabilities
    names = [n for n, on in (("vision", caps.vision), ("thinking", caps.thinking)) if on]
    names += ["tools"] if caps.tools else []
    return ",".join(names) or "text"


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
            out.write(f"{m.name:<40} {_badge(m):<7} {size:>10}  {m.id}\n")
        if not models and backend.name == "ollama":
            out.write("Ollama has no models yet. Pull one: localsight models pull NAME\n")
        elif not models:
            out.write(f"No models yet. Put .gguf files in {paths.models_dir}\n")
    for problem in getattr(backend, "problems", []):
        err.write(f"localsight: skipped: {problem}\n")


def _pull(backend: Backend, name: str, out: TextIO, err: TextIO) -> None:
    from desktop_app.cli import CliError

    pull = getattr(backend, "pull", None)
    if pull is None:
        raise CliError(
            "Only Ollama pulls models: add --backend ollama. The llama.cpp backend runs the "
            ".gguf files in your models folder."
        )
    printer = PullPrinter(err, tty=err.isatty())
    for progress in pull(name):
        printer.update(progress.status, progress.digest, progress.total, progress.completed)
    printer.close()
    out.write(f"Pulled {name}.\n")


def _delete(backend: Backend, name: str, out: TextIO) -> None:
    from desktop_app.cli import CliError

    delete = getattr(backend, "delete", None)
    if delete is None:
        raise CliError("Only Ollama deletes models: add --backend ollama.")
    delete(name)
    out.write(f"Deleted {name}.\n")


class PullPrinter:
    """Renders pull progress: a redrawn line on a terminal, a line per tenth elsewhere."""

    BAR = 24

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self._stream = stream
        self._tty = tty
        self._status = ""
        self._open_line = False
        self._drawn_at = 0.0
        self._tenths: dict[str, int] = {}
        self._started: dict[str, tuple[float, int]] = {}

    def update(
        self, status: str, digest: str | None, total: int | None, completed: int | None
    ) -> None:
        if not digest or not total:
            if status and status != self._status:
                self._end_line()
                self._stream.write(f"{status}\n")
                self._stream.flush()
            self._status = status
            return
        self._status = status
        now = time.monotonic()
        done = min(completed or 0, total)
        first = self._started.setdefault(digest, (now, done))
        elapsed = now - first[0]
        speed = (done - first[1]) / elapsed / 1e6 if elapsed > 0 else 0.0
        filled = round(self.BAR * done / total)
        text = (
            f"{status}  [{'#' * filled}{'-' * (self.BAR - filled)}] {100 * done / total:3.0f}%  "
            f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB  {speed:,.1f} MB/s"
        )
        if self._tty:
            if now - self._drawn_at >= 0.1 or done == total:
                self._stream.write(f"\r{text}\x1b[K")
                self._stream.flush()
                self._open_line = True
                self._drawn_at = now
            return
        tenth = 10 * done // total
        if tenth > self._tenths.get(digest, -1):
            self._tenths[digest] = tenth
            self._stream.write(text + "\n")
            self._stream.flush()

    def _end_line(self) -> None:
        if self._open_line:
            self._stream.write("\n")
            self._open_line = False

    def close(self) -> None:
        self._end_line()
        self._stream.flush()
