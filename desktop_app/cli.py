"""The ``localsight`` command: the window by default, headless subcommands for scripts.

Every failure is one clear line on stderr and a non-zero exit, never a traceback (set
``LOCALSIGHT_DEBUG=1`` to see one).  The answer streams to stdout as it is generated, so
``localsight ask … | tee`` shows progress.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from backends.base import (
    BackendError,
    CancelToken,
    ChatRequest,
    Done,
    GenerationOptions,
    ImageInput,
    Message,
    Stats,
    TextDelta,
)
from desktop_app.cli_models import HOST_HELP, add_models_command, run_models
from desktop_app.cli_openai import add_openai_arguments, implied_backend, openai_overrides
from desktop_app.core.backend_factory import (
    BACKEND_NAMES,
    backend_name,
    default_model_id,
    make_backend,
)
from desktop_app.core.settings import AppPaths, Settings, app_paths

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A problem to print as one line and exit on."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localsight",
        description="Chat with vision-language models, fully offline. "
        "Without a command, opens the window.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = commands.add_parser("ask", help="ask one question, print the answer as it streams")
    ask.add_argument("prompt", metavar="PROMPT", help="the question")
    ask.add_argument("--backend", choices=BACKEND_NAMES, default=None)
    ask.add_argument("--host", metavar="URL", help=HOST_HELP)
    add_openai_arguments(ask)
    ask.add_argument("--model", help="a .gguf path or a model name (default: your setting)")
    ask.add_argument("--mmproj", help="the vision projector .gguf belonging to --model")
    ask.add_argument(
        "--image", action="append", default=[], metavar="FILE", help="attach an image (repeat)"
    )
    ask.add_argument("--system", help="a system prompt")
    ask.add_argument("--max-tokens", type=_positive_int, default=None)
    ask.add_argument("--temperature", type=float, default=None)
    ask.add_argument("--seed", type=int, default=None)
    ask.add_argument("--threads", type=_positive_int, default=None)
    ask.add_argument("--ctx", type=_positive_int, default=None, help="context size in tokens")
    ask.add_argument(
        "--stats", action="store_true", help="print timings as JSON on the last line of stderr"
    )
    ask.add_argument(
        "--save", action="store_true", help="record the exchange as a new saved conversation"
    )

    add_models_command(commands)

    from desktop_app.cli_history import add_export_command

    add_export_command(commands)

    from desktop_app.cli_describe import add_describe_command

    add_describe_command(commands)

    doctor = commands.add_parser(
        "doctor",
        help="what a bug report needs: llama.cpp build, CPU variant and why, memory, Qt",
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def run_doctor(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    from backends.llama_cpp import cpu_variants
    from desktop_app.core.diagnostics import collect

    cpu_variants.configure(paths.cache_dir)
    report = collect()
    out.write((json.dumps(report.data) if args.json else report.text()) + "\n")
    return EXIT_OK


def _request_options(args: argparse.Namespace, settings: Settings) -> GenerationOptions:
    return GenerationOptions(
        temperature=settings.temperature if args.temperature is None else args.temperature,
        max_tokens=args.max_tokens or settings.max_tokens,
        num_ctx=args.ctx or settings.num_ctx,
        threads=args.threads or settings.threads,
        seed=args.seed,
    )


def _load_images(files: Sequence[str], settings: Settings) -> tuple[ImageInput, ...]:
    if not files:
        return ()
    from desktop_app.core.images import ImagePolicy, normalize_image

    policy = ImagePolicy(max_long_edge=settings.image_long_edge)
    return tuple(normalize_image(Path(f), policy=policy) for f in files)


def _stats_json(stats: Stats, ttft_s: float | None, decode_wall_tok_s: float) -> str:
    return json.dumps(
        {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "load_s": round(stats.load_s, 4),
            "ttft_s": None if ttft_s is None else round(ttft_s, 4),
            "prompt_s": round(stats.prompt_s, 4),
            "prompt_tok_s": round(stats.prompt_tok_s, 2),
            "decode_s": round(stats.decode_s, 4),
            "decode_tok_s": round(decode_wall_tok_s, 2),
            "llama_decode_tok_s": round(stats.decode_tok_s, 2),
        }
    )


def run_ask(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    settings = Settings.load(paths.settings_path)
    name = backend_name(implied_backend(args), args.host, settings)
    # isolated: llama.cpp runs in the engine process, so a native crash (a CPU variant the
    # processor refuses, a file that makes llama.cpp abort) becomes one line, not a death
    # by signal; it costs ~0.4 s of engine start (README, "CPU compatibility").
    backend = make_backend(
        name, settings, paths, isolated=True, host=args.host, openai=openai_overrides(args)
    )
    try:
        for warning in getattr(backend, "warnings", ()):
            err.write(f"localsight: warning: {warning}\n")
        if args.mmproj and not args.model:
            raise CliError("--mmproj needs --model: give the language model file too.")
        if args.model and (args.mmproj or Path(args.model).suffix.lower() == ".gguf"):
            register = getattr(backend, "register", None)
            model_id = register(args.model, args.mmproj).id if register else args.model
        else:
            model_id = args.model or default_model_id(backend, settings)
        images = _load_images(args.image, settings)
        if args.save:
            from desktop_app.cli_history import ask_and_save

            return ask_and_save(
                backend,
                model_id,
                args.prompt,
                images,
                system=args.system,
                options=_request_options(args, settings),
                paths=paths,
                out=out,
                err=err,
                stats=args.stats,
                stats_line=_stats_json,
            )
        messages: list[Message] = []
        if args.system:
            messages.append(Message("system", args.system))
        messages.append(Message("user", args.prompt, images=images))
        request = ChatRequest(model_id, tuple(messages), _request_options(args, settings))
        cancel = CancelToken()
        started = time.perf_counter()
        first: float | None = None
        last = started
        done: Done | None = None
        try:
            for chunk in backend.stream_chat(request, cancel):
                if isinstance(chunk, TextDelta):
                    now = time.perf_counter()
                    if first is None:
                        first = now
                    last = now
                    out.write(chunk.text)
                    out.flush()
                elif isinstance(chunk, Done):
                    done = chunk
                    if chunk.notice:
                        err.write(f"localsight: note: {chunk.notice}\n")
        except KeyboardInterrupt:
            cancel.cancel()
            out.write("\n")
            err.write("localsight: stopped.\n")
            return EXIT_INTERRUPTED
        except BackendError:
            if first is not None:
                out.write("\n")
                out.flush()
            raise
        out.write("\n")
        out.flush()
        if args.stats and done is not None:
            ttft = None if first is None else first - started
            tokens = done.stats.completion_tokens
            span = last - first if first is not None else 0.0
            wall_rate = (tokens - 1) / span if tokens > 1 and span > 0 else 0.0
            err.write(_stats_json(done.stats, ttft, wall_rate) + "\n")
        return EXIT_OK
    finally:
        backend.close()


def run_window(paths: AppPaths) -> int:
    from desktop_app.qt.app import run

    return run(paths)


def main(argv: Sequence[str] | None = None) -> int:
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
            from desktop_app.cli_describe import run_describe_command

            return run_describe_command(args, paths, out, err)
        if args.command == "doctor":
            return run_doctor(args, paths, out)
        if args.command == "export":
            from desktop_app.cli_history import run_export

            return run_export(args, paths, out, err)
        return run_window(paths)
    except KeyboardInterrupt:
        err.write("localsight: stopped.\n")
        return EXIT_INTERRUPTED
    except (BackendError, CliError) as error:
        err.write(f"localsight: error: {error}\n")
        return EXIT_ERROR
    except Exception as error:
        if os.environ.get("LOCALSIGHT_DEBUG"):
            raise
        from desktop_app.core.images import ImageError
        from desktop_app.core.store_errors import StoreError

        if isinstance(error, (ImageError, StoreError)):
            err.write(f"localsight: error: {error}\n")
        else:
            err.write(f"localsight: unexpected error: {type(error).__name__}: {error}\n")
        return EXIT_ERROR
