"""Will a model fit in this machine's memory? A label for the model picker.

Rough by design (weights + context + runtime, as in MODELS.md: RAM ≈ files + 0.5–1 GB) and
shown before anything is loaded, so nobody waits for a load that will swap the machine to
a halt.  The llama.cpp backend does the exact check from the GGUF header before loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FitLevel = Literal["fits", "tight", "too-big", "unknown"]
GIB = 1024**3
CONTEXT_AND_RUNTIME = int(0.75 * GIB)


@dataclass(frozen=True, slots=True)
class Fit:
    level: FitLevel
    needed: int
    available: int | None

    @property
    def label(self) -> str:
        return {"fits": "fits", "tight": "tight", "too-big": "too big", "unknown": ""}[self.level]

    @property
    def reason(self) -> str:
        if self.available is None:
            return ""
        return (
            f"needs about {self.needed / GIB:.1f} GB, {self.available / GIB:.1f} GB "
            "of memory is free"
        )


def available_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return None


def ram_fit(model_bytes: int | None, available: int | None = None) -> Fit:
    """``fits`` with 25 % headroom, ``tight`` without it, ``too-big`` beyond free memory."""
    if not model_bytes:
        return Fit("unknown", 0, available)
    free = available_memory() if available is None else available
    needed = int(model_bytes * 1.1) + CONTEXT_AND_RUNTIME
    if free is None:
        return Fit("unknown", needed, None)
    if needed * 1.25 <= free:
        return Fit("fits", needed, free)
    if needed <= free:
        return Fit("tight", needed, free)
    return Fit("too-big", needed, free)
