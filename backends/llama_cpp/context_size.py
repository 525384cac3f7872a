"""A llama.cpp context sized to the conversation, grown in steps up to the chosen size.

Without flash attention llama.cpp stores V transposed: each of a layer's value rows spans
the *whole* context, so every decoded token reads its few hundred used cells at a stride of
the full context size.  With SmolLM2 on two cores a 4096-token context decodes 4-6 % slower
than a 512-token one holding the same conversation (``benchmarks``: raw ``llama_decode``
over both sizes in one process).  Most conversations stay short, so a small model starts
with :data:`FIRST_SIZE` cells and the context is replaced by one twice the size whenever the
conversation needs more, the conversation's KV entries copied across
(``llama_state_seq_get_data``/``set_data``): a few milliseconds, and the answer continues
bit for bit as it would have in the big context (``tests/integration/test_context_growth.py``).

Only models whose full-size KV cache is small (:data:`GROW_LIMIT_BYTES`) grow: a copy holds
the old cache, the copied bytes and the new cache at once, which for a 7B model's gigabytes
would overshoot the memory the fit check promised.  Big models get their whole context at
load, as before -- for them attention is a small part of each token anyway.  (Each context
also reserves a compute buffer that grows with its size -- without flash attention the KQ
scores, n_ctx x n_ubatch x heads floats -- so a growth briefly holds two of those too; for
the models under the limit that is tens of MB.)
"""

from __future__ import annotations

import contextlib
import ctypes
from types import ModuleType
from typing import Any

from backends.llama_cpp.fit import kv_cache_bytes
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.messages import message

FIRST_SIZE = 512
GROW_LIMIT_BYTES = 256 * 1024 * 1024


class GrowFailed(RuntimeError):
    """The bigger context could not be made or filled; the old one is still in use.

    Its text is a ``message``: it is the reason inside the ``OutOfMemory`` a person reads.
    """


def first_size(summary: GGUFSummary, max_ctx: int) -> int:
    """The context to create at load: small when this model may grow, else ``max_ctx``."""
    full = kv_cache_bytes(summary, max_ctx)
    if full <= 0 or full > GROW_LIMIT_BYTES:
        return max_ctx  # unknown shape, or too big to copy safely
    return min(FIRST_SIZE, max_ctx)


def next_size(current: int, needed: int, max_ctx: int) -> int:
    """The smallest doubling of ``current`` holding ``needed`` positions, at most ``max_ctx``."""
    size = current
    while size < needed and size < max_ctx:
        size *= 2
    return min(size, max_ctx)


def replace_context(llama_cpp: ModuleType, llm: Any, n_ctx: int, threads: int) -> Any:
    """Give ``llm`` a new ``n_ctx``-cell context holding sequence 0 of the old one.

    Returns the new raw ``llama_context *``; the old context is freed.  The binding's
    ``Llama`` keeps owning it (it is freed with the model), so nothing else changes hands.
    """
    from llama_cpp import _internals

    lib = llama_cpp
    old = llm._ctx
    params = type(llm.context_params).from_buffer_copy(llm.context_params)
    params.n_ctx = n_ctx
    new: Any
    try:
        new = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
    except (ValueError, MemoryError) as error:  # "Failed to create llama_context": memory
        raise GrowFailed(
            message(
                "could not make a {tokens}-token context: {error}",
                tokens=str(n_ctx),
                error=str(error),
            )
        ) from None
    try:
        size = int(lib.llama_state_seq_get_size(old.ctx, 0))
        if size:
            buffer = (ctypes.c_uint8 * size)()
            if lib.llama_state_seq_get_data(old.ctx, buffer, size, 0) != size:
                raise GrowFailed(message("could not read the conversation out of the context"))
            if lib.llama_state_seq_set_data(new.ctx, buffer, size, 0) != size:
                raise GrowFailed(
                    message(
                        "the conversation did not fit a {tokens}-token context", tokens=str(n_ctx)
                    )
                )
            del buffer
    except MemoryError:
        new.close()
        raise GrowFailed(message("no memory left to copy the conversation across")) from None
    except BaseException:
        new.close()
        raise
    lib.llama_set_n_threads(new.ctx, threads, threads)
    llm._ctx = new
    llm.context_params = params
    llm._stack.enter_context(contextlib.closing(new))
    old.close()
    return new.ctx
