"""Generating tokens with as little Python per token as possible.

The binding's streaming path samples through Python wrappers, detokenizes the whole tail
again for every token and copies logits into numpy: 14–20 % of the decode speed on a small
model.  Here each token costs a handful of ctypes calls: llama.cpp's own sampler chain
(penalties, top-k, typical, top-p, min-p, temperature, dist — the binding's order and
defaults, so answers do not change), one ``llama_token_to_piece`` into a reused buffer and
one single-token ``llama_decode``.  UTF-8 split across tokens is reassembled by an
incremental decoder, and user stop strings are held back until they can no longer match.

The repetition penalty is the one exception to "llama.cpp's own samplers": its native
sampler looks up every candidate of the vocabulary in a hash map on every token (262 144
lookups for Gemma 3: 0.9-1.2 ms of sampling per token, against 0.3-0.4 ms this way, ~5 % of
Gemma 3 270M's decode time on two cores; ~1.5 % for SmolLM2's 49 152).  The same
arithmetic on the at most 64 recent tokens, in float32 straight on the logits before the
chain sees them, gives bit-identical answers (``tests/integration/test_fast_path.py`` checks it).
"""

from __future__ import annotations

import codecs
import ctypes
from collections import deque
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, Literal

from backends.base import CancelToken
from backends.llama_cpp.prefix_cache import ContextCache

Ending = Literal["stop", "length", "cancelled"]

_PENALTY_LAST_N = 64  # the binding's last_n_tokens_size
_MIN_P = 0.05  # the binding's create_completion default
_DEFAULT_SEED = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED: a random seed


class RepeatPenalty:
    """llama.cpp's repetition penalty (``llama_sampler_init_penalties`` with frequency and
    presence 0), applied to the last ``last_n`` sampled tokens only.

    Matches the native sampler bit for bit: float32 logits, ``<= 0`` multiplied, else
    divided, each distinct recent token once, whatever its count.  The arithmetic is
    Python's (binary64) on float32 values, stored back as float32: for one multiplication
    or division that is exactly the float32 result (binary64 has more than 2 x 24 + 2 bits,
    so the double rounding is innocuous).  A plain loop over a ctypes array, because right
    after ``llama_decode`` every numpy call runs cold: 30-40 us a token this way against
    115-125 us for the same work in numpy.
    """

    def __init__(self, penalty: float, last_n: int = _PENALTY_LAST_N) -> None:
        self._penalty = ctypes.c_float(penalty).value  # the value llama.cpp's float holds
        self.recent: deque[int] = deque(maxlen=last_n)

    def accept(self, token: int) -> None:
        self.recent.append(token)

    def apply(self, logits: Any) -> None:
        """Penalise ``logits`` (a ctypes ``c_float`` array over the context's row) in place."""
        penalty = self._penalty
        for token in set(self.recent):
            value = logits[token]
            logits[token] = value * penalty if value <= 0 else value / penalty


class SamplerChain:
    """llama.cpp's native sampler chain, built like the binding's ``_init_sampler``.

    The penalties stage is taken out of the chain and done by :class:`RepeatPenalty`
    (``penalty``), first, as the chain would.
    """

    def __init__(
        self,
        llama_cpp: ModuleType,
        *,
        n_vocab: int,
        temperature: float,
        top_k: int,
        top_p: float,
        repeat_penalty: float,
        seed: int | None,
    ) -> None:
        import numpy as np  # a dependency of the binding itself

        lib = llama_cpp
        self._lib = lib
        self._np = np
        # llama_get_logits_ith again, returning a plain address instead of a ctypes pointer.
        prototype = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32)
        self._logits_at = prototype(("llama_get_logits_ith", lib.llama_cpp._lib))
        self._floats: Any = None  # the logits row as a ctypes array (for the penalty) ...
        self._row: Any = None  # ... and as a numpy view of the same memory (for argmax)
        self._row_address = 0
        self.chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        add = lib.llama_sampler_chain_add
        self.n_vocab = n_vocab
        #: Temperature 0: the most likely token, picked by numpy's ``argmax`` (the first of
        #: equal maxima, as llama.cpp's greedy sampler) instead of the chain, which copies
        #: the whole vocabulary into a candidate array first: 0.32 ms per token for Gemma
        #: 3's 262 144 entries against 0.03 ms, ~2 % of its decode time on two cores.
        self.greedy = temperature == 0.0
        # llama.cpp treats exactly 1.0 (with no frequency/presence penalty) as disabled.
        self.penalty = RepeatPenalty(repeat_penalty) if repeat_penalty != 1.0 else None
        seed_value = _DEFAULT_SEED if seed is None else seed & 0xFFFFFFFF
        if temperature < 0.0:
            add(self.chain, lib.llama_sampler_init_dist(seed_value))
        elif temperature == 0.0:
            add(self.chain, lib.llama_sampler_init_greedy())
        else:
            add(self.chain, lib.llama_sampler_init_top_k(top_k))
            add(self.chain, lib.llama_sampler_init_typical(1.0, 1))
            add(self.chain, lib.llama_sampler_init_top_p(top_p, 1))
            add(self.chain, lib.llama_sampler_init_min_p(_MIN_P, 1))
            add(self.chain, lib.llama_sampler_init_temp(temperature))
            add(self.chain, lib.llama_sampler_init_dist(seed_value))

    def _logits(self, ctx: Any) -> Any:
        """The context's last logits as a numpy view, re-made only when their address moves.

        Per token, right after ``llama_decode`` has streamed the weights through the CPU
        caches, every Python-level step runs cold: ``np.ctypeslib.as_array`` on the binding's
        pointer took 40-50 us there, this address check ~2 us.
        """
        address = self._logits_at(ctx, -1)
        if not address:
            raise RuntimeError("llama.cpp returned no logits for the last token")
        if address != self._row_address:
            self._floats = (ctypes.c_float * self.n_vocab).from_address(address)
            self._row = self._np.ctypeslib.as_array(self._floats)
            self._row_address = address
        return self._row

    def pick(self, ctx: Any) -> int:
        """The next token from the context's last logits (which the penalty may change)."""
        lib = self._lib
        if self.greedy or self.penalty is not None:
            row = self._logits(ctx)
            if self.penalty is not None:
                self.penalty.apply(self._floats)
            token = (
                int(row.argmax()) if self.greedy else lib.llama_sampler_sample(self.chain, ctx, -1)
            )
            if self.penalty is not None:
                self.penalty.accept(token)
            return token
        return int(lib.llama_sampler_sample(self.chain, ctx, -1))

    def close(self) -> None:
        if self.chain is not None:
            self._lib.llama_sampler_free(self.chain)
            self.chain = None


class StopFilter:
    """Cuts the text at the first user stop string, holding back a possible partial match."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [stop for stop in stops if stop]
        self._pending = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if not self._stops:
            return text
        self._pending += text
        found = [i for i in (self._pending.find(stop) for stop in self._stops) if i >= 0]
        if found:
            self.hit = True
            out, self._pending = self._pending[: min(found)], ""
            return out
        hold = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(self._pending)), 0, -1):
                if self._pending.endswith(stop[:size]):
                    hold = max(hold, size)
                    break
        cut = len(self._pending) - hold
        out, self._pending = self._pending[:cut], self._pending[cut:]
        return out

    def flush(self) -> str:
        out, self._pending = self._pending, ""
        return out


class DecodeLoop:
    """Samples and evaluates tokens after the prompt; yields text, then sets ``ending``."""

    def __init__(
        self,
        llama_cpp: ModuleType,
        cache: ContextCache,
        sampler: SamplerChain,
        *,
        max_tokens: int | None,
        stops: Sequence[str],
        cancel: CancelToken,
    ) -> None:
        self._lib = llama_cpp
        self._cache = cache
        self._sampler = sampler
        self._max_tokens = max_tokens
        self._stops = stops
        self._cancel = cancel
        self.generated = 0
        self.ending: Ending = "stop"

    def run(self, vocab: Any) -> Iterator[str]:
        lib = self._lib
        pick = self._sampler.pick
        is_eog = lib.llama_vocab_is_eog
        to_piece = lib.llama_token_to_piece
        cache = self._cache
        cancel = self._cancel
        limit = self._max_tokens if self._max_tokens and self._max_tokens > 0 else None
        buffer = ctypes.create_string_buffer(256)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        stop_filter = StopFilter(self._stops)
        ctx = cache.ctx
        while True:
            if cancel.cancelled:
                self.ending = "cancelled"
                break
            token = pick(ctx)
            if is_eog(vocab, token):
                break
            self.generated += 1
            size = to_piece(vocab, token, buffer, 256, 0, False)
            piece = buffer.raw[:size] if size >= 0 else self._long_piece(vocab, token, -size)
            text = stop_filter.feed(decoder.decode(piece))
            if text:
                yield text
            if stop_filter.hit:
                break
            if limit is not None and self.generated >= limit:
                self.ending = "length"
                break
            if not cache.make_room(cache.n_cells_used + 2):  # this token and the next one's
                self.ending = "length"
                break
            ctx = cache.ctx  # a new context if it just grew
            cache.decode_one(token)
        tail = stop_filter.flush() if not stop_filter.hit else ""
        tail += decoder.decode(b"", final=True)
        if tail and self.ending != "cancelled":
            yield tail

    def _long_piece(self, vocab: Any, token: int, size: int) -> bytes:
        buffer = ctypes.create_string_buffer(size)
        written = self._lib.llama_token_to_piece(vocab, token, buffer, size, 0, False)
        return buffer.raw[: max(0, written)]
