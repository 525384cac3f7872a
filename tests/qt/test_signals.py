"""Signals emitted through desktop_app.qt.common.signals.emit never drain True/False.

PySide6 6.12.0's ``emit`` returned a borrowed bool: each call took one reference from
``True``/``False`` and a few thousand streamed chunks later CPython aborted the window
("bool_dealloc").  pyproject excludes 6.12.0; ``emit`` also gives the reference back on
any PySide6 that still does it.  The leak is simulated here, since the installed PySide6 is
a good one.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from desktop_app.qt.common import signals

pytestmark = pytest.mark.usefixtures("qapp")


class _LeakySignal:
    """What PySide6 6.12.0 did: return True without a reference of its own."""

    def __init__(self) -> None:
        self.calls = 0

    def emit(self, *args: object) -> bool:
        self.calls += 1
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(True))
        return True


def test_emit_gives_back_what_a_leaky_pyside_takes(monkeypatch: Any) -> None:
    monkeypatch.setattr(signals, "LEAKS", True)
    leaky = _LeakySignal()
    before = sys.getrefcount(True)
    for _ in range(300):
        signals.emit(leaky, "chunk")
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):  # never leave the interpreter short, even on failure
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    assert leaky.calls == 300
    assert abs(lost) <= 5, f"{lost} references to True lost"


def test_real_signals_keep_the_bool_counts_and_deliver(monkeypatch: Any) -> None:
    class Source(QObject):
        text = Signal(str)

    source = Source()
    received: list[str] = []
    source.text.connect(received.append)
    counts = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(3000):
        signals.emit(source.text, str(i))
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(received) == 3000 and received[-1] == "2999"
    assert abs(after[0] - counts[0]) <= 5 and abs(after[1] - counts[1]) <= 5, (counts, after)


def test_the_probe_leaves_the_counts_as_it_found_them() -> None:
    counts = sys.getrefcount(True), sys.getrefcount(False)
    leaks = signals._emit_leaks()
    assert leaks is False  # the installed PySide6 is not 6.12.0
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert abs(after[0] - counts[0]) <= 2 and abs(after[1] - counts[1]) <= 2
