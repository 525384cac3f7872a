"""What a bug report needs to know about this computer and this install, in one place.

``localsight doctor`` prints it and Help → About shows it (with a Copy button): the
llama.cpp build, the CPU variant in use and why, the variants rejected and for what, the
probe's cost, threads, free memory, and the Qt version and platform plugin.  Qt-free: the
window passes in what only a running QApplication knows (the platform plugin actually used).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass
from typing import Any

from backends.llama_cpp import cpu_variants


@dataclass(frozen=True, slots=True)
class Report:
    """Rows of (label, value) for people, and the same facts as plain data for ``--json``."""

    rows: tuple[tuple[str, str], ...]
    data: dict[str, Any]

    def text(self) -> str:
        width = max(len(label) for label, _ in self.rows)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in self.rows)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _memory() -> tuple[int, int] | None:
    """The same reading the fit checks use (``backends.memory``)."""
    from backends.memory import read_memory

    reading = read_memory()
    if reading.available is None or reading.total is None:
        return None  # no /proc, a sandbox: the report goes on without it
    return reading.available, reading.total


def _guess_qt_platform() -> str:
    """The plugin Qt would pick, from the environment (the window reports the real one)."""
    forced = os.environ.get("QT_QPA_PLATFORM")
    if forced:
        return f"{forced} (QT_QPA_PLATFORM)"
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland (WAYLAND_DISPLAY is set)"
    if os.environ.get("DISPLAY"):
        return "xcb (DISPLAY is set)"
    return "none: no display (the window needs X11 or Wayland; the CLI works without)"


def collect(*, qt_platform: str | None = None) -> Report:
    """Everything, deciding the CPU variant now if this process has not yet (may probe)."""
    from backends.llama_cpp.native import free_cores

    rows: list[tuple[str, str]] = []
    data: dict[str, Any] = {}

    def add(key: str, label: str, value: str, raw: Any = None) -> None:
        rows.append((label, value))
        data[key] = value if raw is None else raw

    add("localsight", "LocalSight", _version("localsight") or "not installed (source tree)")
    add("python", "Python", f"{platform.python_version()} ({sys.executable})")
    add("system", "System", f"{platform.platform()} · {platform.machine()}")
    cpu = cpu_variants.cpu_identity()
    name = cpu.get("model name") or cpu.get("CPU part", "unknown")
    logical = os.cpu_count() or 0
    add("cpu", "CPU", f"{name} · {logical} logical CPUs")

    binding = _version("llama-cpp-python")
    try:
        choice = cpu_variants.current()
    except cpu_variants.NoUsableVariant as error:
        add("llama_cpp", "llama.cpp", f"llama-cpp-python {binding}: {error}")
        choice = None
    if choice is not None:
        if choice.dispatched:
            build = (
                f"llama-cpp-python {binding}, portable build with {len(choice.variants)} CPU "
                f"variants ({len(choice.claimed)} claimed by this CPU)"
            )
        else:
            build = f"llama-cpp-python {binding or 'not installed'}: {choice.why}"
        add("llama_cpp", "llama.cpp", build)
        if choice.dispatched:
            add("variant", "CPU variant", f"{choice.variant} — {choice.why}")
            add(
                "claimed",
                "Claimed by CPUID",
                ", ".join(f"{variant} ({score})" for variant, score in choice.claimed),
                [list(pair) for pair in choice.claimed],
            )
            rejected = "; ".join(f"{r.variant}: {r.reason}" for r in choice.rejected)
            add(
                "rejected",
                "Rejected",
                rejected or "none",
                [{"variant": r.variant, "reason": r.reason} for r in choice.rejected],
            )
            if choice.probed_now:
                probe = f"{choice.probe_s:.1f} s now ({', '.join(choice.probed_now)})"
            else:
                probe = "0 s now: verdicts from the cache"
            probe += f"; all probes on this machine so far: {choice.first_probe_s:.1f} s"
            add(
                "probe",
                "Probe",
                probe,
                {
                    "now_s": choice.probe_s,
                    "on_this_machine_s": choice.first_probe_s,
                    "probed_now": list(choice.probed_now),
                },
            )
            add("verdicts", "Verdicts", str(cpu_variants.cache_dir() / cpu_variants.VERDICTS_FILE))
    add("threads", "Threads", f"{free_cores(0.1)} (the cores free right now)")
    memory = _memory()
    if memory is not None:
        available, total = memory
        add(
            "memory",
            "Memory",
            f"{available / 2**30:.1f} GB free of {total / 2**30:.1f} GB",
            {"available_bytes": available, "total_bytes": total},
        )
    qt = _version("PySide6-Essentials") or _version("PySide6")
    add("qt", "Qt", f"PySide6 {qt}" if qt else "PySide6 not installed")
    add("qt_platform", "Qt platform", qt_platform or _guess_qt_platform())
    return Report(tuple(rows), data)
