"""A failed answer's error is shown in the reader's language after a restart too (issue 19).

The store keeps the error in English (``error``: exports, older readers) and, beside it,
the translatable sentence it was (``error_message``), rebuilt when the chat is read back.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from backends.messages import Message, message, render
from desktop_app.core.store.database import Store

CRASHED = "The model crashed while answering ({detail}). Press Retry."
CHINESE = {
    CRASHED: "模型在回答时崩溃（{detail}）。请按“重试”。",
    "llama.cpp stopped with signal {signal}": "llama.cpp 因信号 {signal} 停止",
}


def chinese(template: str, n: int | None) -> str:
    return CHINESE.get(template, template)


def crash() -> Message:
    return message(
        CRASHED,
        detail=message("llama.cpp stopped with signal {signal}", signal="SIGABRT"),
    )


def failed_answer(path: Path, error: str) -> int:
    store = Store.open(path)
    try:
        chat = store.create_conversation(model="m.gguf", backend="llama-cpp")
        store.add_message(chat, "user", "hi")
        answer = store.add_message(chat, "assistant", "Par", state="streaming")
        store.update_message(answer.id, state="error", error=error)
        return answer.id
    finally:
        store.close()


def read_error(path: Path, message_id: int) -> str | None:
    store = Store.open(path)
    try:
        return store.message(message_id).error
    finally:
        store.close()


def test_a_failure_reopened_after_a_restart_is_still_translatable(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    answer = failed_answer(path, crash())
    error = read_error(path, answer)  # a new Store: as after a restart
    assert error == str(crash())  # the English, as before
    assert isinstance(error, Message)
    assert (
        render(error, chinese) == "模型在回答时崩溃（llama.cpp 因信号 SIGABRT 停止）。请按“重试”。"
    )
    with sqlite3.connect(path) as conn:  # the English column is plain English
        stored = conn.execute("SELECT error FROM messages WHERE id = ?", (answer,)).fetchone()
    assert stored == (str(crash()),)


def test_a_plain_error_stays_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    answer = failed_answer(path, "RuntimeError: something")
    error = read_error(path, answer)
    assert error == "RuntimeError: something" and not isinstance(error, Message)


@pytest.mark.parametrize(
    "kept",
    [
        "not json",
        json.dumps({"template": "Something else entirely.", "values": {}}),
        json.dumps({"template": 3}),
        json.dumps({"template": "{a}", "values": {"a": [1]}}),
        json.dumps({"template": "x", "values": {}, "n": "many"}),
        "[" * 100_000,
    ],
)
def test_damaged_kept_sentences_never_change_what_is_read(tmp_path: Path, kept: str) -> None:
    """A hand-edited or damaged ``error_message`` cannot make a chat unreadable or show
    anything but the English stored beside it."""
    path = tmp_path / "chats.db"
    answer = failed_answer(path, crash())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE messages SET error_message = ? WHERE id = ?", (kept, answer))
    error = read_error(path, answer)
    assert error == str(crash()) and not isinstance(error, Message)


def test_a_database_from_before_keeps_its_errors(tmp_path: Path) -> None:
    """An error row from before the column existed (NULL) reads as its English."""
    path = tmp_path / "chats.db"
    answer = failed_answer(path, crash())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE messages SET error_message = NULL WHERE id = ?", (answer,))
    error = read_error(path, answer)
    assert error == str(crash()) and not isinstance(error, Message)
