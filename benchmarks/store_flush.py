"""What the streaming flush costs: one ``Store.update_message`` of a growing answer.

The session flushes a streaming answer every 0.5 s so a crash loses at most that much.
This measures one flush (the real ``Store.update_message`` path: the row update, the
conversation's activity time and the full-text index triggers) as the answer grows to
``--chars`` characters, under the settings the store could use:

* ``WAL, synchronous=NORMAL`` — what the store uses for flushes (no fsync per commit);
* ``WAL, synchronous=FULL``   — what it uses for user messages and final answers;
* ``rollback journal, FULL``  — SQLite's default mode, for scale;
* ``WAL, NORMAL, no search``  — the same flush without the FTS5 triggers, to show their share.

It also times ``add_message`` (the durable commit of a user's question).  The database is
created in ``--dir`` (default: a temporary folder under the current directory, so it is on
the same disk as the project rather than in a RAM-backed /tmp).  Prints a table; asserts
nothing.

    python benchmarks/store_flush.py [--flushes 300] [--chars 6000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.core.store.database import Store

FLUSH_INTERVAL_S = 0.5


def _force(store: Store, *, durable: bool) -> None:
    """Make every write of ``store`` use one synchronous level (benchmark only)."""
    original = store._writing

    @contextlib.contextmanager
    def writing(**_ignored: bool) -> Iterator[object]:
        with original(durable=durable) as conn:
            yield conn

    store._writing = writing  # type: ignore[method-assign,assignment]


def _setups() -> dict[str, Callable[[Store], None]]:
    def wal_normal(store: Store) -> None:
        pass  # the store's own choice for a flush

    def wal_full(store: Store) -> None:
        _force(store, durable=True)

    def rollback_full(store: Store) -> None:
        store._connection().execute("PRAGMA journal_mode = DELETE")
        _force(store, durable=True)

    def no_search(store: Store) -> None:
        for trigger in ("messages_fts_insert", "messages_fts_update", "messages_fts_delete"):
            store._connection().execute(f"DROP TRIGGER {trigger}")

    return {
        "WAL, synchronous=NORMAL (flush)": wal_normal,
        "WAL, synchronous=FULL": wal_full,
        "rollback journal, FULL": rollback_full,
        "WAL, NORMAL, no search index": no_search,
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(folder: Path, setup: Callable[[Store], None], flushes: int, chars: int) -> list[float]:
    """Seconds per flush while one answer grows to ``chars`` characters."""
    path = folder / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Store.open(path) as store:
        # A realistic history around the answer being written.
        for n in range(50):
            conversation = store.create_conversation(title=f"earlier chat {n}")
            for turn in range(10):
                store.add_message(conversation, "user", f"question {turn} " * 20)
                store.add_message(conversation, "assistant", f"answer {turn} words " * 80)
        setup(store)
        conversation = store.create_conversation()
        store.add_message(conversation, "user", "Tell me everything about lighthouses.")
        row = store.add_message(conversation, "assistant", "", state="streaming")
        words = "the lamp turns slowly over the grey sea while keepers watch "
        times: list[float] = []
        for n in range(1, flushes + 1):
            text = (words * (chars // len(words) + 1))[: chars * n // flushes]
            started = time.perf_counter()
            store.update_message(row.id, text=text)
            times.append(time.perf_counter() - started)
        store.update_message(row.id, state="complete")
    return times


def measure_add(folder: Path, count: int = 100) -> list[float]:
    path = folder / "add.sqlite3"
    with Store.open(path) as store:
        conversation = store.create_conversation()
        times = []
        for n in range(count):
            started = time.perf_counter()
            store.add_message(conversation, "user", f"question number {n} " * 10)
            times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cost of the chat store's streaming flush.")
    parser.add_argument("--flushes", type=int, default=300)
    parser.add_argument("--chars", type=int, default=6000, help="final answer length")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    base = args.dir or Path.cwd()
    folder = Path(tempfile.mkdtemp(prefix="store-flush-", dir=base))
    try:
        print(f"database folder: {folder}")
        print(f"{args.flushes} flushes of one answer growing to {args.chars} characters\n")
        header = f"{'setting':<34} {'median':>9} {'p95':>9} {'max':>9} {'share of 0.5 s':>15}"
        print(header)
        print("-" * len(header))
        for name, setup in _setups().items():
            times = measure(folder, setup, args.flushes, args.chars)
            median = statistics.median(times)
            print(
                f"{name:<34} {median * 1e3:>7.3f}ms {_percentile(times, 0.95) * 1e3:>7.3f}ms "
                f"{max(times) * 1e3:>7.3f}ms {median / FLUSH_INTERVAL_S:>14.3%}"
            )
        adds = measure_add(folder)
        print(
            f"\nadd_message (user question, FULL): median "
            f"{statistics.median(adds) * 1e3:.3f} ms, p95 {_percentile(adds, 0.95) * 1e3:.3f} ms"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
