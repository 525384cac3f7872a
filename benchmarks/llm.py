"""Timings through LocalSight's own ``LlamaCppBackend``: what a person in the app waits for.

Rates are wall-clock, as the caller receives the stream (not llama.cpp's internal counters),
because Python work per token is exactly what the comparison with raw llama.cpp is about.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from backends.base import (
    CancelToken,
    ChatRequest,
    Done,
    GenerationOptions,
    ImageInput,
    Message,
    Stats,
)
from backends.llama_cpp import LlamaCppBackend

_unique = itertools.count()

STORY = (
    "Write a long, detailed story about a lighthouse keeper who finds a message in a "
    "bottle, with many characters and places."
)


@dataclass(frozen=True)
class Timing:
    """One answer: time to the first chunk, time to ``Done``, and llama.cpp's stats."""

    ttft_s: float
    total_s: float
    first_to_done_s: float
    stats: Stats


def answer(
    backend: LlamaCppBackend,
    model_id: str,
    messages: tuple[Message, ...],
    options: GenerationOptions,
) -> tuple[str, Timing]:
    """Stream one answer and time it; returns the text and its timing."""
    started = time.perf_counter()
    first: float | None = None
    text: list[str] = []
    stats = Stats()
    for chunk in backend.stream_chat(ChatRequest(model_id, messages, options), CancelToken()):
        if first is None:
            first = time.perf_counter()
        if isinstance(chunk, Done):
            stats = chunk.stats
        else:
            text.append(chunk.text)
    done = time.perf_counter()
    first = first or done
    return "".join(text), Timing(first - started, done - started, done - first, stats)


def decode_rate(backend: LlamaCppBackend, model_id: str, threads: int | None, tokens: int) -> float:
    """Streamed decode tok/s: tokens after the first, over the time from first to last."""
    options = GenerationOptions(temperature=0.0, max_tokens=tokens, threads=threads, seed=1)
    prompt = f"{next(_unique)}. {STORY}"
    _, timing = answer(backend, model_id, (Message("user", prompt),), options)
    produced = timing.stats.completion_tokens
    if produced < 2 or timing.first_to_done_s <= 0:
        return 0.0
    return (produced - 1) / timing.first_to_done_s


def decode_depth(backend: LlamaCppBackend, model_id: str, threads: int | None) -> int:
    """How many tokens ``decode_rate``'s prompt puts in the context before it decodes."""
    options = GenerationOptions(temperature=0.0, max_tokens=1, threads=threads, seed=1)
    prompt = f"{next(_unique)}. {STORY}"
    backend.unload()  # a fresh context: the whole prompt is evaluated and counted
    _, timing = answer(backend, model_id, (Message("user", prompt),), options)
    return timing.stats.prompt_tokens


def prefill_rate(backend: LlamaCppBackend, model_id: str, threads: int, words: int) -> float:
    """Prompt tok/s, wall clock: prompt tokens over the time until the one-token answer.

    Each call starts with a new number so no cached prefix can help: this is a fresh prompt.
    """
    filler = " ".join(f"word{i % 97}" for i in range(words))
    prompt = f"{next(_unique)} Summarise: {filler}"
    options = GenerationOptions(temperature=0.0, max_tokens=1, threads=threads)
    _, timing = answer(backend, model_id, (Message("user", prompt),), options)
    if timing.total_s <= 0:
        return 0.0
    return timing.stats.prompt_tokens / timing.total_s


def image_turns(
    backend: LlamaCppBackend, model_id: str, image: ImageInput, threads: int
) -> list[float]:
    """TTFT of three turns of one conversation about one image."""
    options = GenerationOptions(temperature=0.0, max_tokens=8, threads=threads, seed=1)
    history: tuple[Message, ...] = ()
    ttfts: list[float] = []
    for turn, question in enumerate(("What is in this picture?", "And the colours?", "Why?")):
        images = (image,) if turn == 0 else ()
        history = (*history, Message("user", question, images))
        text, timing = answer(backend, model_id, history, options)
        ttfts.append(timing.ttft_s)
        history = (*history, Message("assistant", text))
    return ttfts


def bare_decode_rate(backend: LlamaCppBackend, tokens: int) -> float:
    """tok/s of a bare ``llama_decode`` loop in the backend's own context, after its prompt.

    No sampling, no text, no Python beyond the loop: what this process could decode at
    most, measured seconds from LocalSight's own decode so that the machine's drift (5-10 %
    a minute on a shared VM) does not hide a 1 % difference.  The entries it adds are
    removed again, so the backend's prefix cache stays true.
    """
    import llama_cpp

    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None, "the fast path must be loaded"
    cache = loaded.fast.cache
    if not cache.make_room(cache.n_cells_used + tokens + 1):  # it may still be 512 cells
        raise RuntimeError(f"{tokens} more tokens do not fit the context")
    ctx, start = cache.ctx, cache.n_past
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(loaded.llm.model))
    memory = llama_cpp.llama_get_memory(ctx)
    batch = llama_cpp.llama_batch_init(1, 0, 1)
    try:
        began = time.perf_counter()
        for i in range(tokens):
            batch.n_tokens = 1
            batch.token[0] = (i * 7919) % n_vocab
            batch.pos[0] = start + i
            batch.n_seq_id[0] = 1
            batch.seq_id[0][0] = 0
            batch.logits[0] = True
            if llama_cpp.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama_decode failed in the bare loop")
            llama_cpp.llama_get_logits_ith(ctx, -1)  # waits for the result, as sampling does
        elapsed = time.perf_counter() - began
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_memory_seq_rm(memory, 0, start, -1)
    return tokens / elapsed
