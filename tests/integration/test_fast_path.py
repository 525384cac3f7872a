"""The fast path keeps the conversation in llama.cpp's context: it must never change answers.

Every check compares an answer produced with a cached prefix against the answer a fresh
context (a new backend) gives for the same conversation at temperature 0 -- with flash
attention off (the app's default, stated here because with it on no model's logits are
independent of how a prompt is cut into batches); for models whose logits depend on the cut
even so (Gemma 3 past its sliding window), ``test_families.py`` holds the cache to "equal to
a fresh context fed the same batches", bit for bit, and uses
``Stats.prompt_tokens`` (positions actually evaluated) to see what was reused.  No timing
is asserted here: ``python -m benchmarks`` measures speed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

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
from backends.llama_cpp.decode_loop import StopFilter
from backends.llama_cpp.prefix_cache import common_prefix
from desktop_app.core.images import normalize_image
from tests.helpers.images import png_bytes

GREEDY = GenerationOptions(temperature=0.0, max_tokens=16, num_ctx=2048, seed=1, threads=2)


def answer(
    backend: LlamaCppBackend,
    model_id: str,
    messages: Sequence[Message],
    options: GenerationOptions = GREEDY,
    cancel: CancelToken | None = None,
) -> tuple[str, Done]:
    chunks = list(backend.stream_chat(ChatRequest(model_id, tuple(messages), options), cancel))
    done = chunks[-1]
    assert isinstance(done, Done)
    return "".join(c.text for c in chunks[:-1] if not isinstance(c, Done)), done


def fresh_answer(
    messages: Sequence[Message], model: Path, mmproj: Path | None = None
) -> tuple[str, Stats]:
    """The same conversation in a brand-new context: nothing cached."""
    backend = LlamaCppBackend(include_embedded=False, include_stores=False, flash_attention=False)
    try:
        model_id = backend.register(model, mmproj).id
        text, done = answer(backend, model_id, messages)
        return text, done.stats
    finally:
        backend.close()


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False, flash_attention=False)
    yield backend
    backend.close()


@pytest.fixture
def red() -> ImageInput:
    return normalize_image(png_bytes((200, 30, 30)))


@pytest.fixture
def noise() -> ImageInput:
    return normalize_image(png_bytes(noise=True))


def test_text_turns_reuse_the_prefix_and_answer_as_a_fresh_context(
    backend: LlamaCppBackend, smollm2: Path
) -> None:
    model_id = backend.register(smollm2).id
    history: list[Message] = []
    for question in ("What is the capital of France?", "And of Italy?", "Which is bigger?"):
        history.append(Message("user", question))
        text, done = answer(backend, model_id, history)
        expected, fresh = fresh_answer(history, smollm2)
        assert text == expected
        if len(history) > 1:
            # Only the new turn (and the previous answer's end) is evaluated.
            assert done.stats.prompt_tokens < fresh.prompt_tokens // 2
        history.append(Message("assistant", text))


def test_regenerate_keeps_everything_but_the_last_answer(
    backend: LlamaCppBackend, smollm2: Path
) -> None:
    model_id = backend.register(smollm2).id
    conversation = [
        Message("user", "Name three colours."),
        Message("assistant", "Red, green and blue."),
        Message("user", "Name three animals."),
    ]
    first, first_done = answer(backend, model_id, conversation)
    again, again_done = answer(backend, model_id, conversation)  # Regenerate
    assert again == first
    assert first_done.stats.prompt_tokens > 20
    assert again_done.stats.prompt_tokens <= 2  # the last prompt token, for its logits


def test_editing_an_earlier_message_invalidates_what_follows(
    backend: LlamaCppBackend, smollm2: Path
) -> None:
    model_id = backend.register(smollm2).id
    original = [
        Message("user", "What is the capital of France?"),
        Message("assistant", "The capital of France is Paris."),
        Message("user", "What language do they speak there?"),
    ]
    answer(backend, model_id, original)
    edited = [Message("user", "What is the capital of Spain?"), *original[1:]]
    text, done = answer(backend, model_id, edited)
    expected, fresh = fresh_answer(edited, smollm2)
    assert text == expected
    # Everything from the edited word on is evaluated again: most of the prompt.
    assert done.stats.prompt_tokens > fresh.prompt_tokens // 2


def test_image_is_encoded_once_per_conversation(
    backend: LlamaCppBackend, tiny_vlm: tuple[Path, Path], red: ImageInput
) -> None:
    model_id = backend.register(*tiny_vlm).id
    history = [Message("user", "What is this?", (red,))]
    text, first = answer(backend, model_id, history)
    for question in ("And the colour?", "Why?"):
        history += [Message("assistant", text), Message("user", question)]
        text, done = answer(backend, model_id, history)
        expected, fresh = fresh_answer(history, *tiny_vlm)
        assert text == expected
        # The image's positions are not among those evaluated again.
        assert done.stats.prompt_tokens < fresh.prompt_tokens - 10
    _, regenerated = answer(backend, model_id, history)
    assert regenerated.stats.prompt_tokens <= 2
    assert first.stats.prompt_tokens > 16  # the image itself was evaluated on turn 1


def test_two_images_in_two_turns_are_both_seen(
    backend: LlamaCppBackend, tiny_vlm: tuple[Path, Path], red: ImageInput, noise: ImageInput
) -> None:
    model_id = backend.register(*tiny_vlm).id
    first_turn = [Message("user", "What is this?", (red,))]
    first_text, _ = answer(backend, model_id, first_turn)
    conversation = [
        *first_turn,
        Message("assistant", first_text),
        Message("user", "And this one?", (noise,)),
    ]
    text, _ = answer(backend, model_id, conversation)
    assert text == fresh_answer(conversation, *tiny_vlm)[0]
    # The turn-1 image still matters: swapping it (cache invalidated there) changes the answer.
    swapped = [Message("user", "What is this?", (noise,)), *conversation[1:]]
    swapped_text, _ = answer(backend, model_id, swapped)
    assert swapped_text == fresh_answer(swapped, *tiny_vlm)[0]
    assert swapped_text != text


def test_a_cancelled_prompt_leaves_a_usable_context(
    backend: LlamaCppBackend, smollm2: Path
) -> None:
    model_id = backend.register(smollm2).id
    conversation = [Message("user", "What is the capital of France?")]
    cancel = CancelToken()
    cancel.cancel()
    _, done = answer(backend, model_id, conversation, cancel=cancel)
    assert done.reason == "cancelled"
    text, _ = answer(backend, model_id, conversation)
    assert text == fresh_answer(conversation, smollm2)[0]


def test_stop_strings_cut_the_answer(backend: LlamaCppBackend, smollm2: Path) -> None:
    model_id = backend.register(smollm2).id
    conversation = [Message("user", "What is the capital of France? Answer in one sentence.")]
    full, _ = answer(backend, model_id, conversation)
    assert "Paris" in full
    options = GenerationOptions(temperature=0.0, max_tokens=16, num_ctx=2048, stop=("Paris",))
    cut, done = answer(backend, model_id, conversation, options)
    assert cut == full[: full.index("Paris")]
    assert done.reason == "stop"


def test_stop_filter_holds_back_partial_matches() -> None:
    stop = StopFilter(["</end>"])
    out = stop.feed("Hello </") + stop.feed("en")
    assert out == "Hello "
    assert stop.feed("d> more") == "" and stop.hit
    loose = StopFilter(["</end>"])
    assert loose.feed("a </") + loose.feed("b") + loose.flush() == "a </b"


def test_common_prefix_compares_tokens_and_images() -> None:
    assert common_prefix([1, 2, "image:a", 3], [1, 2, "image:a", 4]) == 3
    assert common_prefix([1, 2, "image:a"], [1, 2, "image:b"]) == 2
    assert common_prefix([], [1]) == 0


# -- the repetition penalty, done on the logits instead of llama.cpp's penalties sampler ------


def test_repeat_penalty_matches_llamas_own_sampler_bit_for_bit() -> None:
    """Same candidates in, same logits out: the native penalties sampler vs RepeatPenalty."""
    import ctypes

    import llama_cpp
    import numpy as np

    from backends.llama_cpp.decode_loop import RepeatPenalty

    n_vocab = 5000
    rng = np.random.default_rng(7)
    logits = (rng.standard_normal(n_vocab) * 8).astype(np.float32)
    logits[:50] = 0.0  # zero is multiplied, as in llama.cpp
    history = [int(t) for t in rng.integers(0, 120, size=150)]  # repeats, and > 64 of them
    for penalty_value in (1.1, 1.3, 0.9):
        native = llama_cpp.llama_sampler_init_penalties(n_vocab, 64, penalty_value, 0.0, 0.0)
        ours = RepeatPenalty(penalty_value)
        for token in history:
            llama_cpp.llama_sampler_accept(native, token)
            ours.accept(token)
        data = (llama_cpp.llama_token_data * n_vocab)()
        for i, value in enumerate(logits):
            data[i] = llama_cpp.llama_token_data(i, float(value), 0.0)
        array = llama_cpp.llama_token_data_array(data, n_vocab, -1, False)
        llama_cpp.llama_sampler_apply(native, ctypes.byref(array))
        expected = np.array([data[i].logit for i in range(n_vocab)], dtype=np.float32)
        llama_cpp.llama_sampler_free(native)

        row = logits.copy()
        ours.apply((ctypes.c_float * n_vocab).from_buffer(row))
        assert np.array_equal(row.view(np.uint32), expected.view(np.uint32)), penalty_value
        assert not np.array_equal(row, logits)  # it did penalise something


@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_generation_with_the_penalty_is_unchanged(smollm2: Path, temperature: float) -> None:
    """Token by token on a real model: the chain with llama.cpp's penalties sampler and ours
    (penalty on the logits, then argmax at temperature 0, else the chain without it) pick the
    same tokens."""
    import llama_cpp
    import numpy as np

    from backends.llama_cpp.decode_loop import SamplerChain

    llm = llama_cpp.Llama(str(smollm2), n_ctx=512, n_threads=2, verbose=False)
    try:
        ctx = llm._ctx.ctx
        n_vocab = llm.n_vocab()
        settings = dict(temperature=temperature, top_k=40, top_p=0.95, seed=3)
        ours = SamplerChain(llama_cpp, n_vocab=n_vocab, repeat_penalty=1.3, **settings)
        native = SamplerChain(llama_cpp, n_vocab=n_vocab, repeat_penalty=1.0, **settings)
        # The native reference: llama.cpp's penalties sampler in front of the same chain.
        reference = llama_cpp.llama_sampler_chain_init(
            llama_cpp.llama_sampler_chain_default_params()
        )
        llama_cpp.llama_sampler_chain_add(
            reference, llama_cpp.llama_sampler_init_penalties(n_vocab, 64, 1.3, 0.0, 0.0)
        )
        llama_cpp.llama_sampler_chain_add(reference, native.chain)
        native.chain = None  # now owned by the reference chain
        assert ours.penalty is not None
        llm.eval(llm.tokenize(b"List the numbers from one to ten, then again backwards:"))
        picked = []
        for _ in range(100):
            row = llama_cpp.llama_get_logits_ith(ctx, -1)
            saved = np.ctypeslib.as_array(row, shape=(n_vocab,)).copy()
            expected = llama_cpp.llama_sampler_sample(reference, ctx, -1)
            np.ctypeslib.as_array(row, shape=(n_vocab,))[:] = saved
            token = ours.pick(ctx)  # the decode loop's own step: penalty, then argmax or chain
            np.ctypeslib.as_array(row, shape=(n_vocab,))[:] = saved
            assert token == expected, f"step {len(picked)}"
            picked.append(token)
            llm.eval([token])
        assert len(set(picked)) > 10  # a real, varied answer was compared
        llama_cpp.llama_sampler_free(reference)
        ours.close()
    finally:
        llm.close()
