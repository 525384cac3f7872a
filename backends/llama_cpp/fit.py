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
from backends.messages import message

COMPUTE_ALLOWANCE = 256 * 1024 * 1024
#: The batch the backend evaluates prompts in (``n_batch``/``n_ubatch`` = 512).
BATCH_ROWS = 512
#: The largest context LocalSight allocates, whatever a file claims or a setting asks:
#: 256k tokens is the longest any model in the catalog was trained for (Qwen3-VL), and on a
#: CPU reading that much prompt takes hours.  Memory may lower it further (``fitting_context``).
MAX_CONTEXT_TOKENS = 1 << 18


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
    # The attention mask llama.cpp builds per batch: one f32 per context cell and batch row.
    # Negligible at chat sizes (8 MB at 4096), it is what a huge context fails on first
    # ("failed to allocate compute pp buffers") even when its KV cache is small.
    overhead += n_ctx * BATCH_ROWS * 4
    return MemoryEstimate(weights, kv_cache_bytes(model, n_ctx), overhead)


#: The smallest context a too-big request is shrunk to; below it a chat with an image or two
#: no longer fits, so the model is refused instead (``ensure_fits`` says why).
MIN_SHRUNK_CONTEXT = 2048


def fitting_context(
    model: GGUFSummary,
    projector: GGUFSummary | None,
    n_ctx: int,
    reading: MemoryReading | None = None,
) -> int:
    """``n_ctx``, halved until its KV cache fits the memory free now (not below 2048).

    A context size comes from settings, the command line or the file's own claim, and any
    of them can name more than the machine holds (a settings file asking for 10**9 tokens, a
    file claiming 2**31 - 1).  Shrinking the context keeps the model usable -- a conversation
    that outgrows it gets the usual "the conversation is too long" answer -- where refusing
    would leave a person with no model at all; what still does not fit is refused by
    ``ensure_fits``.
    """
    memory = read_memory() if reading is None else reading
    while n_ctx > MIN_SHRUNK_CONTEXT and not loads_now(
        estimate(model, projector, n_ctx).total, memory
    ):
        n_ctx = max(MIN_SHRUNK_CONTEXT, n_ctx // 2)
    return n_ctx


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
    what = message(
        "{name} needs about {size} of memory with a {tokens}-token context",
        name=model.path.name,
        size=gb(needed.total),
        tokens=str(n_ctx),
    )
    if memory.total is not None and memory_level(needed.total, memory) == "too-big":
        # Closing programs cannot help: say what the machine keeps, as the catalog does.
        raise OutOfMemory(
            message(
                "{need}; {limit}. Lower the context size or choose a smaller model.",
                need=what,
                limit=machine_limit(memory.total),
            )
        )
    raise OutOfMemory(
        message(
            "{need}, but only {free} is free. Close other programs, lower the context size, "
            "or choose a smaller model.",
            need=what,
            free=gb(memory.available or 0),
        )
    )
