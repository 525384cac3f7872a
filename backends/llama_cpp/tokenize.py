"""Tokenising with a buffer sized by the text, not by the model's claimed training context.

llama-cpp-python's ``LlamaModel.tokenize`` allocates (and zeroes) a token buffer of
``n_ctx_train`` entries for every call -- the ``context_length`` a GGUF file claims.  A
0.5 MB file claiming 2**31 - 1 made every tokenisation allocate 8 GB, and an answer took
15-56 s at 8.2 GB peak (issue 16).  A text of ``n`` bytes never has more than ``n`` tokens
plus the few special ones a tokenizer adds (BOS, EOS, SEP), so that is the buffer; the
binding's own retry protocol (a negative count means "this many were needed") stays as the
safety net.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

#: Room for the special tokens a tokenizer may add around a text (BOS, EOS, SEP, ...).
SPECIAL_TOKENS_ROOM = 8


def bounded_tokenize(llama_cpp: ModuleType, vocab: Any) -> Callable[[bytes, bool, bool], list[int]]:
    """A ``tokenize(text, add_bos, special)`` whose memory is bounded by ``len(text)``."""

    def tokenize(text: bytes, add_bos: bool, special: bool) -> list[int]:
        capacity = len(text) + SPECIAL_TOKENS_ROOM
        for _ in range(2):
            tokens = (llama_cpp.llama_token * capacity)()
            count = int(
                llama_cpp.llama_tokenize(vocab, text, len(text), tokens, capacity, add_bos, special)
            )
            if count >= 0:
                return list(tokens[:count])
            capacity = -count
        raise RuntimeError(f"could not tokenise a text of {len(text)} bytes")

    return tokenize


def install_bounded_tokenize(llama_cpp: ModuleType, llm: Any) -> None:
    """Make every tokenisation of ``llm`` -- ours and the binding's own -- use the bounded one.

    An instance attribute shadows the binding's method, so ``Llama.tokenize``, the chat
    handlers and the prefix cache all go through it without a fork of the binding.
    """
    model = llm._model
    model.tokenize = bounded_tokenize(llama_cpp, model.vocab)
