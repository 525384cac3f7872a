"""This machine's memory, read in one place, and the one rule for whether a need fits it.

Two places ask whether a model fits: the catalog, first-run card and model manager
(``desktop_app.core.models.fit``, from file sizes, before anything is downloaded) and the
llama.cpp backend (``backends.llama_cpp.fit``, from the GGUF header, right before a load).
Each estimates the *need* its own way, but both read the memory and judge the need here, so
a badge that said "fits" and a load that is refused cannot disagree about the machine.
Peers crash or swap the machine to a halt when a model does not fit (docs/failures.md,
item 3).  It lives in ``backends`` because the backend needs it and must not import the app.

The rule, and why:

* **Will not fit** ("too-big") when the need exceeds *total* memory minus what the operating
  system and its desktop keep for themselves (1 GiB + 10 % of total: ~1.4 GiB of a 4 GiB
  Raspberry Pi, ~1.8 GiB of an 8 GiB laptop).  Judged on the total, not on what is free this
  second, because free memory swings by gigabytes as a browser opens and closes: whether a
  model can ever run here must not hang on a snapshot.  When the total cannot be read, a
  need above what is available now is all there is to go on.
* **Fits** when the need, plus a 15 % margin for the estimate's error, is within the memory
  *available now* (psutil's ``available``: free memory plus cache the kernel can drop,
  measured while this app runs, so the app is already accounted for).
* **Tight** otherwise: the machine can run it, but not with everything that is open now.
* **Unknown** when the memory cannot be read (no psutil, no /proc in a sandbox): nothing is
  refused on a guess.
* **Loading now** is refused when the need is too big, or more than is available this
  second: mapping it anyway pushes the machine into swap, the freeze this rule exists to
  prevent.  A tight need within what is available loads: the margin covers the estimate's
  error, and refusing on it would turn away models that run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backends.messages import message

MemoryLevel = Literal["fits", "tight", "too-big", "unknown"]
GIB = 1024**3
OS_RESERVE_BYTES = 1 * GIB
OS_RESERVE_FRACTION = 0.10
ESTIMATE_MARGIN = 1.15


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """Total and available bytes of this machine's memory; ``None`` = could not tell."""

    total: int | None
    available: int | None


def read_memory() -> MemoryReading:
    """This machine's memory now, from psutil; both ``None`` if it cannot tell."""
    try:
        import psutil

        info = psutil.virtual_memory()
        return MemoryReading(int(info.total), int(info.available))
    except Exception:  # no psutil, no /proc in a sandbox: every verdict is "unknown"
        return MemoryReading(None, None)


def os_reserve(total: int) -> int:
    """What the operating system and its desktop keep of ``total`` (see the rule)."""
    return OS_RESERVE_BYTES + int(total * OS_RESERVE_FRACTION)


def memory_level(need: int, reading: MemoryReading) -> MemoryLevel:
    """The rule of the module docstring, on a reading (nothing is measured here)."""
    total, available = reading.total, reading.available
    if available is None:
        return "unknown"
    if total is not None and need > total - os_reserve(total):
        return "too-big"
    if total is None and need > available:
        return "too-big"
    if need * ESTIMATE_MARGIN <= available:
        return "fits"
    return "tight"


def loads_now(need: int, reading: MemoryReading) -> bool:
    """Whether a load of ``need`` bytes may go ahead now (the rule's last point)."""
    if memory_level(need, reading) == "too-big":
        return False
    return reading.available is None or need <= reading.available


def gb(value: int) -> str:
    """Bytes as people read memory and disk sizes: ``3.5 GB``."""
    return f"{value / GIB:.1f} GB"


def machine_limit(total: int) -> str:
    """Why a too-big need will never fit, whatever is closed: the machine and its reserve
    (a ``message``: it is a part of the sentences that refuse a model)."""
    return message(
        "this machine has {total} and the system keeps about {reserve} of it",
        total=gb(total),
        reserve=gb(os_reserve(total)),
    )
