"""The CLI's use of the chat history: ``ask --save`` and ``export``.

``ask --save`` goes through :class:`desktop_app.core.chat.session.ChatSession`, exactly like the
window, so a saved exchange obeys the same durability rules: the question is committed
before the model starts, the answer is flushed while it streams, and Ctrl+C or a crash
leaves it ``interrupted``.  Its stdout is the same as without ``--save``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from backends.base import Backend, BackendError, GenerationOptions, ImageInput
from desktop_app.cli.common import EXIT_INTERRUPTED, EXIT_OK, AnswerClock
from desktop_app.cli.i18n import shown, tr
from desktop_app.core.chat.export import export_json, export_markdown
from desktop_app.core.chat.session import ChatSession, SessionCallbacks
from desktop_app.core.settings import AppPaths
from desktop_app.core.store.database import Store


def add_export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``localsight export [--conversation ID | --all] --format md|json --out DIR``."""
    export = commands.add_parser(
        "export",
        help=tr("write conversations as Markdown or JSON files"),
        description=tr(
            "Write saved conversations to a folder, with their images as files in "
            "an images/ folder beside them. Prints the files written."
        ),
    )
    which = export.add_mutually_exclusive_group()
    which.add_argument(
        "--conversation",
        type=int,
        action="append",
        metavar="ID",
        help=tr("the conversation to export (repeat for several)"),
    )
    which.add_argument("--all", action="store_true", help=tr("every conversation (the default)"))
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--out", required=True, metavar="DIR", help=tr("folder to write into"))


def _open_store(paths: AppPaths, err: TextIO) -> Store:
    """Open the history, telling the user (on stderr) about anything recovered."""
    store = Store.open(paths.database_path)
    if store.recovered_from is not None:
        note = tr(
            "localsight: note: the chat history was damaged; it was moved to {path} "
            "(not deleted) and a new one was started.",
            path=store.recovered_from,
        )
        err.write(note + "\n")
    if store.interrupted_count:
        note = tr(
            "localsight: note: kept %n answer(s) cut off by a crash, marked interrupted.",
            n=store.interrupted_count,
        )
        err.write(note + "\n")
    return store


def run_export(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    with _open_store(paths, err) as store:
        if args.conversation:
            ids = list(args.conversation)
            for conversation_id in ids:
                store.conversation(conversation_id)  # a clear error before writing anything
        else:
            ids = [c.id for c in reversed(store.list_conversations())]  # oldest first
        out_dir = Path(args.out).expanduser()

        def on_problem(text: str) -> None:
            # An image left out (a history from a damaged or edited backup) is a note like
            # any other, not a bare logging line.
            err.write(tr("localsight: note: {note}", note=shown(text)) + "\n")

        if args.format == "json":
            written = [export_json(store, ids, out_dir, on_problem=on_problem)]
        else:
            written = export_markdown(store, ids, out_dir, on_problem=on_problem)
            if not ids:
                err.write(tr("localsight: there are no saved conversations to export.") + "\n")
    for path in written:
        out.write(f"{path}\n")
    return EXIT_OK


def ask_and_save(
    backend: Backend,
    model_id: str,
    prompt: str,
    images: Sequence[ImageInput],
    *,
    system: str | None,
    options: GenerationOptions,
    paths: AppPaths,
    out: TextIO,
    err: TextIO,
    stats: bool,
) -> int:
    """Ask through a ChatSession in a new conversation; print like the plain ``ask``."""
    with _open_store(paths, err) as store:
        conversation_id = store.create_conversation(
            model=model_id, backend=backend.name, system_prompt=system, options=options
        )
        session = ChatSession(store, backend, conversation_id, model=model_id)
        clock = AnswerClock()

        def on_delta(text: str) -> None:
            clock.piece()
            out.write(text)
            out.flush()

        def on_notice(text: str) -> None:
            err.write(tr("localsight: note: {note}", note=shown(text)) + "\n")

        try:
            callbacks = SessionCallbacks(on_delta=on_delta, on_notice=on_notice)
            final = session.send(prompt, images, callbacks)
        except KeyboardInterrupt:
            out.write("\n")
            err.write(tr("localsight: stopped.") + "\n")
            return EXIT_INTERRUPTED
        if clock.first is not None or final.state != "error":
            out.write("\n")
            out.flush()
        if final.state == "error":
            # The session saved the question and recorded the failure; report it like the
            # plain ``ask`` does (it is the backend's own sentence).
            raise BackendError(final.error or tr("The model failed while answering."))
        if stats and final.stats is not None:
            err.write(clock.stats_line(final.stats, conversation_id=conversation_id) + "\n")
    return EXIT_OK
