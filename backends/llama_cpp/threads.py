"""Choosing llama.cpp's thread count from the cores actually free, on every request.

Oversubscription is disastrous on small machines (4 tok/s instead of 80 when another process
holds one of two cores), and what else runs changes while the app is open, so the count is
re-checked per request.  The check must not add latency to a turn: after the first call it
reads the CPU counters accumulated since the previous call, without sleeping, and subtracts
this process's own CPU time (llama.cpp's threads would otherwise look like "other work").
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

# Another process using at least this share of a core makes it count as taken.
_BUSY_SHARE = 0.6
# Below this much elapsed time the counters say nothing new; keep the last answer.
_MIN_INTERVAL_S = 0.05


class ThreadChooser:
    """Remembers the previous CPU counters so each choice costs microseconds, not a sleep."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[float, float, float] | None = None  # wall, system busy, own cpu
        self._choice: int | None = None

    def choose(self, first_sample_s: float = 0.1) -> int:
        """Threads to use now: physical usable cores minus those other processes keep busy."""
        try:
            import psutil

            with self._lock:
                physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
                logical = psutil.cpu_count(logical=True) or physical
                usable = (
                    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
                )
                if self._last is None:
                    self._last = _counters(psutil)
                    time.sleep(first_sample_s)
                now = _counters(psutil)
                wall = now[0] - self._last[0]
                if wall < _MIN_INTERVAL_S and self._choice is not None:
                    return self._choice
                others = max(0.0, (now[1] - self._last[1]) - (now[2] - self._last[2]))
                self._last = now
                busy_logical = int(others / max(wall, 1e-6) + (1.0 - _BUSY_SHARE))
                busy_cores = round(busy_logical * physical / max(logical, 1))
                cores = min(physical, usable)
                self._choice = max(1, cores - busy_cores)
                return self._choice
        except Exception:  # a missing /proc must never stop a model from answering
            return max(1, (os.cpu_count() or 2) // 2)


def _counters(psutil: Any) -> tuple[float, float, float]:
    """Wall time, CPU seconds all processes spent busy, CPU seconds this process spent."""
    total = psutil.cpu_times()
    # guest time is already counted in user time on Linux; idle and iowait are free time.
    free_or_counted = ("idle", "iowait", "guest", "guest_nice")
    busy = float(sum(total)) - sum(float(getattr(total, name, 0.0)) for name in free_or_counted)
    own = psutil.Process().cpu_times()
    return time.monotonic(), busy, float(own.user + own.system)


# One per process: the counters it remembers describe this process's whole history.
CHOOSER = ThreadChooser()


#: More threads than logical CPUs only oversubscribe; ggml refuses above 512
#: (``GGML_MAX_N_THREADS``), and a settings file asking for 10**9 made llama.cpp allocate
#: per-thread state until ``std::bad_alloc`` aborted the process (issue 16).
MAX_THREADS = 512


def threads_for(requested: int | None) -> int:
    """The thread count to run with: the request clamped to this machine, else the choice."""
    if requested is None or requested <= 0:
        return CHOOSER.choose()
    return max(1, min(requested, os.cpu_count() or 1, MAX_THREADS))
