"""Will a model fit this machine? Memory and disk, answered before any download or load.

Peers check memory only after a multi-GB download, or not at all, and then crash or swap
the machine to a halt (ollama #9194; docs/failures.md, item 3).  This module answers from sizes
alone, in microseconds, so the model picker and the catalog can show a badge on every row.

The rule, and why:

* **What a model needs** = its files × 1.05 (llama.cpp maps the weights and touches every
  page on CPU; the 5 % covers tensor padding and the vocabulary copies) + 256 MiB of
  compute buffers + a KV cache of 512 MiB per 4096 tokens of context (an f16 cache for a
  2–4B model; bigger models are covered by the catalog's own ``ram_bytes``, which is used
  when larger).  At the default 4096-token context that is files + ~0.77 GiB, the measured
  "files + 0.5–1 GB".  The llama.cpp backend repeats an exact estimate from the GGUF header
  (layers, heads, context) right before loading (``backends.llama_cpp.fit``).
* **Fits, tight, will not fit** are not decided here: the memory reading and the rule (what
  the system keeps, the margin for the estimate's error) are ``backends.memory``'s, shared
  with that load-time check so a badge and a refusal cannot disagree.  A download is
  refused only when the model will not fit this machine at all, never because of what
  happens to be open now; a tight verdict's reason says to close other programs.
* **Disk**: the bytes still to download (a resumed download needs only the rest) against
  free space in the models folder.  More than free space will not fit; leaving less than
  1 GiB free is tight, because the chat database and the system need room too (a full disk
  is how chats get lost: docs/failures.md, item 5).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backends.memory import (
    GIB,
    MemoryLevel,
    MemoryReading,
    gb,
    memory_level,
    os_reserve,
    read_memory,
)
from backends.messages import message

__all__ = [
    "DEFAULT_CONTEXT",
    "GIB",
    "Fit",
    "FitLevel",
    "PairFit",
    "Resources",
    "disk_fit",
    "free_disk",
    "memory_needed",
    "pair_fit",
    "ram_fit",
]

FitLevel = MemoryLevel  # the disk verdict speaks in the memory rule's four levels
Resource = Literal["memory", "disk"]
MIB = 1024**2
DEFAULT_CONTEXT = 4096
WEIGHTS_FACTOR = 1.05
RUNTIME_BYTES = 256 * MIB
KV_BYTES_PER_4K_TOKENS = 512 * MIB
DISK_RESERVE_BYTES = 1 * GIB
_ORDER: dict[FitLevel, int] = {"fits": 0, "unknown": 1, "tight": 2, "too-big": 3}


@dataclass(frozen=True, slots=True)
class Fit:
    """One verdict: ``level`` for a badge, ``label`` for its text, ``reason`` for a tooltip."""

    level: FitLevel
    needed: int
    available: int | None
    total: int | None = None
    resource: Resource = "memory"

    @property
    def label(self) -> str:
        """The badge's word, a ``message``: the CLI shows it in the reader's language."""
        if self.level == "unknown":
            return ""
        return {
            "fits": message("fits"),
            "tight": message("tight"),
            "too-big": message("too big"),
        }[self.level]

    @property
    def reason(self) -> str:
        """Why it fits or not, a ``message`` ("" when unknown).

        The CLI prints it; the window shows the same sentence translated
        (``desktop_app/qt/models/fit_text.py``).
        """
        if self.available is None:
            return ""
        need, free = gb(self.needed), gb(self.available)
        if self.resource == "disk":
            if self.level == "fits":
                return message("needs {need} of disk, {free} is free", need=need, free=free)
            if self.level == "tight":
                return message(
                    "needs {need} of disk and would leave less than {reserve} of the {free} free",
                    need=need,
                    free=free,
                    reserve=gb(DISK_RESERVE_BYTES),
                )
            if self.level == "too-big":
                return message(
                    "needs {need} of disk but only {free} is free: free some space or choose "
                    "another models folder",
                    need=need,
                    free=free,
                )
            return ""
        if self.level == "fits":
            return message("needs about {need} of memory, {free} is free", need=need, free=free)
        if self.level == "tight":
            return message(
                "needs about {need} of memory and {free} is free now: close other programs "
                "before loading it",
                need=need,
                free=free,
            )
        if self.level == "too-big" and self.total is not None:
            # backends.memory.machine_limit's words, written out so they are one sentence.
            return message(
                "needs about {need} of memory; this machine has {total} and the system keeps "
                "about {reserve} of it: choose a smaller model",
                need=need,
                total=gb(self.total),
                reserve=gb(os_reserve(self.total)),
            )
        if self.level == "too-big":
            return message(
                "needs about {need} of memory, only {free} is free: choose a smaller model",
                need=need,
                free=free,
            )
        return ""


@dataclass(frozen=True, slots=True)
class Resources:
    """A snapshot of this machine's memory and of free disk in one folder; ``None`` = unknown."""

    total_memory: int | None
    available_memory: int | None
    free_disk: int | None

    @classmethod
    def probe(cls, folder: Path | None = None) -> Resources:
        memory = read_memory()
        return cls(
            memory.total, memory.available, free_disk(folder) if folder is not None else None
        )


def free_disk(folder: Path) -> int | None:
    """Free bytes on the disk holding ``folder`` (or its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return int(shutil.disk_usage(probe).free)
    except OSError:
        return None


def memory_needed(file_bytes: int, num_ctx: int = DEFAULT_CONTEXT) -> int:
    """Weights + compute buffers + KV cache for ``num_ctx`` tokens (see the module's rule)."""
    kv = KV_BYTES_PER_4K_TOKENS * max(num_ctx, 0) // DEFAULT_CONTEXT
    return int(file_bytes * WEIGHTS_FACTOR) + RUNTIME_BYTES + kv


def ram_fit(
    model_bytes: int | None,
    available: int | None = None,
    *,
    total: int | None = None,
    num_ctx: int = DEFAULT_CONTEXT,
    needed: int | None = None,
) -> Fit:
    """The memory verdict for files of ``model_bytes`` (model + projector).

    ``available``/``total`` default to this machine's; ``needed`` overrides the estimate
    (the catalog's own figure when it is larger).
    """
    if not model_bytes and needed is None:
        return Fit("unknown", 0, available, total)
    need = max(needed or 0, memory_needed(model_bytes or 0, num_ctx))
    if available is None or total is None:
        probed = read_memory()
        available = probed.available if available is None else available
        total = probed.total if total is None else total
    return memory_verdict(need, available, total)


def memory_verdict(need: int, available: int | None, total: int | None) -> Fit:
    """``backends.memory``'s verdict on given numbers (nothing is measured here)."""
    return Fit(memory_level(need, MemoryReading(total, available)), need, available, total)


def disk_fit(download_bytes: int, free: int | None) -> Fit:
    """The disk verdict for ``download_bytes`` still to fetch into a folder with ``free``."""
    if free is None:
        return Fit("unknown", download_bytes, None, resource="disk")
    if download_bytes > free:
        return Fit("too-big", download_bytes, free, resource="disk")
    if download_bytes > free - DISK_RESERVE_BYTES:
        return Fit("tight", download_bytes, free, resource="disk")
    return Fit("fits", download_bytes, free, resource="disk")


@dataclass(frozen=True, slots=True)
class PairFit:
    """Memory and disk together, for a catalog row: the worse of the two decides."""

    memory: Fit
    disk: Fit

    @property
    def level(self) -> FitLevel:
        return max(self.memory.level, self.disk.level, key=_ORDER.__getitem__)

    @property
    def label(self) -> str:
        if self.level == "too-big" and self.disk.level == "too-big":
            return message("no disk space")
        if self.level == "unknown":
            return "?"
        return {
            "fits": message("fits"),
            "tight": message("tight"),
            "too-big": message("will not fit"),
        }[self.level]

    @property
    def reason(self) -> str:
        """Memory's reason then disk's, each only when known; one ``message`` for both."""
        memory, disk = self.memory.reason, self.disk.reason
        if memory and disk:
            return message("{memory}; {disk}", memory=memory, disk=disk)
        return memory or disk


def pair_fit(
    file_bytes: int,
    download_bytes: int,
    resources: Resources,
    *,
    ram_bytes: int | None = None,
    num_ctx: int = DEFAULT_CONTEXT,
) -> PairFit:
    """Memory for files of ``file_bytes`` and disk for ``download_bytes`` still to fetch."""
    scaled = None
    if ram_bytes is not None:
        # The catalog's figure is for the default context; scale only its KV part.
        extra_kv = KV_BYTES_PER_4K_TOKENS * (num_ctx - DEFAULT_CONTEXT) // DEFAULT_CONTEXT
        scaled = max(ram_bytes + extra_kv, 0)
    need = max(scaled or 0, memory_needed(file_bytes, num_ctx))
    memory_fit = memory_verdict(need, resources.available_memory, resources.total_memory)
    return PairFit(memory_fit, disk_fit(download_bytes, resources.free_disk))
