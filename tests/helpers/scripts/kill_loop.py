"""kill -9 while an answer streams, again and again; then check that nothing was lost.

Each run starts the real command ``localsight ask --save`` (tiny vision model, one image,
an answer long enough to stream for seconds) with ``LOCALSIGHT_HOME`` pointing at one shared
folder, waits until the database shows what the run is about (the question only, or the
first flushed part of the answer), waits a random moment more, and sends SIGKILL.  Then it
opens the store the way the app does and checks docs/failures.md, item 5:

* the question is there, complete, with its image;
* the answer is there, ``interrupted``, holding at least the text seen before the kill;
* every conversation of the earlier runs is still there;
* ``PRAGMA integrity_check`` is ``ok`` and the full-text index matches the messages.

About one run in five is killed before any answer text exists (right after the question is
committed, while the model loads or reads the prompt).

``tests/integration/test_durability.py`` runs 50; run more by hand::

    python tests/helpers/scripts/kill_loop.py --runs 200
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from desktop_app.core.store.database import Store

POLL_S = 0.01
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Inputs:
    """The model pair and the picture every run sends."""

    model: Path
    mmproj: Path
    image: Path


@dataclass
class LoopReport:
    runs: int = 0
    survived: int = 0
    early_kills: int = 0
    failures: list[str] = field(default_factory=list)
    run_seconds: list[float] = field(default_factory=list)
    text_at_kill: list[int] = field(default_factory=list)

    def summary(self) -> str:
        times = sorted(self.run_seconds) or [0.0]
        lengths = sorted(self.text_at_kill) or [0]
        return (
            f"{self.survived}/{self.runs} runs survived kill -9 "
            f"({self.early_kills} killed before any answer text); "
            f"per run: median {statistics.median(times):.2f} s, max {times[-1]:.2f} s, "
            f"total {sum(times):.1f} s; answer chars kept after the kill: median "
            f"{statistics.median(lengths):.0f}, max {lengths[-1]}"
        )


def _answer_row(db: Path, prompt: str) -> tuple[bool, str | None]:
    """(question saved?, text of its answer row or None) as committed right now."""
    if not db.exists():
        return False, None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT id, conversation_id FROM messages WHERE role = 'user' AND text = ?",
            (prompt,),
        ).fetchone()
        if row is None:
            return False, None
        answer = conn.execute(
            "SELECT text FROM messages WHERE conversation_id = ? AND role = 'assistant'",
            (row[1],),
        ).fetchone()
        return True, None if answer is None else str(answer[0])
    except sqlite3.OperationalError:
        return False, None  # the schema is still being created by the child
    finally:
        conn.close()


def run_once(
    number: int, home: Path, inputs: Inputs, rng: random.Random, report: LoopReport
) -> None:
    """One start-stream-kill-check cycle; appends to ``report``."""
    db = home / "data" / "localsight.sqlite3"
    prompt = f"kill run {number}: describe the picture {rng.getrandbits(48):x}"
    early = rng.random() < 0.2
    env = {**os.environ, "LOCALSIGHT_HOME": str(home)}
    env.pop("LOCALSIGHT_DEBUG", None)
    command = [
        sys.executable,
        "-m",
        "desktop_app",
        "ask",
        prompt,
        "--save",
        "--model",
        str(inputs.model),
        "--mmproj",
        str(inputs.mmproj),
        "--image",
        str(inputs.image),
        "--max-tokens",
        "100000",
        "--threads",
        "1",
        "--ctx",
        "8192",  # the whole context: the answer must still be streaming when the kill lands
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seen = ""
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            saved, answer = _answer_row(db, prompt)
            if (early and saved) or (answer is not None and answer):
                seen = answer or ""
                break
            if child.poll() is not None:
                report.failures.append(
                    f"run {number}: the command ended before it was killed "
                    f"(exit {child.returncode}): {child.stderr.read() if child.stderr else ''}"
                )
                return
            if time.monotonic() > deadline:
                report.failures.append(f"run {number}: nothing streamed in {START_TIMEOUT_S} s")
                return
            time.sleep(POLL_S)
        if not early:
            time.sleep(rng.uniform(0.0, 0.6))  # land anywhere between two flushes
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stderr:
            child.stderr.close()
    report.runs += 1
    report.early_kills += early
    problems, kept = _check(db, prompt, seen, expected_conversations=report.runs)
    report.run_seconds.append(time.perf_counter() - started)
    if problems:
        report.failures.extend(f"run {number}: {p}" for p in problems)
    else:
        report.survived += 1
        report.text_at_kill.append(kept)


def _check(db: Path, prompt: str, seen: str, expected_conversations: int) -> tuple[list[str], int]:
    """Problems found, and how many characters of the killed answer were kept."""
    problems: list[str] = []
    kept = 0
    with Store.open(db) as store:
        if store.recovered_from is not None:
            problems.append(f"the database was damaged and moved to {store.recovered_from}")
        conversations = store.list_conversations()
        if len(conversations) != expected_conversations:
            problems.append(
                f"{len(conversations)} conversations, expected {expected_conversations}"
            )
        everything = {c.id: store.messages(c.id) for c in conversations}
        for messages in everything.values():  # earlier runs too: nothing left streaming
            problems += [
                f"message {m.id} is still 'streaming'" for m in messages if m.state == "streaming"
            ]
        mine = [m for m in everything.values() if m and m[0].text == prompt]
        if len(mine) != 1:
            return [*problems, "the run's conversation is missing"], 0
        user, answers = mine[0][0], mine[0][1:]
        if (user.role, user.state, len(user.images)) != ("user", "complete", 1):
            problems.append(f"the question was not kept intact: {user}")
        else:
            store.image(user.images[0].sha256)  # the bytes are still readable
        if seen and not answers:
            problems.append("the answer row is gone")
        for answer in answers:
            kept = len(answer.text)
            if answer.state != "interrupted":
                problems.append(f"the answer is {answer.state!r}, not 'interrupted'")
            if not answer.text.startswith(seen):
                problems.append(
                    f"the answer lost text: had {len(seen)} chars, kept {len(answer.text)}"
                )
    with sqlite3.connect(db) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            problems.append(f"integrity_check: {result}")
        try:
            conn.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as error:
            problems.append(f"the search index does not match the messages: {error}")
    return problems, kept


def run(runs: int, home: Path, inputs: Inputs, *, seed: int = 0, workers: int = 1) -> LoopReport:
    """``runs`` kill cycles, shared among ``workers`` parallel loops.

    Each worker has its own LOCALSIGHT_HOME (``home/w<N>``) so its conversation count is
    its own; parallel workers also keep the machine busy, as a real desktop would be.  A
    worker stops after 3 failures.
    """
    shares = [runs // workers + (1 if n < runs % workers else 0) for n in range(workers)]
    reports = [LoopReport() for _ in range(workers)]

    def loop(worker: int) -> None:
        rng = random.Random(seed * 1000 + worker)
        for number in range(1, shares[worker] + 1):
            run_once(number, home / f"w{worker}", inputs, rng, reports[worker])
            if len(reports[worker].failures) >= 3:
                break

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = LoopReport()
    for report in reports:
        merged.runs += report.runs
        merged.survived += report.survived
        merged.early_kills += report.early_kills
        merged.failures += report.failures
        merged.run_seconds += report.run_seconds
        merged.text_at_kill += report.text_at_kill
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="parallel loops (default 2)")
    parser.add_argument("--home", type=Path, help="LOCALSIGHT_HOME to use (default: temporary)")
    args = parser.parse_args(argv)

    from PIL import Image

    from tests.helpers.tiny_models import write_tiny_vlm

    with tempfile.TemporaryDirectory(prefix="kill-loop-") as scratch:
        folder = Path(scratch)
        model, mmproj = write_tiny_vlm(folder / "model")
        image = folder / "picture.png"
        Image.new("RGB", (96, 64), (30, 140, 200)).save(image)
        home = args.home or folder / "home"
        started = time.perf_counter()
        report = run(
            args.runs, home, Inputs(model, mmproj, image), seed=args.seed, workers=args.workers
        )
        elapsed = time.perf_counter() - started
    print(f"{report.summary()}; wall clock {elapsed:.1f} s with {args.workers} worker(s)")
    for failure in report.failures:
        print("FAILED:", failure)
    return 0 if not report.failures and report.survived == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
