"""``localsight ask``: one question (with images), the answer streamed to stdout.

The answer streams as it is generated, so ``localsight ask … | tee`` shows progress;
``--stats`` adds the timings as JSON on the last line of stderr; ``--save`` records the
exchange as a new conversation (``desktop_app.cli.history``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from backends.base import (
    Backend,
    BackendError,
    CancelToken,
    ChatRequest,
    Done,
    ImageInput,
    Message,
    TextDelta,
)
from desktop_app.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    AnswerClock,
    add_backend_arguments,
    add_generation_arguments,
    add_model_arguments,
    load_settings,
    open_backend,
    options_from,
    resolve_model,
)
from desktop_app.cli.history import ask_and_save
from desktop_app.cli.i18n import shown, tr
from desktop_app.core.images import ImagePolicy, normalize_image
from desktop_app.core.settings import AppPaths, Settings


def add_ask_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = commands.add_parser("ask", help=tr("ask one question, print the answer as it streams"))
    ask.add_argument("prompt", metavar="PROMPT", help=tr("the question"))
    add_backend_arguments(ask)
    add_model_arguments(ask)
    ask.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="FILE",
        help=tr("attach an image (repeat)"),
    )
    ask.add_argument("--system", help=tr("a system prompt"))
    add_generation_arguments(ask)
    ask.add_argument(
        "--stats",
        action="store_true",
        help=tr("print timings as JSON on the last line of stderr"),
    )
    ask.add_argument(
        "--save",
        action="store_true",
        help=tr("record the exchange as a new saved conversation"),
    )


def _load_images(files: Sequence[str], settings: Settings) -> tuple[ImageInput, ...]:
    policy = ImagePolicy(max_long_edge=settings.image_long_edge)
    return tuple(normalize_image(Path(f), policy=policy) for f in files)


def run_ask(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    settings = load_settings(paths, err)
    with open_backend(args, settings, paths, err, isolated=True) as backend:
        model_id = resolve_model(backend, args.model, args.mmproj, settings)
        images = _load_images(args.image, settings)
        options = options_from(args, settings)
        if args.save:
            return ask_and_save(
                backend,
                model_id,
                args.prompt,
                images,
                system=args.system,
                options=options,
                paths=paths,
                out=out,
                err=err,
                stats=args.stats,
            )
        messages: list[Message] = []
        if args.system:
            messages.append(Message("system", args.system))
        messages.append(Message("user", args.prompt, images=images))
        request = ChatRequest(model_id, tuple(messages), options)
        return _stream(backend, request, out, err, stats=args.stats)


def _stream(
    backend: Backend, request: ChatRequest, out: TextIO, err: TextIO, *, stats: bool
) -> int:
    cancel = CancelToken()
    clock = AnswerClock()
    done: Done | None = None
    try:
        for chunk in backend.stream_chat(request, cancel):
            if isinstance(chunk, TextDelta):
                clock.piece()
                out.write(chunk.text)
                out.flush()
            elif isinstance(chunk, Done):
                done = chunk
                if chunk.notice:
                    err.write(tr("localsight: note: {note}", note=shown(chunk.notice)) + "\n")
    except KeyboardInterrupt:
        cancel.cancel()
        out.write("\n")
        err.write(tr("localsight: stopped.") + "\n")
        return EXIT_INTERRUPTED
    except BackendError:
        if clock.first is not None:
            out.write("\n")
            out.flush()
        raise
    out.write("\n")
    out.flush()
    if stats and done is not None:
        err.write(clock.stats_line(done.stats) + "\n")
    return EXIT_OK
