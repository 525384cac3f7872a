"""Will this model fit in memory? Answered before loading, from the GGUF header alone.

Peers crash or freeze the whole machine when a model does not fit (SECURITY.md item 3).
The estimate is the weights (file sizes, which llama.cpp maps into memory), the KV cache for
the requested context, and a compute-buffer allowance.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.base import OutOfMemory
from backends.llama_cpp.gguf_check import GGUFSummary

COMPUTE_ALLOWANCE = 256 * 1024 * 1024
GIB = 1024**3


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def kv_cache_bytes(summary: GGUFSummary, n_ctx: int) -> int:
    """f16 K and V for every layer over the whole context."""
    layers = summary.arch_value("block_count")
    n_embd = summary.embedding_length
    heads = summary.arch_value("attention.head_count")
    heads_kv = summary.arch_value("attention.head_count_kv") or heads
    key_len = summary.arch_value("attention.key_length")
    value_len = summary.arch_value("attention.value_length")
    if not isinstance(layers, int) or not isinstance(n_embd, int):
        return 0
    if isinstance(heads, int) and heads > 0 and isinstance(heads_kv, int):
        head_dim = n_embd // heads
        k_width = (key_len if isinstance(key_len, int) else head_dim) * heads_kv
        v_width = (value_len if isinstance(value_len, int) else head_dim) * heads_kv
    else:
        k_width = v_width = n_embd
    return layers * n_ctx * (k_width + v_width) * 2


def estimate(model: GGUFSummary, projector: GGUFSummary | None, n_ctx: int) -> MemoryEstimate:
    weights = model.size + (projector.size if projector else 0)
    overhead = COMPUTE_ALLOWANCE + (COMPUTE_ALLOWANCE if projector else 0)
    return MemoryEstimate(weights, kv_cache_bytes(model, n_ctx), overhead)


def available_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return None


def ensure_fits(
    model: GGUFSummary, projector: GGUFSummary | None, n_ctx: int, available: int | None = None
) -> MemoryEstimate:
    """Raise ``OutOfMemory`` with numbers and a way out when the model cannot fit."""
    needed = estimate(model, projector, n_ctx)
    free = available_memory() if available is None else available
    if free is not None and needed.total > free:
        raise OutOfMemory(
            f"{model.path.name} needs about {needed.total / GIB:.1f} GB of memory with a "
            f"{n_ctx}-token context, but only {free / GIB:.1f} GB is free. Close other "
            "programs, lower the context size, or choose a smaller model."
        )
    return needed
