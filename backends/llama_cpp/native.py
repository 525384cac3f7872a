"""Loading llama-cpp-python lazily, and keeping llama.cpp's own chatter off the terminal.

``llama_cpp`` pulls in a large native library; importing it only when a model is first
loaded keeps the window and the CLI's ``--help`` fast on a Raspberry Pi.

llama.cpp, ggml and mtmd print progress to stderr even with ``verbose=False``.  We install
one log callback for all three that keeps the last lines in memory instead: the terminal
stays clean, and when a load fails those lines explain why (for the error message).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import Any

from backends.base import BackendUnavailable
from backends.llama_cpp import cpu_variants
from backends.llama_cpp.cpu_probe import load_variant
from backends.messages import message, sentence_of

_lock = threading.Lock()
_recent_log: deque[str] = deque(maxlen=200)
_callbacks: list[Any] = []  # ctypes callbacks must outlive their registration
_modules: dict[str, ModuleType] = {}


def llama_module() -> ModuleType:
    """Import ``llama_cpp`` on first use, with logging redirected into memory.

    The CPU variant (``cpu_variants``) is chosen first and registered with ggml before any
    llama.cpp call could make ggml pick one by CPUID alone.
    """
    with _lock:
        if "llama_cpp" in _modules:
            return _modules["llama_cpp"]
        # ggml's abort handler attaches gdb for a backtrace first: 4-8 s of a frozen process
        # before the crash a user sees (issue 16).  ggml reads it at abort time and only asks
        # whether it is set; LOCALSIGHT_DEBUG keeps the trace for a developer.
        if not os.environ.get("LOCALSIGHT_DEBUG"):
            os.environ.setdefault("GGML_NO_BACKTRACE", "1")
        choice = cpu_choice()
        try:
            import llama_cpp
            import llama_cpp.llama_chat_format

            _install_log_capture(llama_cpp)  # first: loading a variant logs a line too
            if choice.dispatched and choice.library and choice.lib_dir:
                load_variant(Path(choice.lib_dir), Path(choice.library))
        except (ImportError, OSError) as error:
            raise BackendUnavailable(
                message(
                    "The llama.cpp runtime (llama-cpp-python) is not installed or failed to "
                    "load: {error}. Reinstall LocalSight's dependencies.",
                    error=str(error),
                )
            ) from error
        _modules["llama_cpp"] = llama_cpp
        return llama_cpp


def cpu_choice() -> cpu_variants.CpuChoice:
    """The CPU variant llama.cpp runs with here (probed on the first launch on a machine).

    Raises ``BackendUnavailable`` when this processor can run none of them: nothing the
    person can fix, so the sentence asks for a bug report.
    """
    try:
        return cpu_variants.current()
    except cpu_variants.NoUsableVariant as error:
        raise BackendUnavailable(
            message(
                "{reason} Run `localsight doctor` and include its output in a bug report.",
                reason=sentence_of(error),
            )
        ) from error


def _install_log_capture(llama_cpp: ModuleType) -> None:
    partial: list[str] = []

    def capture(level: int, text: bytes | None, _user_data: Any) -> None:
        if not text:
            return
        partial.append(text.decode("utf-8", errors="replace"))
        joined = "".join(partial)
        if "\n" in joined:
            *lines, rest = joined.split("\n")
            _recent_log.extend(line for line in lines if line.strip())
            partial[:] = [rest] if rest else []

    callback = llama_cpp.llama_log_callback(capture)
    _callbacks.append(callback)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    try:
        from llama_cpp import mtmd_cpp

        mtmd_cpp.mtmd_log_set(callback, ctypes.c_void_p(0))
        mtmd_cpp.mtmd_helper_log_set(callback, ctypes.c_void_p(0))
    except (ImportError, AttributeError, OSError):  # pragma: no cover - older bindings
        pass


def recent_log(contains: tuple[str, ...] = ("error", "failed", "invalid")) -> list[str]:
    """Recent llama.cpp log lines that look like the reason for a failure."""
    lines = list(_recent_log)
    return [line for line in lines if any(word in line.lower() for word in contains)]


def clear_log() -> None:
    _recent_log.clear()


def free_cores(sample_s: float = 0.15) -> int:
    """Threads for llama.cpp: the cores not busy with other work right now.

    Oversubscribing is disastrous (4 tok/s instead of 80 when another process holds one of
    two cores), so busy cores are left alone.  Physical cores only: SMT siblings share the
    arithmetic units llama.cpp saturates.
    """
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else physical
        per_cpu = psutil.cpu_percent(interval=sample_s, percpu=True)
        busy = sum(1 for load in per_cpu if load >= 60.0)
        # Hyper-threaded machines report two logical CPUs per core.
        logical = max(len(per_cpu), 1)
        busy_cores = round(busy * physical / logical)
        return max(1, min(physical, usable) - busy_cores)
    except Exception:  # a missing /proc must never stop a model from loading
        return max(1, (os.cpu_count() or 2) // 2)
