"""The ``localsight`` parser and ``main``: the window by default, headless subcommands for scripts.

Every failure is one clear line on stderr and a non-zero exit, never a traceback (set
``LOCALSIGHT_DEBUG=1`` to see one).  Opening the window is handed in by
``desktop_app.__main__``: the CLI never imports Qt.

The language is chosen before the parser is built, so ``--help`` and argparse's errors about
an option's value speak it too (``desktop_app.cli.i18n``); argparse's own words ("usage:",
"options", "error:", "the following arguments are required") are Python's and stay English.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from backends.base import BackendError
from desktop_app.cli.ask import add_ask_command, run_ask
from desktop_app.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError
from desktop_app.cli.describe import add_describe_command, run_describe_command
from desktop_app.cli.history import add_export_command, run_export
from desktop_app.cli.i18n import error_text, tr, use_language
from desktop_app.cli.models import add_models_command, run_models
from desktop_app.core.images import ImageError
from desktop_app.core.settings import AppPaths, Settings, app_paths
from desktop_app.core.store.errors import StoreError

OpenWindow = Callable[[AppPaths], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localsight",
        description=tr(
            "Chat with vision-language models, fully offline. Without a command, opens the window."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_ask_command(commands)
    add_models_command(commands)
    add_export_command(commands)
    add_describe_command(commands)
    doctor = commands.add_parser(
        "doctor",
        help=tr("what a bug report needs: llama.cpp build, CPU variant and why, memory, Qt"),
    )
    doctor.add_argument("--json", action="store_true", help=tr("one JSON object instead of text"))
    return parser


def run_doctor(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    from backends.llama_cpp import cpu_variants
    from desktop_app.core.diagnostics import collect

    cpu_variants.configure(paths.cache_dir)
    report = collect()
    out.write((json.dumps(report.data) if args.json else report.text()) + "\n")
    return EXIT_OK


def choose_language(paths: AppPaths) -> str:
    """Speak the language Settings chose (the window's); a settings file that cannot be read
    means the system's language (its problems are reported by the command that loads it)."""
    return use_language(Settings.load_with_problems(paths.settings_path).settings.language)


def _choose_language_early() -> None:
    """``choose_language`` before the parser exists (its help texts are translated when it is
    built).  Folders that cannot even be named are English here and reported by ``main``."""
    try:
        paths = app_paths()
    except (OSError, RuntimeError):  # resolve() on a broken path, expanduser() on "~nobody"
        use_language("en")
        return
    choose_language(paths)


def main(argv: Sequence[str] | None = None, *, open_window: OpenWindow | None = None) -> int:
    """Run the command in ``argv``; without one, ``open_window`` (or print the usage)."""
    _choose_language_early()
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        paths = app_paths().ensure()
        if args.command == "ask":
            return run_ask(args, paths, out, err)
        if args.command == "models":
            return run_models(args, paths, out, err)
        if args.command == "describe":
            return run_describe_command(args, paths, out, err)
        if args.command == "doctor":
            return run_doctor(args, paths, out)
        if args.command == "export":
            return run_export(args, paths, out, err)
        if open_window is None:
            parser.print_usage(err)
            return EXIT_USAGE
        return open_window(paths)
    except KeyboardInterrupt:
        err.write(tr("localsight: stopped.") + "\n")
        return EXIT_INTERRUPTED
    except (BackendError, CliError) as error:
        err.write(tr("localsight: error: {error}", error=error_text(error)) + "\n")
        return EXIT_ERROR
    except Exception as error:
        if os.environ.get("LOCALSIGHT_DEBUG"):
            raise
        if isinstance(error, (ImageError, StoreError)):
            err.write(tr("localsight: error: {error}", error=error_text(error)) + "\n")
        else:
            name = type(error).__name__
            text = tr(
                "localsight: unexpected error: {name}: {error}", name=name, error=error_text(error)
            )
            err.write(text + "\n")
        return EXIT_ERROR
