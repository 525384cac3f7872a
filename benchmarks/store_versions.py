"""What versions cost the chat store (issue 17): reading the branch on screen, and switching.

Regenerate and Edit keep what they replace, so a chat is a tree and ``Store.messages`` walks
the visible branch up from its last message (``conversations.active_leaf``) instead of
reading the conversation in position order.  Rows:

* ``messages()`` of a chat of N messages where every 10th answer has two hidden versions,
  against the position-ordered read of all its rows made into records (what the store did
  before versions; it also reads the hidden versions, a little more work than ours):
  the goal is at most 3x, so opening a long chat stays a matter of milliseconds;
* ``show_version()`` of the first answer's hidden version in the same chat (a branch of
  two messages), then back to the shown one (it follows the chosen branch down N levels
  and marks every message of it as chosen).

The chats are written with SQL in one transaction (the store's own ``add_message`` fsyncs
each message, which would only measure the disk).  Asserts nothing.

    python -m benchmarks.store_versions [--sizes 1000,10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.report import Metric, judged, median, table
from desktop_app.core.store.database import Store

GOAL_RATIO = 3.0


def _fill(path: Path, size: int) -> tuple[int, int]:
    """A chat of ``size`` shown messages; every 10th answer has two hidden versions.
    Returns the conversation id and the first answer's hidden version."""
    Store.open(path).close()  # the schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'b', 0, 0)"
    )
    position, parent, first_hidden = 0, None, 0
    text = "A sentence of a usual length in a chat about a photo. " * 4
    for index in range(size):
        role = "user" if index % 2 == 0 else "assistant"
        if role == "assistant" and index % 20 == 1:
            for _ in range(2):  # hidden versions, written before the shown one
                position += 1
                cursor = conn.execute(
                    "INSERT INTO messages (conversation_id, position, role, text, state, "
                    "created_at, updated_at, parent_id, chosen_at) "
                    "VALUES (1, ?, ?, ?, 'complete', 0, 0, ?, 0)",
                    (position, role, text, parent),
                )
                first_hidden = first_hidden or int(cursor.lastrowid or 0)
        position += 1
        cursor = conn.execute(
            "INSERT INTO messages (conversation_id, position, role, text, state, created_at, "
            "updated_at, parent_id, chosen_at) VALUES (1, ?, ?, ?, 'complete', 0, 0, ?, 1)",
            (position, role, text, parent),
        )
        parent = int(cursor.lastrowid or 0)
    conn.execute("UPDATE conversations SET active_leaf = ? WHERE id = 1", (parent,))
    conn.execute("COMMIT")
    conn.close()
    return 1, first_hidden


def _timed(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


def store_version_rows(sizes: tuple[int, ...] = (1000, 10_000), runs: int = 5) -> list[Metric]:
    rows: list[Metric] = []
    with tempfile.TemporaryDirectory(dir=".") as folder:
        for size in sizes:
            rows.extend(_size_rows(Path(folder) / f"chat{size}.sqlite3", size, runs))
    return rows


def _size_rows(path: Path, size: int, runs: int) -> list[Metric]:
    conversation, hidden = _fill(path, size)
    rows: list[Metric] = []
    with Store.open(path) as store:

        def plain() -> object:
            """The read before versions: every row in position order, as records."""
            with store._reading() as conn:
                found = conn.execute(
                    f"SELECT {store._MESSAGE_COLUMNS} FROM messages m "
                    "WHERE m.conversation_id = ? ORDER BY m.position",
                    (conversation,),
                ).fetchall()
            return [store._message(row, ()) for row in found]

        shown = len(store.messages(conversation))
        ours = _timed(lambda: store.messages(conversation), runs)
        reference = _timed(plain, runs)
        rows.append(
            judged(
                f"messages() of a {size}-message chat with versions",
                ours,
                "ms",
                reference=reference,
                goal=f"<= {GOAL_RATIO:g}x the plain ordered read",
                check=lambda ratio: ratio <= GOAL_RATIO,
                on_ratio=True,
                note=f"{shown} shown",
            )
        )
        started = time.perf_counter()
        store.show_version(hidden)
        switch_ms = (time.perf_counter() - started) * 1000
        rows.append(
            judged(
                f"show_version() to a hidden answer in a {size}-message chat",
                switch_ms,
                "ms",
                note=f"then {len(store.messages(conversation))} shown",
            )
        )
        started = time.perf_counter()
        store.show_version(hidden + 2)  # the version shown before, written after both
        back_ms = (time.perf_counter() - started) * 1000
        rows.append(
            judged(
                f"show_version() back to the {size}-message branch",
                back_ms,
                "ms",
                note=f"then {len(store.messages(conversation))} shown",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="What versions cost the chat store.")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = store_version_rows(tuple(int(s) for s in args.sizes.split(",")), args.runs)
    print(table(rows))
    for row in rows:
        print(row.json_line())


if __name__ == "__main__":
    main()
