"""What every ``localsight`` command shares: exit codes, the error to exit on, the backend,
model and generation options, opening the backend, choosing the model, ``--stats`` timings.

Every failure is one clear line on stderr and a non-zero exit, never a traceback
(``desktop_app.cli.app.main`` prints it; set ``LOCALSIGHT_DEBUG=1`` to see a traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from backends.base import Backend, GenerationOptions, Stats, SupportsRegister, backend_warnings
from desktop_app.cli.i18n import shown, tr
from desktop_app.cli.openai import add_openai_arguments, implied_backend, openai_overrides
from desktop_app.core.models.factory import (
    BACKEND_NAMES,
    backend_name,
    default_model_id,
    make_backend,
)
from desktop_app.core.settings import (
    MAX_CONTEXT_TOKENS,
    MAX_THREADS,
    AppPaths,
    Settings,
    generation_options,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def host_help() -> str:
    """``--host``'s help (a function: the parser is built once the language is chosen)."""
    return tr("Ollama's address (default: your setting, else OLLAMA_HOST, else 127.0.0.1:11434)")


class CliError(Exception):
    """A problem to print as one line and exit on."""


def bounded_int(maximum: int) -> Callable[[str], int]:
    """An argparse type for a whole number from 1 to ``maximum``.

    The options that size llama.cpp's work share the settings' limits
    (``MAX_THREADS``, ``MAX_CONTEXT_TOKENS``): ``--threads 1000000000`` made llama.cpp
    allocate per-thread state until it aborted, exactly as the same number in settings did
    (issue 16).  Past the limit is argparse's usual one-line usage error.
    """

    def parse(text: str) -> int:
        value = int(text)
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(tr("must be from 1 to {maximum}", maximum=maximum))
        return value

    # argparse's "invalid whole number value: 'x'": a phrase inside argparse's own English
    # sentence, so it stays English like the rest of that sentence
    parse.__name__ = "whole number"
    return parse


# -- options --------------------------------------------------------------------------------


def add_backend_arguments(parser: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """``--backend``, ``--host`` and the OpenAI-compatible server's options.

    ``repeatable``: ``--host`` and ``--base-url`` may be given several times (a pool of
    servers, ``describe``); their values are then lists.
    """
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=None)
    parser.add_argument(
        "--host", metavar="URL", help=host_help(), action="append" if repeatable else "store"
    )
    add_openai_arguments(parser, repeatable=repeatable)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help=tr("a .gguf path or a model name (default: your setting)"))
    parser.add_argument("--mmproj", help=tr("the vision projector .gguf belonging to --model"))


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    tokens = bounded_int(MAX_CONTEXT_TOKENS)
    parser.add_argument("--max-tokens", type=tokens, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--threads", type=bounded_int(MAX_THREADS), default=None)
    parser.add_argument("--ctx", type=tokens, default=None, help=tr("context size in tokens"))


def options_from(args: argparse.Namespace, settings: Settings) -> GenerationOptions:
    """The settings' generation options with ``add_generation_arguments``' overrides."""
    return generation_options(
        settings,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        num_ctx=args.ctx,
        threads=args.threads,
        seed=args.seed,
    )


# -- the backend and the model --------------------------------------------------------------


def load_settings(paths: AppPaths, err: TextIO) -> Settings:
    """The settings file; a value of the wrong type is one warning line, and its default used."""
    loaded = Settings.load_with_problems(paths.settings_path)
    for problem in loaded.problems:
        err.write(tr("localsight: warning: {warning}", warning=shown(problem)) + "\n")
    return loaded.settings


@contextmanager
def open_backend(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    err: TextIO,
    *,
    isolated: bool = False,
) -> Iterator[Backend]:
    """The backend ``add_backend_arguments``' options choose, its warnings printed; closed after.

    ``isolated``: llama.cpp runs in the engine process, so a native crash (a CPU variant the
    processor refuses, a file that makes llama.cpp abort) becomes one line, not a death by
    signal; it costs ~0.4 s of engine start (README, "CPU compatibility").
    """
    name = backend_name(implied_backend(args), args.host, settings)
    # Commands answer one question each: no conversation to resume, and ``describe`` would
    # leave a state per image on disk (issue 20: kept conversations are the window's).
    one_shot = dataclasses.replace(settings, conversation_cache_mb=0)
    backend = make_backend(
        name, one_shot, paths, isolated=isolated, host=args.host, openai=openai_overrides(args)
    )
    try:
        for warning in backend_warnings(backend):
            err.write(tr("localsight: warning: {warning}", warning=shown(warning)) + "\n")
        yield backend
    finally:
        backend.close()


def resolve_model(
    backend: Backend, model: str | None, mmproj: str | None, settings: Settings
) -> str:
    """The model to run: a GGUF path is registered (with its projector), a name used as is,
    none given means the default (``desktop_app.core.models.factory.default_model_id``)."""
    if mmproj and not model:
        raise CliError(tr("--mmproj needs --model: give the language model file too."))
    if model and (mmproj or Path(model).suffix.lower() == ".gguf"):
        if isinstance(backend, SupportsRegister):
            return backend.register(model, mmproj).id
        return model
    return model or default_model_id(backend, settings)


# -- --stats --------------------------------------------------------------------------------


@dataclass(slots=True)
class AnswerClock:
    """When an answer was asked for and when its first and last pieces arrived."""

    started: float = field(default_factory=time.perf_counter)
    first: float | None = None
    last: float = 0.0

    def piece(self) -> None:
        """A piece of the answer arrived now."""
        self.last = time.perf_counter()
        if self.first is None:
            self.first = self.last

    def stats_line(self, stats: Stats, **extra: object) -> str:
        """The ``--stats`` JSON: the runtime's counters and the times seen here
        (``decode_tok_s`` is the rate pieces arrived at; ``llama_decode_tok_s`` the runtime's)."""
        ttft = None if self.first is None else self.first - self.started
        tokens = stats.completion_tokens
        span = self.last - self.first if self.first is not None else 0.0
        wall_rate = (tokens - 1) / span if tokens > 1 and span > 0 else 0.0
        line = {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "load_s": round(stats.load_s, 4),
            "ttft_s": None if ttft is None else round(ttft, 4),
            "prompt_s": round(stats.prompt_s, 4),
            "prompt_tok_s": round(stats.prompt_tok_s, 2),
            "decode_s": round(stats.decode_s, 4),
            "decode_tok_s": round(wall_rate, 2),
            "llama_decode_tok_s": round(stats.decode_tok_s, 2),
        }
        return json.dumps({**line, **extra})
