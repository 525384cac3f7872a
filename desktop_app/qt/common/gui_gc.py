"""Python's cyclic garbage collector runs on the GUI thread only, once the window exists.

CPython collects cycles on whichever thread happens to allocate past the threshold, and in
LocalSight that is often a worker (a model listing, a generation, image normalising).  A
closed window or dialog that sits in a reference cycle (its slots, lambdas and controllers
point back at it) was then destroyed there: measured in the window tests, closed
``MainWindow``s with their hundreds of widgets were collected on ``localsight-call`` and
``localsight-generation`` threads.  Qt widgets must be destroyed on the GUI thread.

So the automatic collector is switched off and the same thresholds are checked from a timer
on the GUI thread (pyqtgraph's ``GarbageCollector`` does the same): as much is collected as
before, only here.  Work on the workers allocates as it did; nothing is collected there.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500

_installed: list[GuiThreadCollector] = []


class GuiThreadCollector(QObject):
    """Collects cycles from a timer on the thread it lives on (the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int:
        """Collect the generations whose counts passed gc's own thresholds; objects freed."""
        limits = gc.get_threshold()
        counts = gc.get_count()
        if counts[0] <= limits[0]:
            return 0
        generation = 0
        if counts[1] > limits[1]:
            generation = 2 if counts[2] > limits[2] else 1
        return gc.collect(generation)


def install() -> GuiThreadCollector:
    """From now on cycles are collected on the GUI thread only (once per process).

    Call on the GUI thread once the QApplication exists: the collector is its child.
    """
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("install the collector on the GUI thread of a running QApplication")
    if not _installed:
        _installed.append(GuiThreadCollector(app))
        gc.disable()
    return _installed[0]
