"""A conversation reopened after a restart answers from its kept state exactly (issue 20).

Real llama.cpp, the tiny vision model and the Gemma 3 stand-in (Gemma 3 270M with a
synthetic projector of its width), greedy, flash attention off (as the prefix-cache tests:
with it on no model's logits are independent of how a prompt is cut into batches).  A
backend answers a conversation and is closed (its state goes to disk); a *new* backend,
reading only the folder, answers the next turn: token for token what a fresh backend
answers when fed the whole conversation, and ``Stats.prompt_tokens`` shows it evaluated only
the new tail.  A kept state of another model file, context size or build, a truncated,
foreign or flipped file, and a full disk each leave the answer exactly as it was.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backends.base import ChatRequest, Done, GenerationOptions, ImageInput, Message, Stats
from backends.llama_cpp import LlamaCppBackend, conversation_states
from backends.llama_cpp.conversation_states import ConversationStates
from desktop_app.core.images import normalize_image
from tests.helpers.images import png_bytes

GREEDY = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=4096, seed=1, threads=2)
NEXT = "Tell me more about it, please, in a few words."

#: Gemma 3's sliding window: past it, its logits depend on how the prompt was cut into
#: batches even with flash attention off (``test_families.py``), so a cached conversation is
#: held to "what the same app answers without a restart" (the very same batches) there.
GEMMA3_WINDOW = 512

Turns = list[tuple[str, tuple[ImageInput, ...]]]
MakeBackend = Callable[..., LlamaCppBackend]


@pytest.fixture(scope="module")
def photos() -> tuple[ImageInput, ImageInput]:
    return (
        normalize_image(png_bytes((30, 120, 200), size=(800, 600))),
        normalize_image(png_bytes(noise=True, size=(640, 480))),
    )


@pytest.fixture(scope="module", params=["tiny", "gemma3"])
def pair(request: pytest.FixtureRequest, tiny_vlm: tuple[Path, Path]) -> tuple[Path, Path]:
    if request.param == "tiny":
        return tiny_vlm
    from tests.helpers.family_models import cached_family

    return cached_family("gemma3")


def shapes(photos: tuple[ImageInput, ImageInput]) -> dict[str, Turns]:
    a, b = photos
    return {
        "one image": [("What is in this picture?", (a,))],
        "two images in one message": [("What differs between these two?", (a, b))],
        "images in two turns": [("What is in this picture?", (a,)), ("And in this one?", (b,))],
    }


@pytest.fixture
def make_backend() -> Iterator[MakeBackend]:
    made: list[LlamaCppBackend] = []

    def make(states: ConversationStates | None = None, **kwargs: object) -> LlamaCppBackend:
        backend = LlamaCppBackend(
            include_embedded=False,
            include_stores=False,
            flash_attention=bool(kwargs.pop("flash_attention", False)),
            conversation_states=states,
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def ask(
    backend: LlamaCppBackend,
    pair: tuple[Path, Path],
    history: list[Message],
    options: GenerationOptions = GREEDY,
) -> tuple[str, Stats]:
    model_id = backend.register(*pair).id
    chunks = list(backend.stream_chat(ChatRequest(model_id, tuple(history), options)))
    done = chunks[-1]
    assert isinstance(done, Done)
    return "".join(getattr(chunk, "text", "") for chunk in chunks[:-1]), done.stats


def converse(
    backend: LlamaCppBackend,
    pair: tuple[Path, Path],
    turns: Turns,
    options: GenerationOptions = GREEDY,
) -> list[Message]:
    """The conversation as the window sends it, each answer appended."""
    history: list[Message] = []
    for text, images in turns:
        history.append(Message("user", text, images))
        answer, _ = ask(backend, pair, history, options)
        history.append(Message("assistant", answer))
    return history


def fresh(
    make_backend: MakeBackend, pair: tuple[Path, Path], history: list[Message]
) -> tuple[str, Stats]:
    """The answer of a backend that keeps nothing, fed the whole conversation at once."""
    backend = make_backend(None)
    try:
        return ask(backend, pair, history)
    finally:
        backend.close()


def written(
    make_backend: MakeBackend,
    pair: tuple[Path, Path],
    turns: Turns,
    folder: Path,
    options: GenerationOptions = GREEDY,
) -> list[Message]:
    """A conversation answered by a backend that is then closed: its state on disk."""
    store = ConversationStates(folder)
    backend = make_backend(store)
    history = converse(backend, pair, turns, options)
    backend.close()
    return history


@pytest.mark.parametrize("shape", ["one image", "two images in one message", "images in two turns"])
def test_a_restored_conversation_answers_as_a_fresh_evaluation(
    pair: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    tmp_path: Path,
    shape: str,
) -> None:
    turns = shapes(photos)[shape]
    history = written(make_backend, pair, turns, tmp_path)
    history.append(Message("user", NEXT))
    expected, cold = fresh(make_backend, pair, history)
    unbroken = make_backend(None)  # the same conversation, no restart in between
    converse(unbroken, pair, turns)
    without_restart, _ = ask(unbroken, pair, history)

    reader = ConversationStates(tmp_path)  # a restart: only the folder
    answer, stats = ask(make_backend(reader), pair, history)
    assert answer == without_restart
    if pair[0].name.startswith("tiny") or cold.prompt_tokens < GEMMA3_WINDOW:
        assert answer == expected
    (kept,) = tmp_path.glob("*.state")  # the earlier turn's was superseded
    # Past the window the whole context's state is kept (``ContextCache._whole_snapshot``).
    whole = b'"whole":true' in kept.read_bytes()[:1_000_000]
    assert whole == (not pair[0].name.startswith("tiny") and cold.prompt_tokens > GEMMA3_WINDOW)
    assert reader.restored == 1
    # Only the last answer and the new question were read; the images were not.
    assert 0 < stats.prompt_tokens < 80 < cold.prompt_tokens


def test_regenerate_after_a_restart_is_exact_and_reads_nothing(
    pair: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    """With flash attention on (the app's default) too: the kept logits of the last prompt
    come back with the state, so the same prompt answers the same without evaluating."""
    turns = shapes(photos)["images in two turns"]  # past Gemma 3's window: the whole state
    options = GREEDY
    store = ConversationStates(tmp_path)
    backend = make_backend(store, flash_attention=True)
    history = converse(backend, pair, turns, options)
    backend.close()

    reader = ConversationStates(tmp_path)
    again, stats = ask(make_backend(reader, flash_attention=True), pair, history[:-1], options)
    assert again == history[-1].text
    assert (reader.restored, stats.prompt_tokens) == (1, 0)


@pytest.fixture
def own_copy(tiny_vlm: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """The tiny vision model copied where a test may touch it."""
    folder = tmp_path / "model"
    folder.mkdir()
    model, projector = folder / tiny_vlm[0].name, folder / tiny_vlm[1].name
    model.write_bytes(tiny_vlm[0].read_bytes())
    projector.write_bytes(tiny_vlm[1].read_bytes())
    return model, projector


@pytest.mark.parametrize(
    "mismatch",
    ["touched model", "context size", "build", "truncated", "foreign", "flipped byte"],
)
def test_a_state_that_does_not_match_is_discarded_and_the_answer_unchanged(  # noqa: PLR0917
    own_copy: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    mismatch: str,
) -> None:
    pair = own_copy
    folder = tmp_path / "states"
    history = written(make_backend, pair, shapes(photos)["images in two turns"], folder)
    history.append(Message("user", NEXT))
    expected, cold = fresh(make_backend, pair, history)
    (kept,) = folder.glob("*.state")
    options = GREEDY
    if mismatch == "touched model":
        later = time.time() + 60
        os.utime(pair[0], (later, later))  # maybe rewritten with other weights
    elif mismatch == "context size":
        options = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=2048, seed=1, threads=2)
    elif mismatch == "build":
        real = conversation_states.build_identity
        monkeypatch.setattr(
            conversation_states, "build_identity", lambda lib: real(lib) + " (another)"
        )
    elif mismatch == "truncated":
        kept.write_bytes(kept.read_bytes()[:-1000])
    elif mismatch == "foreign":  # a whole, valid file of another scope, named as this one
        other = tmp_path / "other"
        smaller = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=2048, seed=1)
        written(make_backend, pair, shapes(photos)["images in two turns"], other, smaller)
        (theirs,) = other.glob("*.state")
        kept.write_bytes(theirs.read_bytes())
    else:
        raw = bytearray(kept.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        kept.write_bytes(bytes(raw))

    reader = ConversationStates(folder)
    answer, stats = ask(make_backend(reader), pair, history, options)
    if mismatch != "context size":  # another size may answer otherwise: compare like with like
        assert answer == expected
        assert stats.prompt_tokens == cold.prompt_tokens  # all of it read again
    assert reader.restored == 0 and reader.discarded == 1
    assert not kept.exists()


def test_a_full_disk_leaves_the_answers_right_and_says_so_once(  # noqa: PLR0917 - fixtures
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(conversation_states.os, "replace", full)
    turns = shapes(photos)["images in two turns"]
    history = converse(make_backend(None), tiny_vlm, turns)
    store = ConversationStates(tmp_path)
    backend = make_backend(store)
    with caplog.at_level("WARNING", logger=conversation_states.__name__):
        assert converse(backend, tiny_vlm, turns) == history
        assert backend.keep_conversation_state()
        assert store.flush()
        other = converse(backend, tiny_vlm, shapes(photos)["one image"])  # switched away
        backend.close()
    assert other == converse(make_backend(None), tiny_vlm, shapes(photos)["one image"])
    assert not store.disk_writable
    assert len([r for r in caplog.records if "not be kept" in r.getMessage()]) == 1
    assert not list(tmp_path.iterdir())


def test_switching_conversations_keeps_the_one_left_and_restores_it(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    """One backend, two chats with images: the second takes the context, so the first is
    kept on disk before it goes; going back to the first reads only its new turn."""
    store = ConversationStates(tmp_path)
    backend = make_backend(store)
    first = converse(backend, tiny_vlm, shapes(photos)["one image"])
    assert store.written == 0
    converse(backend, tiny_vlm, [("What is in this picture?", (photos[1],))])
    assert store.flush() and store.written == 1  # the first chat, kept when it was left
    first.append(Message("user", NEXT))
    answer, stats = ask(backend, tiny_vlm, first)
    expected, cold = fresh(make_backend, tiny_vlm, first)
    assert answer == expected
    assert store.restored == 1 and 0 < stats.prompt_tokens < 80 < cold.prompt_tokens


def test_the_engine_keeps_the_conversation_at_quit_and_the_next_engine_restores_it(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    """Through the factory, as the window builds it (a real engine process each time)."""
    from backends.engine import EngineBackend
    from desktop_app.core.models.factory import make_backend as app_backend
    from desktop_app.core.settings import Settings, app_paths

    paths = app_paths().ensure()
    folder = paths.cache_dir / conversation_states.FOLDER_NAME
    turns = shapes(photos)["images in two turns"]
    engine = app_backend("llama-cpp", Settings(), paths, isolated=True)
    try:
        assert isinstance(engine, EngineBackend)
        history: list[Message] = []
        model_id = engine.register(*tiny_vlm).id
        for text, images in turns:
            history.append(Message("user", text, images))
            chunks = list(engine.stream_chat(ChatRequest(model_id, tuple(history), GREEDY)))
            history.append(
                Message("assistant", "".join(getattr(c, "text", "") for c in chunks[:-1]))
            )
    finally:
        engine.close()
    assert len(list(folder.glob("*.state"))) == 1
    history.append(Message("user", NEXT))
    expected, cold = fresh(make_backend, tiny_vlm, history)

    engine = app_backend("llama-cpp", Settings(), paths, isolated=True)
    try:
        model_id = engine.register(*tiny_vlm).id
        chunks = list(engine.stream_chat(ChatRequest(model_id, tuple(history), GREEDY)))
    finally:
        engine.close()
    done = chunks[-1]
    assert isinstance(done, Done)
    assert "".join(getattr(c, "text", "") for c in chunks[:-1]) == expected
    assert 0 < done.stats.prompt_tokens < 80 < cold.prompt_tokens

    off = app_backend("llama-cpp", Settings(conversation_cache_mb=0), paths)
    try:
        assert isinstance(off, LlamaCppBackend) and off.conversation_states is None
    finally:
        off.close()


def test_an_idle_backend_keeps_the_conversation_once(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    """After an answer, once the backend has been idle a moment, the state goes to disk
    without anyone asking; closing later writes nothing more (the same keys)."""
    store = ConversationStates(tmp_path)
    backend = make_backend(store)
    backend.idle_keep_s = 0.05
    converse(backend, tiny_vlm, shapes(photos)["one image"])
    deadline = time.monotonic() + 30  # a ceiling for a loaded machine, not a duration
    while store.written == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.flush() and store.written == 1
    backend.close()
    assert store.written == 1 and len(list(tmp_path.glob("*.state"))) == 1


@pytest.mark.parametrize("family", ["smolvlm", "qwen2.5-vl"])
def test_tiled_and_mrope_conversations_restore_exactly(
    photos: tuple[ImageInput, ImageInput], make_backend: MakeBackend, tmp_path: Path, family: str
) -> None:
    """SmolVLM's photo is 13 chunks carrying one id; Qwen2.5-VL places an image's ~hundreds
    of tokens at a few dozen M-RoPE positions (``n_pos`` is not ``n_cells``): both come
    back as they were."""
    from tests.helpers.family_models import cached_family

    pair = cached_family(family)
    history = written(make_backend, pair, shapes(photos)["one image"], tmp_path)
    history.append(Message("user", NEXT))
    expected, cold = fresh(make_backend, pair, history)
    reader = ConversationStates(tmp_path)
    answer, stats = ask(make_backend(reader), pair, history)
    assert answer == expected
    assert reader.restored == 1 and 0 < stats.prompt_tokens < 80 < cold.prompt_tokens


def test_a_request_during_an_idle_keep_waits_for_it_instead_of_failing(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: MakeBackend,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The idle keep holds the model while it copies the state; the next question, sent
    at that moment, is answered once the copy is done, not refused as a second request."""
    import threading

    from backends.llama_cpp.fast_chat import FastChat

    store = ConversationStates(tmp_path)
    backend = make_backend(store)
    backend.idle_keep_s = 3600.0
    history = converse(backend, tiny_vlm, shapes(photos)["one image"])
    copying, release = threading.Event(), threading.Event()
    real = FastChat.keep_state

    def slow_keep(self: FastChat) -> bool:
        copying.set()
        release.wait(30)
        return real(self)

    monkeypatch.setattr(FastChat, "keep_state", slow_keep)
    keeper = threading.Thread(target=backend.keep_conversation_state)
    keeper.start()
    assert copying.wait(30)
    threading.Timer(0.2, release.set).start()
    history.append(Message("user", NEXT))
    answer, _ = ask(backend, tiny_vlm, history)  # waits for the keep, then answers
    keeper.join(30)
    assert answer == fresh(make_backend, tiny_vlm, history)[0]
    assert store.flush() and store.written == 1
