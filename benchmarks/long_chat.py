"""Long chats in the window (issue 17, defect 1): open time, memory, scroll frame time.

A chat of 1 000 and of 10 000 messages (questions and answers of mixed length, some code
blocks and lists, an image thumbnail every 50 messages: ``tests.helpers.long_chat``) is
opened in a ``ChatView`` shown at 900×700 with the light theme, each in a fresh interpreter
(``python -m benchmarks.long_chat probe …``), which reports:

* open: ``set_messages`` until the first paint of the viewport (events processed, then a
  ``grab`` of the viewport, which paints it);
* memory: RSS and Python-allocated-block growth from before ``set_messages`` to that paint;
* widgets: message widgets built, and the height of the scrolled column (the window system
  draws at most ~32 000 px reliably: the old view opened blank past that);
* scroll: from the chat's first message to its last, by half a viewport per step, each step
  a scroll, the events it causes and a ``grab`` (a repaint): median and p95 ms per step.
  Steps come at most one per 60 Hz frame (what a wheel or a held key gives); the rest of a
  frame is idle time for the event loop, where the new view builds widgets ahead.  Half a
  viewport per frame is a fling (~16 000 px/s); the "wheel" rows scroll like reading, a
  wheel notch (60 px) per frame over the first ~300 messages.

The reference is the view this replaced (one widget per message), taken from git at
``OLD_COMMIT`` and run the same way; at 10 000 messages it is only run when asked
(``--old-10k``: minutes and gigabytes).  Prints a table; asserts nothing.

    python -m benchmarks.long_chat [--quick] [--old-10k]
    python -m benchmarks --only long_chat
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Metric, judged, table
from tests.helpers import REPO

#: A person scrolls at most one step per frame: what a step leaves of a 60 Hz frame is idle
#: time for the event loop (the new view builds widgets ahead in it).
FRAME_S = 1 / 60

#: A wheel notch (3 lines of 20 px), and how many the wheel rows take (~300 messages).
WHEEL_PX = 60
WHEEL_STEPS = 600

#: The last commit with the one-widget-per-message view, the reference of every ratio.
OLD_COMMIT = "899b416"
OLD_VIEW = "desktop_app/qt/chat/chat_view.py"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _old_view_class(source: Path) -> Any:
    spec = importlib.util.spec_from_file_location("old_chat_view", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ChatView


def probe(database: Path, conversation: int, old_source: Path | None) -> dict[str, float]:
    """Open the chat in a view, then scroll it from its first message to its last."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from desktop_app.core.store.database import Store
    from desktop_app.qt.chat.chat_view import ChatView
    from desktop_app.qt.chat.markdown import MarkdownTheme
    from desktop_app.qt.common.theme import apply_theme

    os.environ["LOCALSIGHT_THEME"] = "light"
    apply_theme(app)  # type: ignore[arg-type]
    view_class = ChatView if old_source is None else _old_view_class(old_source)
    store = Store.open(database)
    started = time.perf_counter()
    messages = store.messages(conversation)
    rows_s = time.perf_counter() - started
    view = view_class(store.thumbnail, MarkdownTheme.light())
    view.resize(900, 700)
    view.show()
    app.processEvents()
    rss, blocks = _rss_bytes(), sys.getallocatedblocks()
    started = time.perf_counter()
    view.set_messages(messages)
    app.processEvents()
    app.processEvents()  # the old view scrolls to the end from a zero timer
    view.viewport().grab()
    open_s = time.perf_counter() - started
    rss_mb = (_rss_bytes() - rss) / 2**20
    blocks_k = (sys.getallocatedblocks() - blocks) / 1000
    column = view.widget()
    assert column is not None
    widgets, column_px = len(view.widgets), column.height()

    bar = view.verticalScrollBar()
    most_widgets, tallest = widgets, column_px

    def scroll(step: int, limit: int) -> list[float]:
        """From the first message down by ``step`` px a frame, ``limit`` steps at most."""
        nonlocal most_widgets, tallest
        if hasattr(view, "scroll_to_top"):
            view.scroll_to_top()
        bar.setValue(0)
        app.processEvents()
        frames: list[float] = []
        for _ in range(limit):
            window_end = getattr(view, "window_range", (0, len(messages)))[1]
            if bar.value() >= bar.maximum() and window_end == len(messages):
                break
            started = time.perf_counter()
            bar.setValue(bar.value() + step)
            app.processEvents()
            # Widgets dropped with deleteLater go when the app's event loop turns; this loop
            # is not the app's, so it deletes them here (and pays for it, as the app does).
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            view.viewport().grab()
            frames.append((time.perf_counter() - started) * 1000)
            while time.perf_counter() - started < FRAME_S:  # the rest of a 60 Hz frame: idle
                app.processEvents()
                app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            most_widgets = max(most_widgets, len(view.widgets))
            tallest = max(tallest, column.height())
        return sorted(frames)

    wheel = scroll(WHEEL_PX, WHEEL_STEPS)
    frames = scroll(view.viewport().height() // 2, 1_000_000)
    store.close()
    return {
        "rows_s": rows_s,
        "open_s": open_s,
        "rss_mb": rss_mb,
        "blocks_k": blocks_k,
        "widgets": widgets,
        "column_px": column_px,
        "most_widgets": most_widgets,
        "tallest_px": tallest,
        "steps": len(frames),
        "scroll_median_ms": statistics.median(frames) if frames else 0.0,
        "scroll_p95_ms": frames[int(0.95 * (len(frames) - 1))] if frames else 0.0,
        "wheel_median_ms": statistics.median(wheel) if wheel else 0.0,
        "wheel_p95_ms": wheel[int(0.95 * (len(wheel) - 1))] if wheel else 0.0,
    }


def _run_probe(database: Path, conversation: int, old_source: Path | None) -> dict[str, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-m", "benchmarks.long_chat", "probe", str(database)]
    args += [str(conversation)] + ([str(old_source)] if old_source else [])
    out = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600, check=False
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"long chat probe failed: {out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def _old_source(folder: Path) -> Path | None:
    """The replaced view's source from git, or None (no git, or a copy without history)."""
    try:
        text = subprocess.run(
            ["git", "show", f"{OLD_COMMIT}:{OLD_VIEW}"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = folder / "old_chat_view.py"
    path.write_text(text)
    return path


def _build(folder: Path, count: int) -> tuple[Path, int]:
    from desktop_app.core.store.database import Store
    from tests.helpers.long_chat import make_long_chat

    database = folder / f"chat-{count}.sqlite"
    store = Store.open(database)
    try:
        return database, make_long_chat(store, count)
    finally:
        store.close()


#: (name, key, unit, goal, check) of each row, in the table's order.
_ROWS: tuple[tuple[str, str, str, str, Any], ...] = (
    ("open to first paint", "open_s", "s", "< 0.5 s", lambda v: v < 0.5),
    ("RSS growth at open", "rss_mb", "MB", "", None),
    ("Python blocks at open", "blocks_k", "k blocks", "", None),
    ("widgets at open", "widgets", "widgets", "", None),
    ("most widgets scrolling", "most_widgets", "widgets", "<= 150", lambda v: v <= 150),
    ("tallest column", "tallest_px", "px", "< 32000 px", lambda v: v < 32_000),
    ("scroll step median", "scroll_median_ms", "ms", "< 16 ms", lambda v: v < 16),
    ("scroll step p95", "scroll_p95_ms", "ms", "< 50 ms", lambda v: v < 50),
    ("wheel step median", "wheel_median_ms", "ms", "< 16 ms", lambda v: v < 16),
    ("wheel step p95", "wheel_p95_ms", "ms", "< 50 ms", lambda v: v < 50),
)


def _rows(label: str, new: dict[str, float], ref: dict[str, float]) -> list[Metric]:
    note = f"{new['steps']:.0f} scroll steps; reference: the old view" + (
        f" ({ref['widgets']:.0f} widgets, {ref['column_px']:.0f} px column)" if ref else " not run"
    )
    return [
        judged(
            f"{label}: {name}",
            new[key],
            unit,
            reference=ref.get(key),
            goal=goal,
            check=check,
            note=note,
        )
        for name, key, unit, goal, check in _ROWS
    ]


def long_chat_rows(counts: tuple[int, ...] = (1000, 10_000), old_up_to: int = 1000) -> list[Metric]:
    """One set of rows per chat length; the old view is the reference up to ``old_up_to``."""
    folder = Path(tempfile.mkdtemp(prefix="long-chat-", dir=REPO))
    rows: list[Metric] = []
    try:
        old = _old_source(folder)
        for count in counts:
            database, conversation = _build(folder, count)
            new = _run_probe(database, conversation, None)
            ref = _run_probe(database, conversation, old) if old and count <= old_up_to else {}
            rows += _rows(f"long chat {count}", new, ref)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["probe"]:
        old = Path(argv[3]) if len(argv) > 3 else None
        print(json.dumps(probe(Path(argv[1]), int(argv[2]), old)), flush=True)
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.long_chat", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 000 messages only")
    parser.add_argument("--old-10k", action="store_true", help="the old view at 10 000 too")
    args = parser.parse_args(argv)
    counts = (1000,) if args.quick else (1000, 10_000)
    rows = long_chat_rows(counts, old_up_to=10_000 if args.old_10k else 1000)
    for metric in rows:
        print(metric.json_line(), flush=True)
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
