"""Eager prefill: images read while the person types give the answer a single read gives.

Real llama.cpp, greedy, the tiny vision model and the Gemma 3 stand-in (the real Gemma 3
270M with a synthetic projector of its width), with flash attention on as the app runs it.
``prefill`` is called with the request as it stands when the image is attached (the text
still empty or half typed); Send then sends the whole request.  The answer must be token for
token the one a backend that never prefilled gives, and the tokens the prefill evaluated plus
those Send evaluated must be the tokens the other backend evaluated: nothing read twice,
nothing skipped.  Then every way the draft can change under a prefill (an image removed, the
model switched, an earlier message edited, the image re-normalised), a Send or a Stop that
arrives while it runs, and the engine process around it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import (
    CancelToken,
    ChatRequest,
    Done,
    ImageInput,
    Message,
    PrefillReport,
    Stats,
    SupportsPrefill,
)
from backends.engine import EngineBackend
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.images import ImagePolicy, normalize_image
from tests.helpers import vision_chats
from tests.helpers.images import png_bytes
from tests.helpers.vision_chats import GREEDY, MODELS, Conversation, conversations, model_pair


@pytest.fixture(scope="module")
def photos() -> tuple[ImageInput, ImageInput]:
    return vision_chats.photos()


@pytest.fixture(scope="module", params=MODELS)
def pair(request: pytest.FixtureRequest, tiny_vlm: tuple[Path, Path]) -> tuple[Path, Path]:
    return model_pair(request.param, tiny_vlm)


@pytest.fixture
def make_backend() -> Iterator[Callable[[], LlamaCppBackend]]:
    made: list[LlamaCppBackend] = []

    def make() -> LlamaCppBackend:
        backend = LlamaCppBackend(include_embedded=False, include_stores=False)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def answer(
    backend: LlamaCppBackend | EngineBackend,
    request: ChatRequest,
    cancel: CancelToken | None = None,
) -> tuple[str, Done]:
    chunks = list(backend.stream_chat(request, cancel))
    done = chunks[-1]
    assert isinstance(done, Done)
    return "".join(getattr(chunk, "text", "") for chunk in chunks[:-1]), done


def run(
    backend: LlamaCppBackend | EngineBackend,
    model_id: str,
    turns: Conversation,
    *,
    prefill_with: str | None = None,
) -> list[tuple[str, Stats, PrefillReport | None]]:
    """Each turn's answer, its stats and (``prefill_with``: the draft text the prefill saw)
    the prefill's report, the conversation growing as the window sends it."""
    history: list[Message] = []
    results: list[tuple[str, Stats, PrefillReport | None]] = []
    for text, images in turns:
        report = None
        if prefill_with is not None:
            draft = (*history, Message("user", prefill_with, images))
            assert isinstance(backend, SupportsPrefill)
            report = backend.prefill(ChatRequest(model_id, draft, GREEDY))
        history.append(Message("user", text, images))
        said, done = answer(backend, ChatRequest(model_id, tuple(history), GREEDY))
        results.append((said, done.stats, report))
        history.append(Message("assistant", said))
    return results


@pytest.mark.parametrize("shape", ["one image", "two images in one message", "images in two turns"])
@pytest.mark.parametrize("draft", ["", "What is"])
def test_a_prefilled_answer_is_the_answer_of_a_single_read(
    pair: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
    shape: str,
    draft: str,
) -> None:
    turns = conversations(photos)[shape]
    plain = make_backend()
    expected = run(plain, plain.register(*pair).id, turns)
    eager = make_backend()
    got = run(eager, eager.register(*pair).id, turns, prefill_with=draft)

    assert [said for said, _, _ in got] == [said for said, _, _ in expected]
    for (_, stats, report), (_, plain_stats, _), (_, images) in zip(
        got, expected, turns, strict=True
    ):
        assert report is not None and not report.cancelled
        assert report.images == len(images)
        # The images (and what came before them) were read ahead; Send read the rest.
        assert report.tokens > 0
        assert stats.prompt_tokens + report.tokens == plain_stats.prompt_tokens
        assert stats.load_s == 0.0  # the model was loaded by the prefill, before Send


def test_a_second_prefill_of_the_same_draft_reads_nothing(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
) -> None:
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    draft = ChatRequest(model_id, (Message("user", "", photos),), GREEDY)
    first = backend.prefill(draft)
    again = backend.prefill(draft)
    assert first.tokens > 0 and first.images == 2
    assert (again.tokens, again.images, again.cancelled) == (0, 2, False)


def _fresh_answer(
    make_backend: Callable[[], LlamaCppBackend], pair: tuple[Path, Path], history: list[Message]
) -> str:
    backend = make_backend()
    return answer(backend, ChatRequest(backend.register(*pair).id, tuple(history), GREEDY))[0]


def test_a_draft_that_changed_under_the_prefill_is_answered_right(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
) -> None:
    """Removing an image, editing an earlier message and re-normalising the image (another
    long edge in Settings) after a prefill: the answer is the one for what was sent."""
    from tests.helpers.family_models import cached_family

    a, b = photos
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    first = [Message("user", "What is in this picture?", (a,))]
    first.append(Message("assistant", answer(backend, ChatRequest(model_id, tuple(first)))[0]))

    # An image removed: the prefill read a and b, Send has only b.
    backend.prefill(ChatRequest(model_id, (*first, Message("user", "", (a, b))), GREEDY))
    sent = [*first, Message("user", "And this?", (b,))]
    assert answer(backend, ChatRequest(model_id, tuple(sent), GREEDY))[0] == _fresh_answer(
        make_backend, tiny_vlm, sent
    )

    # An earlier message edited: the prefill read turn two, Send edits turn one.
    backend.prefill(ChatRequest(model_id, (*first, Message("user", "", (b,))), GREEDY))
    edited = [Message("user", "Describe the colours.", (a,))]
    assert answer(backend, ChatRequest(model_id, tuple(edited), GREEDY))[0] == _fresh_answer(
        make_backend, tiny_vlm, edited
    )

    # The long-edge setting changed: the same picture normalised again is another image.
    picture = png_bytes((30, 120, 200), size=(800, 600))
    smaller = normalize_image(picture, policy=ImagePolicy(max_long_edge=448))
    assert smaller.sha256 != a.sha256
    backend.prefill(ChatRequest(model_id, (Message("user", "", (a,)),), GREEDY))
    resized = [Message("user", "What is in this picture?", (smaller,))]
    assert answer(backend, ChatRequest(model_id, tuple(resized), GREEDY))[0] == _fresh_answer(
        make_backend, tiny_vlm, resized
    )

    # The model switched: the prefill loaded the tiny model, Send asks Gemma 3.
    gemma = cached_family("gemma3")
    gemma_id = backend.register(*gemma).id
    backend.prefill(ChatRequest(model_id, (Message("user", "", (a,)),), GREEDY))
    switched = [Message("user", "What is in this picture?", (a,))]
    assert answer(backend, ChatRequest(gemma_id, tuple(switched), GREEDY))[0] == _fresh_answer(
        make_backend, gemma, switched
    )


@pytest.fixture
def slow_encode(monkeypatch: pytest.MonkeyPatch) -> tuple[list[object], threading.Event]:
    """Every image encode waits until the returned event is set (as a slow CPU makes it
    wait), and is recorded."""
    from llama_cpp import mtmd_cpp

    calls: list[object] = []
    release = threading.Event()
    real = mtmd_cpp.mtmd_encode_chunk

    def slow(ctx: Any, chunk: Any) -> int:
        calls.append(chunk)
        release.wait(60)
        return int(real(ctx, chunk))

    monkeypatch.setattr(mtmd_cpp, "mtmd_encode_chunk", slow)
    return calls, release


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def _wait_until(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_send_during_a_prefill_of_its_draft_waits_for_it_and_reads_the_image_once(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
    slow_encode: tuple[list[object], threading.Event],
) -> None:
    calls, release = slow_encode
    a = photos[0]
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    sent = [Message("user", "What is in this picture?", (a,))]
    prefill, report = _in_thread(
        lambda: backend.prefill(ChatRequest(model_id, (Message("user", "", (a,)),), GREEDY))
    )
    _wait_until(lambda: len(calls) == 1)  # the prefill is encoding
    send, said = _in_thread(lambda: answer(backend, ChatRequest(model_id, tuple(sent), GREEDY)))
    time.sleep(0.3)
    assert send.is_alive() and not said  # waiting for the prefill, not refused
    release.set()
    prefill.join(60)
    send.join(60)
    assert not report[0].cancelled and report[0].images == 1
    assert said[0][0] == _fresh_answer(make_backend, tiny_vlm, sent)
    assert len(calls) == 2  # once by the prefill, once by the fresh backend: not by Send


def test_send_of_another_chat_cancels_the_prefill(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
    slow_encode: tuple[list[object], threading.Event],
) -> None:
    calls, release = slow_encode
    a, b = photos
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    draft = (Message("user", "", (a, b)),)
    prefill, report = _in_thread(lambda: backend.prefill(ChatRequest(model_id, draft, GREEDY)))
    _wait_until(lambda: len(calls) == 1)
    other = [Message("user", "Hello there, how are you?")]
    send, said = _in_thread(lambda: answer(backend, ChatRequest(model_id, tuple(other), GREEDY)))
    time.sleep(0.2)
    release.set()  # the encode under way ends; the second image is not read
    prefill.join(60)
    send.join(60)
    assert report[0].cancelled
    assert len(calls) == 1
    assert said[0][0] == _fresh_answer(make_backend, tiny_vlm, other)


def test_stop_while_send_waits_for_a_prefill_ends_the_answer_and_frees_the_model(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
    slow_encode: tuple[list[object], threading.Event],
) -> None:
    calls, release = slow_encode
    a = photos[0]
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    draft = (Message("user", "", (a,)),)
    prefill, report = _in_thread(lambda: backend.prefill(ChatRequest(model_id, draft, GREEDY)))
    _wait_until(lambda: len(calls) == 1)
    stop = CancelToken()
    sent = (Message("user", "What is in this picture?", (a,)),)
    send, said = _in_thread(lambda: answer(backend, ChatRequest(model_id, sent, GREEDY), stop))
    time.sleep(0.2)
    stop.cancel()
    send.join(10)
    assert not send.is_alive()  # Stop did not wait for the encode
    assert said[0][1].reason == "cancelled" and said[0][0] == ""
    release.set()
    prefill.join(60)
    assert report[0].cancelled
    # The model is free again, and answers right.
    text, done = answer(backend, ChatRequest(model_id, sent, GREEDY))
    assert done.reason != "cancelled" and text


def test_a_prefill_never_waits_for_an_answer(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
) -> None:
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    stream = backend.stream_chat(ChatRequest(model_id, (Message("user", "Hi"),), GREEDY))
    next(iter(stream))  # the answer holds the model
    try:
        draft = (Message("user", "", photos[:1]),)
        assert backend.prefill(ChatRequest(model_id, draft, GREEDY)) == PrefillReport(
            cancelled=True
        )
    finally:
        stream.close()  # type: ignore[attr-defined]


def test_the_engine_prefills_in_its_process_and_send_reads_only_the_words(
    tiny_vlm: tuple[Path, Path], photos: tuple[ImageInput, ImageInput]
) -> None:
    a = photos[0]
    with EngineBackend(include_embedded=False) as engine:
        model_id = engine.register(*tiny_vlm).id
        report = engine.prefill(ChatRequest(model_id, (Message("user", "", (a,)),), GREEDY))
        assert report.images == 1 and report.tokens > 0 and not report.cancelled
        sent = (Message("user", "What is in this picture?", (a,)),)
        text, done = answer(engine, ChatRequest(model_id, sent, GREEDY))
        assert text and done.stats.prompt_tokens > 0
        assert done.stats.load_s == 0.0  # the engine started and loaded before Send
        cold = LlamaCppBackend(include_embedded=False, include_stores=False)
        try:
            _, plain = answer(cold, ChatRequest(cold.register(*tiny_vlm).id, sent, GREEDY))
        finally:
            cold.close()
        assert done.stats.prompt_tokens + report.tokens == plain.stats.prompt_tokens

        # A prefill cancelled before it began does nothing, and the engine answers.
        cancel = CancelToken()
        cancel.cancel()
        draft = (*sent, Message("assistant", text), Message("user", "", photos[1:]))
        assert engine.prefill(ChatRequest(model_id, draft, GREEDY), cancel).cancelled
        assert answer(engine, ChatRequest(model_id, sent, GREEDY))[0] == text


@pytest.mark.parametrize("image_kept", [True, False])
def test_regenerate_after_a_prefill_answers_again(
    tiny_vlm: tuple[Path, Path], photos: tuple[ImageInput, ImageInput], image_kept: bool
) -> None:
    """A prefill's last decode asks for no output (it ends on an image), so the logits kept
    for Regenerate have no row to go to: Regenerate of the last answer, the image still
    attached or removed, reads the prompt's last tokens again and answers as before
    (flash attention off: then re-reading them is exact)."""
    backend = LlamaCppBackend(include_embedded=False, include_stores=False, flash_attention=False)
    try:
        model_id = backend.register(*tiny_vlm).id
        asked = (Message("user", "What is in this picture?", photos[:1]),)
        first, _ = answer(backend, ChatRequest(model_id, asked, GREEDY))
        draft = (*asked, Message("assistant", first), Message("user", "", photos[1:]))
        assert backend.prefill(ChatRequest(model_id, draft, GREEDY)).images == 1
        if not image_kept:  # the image removed, then Regenerate
            backend.prefill(ChatRequest(model_id, asked, GREEDY))
        again, done = answer(backend, ChatRequest(model_id, asked, GREEDY))
        assert (again, done.reason) == (first, "length")
    finally:
        backend.close()


def test_a_prefill_started_while_another_reads_waits_for_it_instead_of_giving_up(
    tiny_vlm: tuple[Path, Path],
    photos: tuple[ImageInput, ImageInput],
    make_backend: Callable[[], LlamaCppBackend],
    slow_encode: tuple[list[object], threading.Event],
) -> None:
    """The draft changed while its first prefill encoded (an encode cannot be aborted): the
    window cancels that one and starts another, which reads the new draft once the first
    lets go."""
    calls, release = slow_encode
    a, b = photos
    backend = make_backend()
    model_id = backend.register(*tiny_vlm).id
    cancel_first = CancelToken()
    first, first_report = _in_thread(
        lambda: backend.prefill(
            ChatRequest(model_id, (Message("user", "", (a,)),), GREEDY), cancel_first
        )
    )
    _wait_until(lambda: len(calls) == 1)
    cancel_first.cancel()
    second, second_report = _in_thread(
        lambda: backend.prefill(ChatRequest(model_id, (Message("user", "", (b,)),), GREEDY))
    )
    time.sleep(0.3)
    assert second.is_alive()  # waiting, not refused
    release.set()
    first.join(60)
    second.join(60)
    assert first_report[0].cancelled
    assert not second_report[0].cancelled and second_report[0].images == 1
