"""A small model's context starts small and grows with the conversation: same answers.

``backends/llama_cpp/context_size.py`` creates a 512-cell context for models whose full KV
cache is small, and replaces it by a bigger one (the conversation's KV entries copied) when
a prompt or an answer needs more room.  Every check compares against the same conversation
in a context created whole, at temperature 0, token for token.  No timing is asserted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from backends.base import (
    CancelToken,
    ChatRequest,
    GenerationOptions,
    ImageInput,
    Message,
    OutOfMemory,
    TextDelta,
)
from backends.llama_cpp import LlamaCppBackend, context_size, prefix_cache
from backends.llama_cpp.context_size import GrowFailed, first_size, next_size
from backends.llama_cpp.gguf_check import inspect_gguf
from backends.llama_cpp.prefix_cache import Tokenized
from tests.integration.test_fast_path import answer

STORY = "Write a long, detailed story about a lighthouse keeper and a storm."


def options(max_tokens: int, num_ctx: int = 2048) -> GenerationOptions:
    return GenerationOptions(
        temperature=0.0, max_tokens=max_tokens, num_ctx=num_ctx, seed=1, threads=2
    )


@pytest.fixture
def small_first_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start at llama.cpp's smallest context (256 cells) so growth comes quickly."""
    monkeypatch.setattr(context_size, "FIRST_SIZE", 256)


def new_backend() -> LlamaCppBackend:
    return LlamaCppBackend(include_embedded=False, include_stores=False, flash_attention=False)


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    backend = new_backend()
    yield backend
    backend.close()


def context_cells(backend: LlamaCppBackend) -> int:
    loaded = backend._loaded
    assert loaded is not None
    return int(loaded.llm.n_ctx())


def whole_context_run(
    monkeypatch: pytest.MonkeyPatch,
    model: Path,
    turns: Sequence[Message],
    opts: GenerationOptions,
    mmproj: Path | None = None,
) -> list[str]:
    """Answers of the same conversation in a context created at its full size."""
    with monkeypatch.context() as patch:
        patch.setattr(context_size, "GROW_LIMIT_BYTES", 0)
        backend = new_backend()
        try:
            model_id = backend.register(model, mmproj).id
            texts = conversation(backend, model_id, turns, opts)
            assert context_cells(backend) == opts.num_ctx
            return texts
        finally:
            backend.close()


def conversation(
    backend: LlamaCppBackend, model_id: str, questions: Sequence[Message], opts: GenerationOptions
) -> list[str]:
    history: list[Message] = []
    texts: list[str] = []
    for question in questions:
        history.append(question)
        text, _ = answer(backend, model_id, history, opts)
        texts.append(text)
        history.append(Message("assistant", text))
    return texts


def test_sizes_double_up_to_the_chosen_context(smollm2: Path) -> None:
    assert next_size(512, 300, 4096) == 512
    assert next_size(512, 513, 4096) == 1024
    assert next_size(512, 3000, 4096) == 4096
    assert next_size(512, 9000, 4096) == 4096
    summary = inspect_gguf(smollm2)
    # SmolLM2's 4096-token KV cache is 90 MB: it may grow.
    assert first_size(summary, 4096) == 512
    assert first_size(summary, 300) == 300


def test_big_or_unknown_kv_caches_get_their_whole_context(
    smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context_size, "GROW_LIMIT_BYTES", 50 * 1024 * 1024)
    assert first_size(inspect_gguf(smollm2), 4096) == 4096  # 90 MB > 50 MB
    assert first_size(inspect_gguf(smollm2), 2048) == 512  # 45 MB
    # A header without the attention shape (kv_cache_bytes says 0): no guessing, whole.
    monkeypatch.setattr(context_size, "kv_cache_bytes", lambda *_: 0)
    assert first_size(inspect_gguf(smollm2), 2048) == 2048


@pytest.mark.usefixtures("small_first_context")
def test_an_answer_that_outgrows_the_context_is_the_whole_contexts_answer(
    backend: LlamaCppBackend, smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id = backend.register(smollm2).id
    opts = options(max_tokens=300)
    text, done = answer(backend, model_id, [Message("user", STORY)], opts)
    assert done.stats.completion_tokens > 256  # long enough to need a second context
    assert context_cells(backend) == 512
    assert done.stats.decode_s > 0  # llama.cpp's counters of both contexts
    assert [text] == whole_context_run(monkeypatch, smollm2, [Message("user", STORY)], opts)


@pytest.mark.usefixtures("small_first_context")
def test_later_turns_reuse_the_grown_context_and_match_a_whole_one(
    backend: LlamaCppBackend, smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id = backend.register(smollm2).id
    opts = options(max_tokens=200)
    long_question = "Summarise these notes: " + " ".join(f"note{i % 50}" for i in range(300))
    turns = [
        Message("user", long_question),
        Message("user", "Now shorter, please."),
        Message("user", "Thanks!"),
    ]
    texts = conversation(backend, model_id, turns, opts)
    grown = context_cells(backend)
    assert grown >= 1024  # the 900-token question alone needed 1024 cells
    # The third turn evaluated only what was new: the cache survived the growth.
    history = [
        turns[0],
        Message("assistant", texts[0]),
        turns[1],
        Message("assistant", texts[1]),
        turns[2],
    ]
    _, regenerated = answer(backend, model_id, history, opts)
    assert regenerated.stats.prompt_tokens <= 2
    assert texts == whole_context_run(monkeypatch, smollm2, turns, opts)


def test_gemma_sliding_window_cache_grows_exactly(
    backend: LlamaCppBackend, gemma270m: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gemma 3 keeps a separate 512-token sliding-window cache; both are copied across."""
    model_id = backend.register(gemma270m).id
    opts = options(max_tokens=120)
    filler = " ".join(f"item {i}," for i in range(150))
    turns = [
        Message("user", f"Here is a list: {filler} What is the first item?"),
        Message("user", "And the last one?"),
    ]
    texts = conversation(backend, model_id, turns, opts)
    assert context_cells(backend) >= 1024  # past the 512-token window, in a grown context
    assert texts == whole_context_run(monkeypatch, gemma270m, turns, opts)


@pytest.mark.usefixtures("small_first_context")
def test_an_image_conversation_keeps_its_image_across_growth(
    backend: LlamaCppBackend,
    tiny_vlm: tuple[Path, Path],
    noise_image: ImageInput,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model_id = backend.register(*tiny_vlm).id
    opts = options(max_tokens=150)
    turns = [Message("user", "Describe this.", (noise_image,)), Message("user", "More.")]
    texts = conversation(backend, model_id, turns, opts)
    assert context_cells(backend) > 256
    assert texts == whole_context_run(monkeypatch, tiny_vlm[0], turns, opts, tiny_vlm[1])


@pytest.mark.usefixtures("small_first_context")
def test_when_memory_refuses_a_bigger_context_the_answer_so_far_is_kept(
    backend: LlamaCppBackend, smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise GrowFailed("could not make a 512-token context: out of memory")

    monkeypatch.setattr(prefix_cache, "replace_context", refuse)
    model_id = backend.register(smollm2).id
    request = ChatRequest(model_id, (Message("user", STORY),), options(max_tokens=400))
    received: list[str] = []
    with pytest.raises(OutOfMemory, match="not enough memory to grow it") as raised:
        for chunk in backend.stream_chat(request, CancelToken()):
            if isinstance(chunk, TextDelta):
                received.append(chunk.text)
    # Not a silent "length": the user is told, and the text streamed so far is kept.
    assert len(received) > 150
    assert raised.value.partial_text == "".join(received)
    assert context_cells(backend) == 256
    # The model still answers afterwards.
    again, _ = answer(backend, model_id, [Message("user", "Hi")], options(max_tokens=8))
    assert again


def test_room_is_counted_in_kv_cells_not_positions(
    backend: LlamaCppBackend, smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """M-RoPE models (Qwen2-VL, Qwen2.5-VL) give an image far fewer positions than tokens
    (~36 against ~970 for 1024x768); each token still fills a KV cell, so growth must count
    cells or the image would overflow a 512-cell context."""
    model_id = backend.register(smollm2).id
    answer(backend, model_id, [Message("user", "Hi")], options(max_tokens=2))
    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None
    cache = loaded.fast.cache
    asked: list[int] = []

    class Stop(Exception):
        pass

    def record(cells: int) -> bool:
        asked.append(cells)
        raise Stop

    monkeypatch.setattr(cache, "make_room", record)
    prompt = Tokenized(
        keys=[1, 2, 3, "image:abc", 4, 5],
        n_pos=[1, 1, 1, 36, 1, 1],
        n_cells=[1, 1, 1, 972, 1, 1],
        image_chunks={3: object()},
    )
    with pytest.raises(Stop):
        cache.evaluate(prompt)
    assert asked == [977 + 1]  # every cell of the prompt, and one for the answer


def test_prompt_tokens_count_tokens_not_positions(
    backend: LlamaCppBackend, smollm2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--stats` prompt_tokens is what the model read: an M-RoPE image (Qwen2.5-VL: ~600
    tokens at ~30 positions) counts its tokens. The image's evaluation is stubbed (SmolLM2
    has no projector); the text around it is evaluated for real."""
    model_id = backend.register(smollm2).id
    answer(backend, model_id, [Message("user", "Hi")], options(max_tokens=2))
    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None
    cache = loaded.fast.cache
    cache.invalidate()
    monkeypatch.setattr(cache, "_eval_image", lambda chunk: None)  # fills its cells, no positions
    prompt = Tokenized(
        keys=[1, 2, 3, "image:abc", 4],
        n_pos=[1, 1, 1, 0, 1],
        n_cells=[1, 1, 1, 609, 1],
        image_chunks={3: object()},
    )
    assert cache.evaluate(prompt) == 3 + 609 + 1
    cache.invalidate()
