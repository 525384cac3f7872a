"""Will this model fit in memory? Answered right before loading, from the GGUF header alone.

Peers crash or freeze the whole machine when a model does not fit (docs/failures.md, item 3).
This is the exact estimate of the need: the weights (file sizes, which llama.cpp maps into
memory), the KV cache for the requested context (layers and heads from the header), and a
compute-buffer allowance.  The catalog's rougher estimate from file sizes, made before a
download, is ``desktop_app.core.models.fit``'s; both needs are judged by ``backends.memory``.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.base import OutOfMemory
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.memory import MemoryReading, gb, loads_now, machine_limit, memory_level, read_memory

COMPUTE_ALLOWANCE = 256 * 1024 * 1024


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


def ensure_fits(
    model: GGUFSummary,
    projector: GGUFSummary | None,
    n_ctx: int,
    reading: MemoryReading | None = None,
) -> MemoryEstimate:
    """Raise ``OutOfMemory`` with numbers and a way out when the model cannot load now.

    Whether it can is ``backends.memory``'s rule, the one the catalog's badges follow;
    ``reading`` defaults to this machine's memory, read after the previous model was unloaded.
    """
    needed = estimate(model, projector, n_ctx)
    memory = read_memory() if reading is None else reading
    if loads_now(needed.total, memory):
        return needed
    what = (
        f"{model.path.name} needs about {gb(needed.total)} of memory with a {n_ctx}-token context"
    )
    if memory.total is not None and memory_level(needed.total, memory) == "too-big":
        # Closing programs cannot help: say what the machine keeps, as the catalog does.
        raise OutOfMemory(
            f"{what}; {machine_limit(memory.total)}. Lower the context size or choose a "
            "smaller model."
        )
    raise OutOfMemory(
        f"{what}, but only {gb(memory.available or 0)} is free. Close other programs, lower "
        "the context size, or choose a smaller model."
    )
