"""The contract every backend passes: one suite, run against each implementation.

A test module subclasses ``BackendContract`` and provides the fixtures ``backend``,
``text_model_id`` (answers text), ``vision_model_id`` (accepts images),
``text_only_model_id`` (no vision) and ``broken_model_id`` (a model that cannot load).
Generation here uses temperature 0 and small token limits so runs are quick and
repeatable; assertions are on behaviour, never on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pytest

from backends.base import (
    Backend,
    BackendError,
    CancelToken,
    ChatRequest,
    Chunk,
    Done,
    GenerationOptions,
    ImageInput,
    InvalidImage,
    InvalidModelFile,
    Message,
    ModelNotFound,
    TextDelta,
    VisionNotSupported,
)

GREEDY = GenerationOptions(temperature=0.0, max_tokens=16, seed=1, num_ctx=2048)


def ask(
    model: str, text: str, *, images: Iterable[ImageInput] = (), options: GenerationOptions = GREEDY
) -> ChatRequest:
    return ChatRequest(model, (Message("user", text, images=tuple(images)),), options)


def collect(chunks: Iterable[Chunk]) -> tuple[str, Done]:
    """The whole answer and the final chunk; asserts the stream's shape on the way."""
    parts: list[str] = []
    done: Done | None = None
    for chunk in chunks:
        assert done is None, "nothing may follow Done"
        if isinstance(chunk, TextDelta):
            assert chunk.text, "deltas are never empty"
            parts.append(chunk.text)
        else:
            assert isinstance(chunk, Done)
            done = chunk
    assert done is not None, "every stream ends with Done"
    return "".join(parts), done


class BackendContract:
    """Behaviour shared by every backend."""

    def test_is_a_backend(self, backend: Backend) -> None:
        assert isinstance(backend, Backend)
        assert backend.name

    def test_lists_its_models(
        self, backend: Backend, text_model_id: str, vision_model_id: str
    ) -> None:
        infos = {m.id: m for m in backend.list_models()}
        info = backend.model_info(text_model_id)
        assert info.id in infos
        assert backend.model_info(vision_model_id).capabilities.vision

    def test_unknown_model_is_model_not_found(self, backend: Backend) -> None:
        with pytest.raises(ModelNotFound):
            list(backend.stream_chat(ask("no-such-model-anywhere", "hi")))

    def test_streams_text_then_done_with_stats(self, backend: Backend, text_model_id: str) -> None:
        text, done = collect(backend.stream_chat(ask(text_model_id, "Say hello.")))
        assert text.strip()
        assert done.reason in ("stop", "length")
        assert done.stats.prompt_tokens > 0
        assert done.stats.completion_tokens > 0
        assert done.stats.decode_s > 0

    def test_max_tokens_gives_length(self, backend: Backend, vision_model_id: str) -> None:
        # The tiny model never emits end-of-sequence, so the limit is what stops it.
        options = GenerationOptions(temperature=0.0, max_tokens=5, seed=1, num_ctx=2048)
        _, done = collect(backend.stream_chat(ask(vision_model_id, "Go on.", options=options)))
        assert done.reason == "length"
        assert done.stats.completion_tokens <= 5

    def test_greedy_is_repeatable(self, backend: Backend, text_model_id: str) -> None:
        first, _ = collect(backend.stream_chat(ask(text_model_id, "Name a colour.")))
        second, _ = collect(backend.stream_chat(ask(text_model_id, "Name a colour.")))
        assert first == second

    def test_cancel_mid_stream(self, backend: Backend, vision_model_id: str) -> None:
        options = GenerationOptions(temperature=0.0, max_tokens=400, seed=1, num_ctx=2048)
        cancel = CancelToken()
        deltas = 0
        done: Done | None = None
        for chunk in backend.stream_chat(ask(vision_model_id, "Count.", options=options), cancel):
            if isinstance(chunk, TextDelta):
                deltas += 1
                if deltas == 3:
                    cancel.cancel()
            else:
                done = chunk
        assert done is not None and done.reason == "cancelled"
        assert deltas < 50

    def test_closing_the_stream_stops_it(self, backend: Backend, text_model_id: str) -> None:
        stream = backend.stream_chat(
            ask(
                text_model_id,
                "Tell me a long story.",
                options=GenerationOptions(temperature=0, max_tokens=200),
            )
        )
        first = next(iter(stream))
        assert isinstance(first, TextDelta)
        stream.close()  # type: ignore[attr-defined]
        # The backend is free again at once: a new request runs.
        text, _ = collect(backend.stream_chat(ask(text_model_id, "Say hi.")))
        assert text

    def test_cancel_before_start(self, backend: Backend, text_model_id: str) -> None:
        cancel = CancelToken()
        cancel.cancel()
        text, done = collect(backend.stream_chat(ask(text_model_id, "hi"), cancel))
        assert done.reason == "cancelled"
        assert text == ""

    def test_image_turn(
        self, backend: Backend, vision_model_id: str, red_image: ImageInput
    ) -> None:
        text, done = collect(
            backend.stream_chat(ask(vision_model_id, "What is in this image?", images=[red_image]))
        )
        assert text
        assert done.stats.prompt_tokens > 0

    def test_images_to_text_only_model_fail_early(
        self, backend: Backend, text_only_model_id: str, red_image: ImageInput
    ) -> None:
        with pytest.raises(VisionNotSupported) as raised:
            backend.stream_chat(ask(text_only_model_id, "Describe.", images=[red_image]))
        assert "image" in str(raised.value).lower()

    def test_undecodable_image(self, backend: Backend, vision_model_id: str) -> None:
        garbage = ImageInput(b"\x89PNG\r\n\x1a\nnot really", "image/png", "0" * 64, 64, 64)
        with pytest.raises((InvalidImage, BackendError)) as raised:
            collect(backend.stream_chat(ask(vision_model_id, "Describe.", images=[garbage])))
        assert "image" in str(raised.value).lower()
        # And the backend still answers afterwards.
        text, _ = collect(backend.stream_chat(ask(vision_model_id, "Hello.")))
        assert text

    def test_broken_model_is_a_clear_error(
        self, backend: Backend, broken_model_id: str, text_model_id: str
    ) -> None:
        with pytest.raises((InvalidModelFile, BackendError)) as raised:
            collect(backend.stream_chat(ask(broken_model_id, "hi")))
        assert str(raised.value)
        # The previously working model still answers.
        text, _ = collect(backend.stream_chat(ask(text_model_id, "Say hi.")))
        assert text

    def test_cancel_from_another_thread(self, backend: Backend, vision_model_id: str) -> None:
        options = GenerationOptions(temperature=0.0, max_tokens=2000, seed=1, num_ctx=2048)
        cancel = CancelToken()
        started = threading.Event()
        timer = threading.Thread(target=lambda: (started.wait(30), cancel.cancel()))
        timer.start()
        done: Done | None = None
        for chunk in backend.stream_chat(ask(vision_model_id, "Go.", options=options), cancel):
            started.set()
            if isinstance(chunk, Done):
                done = chunk
        timer.join()
        assert done is not None and done.reason == "cancelled"
        assert done.stats.completion_tokens < 2000
