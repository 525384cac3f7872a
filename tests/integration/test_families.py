"""Each model family's stand-in through the app: the image-token layout and the prefix cache.

The stand-ins (``tests/helpers/family_models.py``) carry the real projector type and geometry, so
an 800x600 photo becomes exactly as many tokens as it would for the real model, and the
conversation's image must be evaluated once, on the turn it arrives, never again on later
turns or on Regenerate.  What a cached turn may *answer* is not asserted for Gemma here:
its logits depend on how a prompt is split into batches (issue 14's cache invariant).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import CancelToken, ChatRequest, Done, GenerationOptions, Message
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.images import normalize_image
from tests.helpers.backend_contract import BackendContract
from tests.helpers.images import png_bytes

GREEDY = GenerationOptions(temperature=0.0, max_tokens=4, num_ctx=4096, seed=1, threads=2)

# One 800x600 photo (the app's default normalisation keeps it at 800x600), per family:
# (image chunks mtmd evaluates, their tokens, at most how many wrapper tokens mtmd adds).
# gemma3: 896 px, patch 14 -> 64x64 patches, 4x4 pool -> 256 in <start_of_image>...;
# smolvlm: scaled to its 2048 px longest edge, 2048x1536 -> 4x3 = 12 tiles of 512 px plus a
#          512 px overview, 64 tokens each (patch 16, pixel shuffle 4), <row_i_col_j> markers;
# qwen2.5-vl: patch 14, 2x2 merge over mtmd's resize of the photo -> 609 tokens at only
#          29 M-RoPE positions (counted as tokens: ``prompt_tokens`` is honest);
# qwen3-vl: patch 16, 2x2 merge over a resize to multiples of 32 px (800x608) -> 25x19 =
#          475 tokens at 25 positions, in <|vision_start|>...<|vision_end|>;
# lfm2-vl: one tile (it fits 256 tokens), resized to 576x416, patch 16, pixel unshuffle 2
#          -> 18x13 = 234 tokens in <|image_start|>...<|image_end|>;
# gemma4: resized to 816x624 (multiples of 48), patch 16 -> 51x39, 3x3 pool -> 17x13 = 221
#          tokens in <|image>...<image|>;
# tiny LLaVA: 64 px, patch 16 -> 16.
LAYOUT = {
    "gemma3": (1, 256, 8),
    "smolvlm": (13, 13 * 64, 64),
    "qwen2.5-vl": (1, 609, 4),
    "qwen3-vl": (1, 475, 4),
    "lfm2-vl": (1, 234, 4),
    "gemma4": (1, 221, 4),
    "llava (tiny)": (1, 16, 8),
    "llava-1.5 (no template)": (1, 16, 8),
}


@pytest.fixture(scope="module")
def llava15(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """LLaVA 1.5 as early conversions ship it: no chat template in the GGUF."""
    from tests.helpers.tiny_models import write_tiny_mmproj, write_tiny_text_model

    folder = tmp_path_factory.mktemp("llava15")
    model = write_tiny_text_model(folder / "llava-v1.5-tiny.gguf", chat_template=None)
    return model, write_tiny_mmproj(folder / "mmproj-llava-v1.5-tiny.gguf")


@pytest.fixture(scope="module")
def pairs(tiny_vlm: tuple[Path, Path], llava15: tuple[Path, Path]) -> dict[str, tuple[Path, Path]]:
    from tests.helpers.family_models import cached_family

    return {
        "llava-1.5 (no template)": llava15,
        "gemma3": cached_family("gemma3"),
        "smolvlm": cached_family("smolvlm"),
        "qwen2.5-vl": cached_family("qwen2.5-vl"),
        "qwen3-vl": cached_family("qwen3-vl"),
        "lfm2-vl": cached_family("lfm2-vl"),
        "gemma4": cached_family("gemma4"),
        "llava (tiny)": tiny_vlm,
    }


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    yield backend
    backend.close()


def _answer(backend: LlamaCppBackend, model_id: str, messages: list[Message]) -> tuple[str, Done]:
    chunks = list(backend.stream_chat(ChatRequest(model_id, tuple(messages), GREEDY)))
    done = chunks[-1]
    assert isinstance(done, Done)
    return "".join(getattr(c, "text", "") for c in chunks[:-1]), done


@pytest.mark.parametrize("family", list(LAYOUT))
def test_an_image_is_evaluated_once_with_the_familys_token_count(
    backend: LlamaCppBackend,
    pairs: dict[str, tuple[Path, Path]],
    family: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model_id = backend.register(*pairs[family]).id
    assert backend.model_info(model_id).capabilities.vision
    photo = normalize_image(png_bytes((30, 120, 200), size=(800, 600)))
    question = Message("user", "What is in this picture?", images=(photo,))
    fresh = LlamaCppBackend(include_embedded=False, include_stores=False)
    try:
        text_id = fresh.register(*pairs[family]).id
        text_only = _answer(fresh, text_id, [Message("user", "What is in this picture?")])[1]
    finally:
        fresh.close()

    _answer(backend, model_id, [Message("system", "Be brief."), Message("user", "Hi")])
    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None
    cache = loaded.fast.cache
    evaluations: list[object] = []
    real_eval_image = cache._eval_image

    def counting(chunk: object) -> None:
        evaluations.append(chunk)
        real_eval_image(chunk)

    monkeypatch.setattr(cache, "_eval_image", counting)
    cache.invalidate()

    def image_evaluations(messages: list[Message]) -> tuple[int, Done]:
        before = len(evaluations)
        done = _answer(backend, model_id, messages)[1]
        return len(evaluations) - before, done

    chunks, tokens, wrappers = LAYOUT[family]
    count, first = image_evaluations([question])
    assert count == chunks
    # The photo's tokens are counted (not M-RoPE positions), on top of the text's.
    extra = first.stats.prompt_tokens - text_only.stats.prompt_tokens
    assert tokens <= extra <= tokens + wrappers

    history = [question, Message("assistant", "A blue square."), Message("user", "Sure?")]
    assert image_evaluations(history)[0] == 0  # later turns do not read it again
    count, regenerated = image_evaluations(history)
    # Regenerate evaluates nothing: it starts from the logits the prompt's evaluation gave.
    assert count == 0 and regenerated.stats.prompt_tokens == 0
    # Text edited after the image keeps it; anything changed before it reads it again.
    assert image_evaluations([Message("user", "Describe it.", (photo,)), *history[1:]])[0] == 0
    assert image_evaluations([Message("system", "Be brief."), *history])[0] == chunks


def test_cancelled_token_is_harmless(
    backend: LlamaCppBackend, pairs: dict[str, tuple[Path, Path]]
) -> None:
    """A Stop before the first token leaves the family's context usable."""
    model_id = backend.register(*pairs["gemma3"]).id
    cancel = CancelToken()
    cancel.cancel()
    request = ChatRequest(model_id, (Message("user", "Hello"),), GREEDY)
    chunks = list(backend.stream_chat(request, cancel))
    assert isinstance(chunks[-1], Done) and chunks[-1].reason == "cancelled"
    _, done = _answer(backend, model_id, [Message("user", "Hello")])
    assert done.stats.completion_tokens > 0


# -- the backend contract, run over every family stand-in ---------------------------------


@pytest.fixture(
    scope="module",
    params=[
        "gemma3",
        "gemma4",
        "smolvlm",
        "qwen2.5-vl",
        "qwen3-vl",
        "lfm2-vl",
        "llava-1.5 (no template)",
    ],
)
def family_backend(
    request: pytest.FixtureRequest, pairs: dict[str, tuple[Path, Path]]
) -> Iterator[tuple[LlamaCppBackend, str]]:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    model_id = backend.register(*pairs[request.param]).id
    yield backend, model_id
    backend.close()


@pytest.fixture(scope="module")
def half_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_text_model: Path) -> Path:
    path = tmp_path_factory.mktemp("broken") / "half.gguf"
    data = tiny_text_model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


class TestFamilyContract(BackendContract):
    """The suite every backend passes, with each family's model as the text and the vision
    model (its own template, tokenizer and projector)."""

    @pytest.fixture
    def backend(self, family_backend: tuple[LlamaCppBackend, str]) -> LlamaCppBackend:
        return family_backend[0]

    @pytest.fixture
    def text_model_id(self, family_backend: tuple[LlamaCppBackend, str]) -> str:
        return family_backend[1]

    @pytest.fixture
    def vision_model_id(self, family_backend: tuple[LlamaCppBackend, str]) -> str:
        return family_backend[1]

    @pytest.fixture
    def text_only_model_id(self, tiny_text_model: Path) -> str:
        return str(tiny_text_model)

    @pytest.fixture
    def broken_model_id(self, half_gguf: Path) -> str:
        return str(half_gguf)


# -- the cache invariant ---------------------------------------------------------------------


class _BatchLog:
    """What the prefix cache asked llama.cpp to do, batch by batch, with the logits it got."""

    def __init__(self, cache: object, lib: object) -> None:
        self.ops: list[tuple[str, object]] = []
        self._cache = cache
        self._lib = lib

    def record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        cache, lib = self._cache, self._lib
        decode, truncate, invalidate = cache._decode, cache._truncate, cache.invalidate  # type: ignore[attr-defined]
        start_from_kept = cache._start_from_kept_logits  # type: ignore[attr-defined]

        def logged_decode(n_tokens: int) -> None:
            batch = cache._batch  # type: ignore[attr-defined]
            entries = [
                (batch.token[i], batch.pos[i], bool(batch.logits[i])) for i in range(n_tokens)
            ]
            decode(n_tokens)
            logits = None
            if entries[-1][2]:
                row = lib.llama_get_logits_ith(cache.ctx, -1)  # type: ignore[attr-defined]
                logits = [row[i] for i in range(cache_vocab(lib, cache))]
            self.ops.append(("decode", (entries, logits)))

        def logged_truncate(keep: int) -> None:
            truncate(keep)
            self.ops.append(("keep", cache.n_past))  # type: ignore[attr-defined]

        def logged_invalidate() -> None:
            invalidate()
            self.ops.append(("keep", 0))

        def logged_start_from_kept(length: int) -> bool:
            started = bool(start_from_kept(length))
            if started:
                row = lib.llama_get_logits_ith(cache.ctx, -1)  # type: ignore[attr-defined]
                logits = [row[i] for i in range(cache_vocab(lib, cache))]
                self.ops.append(("kept", (cache.n_past, logits)))  # type: ignore[attr-defined]
            return started

        monkeypatch.setattr(cache, "_start_from_kept_logits", logged_start_from_kept)
        monkeypatch.setattr(cache, "_decode", logged_decode)
        monkeypatch.setattr(cache, "_truncate", logged_truncate)
        monkeypatch.setattr(cache, "invalidate", logged_invalidate)


def cache_vocab(lib: object, cache: object) -> int:
    model = lib.llama_get_model(cache.ctx)  # type: ignore[attr-defined]
    return int(lib.llama_vocab_n_tokens(lib.llama_model_get_vocab(model)))  # type: ignore[attr-defined]


def _replay(lib: object, llm: object, log: _BatchLog, n_ctx: int, threads: int) -> int:
    """The same batches in a fresh context; returns how many logit rows were compared."""
    import ctypes

    params = type(llm.context_params).from_buffer_copy(llm.context_params)  # type: ignore[attr-defined]
    params.n_ctx = n_ctx
    ctx = lib.llama_init_from_model(llm._model.model, params)  # type: ignore[attr-defined]
    lib.llama_set_n_threads(ctx, threads, threads)  # type: ignore[attr-defined]
    batch = lib.llama_batch_init(512, 0, 1)  # type: ignore[attr-defined]
    compared = 0
    last_logits: dict[int, list[float]] = {}  # position -> logits the replay got there
    try:
        for kind, value in log.ops:
            if kind == "keep":
                memory = lib.llama_get_memory(ctx)  # type: ignore[attr-defined]
                assert lib.llama_memory_seq_rm(memory, 0, int(value), -1)  # type: ignore[attr-defined]
                for pos in [pos for pos in last_logits if pos >= int(value)]:  # type: ignore[call-overload]
                    del last_logits[pos]
                continue
            if kind == "kept":
                # A cached prompt started from kept logits: exactly what evaluating it gave.
                n_past, kept = value  # type: ignore[misc]
                assert kept == last_logits[n_past - 1]
                compared += 1
                continue
            entries, logits = value  # type: ignore[misc]
            batch.n_tokens = len(entries)
            for i, (token, pos, want) in enumerate(entries):
                batch.token[i], batch.pos[i], batch.logits[i] = token, pos, want
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
            assert lib.llama_decode(ctx, batch) == 0  # type: ignore[attr-defined]
            if logits is not None:
                row = lib.llama_get_logits_ith(ctx, -1)  # type: ignore[attr-defined]
                fresh = [row[i] for i in range(len(logits))]
                # Bit for bit: the cache adds nothing to what these very batches give.
                assert fresh == logits
                last_logits[entries[-1][1]] = fresh
                compared += 1
    finally:
        lib.llama_batch_free(batch)  # type: ignore[attr-defined]
        lib.llama_free(ctx)  # type: ignore[attr-defined]
    del ctypes
    return compared


@pytest.mark.parametrize("flash_attention", [False, True], ids=["fa-off", "fa-on"])
@pytest.mark.parametrize("model_name", ["gemma 3 270m", "smollm2"])
def test_cached_turns_equal_a_fresh_context_fed_the_same_batches(
    model_name: str,
    flash_attention: bool,
    gemma270m: Path,
    smollm2: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The prefix cache's invariant, honest for every family.

    Gemma 3's logits depend on how a prompt is cut into batches (up to ~1 logit here once a
    prompt passes its 512-token sliding window; SmolLM2's: not at all), so "a cached turn
    answers exactly as a fresh context" cannot hold for it.  What must hold, and is checked
    bit for bit: the context the cache builds over turns, regenerations and edits gives the
    same logits as a fresh context fed the very same batches -- the cache loses, reorders
    or leaves behind nothing.
    """
    path = gemma270m if model_name.startswith("gemma") else smollm2
    backend = LlamaCppBackend(
        include_embedded=False, include_stores=False, flash_attention=flash_attention
    )
    try:
        _check_replay(backend, path, monkeypatch)
    finally:
        backend.close()


def _check_replay(backend: LlamaCppBackend, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_id = backend.register(path).id
    _answer(backend, model_id, [Message("user", "Hi")])
    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None
    cache = loaded.fast.cache
    lib = loaded.fast._lib
    cache.invalidate()
    log = _BatchLog(cache, lib)
    log.record(monkeypatch)

    history = [Message("user", "Name three colours. " * 30)]
    first, _ = _answer(backend, model_id, history)
    history += [Message("assistant", first), Message("user", "And three animals?")]
    second, _ = _answer(backend, model_id, history)
    # Regenerate, at temperature 0: the same answer, flash attention or not, because a
    # cached prompt starts from the logits its evaluation gave (nothing is re-evaluated).
    assert _answer(backend, model_id, history)[0] == second
    assert _answer(backend, model_id, history[:1])[0] == first  # Regenerate an older turn
    assert [kind for kind, _ in log.ops].count("kept") == 2
    edited = [Message("user", "Name three fruits. " * 30), *history[1:]]
    _answer(backend, model_id, edited)  # an edit of the first message
    compared = _replay(lib, loaded.llm, log, cache.n_ctx, cache.threads)
    assert compared >= 5 * GREEDY.max_tokens


def test_llava15_without_template_gets_the_fast_path_and_its_trained_format(
    backend: LlamaCppBackend, llava15: tuple[Path, Path]
) -> None:
    """A template-less LLaVA 1.5 file is rendered in the "llava_v1" format it was trained
    with (the binding's handler rendered "SYSUSER: hiUSER: ASSISTANT: ..."), by the fast
    path, so its image is read once."""
    from backends.llama_cpp.backend import _openai_messages

    model_id = backend.register(*llava15).id
    photo = normalize_image(png_bytes((200, 30, 30), size=(64, 64)))
    conversation = [
        Message("user", "What is this?", images=(photo,)),
        Message("assistant", "A red square."),
        Message("user", "Sure?"),
    ]
    _answer(backend, model_id, conversation[:1])
    loaded = backend._loaded
    assert loaded is not None and loaded.fast is not None
    prompt = loaded.fast._render(_openai_messages(conversation)).text
    assert prompt == (
        "A chat between a curious human and an artificial intelligence assistant. The "
        "assistant gives helpful, detailed, and polite answers to the human's questions. "
        "USER: <__media__>\nWhat is this? ASSISTANT: A red square.</s>USER: Sure? ASSISTANT:"
    )
    system = [Message("system", "Be brief."), Message("user", "Hi")]
    assert loaded.fast._render(_openai_messages(system)).text == "Be brief. USER: Hi ASSISTANT:"
