"""Cycles are collected on the GUI thread only (``desktop_app.qt.common.gui_gc``).

Before, CPython collected on whichever thread allocated past its threshold; in the window
tests closed ``MainWindow``s, hundreds of widgets each, were destroyed by collections on the
``localsight-call`` and ``localsight-generation`` worker threads.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.qt.common import gui_gc

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The name of the thread each collection starts on, while the test runs."""
    seen: list[str] = []

    def watch(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.callbacks.append(watch)
    yield seen
    gc.callbacks.remove(watch)


def test_a_worker_allocating_cycles_collects_nothing(collections: list[str]) -> None:
    gui_gc.install()  # as create_window does

    def churn() -> None:
        for _ in range(50_000):  # far past every threshold: cyclic garbage, as parsing makes
            cycle: list[object] = []
            cycle.append(cycle)

    worker = threading.Thread(target=churn, name="worker-churn")
    worker.start()
    worker.join()
    assert "worker-churn" not in collections


def test_cycles_are_collected_by_the_timer_on_the_gui_thread(
    qtbot: Any, collections: list[str]
) -> None:
    gui_gc.install()

    class Node:
        me: object = None

    node = Node()
    node.me = node
    gone = weakref.ref(node)
    del node  # garbage now, in whichever generation it reached meanwhile
    thresholds = gc.get_threshold()
    # The lowest thresholds: within a few ticks of the timer every generation is collected,
    # so this waits for the timer, not for the test's own allocations to add up.
    gc.set_threshold(1, 0, 0)
    try:
        qtbot.waitUntil(lambda: gone() is None, timeout=10_000)
    finally:
        gc.set_threshold(*thresholds)
    assert collections and set(collections) == {threading.main_thread().name}
