"""Keeping the evaluated conversation in llama.cpp's context between turns.

llama-cpp-python's chat handlers clear the KV cache and re-encode every image on every turn.
Here the context remembers what it holds as a list of *keys*, one per evaluated unit: a text
token is its id, an image is its content hash (as mtmd's chunk id).  A new prompt is
tokenized into the same kind of keys; the common prefix stays in the KV cache, the tail
after it is removed (``llama_memory_seq_rm``) and only the rest is evaluated.  So an image is
encoded once per conversation, a regenerate re-evaluates nothing, and an edit invalidates
exactly what follows the edited message.

The logits of each prompt's last token are kept beside the keys (a few, ~1 MB each for a
262 144-token vocabulary).  A prompt that is entirely cached -- Regenerate, or the same
question asked again -- starts from those very logits instead of evaluating its last token
once more: with flash attention, re-evaluating a token in a smaller batch moves its logits
(docs/decisions/flash-attention.md), and Regenerate at temperature 0 must give the same
answer again.

An image new to the context is encoded only if the image-embedding cache
(``image_embeddings``) does not have its projector output already: after a reload, in
another conversation, in another process.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from backends.base import OutOfMemory
from backends.llama_cpp.context_size import GrowFailed, next_size, replace_context
from backends.llama_cpp.image_embeddings import (
    Embedding,
    ProjectorEmbeddings,
    read_chunk_embedding,
)
from backends.messages import message, sentence_of

if TYPE_CHECKING:
    from backends.llama_cpp.conversation_states import Snapshot

Key = int | str  # a text token id, or an image's id (its sha256)

#: Prompts whose last logits are kept: the turns of one conversation a person is likely to
#: regenerate or branch from (each entry is 4 bytes per vocabulary entry).
_KEPT_PROMPT_LOGITS = 8
#: Snapshots of a recurrent or hybrid model's sequence kept, the newest ones (taken at the
#: end of each prompt and after each image): each holds the whole sequence's state, ~12 KB
#: a token for LFM2-VL 1.6B (24 MB at 2000 tokens).
_KEPT_CHECKPOINTS = 4


@dataclass(slots=True)
class Tokenized:
    """A prompt as keys, with the mtmd chunks that evaluate its images (freed by ``close``)."""

    keys: list[Key]
    n_pos: list[int]  # positions each key occupies: 1 for a token, n_pos for an image
    # KV cells each key fills: 1 for a token, its token count for an image.  Not n_pos:
    # M-RoPE models (Qwen2-VL, Qwen2.5-VL) give a ~970-token image only ~36 positions.
    n_cells: list[int] = field(default_factory=list)
    image_chunks: dict[int, Any] = field(default_factory=dict)  # key index -> chunk
    _owner: Any = None
    _free: Callable[[Any], None] | None = None

    def close(self) -> None:
        if self._owner is not None and self._free is not None:
            self._free(self._owner)
        self._owner = None
        self.image_chunks.clear()


class PromptTooLong(ValueError):
    """The prompt does not fit the context (the message matches the error mapping)."""


class EvalFailed(RuntimeError):
    """llama_decode or mtmd's evaluation failed; ``aborted`` when the abort callback fired."""

    def __init__(self, message: str, *, aborted: bool = False) -> None:
        super().__init__(message)
        self.aborted = aborted


def tokenize_text(llm: Any, text: str, add_special: bool) -> Tokenized:
    """A text-only prompt: the binding's tokenizer, special tokens parsed (as it does)."""
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=True)
    return Tokenized(keys=list(tokens), n_pos=[1] * len(tokens), n_cells=[1] * len(tokens))


def tokenize_mtmd(
    mtmd: ModuleType, mtmd_ctx: Any, text: str, images: Sequence[bytes], ids: Sequence[str]
) -> Tokenized:
    """Text with media markers plus images, split by mtmd into text and image chunks.

    Each bitmap gets the image's sha256 as its id, so an image chunk is recognised by
    content in the next turn even though its pixels are decoded again.
    """
    bitmaps: list[Any] = []
    chunks = None
    try:
        for data, image_id in zip(images, ids, strict=True):
            buffer = (ctypes.c_uint8 * len(data)).from_buffer(bytearray(data))
            bitmap = mtmd.mtmd_helper_bitmap_init_from_buf(mtmd_ctx, buffer, len(data), False)
            if bitmap is None:
                raise ValueError("Failed to create bitmap from image bytes")
            bitmaps.append(bitmap)
            mtmd.mtmd_bitmap_set_id(bitmap, image_id.encode("ascii"))
        encoded = text.encode("utf-8")
        input_text = mtmd.mtmd_input_text()
        input_text.text = encoded
        input_text.text_len = len(encoded)
        input_text.add_special = True
        input_text.parse_special = True
        chunks = mtmd.mtmd_input_chunks_init()
        if chunks is None:
            raise ValueError("Failed to create input chunks")
        array = (mtmd.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
        result = mtmd.mtmd_tokenize(mtmd_ctx, chunks, ctypes.byref(input_text), array, len(bitmaps))
        if result != 0:
            raise ValueError(f"Failed to tokenize input: error code {result}")
        tokenized = Tokenized(keys=[], n_pos=[], _owner=chunks, _free=mtmd.mtmd_input_chunks_free)
        chunks = None  # owned by ``tokenized`` now
        _collect_chunks(mtmd, tokenized)
        return tokenized
    finally:
        if chunks is not None:
            mtmd.mtmd_input_chunks_free(chunks)
        for bitmap in bitmaps:
            mtmd.mtmd_bitmap_free(bitmap)


def _collect_chunks(mtmd: ModuleType, tokenized: Tokenized) -> None:
    chunks = tokenized._owner
    count = ctypes.c_size_t()
    for index in range(mtmd.mtmd_input_chunks_size(chunks)):
        chunk = mtmd.mtmd_input_chunks_get(chunks, index)
        if chunk is None:
            continue
        if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
            pointer = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
            tokens = pointer[: count.value] if pointer and count.value else []
            tokenized.keys.extend(tokens)
            tokenized.n_pos.extend([1] * len(tokens))
            tokenized.n_cells.extend([1] * len(tokens))
        else:
            raw_id = mtmd.mtmd_input_chunk_get_id(chunk) or b""
            tokenized.image_chunks[len(tokenized.keys)] = chunk
            tokenized.keys.append("image:" + raw_id.decode("ascii", "replace"))
            tokenized.n_pos.append(int(mtmd.mtmd_input_chunk_get_n_pos(chunk)))
            tokenized.n_cells.append(int(mtmd.mtmd_input_chunk_get_n_tokens(chunk)))


def _avoid_single_token_batch(keys: Sequence[Key], keep: int) -> int:
    """Move the start back one token if the text run it starts in would be one token long.

    A one-token batch takes a different path through llama.cpp's kernels than a longer one
    (measured: logits differ by up to 0.67 on SmolLM2), so a cached prefix followed by a
    one-token suffix would answer differently than a fresh context.  Batches of two or more
    tokens give bit-identical results whatever their split.
    """
    end = keep
    while end < len(keys) and isinstance(keys[end], int):
        end += 1
    if end - keep == 1 and keep > 0 and isinstance(keys[keep - 1], int):
        return keep - 1
    return keep


def _batch_sizes(count: int, n_batch: int) -> list[tuple[int, int]]:
    """(offset, size) of the batches for ``count`` tokens, never ending on a batch of one."""
    sizes: list[tuple[int, int]] = []
    offset = 0
    while offset < count:
        size = min(n_batch, count - offset)
        if count - offset - size == 1:
            size -= 1  # leave two tokens for the last batch, not one
        sizes.append((offset, size))
        offset += size
    return sizes


def common_prefix(cached: Sequence[Key], wanted: Sequence[Key]) -> int:
    """How many leading keys two sequences share."""
    limit = min(len(cached), len(wanted))
    index = 0
    while index < limit and cached[index] == wanted[index]:
        index += 1
    return index


class ContextCache:
    """What the llama.cpp context holds (sequence 0), and evaluation of a prompt's new tail.

    One per loaded model; not thread-safe (the backend serves one request at a time).
    """

    def __init__(
        self,
        llama_cpp: ModuleType,
        llm: Any,
        mtmd: ModuleType | None,
        mtmd_ctx: Any,
        *,
        max_ctx: int | None = None,
        embeddings: ProjectorEmbeddings | None = None,
    ) -> None:
        """``embeddings``: where images' projector outputs are kept across contexts, loads
        and processes (``image_embeddings``); None encodes every image it evaluates."""
        self._lib = llama_cpp
        self._llm = llm
        self.ctx = llm._ctx.ctx  # replaced when the context grows: read it, never keep it
        self._mtmd = mtmd
        self._mtmd_ctx = mtmd_ctx
        self.n_ctx = int(llama_cpp.llama_n_ctx(self.ctx))
        #: How far the context may grow (``context_size``); the size it was created with
        #: when it was created whole.
        self.max_ctx = max(self.n_ctx, max_ctx or 0)
        self.n_batch = int(llama_cpp.llama_n_batch(self.ctx))
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self.threads = int(llama_cpp.llama_n_threads(self.ctx))
        #: llama.cpp's evaluation time (ms) spent in contexts since replaced, this request.
        self.eval_ms_before_growth = 0.0
        self.keys: list[Key] = []
        self._n_pos: list[int] = []
        self._n_cells: list[int] = []
        self.n_cells_used = 0  # KV cells sequence 0 fills (= n_past, except for M-RoPE images)
        self.n_past = 0
        self.prompt_keys = 0  # how many of ``keys`` are the last prompt (the rest: its answer)
        self.n_vocab = int(
            llama_cpp.llama_vocab_n_tokens(
                llama_cpp.llama_model_get_vocab(llama_cpp.llama_get_model(self.ctx))
            )
        )
        #: Logits of the last token of prompts evaluated in this context, by prompt length
        #: in keys (valid while ``keys`` keeps at least that many: see ``_truncate``).
        self._prompt_logits: dict[int, bytes] = {}
        model = llama_cpp.llama_get_model(self.ctx)
        #: Recurrent and hybrid models (Mamba, LFM2, ...) cannot drop the end of a sequence:
        #: their state is not kept per token.  For them the sequence is snapshotted at the end
        #: of each prompt and after each image (``_checkpoints``, by length in keys) and a
        #: truncation goes back to the longest snapshot it allows -- as llama-server's context
        #: checkpoints do -- so Regenerate, the next turn and an edit of the text after an
        #: image do not read the conversation, images included, again.
        self.recurrent = bool(
            llama_cpp.llama_model_is_recurrent(model) or llama_cpp.llama_model_is_hybrid(model)
        )
        self._checkpoints: dict[int, Any] = {}
        self._embeddings = embeddings
        #: The width of the embeddings the model reads (an image's are n_tokens x this).
        self._n_embd_inp = int(llama_cpp.llama_model_n_embd_inp(model))
        #: Which of its image's chunks the next ``_eval_image`` evaluates (set by
        #: ``evaluate``: SmolVLM's tiles all carry the image's id).
        self._image_part = 0

    def set_threads(self, threads: int) -> None:
        if threads != self.threads:
            self._lib.llama_set_n_threads(self.ctx, threads, threads)
            self.threads = threads

    def reset_perf(self) -> None:
        self._lib.llama_perf_context_reset(self.ctx)
        self.eval_ms_before_growth = 0.0

    def eval_ms(self) -> float:
        """llama.cpp's own evaluation time since ``reset_perf``, across growths."""
        perf = self._lib.llama_perf_context(self.ctx)
        return self.eval_ms_before_growth + float(perf.t_eval_ms)

    def make_room(self, cells: int) -> bool:
        """Grow the context, if it may, to hold ``cells`` KV cells; False when the chosen
        context size is reached.  Raises ``OutOfMemory`` when a bigger context cannot be
        made: the answer stops there, but not as if the conversation had filled it.
        """
        if cells <= self.n_ctx:
            return True
        if self.n_ctx >= self.max_ctx:
            return False
        size = next_size(self.n_ctx, cells, self.max_ctx)
        lib = self._lib
        carried = float(lib.llama_perf_context(self.ctx).t_eval_ms)
        try:
            self.ctx = replace_context(lib, self._llm, size, self.threads)
        except GrowFailed as error:
            raise OutOfMemory(
                message(
                    "This conversation needs a bigger context than the {tokens} tokens it "
                    "has, and there is not enough memory to grow it ({reason}). Close other "
                    "programs, lower the context size in Settings, or start a new chat.",
                    tokens=str(self.n_ctx),
                    reason=sentence_of(error),
                )
            ) from None
        self.eval_ms_before_growth += carried
        self._prompt_logits.clear()  # the new context has no output row to put them in
        self._checkpoints.clear()
        lib.llama_perf_context_reset(self.ctx)
        self.n_ctx = int(lib.llama_n_ctx(self.ctx))
        return cells <= self.n_ctx

    def close(self) -> None:
        if self._batch is not None:
            self._lib.llama_batch_free(self._batch)
            self._batch = None

    def invalidate(self) -> None:
        """Forget everything: after a failed or aborted evaluation the KV state is unknown."""
        self._lib.llama_memory_clear(self._lib.llama_get_memory(self.ctx), True)
        self.keys.clear()
        self._n_pos.clear()
        self._n_cells.clear()
        self.n_cells_used = 0
        self.n_past = 0
        self._prompt_logits.clear()
        self._checkpoints.clear()

    def _truncate(self, keep: int) -> None:
        """Drop every cached key from ``keep`` on, in the KV cache too.

        A recurrent or hybrid model's memory cannot drop part of a sequence: it goes back to
        its longest checkpoint of at most ``keep`` keys instead (so ``keys`` may end up
        shorter than ``keep``), or forgets everything when there is none.
        """
        n_past = sum(self._n_pos[:keep])
        memory = self._lib.llama_get_memory(self.ctx)
        if not self._lib.llama_memory_seq_rm(memory, 0, n_past, -1):
            usable = [length for length in self._checkpoints if length <= keep]
            if not usable or not self._restore_checkpoint(max(usable)):
                self.invalidate()
            return
        self._drop_keys_from(keep, n_past)

    def _drop_keys_from(self, keep: int, n_past: int) -> None:
        del self.keys[keep:]
        del self._n_pos[keep:]
        del self._n_cells[keep:]
        self.n_cells_used = sum(self._n_cells)
        self.n_past = n_past
        for length in [length for length in self._prompt_logits if length > keep]:
            del self._prompt_logits[length]
        for length in [length for length in self._checkpoints if length > keep]:
            del self._checkpoints[length]

    def _checkpoint(self) -> None:
        """Snapshot sequence 0 as it is now (a recurrent model, at a prompt end or after an
        image)."""
        lib = self._lib
        size = int(lib.llama_state_seq_get_size(self.ctx, 0))
        try:
            buffer = (ctypes.c_uint8 * size)()
        except MemoryError:
            return  # no snapshot: a later truncation re-reads the conversation
        if lib.llama_state_seq_get_data(self.ctx, buffer, size, 0) != size:
            return
        self._checkpoints[len(self.keys)] = buffer
        while len(self._checkpoints) > _KEPT_CHECKPOINTS:
            del self._checkpoints[next(iter(self._checkpoints))]  # the oldest taken

    def _restore_checkpoint(self, length: int) -> bool:
        """Put sequence 0 back as it was when it held ``length`` keys."""
        lib = self._lib
        buffer = self._checkpoints[length]
        lib.llama_memory_seq_rm(lib.llama_get_memory(self.ctx), 0, -1, -1)
        if lib.llama_state_seq_set_data(self.ctx, buffer, len(buffer), 0) != len(buffer):
            return False
        self._drop_keys_from(length, sum(self._n_pos[:length]))
        return True

    def evaluate(self, prompt: Tokenized, abort_callback: Any = None) -> int:
        """Make the context hold ``prompt``; returns how many tokens were evaluated.

        Tokens, not positions: an M-RoPE image (Qwen2.5-VL) is ~600 tokens at ~30 positions,
        and ``prompt_tokens`` must say what the model really read.

        Sampling needs the last token's logits: when the whole prompt is cached they are the ones
        kept from its evaluation (nothing is evaluated), otherwise at least the last token is
        evaluated again.  ``abort_callback`` (a ``ggml_abort_callback``) is installed only
        meanwhile: llama.cpp calls it after every graph node, and a Python callback there (GIL,
        ctypes) costs ~5-10 % of a small model's decode speed while the other threads wait at the
        barrier.
        """
        if not prompt.keys:
            raise ValueError("The prompt is empty")
        keep = common_prefix(self.keys, prompt.keys)
        if keep == len(prompt.keys):
            if self._start_from_kept_logits(keep):
                self.prompt_keys = keep
                return 0
            keep = common_prefix(self.keys, prompt.keys)  # it may have gone back further
        keep = min(keep, len(prompt.keys) - 1)
        while keep > 0 and not isinstance(prompt.keys[keep], int):
            keep -= 1  # never start evaluating in the middle of an image
        keep = _avoid_single_token_batch(prompt.keys, keep)
        total = sum(self._n_cells[:keep]) + sum(prompt.n_cells[keep:])
        if not self.make_room(total + 1):  # and one more for the answer's first token
            raise PromptTooLong(f"Prompt exceeds n_ctx: {total} > {self.n_ctx}")
        self._truncate(keep)
        keep = len(self.keys)  # _truncate may have invalidated everything
        start = self.n_cells_used
        self._evaluate_range(prompt, keep, len(prompt.keys), abort_callback, logits=True)
        self.prompt_keys = len(self.keys)
        self._keep_prompt_logits()
        if self.recurrent:
            self._checkpoint()
        return self.n_cells_used - start

    def prefill(
        self,
        prompt: Tokenized,
        end: int,
        abort_callback: Any = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> tuple[int, int]:
        """Make the context hold ``prompt.keys[:end]`` ahead of the request (eager prefill),
        and encode into the image-embedding cache the images after ``end``.

        ``end`` follows an image (or is 0): a fresh evaluation of the whole prompt cuts its
        batches at every image, so evaluating up to one now and the rest at Send splits the
        tokens into exactly the same batches -- the answer is the one a single evaluation
        gives, with flash attention too.  No logits are asked for (nothing samples here), and
        the prompt logits kept for Regenerate stay valid for every prompt still held.

        Returns (tokens evaluated, images read).  ``cancelled`` is asked before each image
        (its encode cannot be aborted midway) and stops there, keeping what was read;
        ``abort_callback`` stops a decode midway, which forgets the context.
        """
        evaluated = 0
        images = 0
        if end > 0:
            keep = common_prefix(self.keys, prompt.keys[:end])
            if keep < end:
                while keep > 0 and not isinstance(prompt.keys[keep], int):
                    keep -= 1  # never start in the middle of an image
                keep = _avoid_single_token_batch(prompt.keys[:end], keep)
                total = sum(self._n_cells[:keep]) + sum(prompt.n_cells[keep:end])
                if not self.make_room(total + 1):
                    raise PromptTooLong(f"Prompt exceeds n_ctx: {total} > {self.n_ctx}")
                self._truncate(keep)
                start = self.n_cells_used
                images += self._evaluate_range(
                    prompt, len(self.keys), end, abort_callback, cancelled
                )
                evaluated = self.n_cells_used - start
                self.prompt_keys = len(self.keys)  # nothing here is an answer to forget
            else:
                images += sum(1 for index in prompt.image_chunks if index < end)
        for index in sorted(i for i in prompt.image_chunks if i >= end):
            if cancelled():
                break
            if self._embeddings is None:
                break  # an encode that is not kept would be thrown away
            chunk = prompt.image_chunks[index]
            assert self._mtmd is not None  # images come only with a projector
            self._image_part = prompt.keys[:index].count(prompt.keys[index])
            if self._image_embedding(chunk, int(self._mtmd.mtmd_input_chunk_get_n_tokens(chunk))):
                images += 1
        return evaluated, images

    def _evaluate_range(
        self,
        prompt: Tokenized,
        start: int,
        end: int,
        abort_callback: Any,
        cancelled: Callable[[], bool] = lambda: False,
        *,
        logits: bool = False,
    ) -> int:
        """Evaluate ``prompt.keys[start:end]`` after what the context holds (which must be
        ``prompt.keys[:start]``); how many images it read.  ``logits``: of the last token
        (when ``end`` is a token).  On any failure the context is forgotten (its KV state is
        unknown).

        ``abort_callback`` (a ``ggml_abort_callback``) is installed only meanwhile: llama.cpp
        calls it after every graph node, and a Python callback there (GIL, ctypes) costs
        ~5-10 % of a small model's decode speed while the other threads wait at the barrier.
        """
        lib = self._lib
        images = 0
        try:
            if abort_callback is not None:
                lib.llama_set_abort_callback(self.ctx, abort_callback, None)
            index = start
            while index < end:
                if index in prompt.image_chunks:
                    if cancelled():
                        break  # what is held is consistent: it ends before this image
                    self._image_part = prompt.keys[:index].count(prompt.keys[index])
                    self._eval_image(prompt.image_chunks[index])
                    self.keys.append(prompt.keys[index])
                    self._n_pos.append(prompt.n_pos[index])
                    self._n_cells.append(prompt.n_cells[index])
                    self.n_cells_used += prompt.n_cells[index]
                    images += 1
                    index += 1
                    if self.recurrent:
                        self._checkpoint()
                    continue
                stop = index
                while stop < end and stop not in prompt.image_chunks:
                    stop += 1
                tokens = [int(key) for key in prompt.keys[index:stop]]
                self._eval_tokens(tokens, last_logits=logits and stop == end)
                index = stop
        except BaseException:
            self.invalidate()
            raise
        finally:
            if abort_callback is not None:
                lib.llama_set_abort_callback(self.ctx, lib.ggml_abort_callback(), None)
        return images

    def _keep_prompt_logits(self) -> None:
        if not isinstance(self.keys[-1], int):
            return  # ended on an image: mtmd asked for no logits (never so for a chat prompt)
        address = self._logits_address()
        self._prompt_logits[len(self.keys)] = ctypes.string_at(address, 4 * self.n_vocab)
        while len(self._prompt_logits) > _KEPT_PROMPT_LOGITS:
            del self._prompt_logits[min(self._prompt_logits)]  # the oldest turn's

    def _start_from_kept_logits(self, length: int) -> bool:
        """Drop what follows a cached prompt of ``length`` keys and put its kept logits where
        the sampler reads them (the context's last output row); False when there are none.
        """
        if length not in self._prompt_logits:
            return False
        if not self.make_room(sum(self._n_cells[:length]) + 1):
            return False
        self._truncate(length)
        logits = self._prompt_logits.get(length)  # gone if the context just grew
        if logits is None or len(self.keys) != length:
            return False
        address = self._output_row()
        if address is None:
            # The last decode asked for no output (an eager prefill's, which ends on an
            # image): there is no row to put them in, so the prompt's last tokens are
            # evaluated again instead.
            del self._prompt_logits[length]
            return False
        ctypes.memmove(address, logits, len(logits))
        return True

    def _output_row(self) -> int | None:
        """The address of the context's last output row of logits; None when its last
        decode produced none."""
        pointer = self._lib.llama_get_logits_ith(self.ctx, -1)
        address = ctypes.cast(pointer, ctypes.c_void_p).value
        return int(address) if address else None

    def _logits_address(self) -> int:
        """Where the context's last output row of logits lives.  Only called when the
        context has produced output (a context just created or grown has none, and
        ``make_room`` forgets the kept logits then)."""
        address = self._output_row()
        if address is None:
            raise RuntimeError("llama.cpp returned no logits for the last token")
        return address

    def forget_generated(self) -> None:
        """Drop the answer's tokens from the context, keeping the prompt.

        llama.cpp evaluates a generated token alone (a batch of one), and a batch of one is
        not bit-identical to the same token inside a prompt batch: keeping those entries
        would make the next turn's answer differ from a fresh context's.  Reading the
        previous answer again as part of the next prompt is a batched evaluation, which is
        exact and ~10x faster per token than generating it was.
        """
        if len(self.keys) > self.prompt_keys:
            self._truncate(self.prompt_keys)

    def _eval_image(self, chunk: Any) -> None:
        """Evaluate an image chunk: its embeddings (kept ones, or encoded now) fed to the model.

        What ``mtmd_helper_eval_chunk_single`` does (encode, then
        ``mtmd_helper_decode_image_chunk``), with the embeddings taken from and given to the
        image-embedding cache in between; the same call decodes them either way, so a kept
        image is read exactly as a freshly encoded one.  Codes as that helper's: 2 is an
        abort (the abort callback fired while decoding).
        """
        mtmd = self._mtmd
        assert mtmd is not None
        n_tokens = int(mtmd.mtmd_input_chunk_get_n_tokens(chunk))
        embedding = self._image_embedding(chunk, n_tokens)
        data = embedding.data if embedding is not None else None
        pointer = (
            ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_float))
            if data is not None
            else mtmd.mtmd_get_output_embd(self._mtmd_ctx)
        )
        new_n_past = self._lib.llama_pos(0)
        result = mtmd.mtmd_helper_decode_image_chunk(
            self._mtmd_ctx,
            self.ctx,
            chunk,
            pointer,
            self._lib.llama_pos(self.n_past),
            self._lib.llama_seq_id(0),
            self.n_batch,
            ctypes.byref(new_n_past),
            mtmd.mtmd_helper_post_decode_callback(),  # NULL: no callback, as the helper
            None,
        )
        if result != 0:
            raise EvalFailed(f"Failed to evaluate chunk: error code {result}", aborted=result == 2)
        self.n_past = int(new_n_past.value)

    def _image_embedding(self, chunk: Any, n_tokens: int) -> Embedding | None:
        """The chunk's embeddings from the cache, or encoded now (and then kept).

        None when there is no cache (or the chunk has no usable id): it was encoded and the
        embeddings are in mtmd's output buffer, as the helper would have left them.
        """
        mtmd = self._mtmd
        assert mtmd is not None
        store = self._embeddings
        raw_id = mtmd.mtmd_input_chunk_get_id(chunk) or b""
        key = store.key(raw_id.decode("ascii", "replace"), self._image_part) if store else None
        if store is not None and key is not None:
            found = store.cache.get(key, n_tokens, self._n_embd_inp)
            if found is not None:
                return found
        started = time.perf_counter()
        result = mtmd.mtmd_encode_chunk(self._mtmd_ctx, chunk)
        if result != 0:
            raise EvalFailed(f"Failed to evaluate chunk: error code {result}")
        if store is None or key is None:
            return None
        store.cache.encoded(time.perf_counter() - started)
        try:
            data = read_chunk_embedding(mtmd, self._mtmd_ctx, n_tokens, self._n_embd_inp)
        except RuntimeError:  # mtmd gave no output buffer: decode as the helper would
            return None
        embedding = Embedding(n_tokens, self._n_embd_inp, data)
        store.cache.put(key, embedding)
        return embedding

    def _eval_tokens(self, tokens: list[int], *, last_logits: bool) -> None:
        batch = self._batch
        for offset, size in _batch_sizes(len(tokens), self.n_batch):
            part = tokens[offset : offset + size]
            batch.n_tokens = len(part)
            for i, token in enumerate(part):
                batch.token[i] = token
                batch.pos[i] = self.n_past + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = False
            batch.logits[len(part) - 1] = last_logits and offset + size == len(tokens)
            self._decode(len(part))
            self.keys.extend(part)
            self._n_pos.extend([1] * len(part))
            self._n_cells.extend([1] * len(part))
            self.n_cells_used += len(part)
            self.n_past += len(part)

    def decode_one(self, token: int) -> None:
        """Evaluate one generated token (its logits are kept for the next sample)."""
        batch = self._batch
        batch.n_tokens = 1
        batch.token[0] = token
        batch.pos[0] = self.n_past
        batch.n_seq_id[0] = 1
        batch.seq_id[0][0] = 0
        batch.logits[0] = True
        self._decode(1)
        self.keys.append(token)
        self._n_pos.append(1)
        self._n_cells.append(1)
        self.n_cells_used += 1
        self.n_past += 1

    def _decode(self, n_tokens: int) -> None:
        result = self._lib.llama_decode(self.ctx, self._batch)
        if result != 0:
            if result == 1:
                raise PromptTooLong("Prompt exceeds n_ctx: no room left in the KV cache")
            raise EvalFailed(f"llama_decode failed with {result}", aborted=result == 2)

    # -- whole states, kept across processes (``conversation_states``) ----------------------

    def snapshot(self) -> Snapshot | None:
        """A copy of sequence 0 as it is between turns (the last prompt) with its keys and
        kept logits; None when there is nothing worth keeping or it cannot be copied.

        Not for recurrent or hybrid models: their sequence cannot drop a tail, so a restored
        state would serve only the exact same prompt (their checkpoints cover a session).
        Past a sliding window (Gemma 3) the whole context's state is taken instead
        (``_whole_snapshot``): llama.cpp leaves the cells the window masks out of a
        sequence's state, and without them the restored cells would lie elsewhere than in
        the context that made them -- the next answer then drifts by rounding (measured).
        """
        from backends.llama_cpp.conversation_states import Snapshot

        if self.recurrent or not self.keys or len(self.keys) != self.prompt_keys:
            return None
        lib = self._lib
        model = lib.llama_get_model(self.ctx)
        n_swa = int(lib.llama_model_n_swa(model))
        if n_swa > 0 and self.n_past > n_swa:
            return self._whole_snapshot()
        size = int(lib.llama_state_seq_get_size(self.ctx, 0))
        try:
            buffer = (ctypes.c_uint8 * size)()
        except MemoryError:
            return None
        if lib.llama_state_seq_get_data(self.ctx, buffer, size, 0) != size:
            return None
        return Snapshot(
            keys=list(self.keys),
            n_pos=list(self._n_pos),
            n_cells=list(self._n_cells),
            n_past=self.n_past,
            prompt_keys=self.prompt_keys,
            logits=self._prompt_logits.get(len(self.keys)),
            state=buffer,
        )

    def state_size(self) -> int:
        """About how many bytes ``snapshot`` would copy (before copying them)."""
        lib = self._lib
        n_swa = int(lib.llama_model_n_swa(lib.llama_get_model(self.ctx)))
        if n_swa > 0 and self.n_past > n_swa:
            return int(lib.llama_state_get_size(self.ctx))
        return int(lib.llama_state_seq_get_size(self.ctx, 0))

    def _whole_snapshot(self) -> Snapshot | None:
        """The whole context's state, every cell in its place, plus one throwaway cell.

        A whole-context restore puts the cells back from cell 0 in the order they lie (as
        they lie here: the conversation fills cells 0..n-1) but leaves the cache's search
        head at 0, where the next token would take the cell of a masked old one.  The
        throwaway token at position ``n_past`` (cell n) is there to be shifted out after the
        restore (``llama_memory_seq_add`` moves the head to the cell it frees: n).  Only for
        models whose positions can be shifted (not M-RoPE).
        """
        from backends.llama_cpp.conversation_states import Snapshot

        lib = self._lib
        model = lib.llama_get_model(self.ctx)
        memory = lib.llama_get_memory(self.ctx)
        rope = int(lib.llama_model_rope_type(model))
        mrope = rope in {lib.LLAMA_ROPE_TYPE_MROPE, lib.LLAMA_ROPE_TYPE_IMROPE}
        if mrope or rope == lib.LLAMA_ROPE_TYPE_VISION or not lib.llama_memory_can_shift(memory):
            return None
        if self.n_cells_used + 1 > self.n_ctx or not self._decode_throwaway(self.n_past):
            return None
        try:
            size = int(lib.llama_state_get_size(self.ctx))
            buffer = (ctypes.c_uint8 * size)()
            if lib.llama_state_get_data(self.ctx, buffer, size) != size:
                return None
        except MemoryError:
            return None
        finally:
            lib.llama_memory_seq_rm(memory, 0, self.n_past, -1)
        return Snapshot(
            keys=list(self.keys),
            n_pos=list(self._n_pos),
            n_cells=list(self._n_cells),
            n_past=self.n_past,
            prompt_keys=self.prompt_keys,
            logits=self._prompt_logits.get(len(self.keys)),
            state=buffer,
            whole=True,
        )

    def _decode_throwaway(self, position: int) -> bool:
        """Evaluate one token at ``position`` of sequence 0, its logits asked for (the
        caller removes it again)."""
        token = next((key for key in reversed(self.keys) if isinstance(key, int)), 0)
        batch = self._batch
        batch.n_tokens = 1
        batch.token[0] = token
        batch.pos[0] = position
        batch.n_seq_id[0] = 1
        batch.seq_id[0][0] = 0
        batch.logits[0] = True
        return bool(self._lib.llama_decode(self.ctx, batch) == 0)

    def restore(self, snapshot: Snapshot) -> bool:
        """Make sequence 0 hold ``snapshot`` instead of what it holds; False (and an empty
        context) when llama.cpp refuses it.  Its kept logits are put back too, so Regenerate
        is exact: the output row they go to is made first, by evaluating one throwaway token
        in the emptied context (after the state is in, that token could take the cell of an
        old token masked by a sliding window, and the conversation's cells would no longer
        lie where they lay).  A whole-context state (``_whole_snapshot``) then has its
        throwaway cell shifted out, which moves the cache's head to where it lay."""
        if self.recurrent:
            return False
        lib = self._lib
        memory = lib.llama_get_memory(self.ctx)
        lib.llama_memory_seq_rm(memory, 0, -1, -1)
        self._drop_keys_from(0, 0)
        try:
            if not self.make_room(sum(snapshot.n_cells) + 2):
                return False
        except OutOfMemory:
            self.invalidate()
            return False
        memory = lib.llama_get_memory(self.ctx)  # the context may have just been replaced
        logits = snapshot.logits
        if logits is not None and len(logits) != 4 * self.n_vocab:
            logits = None
        if logits is not None:
            primed = self._decode_throwaway(0)
            lib.llama_memory_seq_rm(memory, 0, -1, -1)
            if not primed:
                logits = None
        state = snapshot.state
        size = len(state)
        if isinstance(state, ctypes.Array):
            buffer: Any = state
        else:
            buffer = (ctypes.c_uint8 * size).from_buffer(state)
        try:
            if snapshot.whole:
                loaded = lib.llama_state_set_data(self.ctx, buffer, size)
            else:
                loaded = lib.llama_state_seq_set_data(self.ctx, buffer, size, 0)
        finally:
            del buffer  # a view into ``state`` must not outlive this call
        if loaded != size:
            self.invalidate()
            return False
        if snapshot.whole:
            # The throwaway cell goes, and the cache's head with it to where it lay.
            n_past = snapshot.n_past
            lib.llama_memory_seq_add(memory, 0, n_past, -1, -(n_past + 1))
        self.keys = list(snapshot.keys)
        self._n_pos = list(snapshot.n_pos)
        self._n_cells = list(snapshot.n_cells)
        self.n_cells_used = sum(self._n_cells)
        self.n_past = snapshot.n_past
        self.prompt_keys = snapshot.prompt_keys
        if logits is not None:
            self._prompt_logits[len(self.keys)] = logits
        return True
