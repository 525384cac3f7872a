"""Emitting Qt signals without PySide6 6.12.0's reference leak on ``True``/``False``.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True``/``False`` without a new
reference, so every call whose result is dropped takes one reference from the interpreter's
bool singletons.  Streaming emits ~25 times a second; after a few thousand the count reaches
zero and CPython aborts ("bool_dealloc: deallocating True or False") -- a window killed
mid-session, or at exit.  6.11.x is fine (pyproject excludes 6.12.0), but a system
PySide6 may still be the broken one, so the frequent emits go through :func:`emit`, which
measures once whether ``emit`` leaks and, if it does, gives the reference back.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_PROBES = 32


class _Probe(QObject):
    fired = Signal()


def _emit_leaks() -> bool:
    """Whether ``emit`` hands out a borrowed bool (measured, not guessed from the version)."""
    probe = _Probe()
    true_before, false_before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(_PROBES):
        probe.fired.emit()
    lost_true = true_before - sys.getrefcount(True)
    lost_false = false_before - sys.getrefcount(False)
    for value, lost in ((True, lost_true), (False, lost_false)):
        for _ in range(max(0, lost)):
            _incref(value)  # give back what the probe itself took
    return lost_true + lost_false >= _PROBES


def _incref(value: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(value))


#: Measured once, on import (the GUI thread imports this before any worker starts).
LEAKS = _emit_leaks()


def emit(signal: Any, *args: object) -> None:
    """``signal.emit(*args)``, returning the reference a leaky PySide6 takes with it."""
    result = signal.emit(*args)
    if LEAKS and isinstance(result, bool):
        _incref(result)


def emit_from_worker(signal: Any, *args: object) -> None:
    """:func:`emit` from a worker thread: a receiver closed meanwhile (a window or dialog,
    deleted) just drops the result instead of raising in the worker."""
    with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
        emit(signal, *args)
