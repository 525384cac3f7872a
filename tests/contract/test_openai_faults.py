"""The OpenAI-compatible backend against a scripted loopback stub: the faults a real server
will not produce on demand, what goes on the wire, and where the API key may (not) appear.

The real llama-server tests are in test_openai_backend.py; these need no build and run in a
second.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from backends.base import (
    BackendError,
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    Done,
    GenerationFailed,
    GenerationOptions,
    ImageInput,
    InvalidImage,
    InvalidModelFile,
    Message,
    ModelNotFound,
    TextDelta,
    VisionNotSupported,
)
from backends.openai_compat import OpenAICompatBackend, normalize_base_url
from backends.openai_compat.endpoint import display_url, plain_http_warning, server_root
from backends.openai_compat.errors import from_status
from backends.openai_compat.wire import StreamState, request_body
from tests.helpers.backend_contract import collect
from tests.helpers.llama_server import free_port
from tests.helpers.openai_stub import Script, StubServer

KEY = "sk-test-4f1c9e0b7d2a"


def ask(text: str = "hi", model: str = "stub-model", **options: object) -> ChatRequest:
    return ChatRequest(model, (Message("user", text),), GenerationOptions(**options))  # type: ignore[arg-type]


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def backend(stub: StubServer) -> Iterator[OpenAICompatBackend]:
    backend = OpenAICompatBackend(stub.base_url)
    yield backend
    backend.close()


# -- the happy path on the wire ------------------------------------------------------------


def test_streams_deltas_then_done_with_usage(
    stub: StubServer, backend: OpenAICompatBackend
) -> None:
    text, done = collect(backend.stream_chat(ask()))
    assert text == "Hello from the stub."
    assert done.reason == "stop"
    assert (done.stats.prompt_tokens, done.stats.completion_tokens) == (11, 5)
    body = stub.chats()[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert stub.chats()[0].headers["accept"] == "text/event-stream"
    assert "authorization" not in stub.chats()[0].headers


def test_finish_reason_length(stub: StubServer, backend: OpenAICompatBackend) -> None:
    stub.scripts.append(Script(finish_reason="length"))
    _, done = collect(backend.stream_chat(ask()))
    assert done.reason == "length"


def test_server_that_ignores_stream_still_answers(
    stub: StubServer, backend: OpenAICompatBackend
) -> None:
    stub.scripts.append(Script(fault="plain_json"))
    text, done = collect(backend.stream_chat(ask()))
    assert text == "Hello from the stub."
    assert done.stats.prompt_tokens == 7


def test_options_are_mapped_for_an_unknown_server() -> None:
    options = GenerationOptions(
        temperature=0.2, max_tokens=33, seed=5, top_p=0.8, top_k=7, stop=("END",), num_ctx=999
    )
    body = request_body("m", (Message("user", "x"),), options)
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 33
    assert body["seed"] == 5
    assert body["top_p"] == 0.8
    assert body["stop"] == ["END"]
    # Not OpenAI parameters: only sent to servers that said who they are.
    assert "top_k" not in body and "repeat_penalty" not in body
    # Server start-up settings, not request options.
    assert "num_ctx" not in body and "n_ctx" not in body


def test_extra_sampling_options_follow_the_server_dialect() -> None:
    options = GenerationOptions(top_k=7, repeat_penalty=1.3)
    llama = request_body("m", (Message("user", "x"),), options, "llama.cpp")
    assert (llama["top_k"], llama["repeat_penalty"]) == (7, 1.3)
    vllm = request_body("m", (Message("user", "x"),), options, "vllm")
    assert (vllm["top_k"], vllm["repetition_penalty"]) == (7, 1.3)
    unset = request_body("m", (Message("user", "x"),), GenerationOptions(max_tokens=None))
    assert "max_tokens" not in unset and "seed" not in unset and "stop" not in unset


def test_a_llama_cpp_server_gets_top_k(stub: StubServer) -> None:
    stub.models = [{"id": "m", "object": "model", "owned_by": "llamacpp"}]
    backend = OpenAICompatBackend(stub.base_url)
    try:
        collect(backend.stream_chat(ask(model="m", top_k=3)))
    finally:
        backend.close()
    assert stub.chats()[0].body["top_k"] == 3
    # It was asked about vision (its /props is missing here: then the model is text-only).
    assert any(r.path == "/props" for r in stub.requests)


def test_images_travel_as_data_uris_of_the_normalised_bytes(
    stub: StubServer, backend: OpenAICompatBackend, red_image: ImageInput
) -> None:
    stub.models = [
        {
            "id": "stub-model",
            "owned_by": "stub",
            "architecture": {"input_modalities": ["text", "image"]},
        }
    ]
    history = (
        Message("system", "Be brief."),
        Message("user", "What colour?", images=(red_image,)),
        Message("assistant", "Red."),
        Message("user", "Sure?"),
    )
    collect(backend.stream_chat(ChatRequest("stub-model", history)))
    messages = stub.chats()[0].body["messages"]
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[2] == {"role": "assistant", "content": "Red."}
    assert messages[3] == {"role": "user", "content": "Sure?"}
    parts = messages[1]["content"]
    assert parts[-1] == {"type": "text", "text": "What colour?"}
    url = parts[0]["image_url"]["url"]
    prefix = f"data:{red_image.mime};base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == red_image.data


# -- capabilities ------------------------------------------------------------------------------


def test_vision_from_the_listing_and_from_the_user(stub: StubServer) -> None:
    stub.models = [
        {"id": "sees", "owned_by": "x", "architecture": {"input_modalities": ["text", "image"]}},
        {"id": "blind", "owned_by": "x", "architecture": {"input_modalities": ["text"]}},
        {"id": "quiet", "owned_by": "x"},
        {"id": "quiet-vlm", "owned_by": "x"},
    ]
    backend = OpenAICompatBackend(stub.base_url, vision_models={"quiet-vlm"})
    try:
        seen = {m.id: m.capabilities.vision for m in backend.list_models()}
    finally:
        backend.close()
    assert seen == {"sees": True, "blind": False, "quiet": False, "quiet-vlm": True}
    assert all(not r.path.endswith("/props") for r in stub.requests)  # not llama.cpp


def test_images_to_a_blind_model_are_refused_before_sending(
    stub: StubServer, backend: OpenAICompatBackend, red_image: ImageInput
) -> None:
    request = ChatRequest("stub-model", (Message("user", "Describe", images=(red_image,)),))
    with pytest.raises(VisionNotSupported):
        backend.stream_chat(request)
    assert stub.chats() == []


def test_unknown_model_is_refused_before_sending(
    stub: StubServer, backend: OpenAICompatBackend
) -> None:
    # A single-model llama-server answers any model name with the model it has: the
    # listing is what stops a chat from silently going to the wrong model.
    with pytest.raises(ModelNotFound) as raised:
        backend.stream_chat(ask(model="gpt-4o"))
    assert "gpt-4o" in str(raised.value)
    assert stub.chats() == []


def test_aliases_are_model_names(stub: StubServer) -> None:
    # llama-server without --alias names its model by the -m path.
    stub.models = [
        {"id": "/models/x-Q4_K_M.gguf", "aliases": ["ex"], "owned_by": "llamacpp"},
        {"id": "y", "owned_by": "llamacpp"},
    ]
    backend = OpenAICompatBackend(stub.base_url)
    try:
        for name in ("/models/x-Q4_K_M.gguf", "x-Q4_K_M.gguf", "x-Q4_K_M", "ex"):
            info = backend.model_info(name)
            assert (info.id, info.name) == ("/models/x-Q4_K_M.gguf", "x-Q4_K_M.gguf")
        collect(backend.stream_chat(ask(model="x-Q4_K_M")))
    finally:
        backend.close()
    assert stub.chats()[0].body["model"] == "/models/x-Q4_K_M.gguf"  # the server's own id


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error_type", "words"),
    [
        ("error_data", GenerationFailed, ("boom", "partial answer is kept")),
        ("error_event", GenerationFailed, ("runner crashed", "partial answer is kept")),
        ("cut", GenerationFailed, ("closed the connection", "partial answer is kept")),
        ("close_quietly", GenerationFailed, ("without finishing", "partial answer is kept")),
    ],
)
def test_mid_stream_failures_keep_the_partial_answer(
    stub: StubServer,
    backend: OpenAICompatBackend,
    fault: str,
    error_type: type[BackendError],
    words: tuple[str, ...],
) -> None:
    stub.scripts.append(Script(deltas=("Half", " an", " answer"), fault=fault))  # type: ignore[arg-type]
    received: list[str] = []
    with pytest.raises(error_type) as raised:
        for chunk in backend.stream_chat(ask()):
            if isinstance(chunk, TextDelta):
                received.append(chunk.text)
    assert raised.value.partial_text == "Half an answer" == "".join(received)
    for word in words:
        assert word in str(raised.value)
    # And the next request is answered normally.
    assert collect(backend.stream_chat(ask()))[0] == "Hello from the stub."


@pytest.mark.parametrize(
    "case",
    [
        (500, {"error": {"message": "kaboom", "code": 500}}, GenerationFailed, ("HTTP 500",)),
        (503, {"error": {"message": "Loading model", "code": 503}}, BackendUnavailable, ("503",)),
        (404, {"error": {"message": "The model `x` does not exist."}}, ModelNotFound, ("stub",)),
        (400, {"object": "error", "message": "bad temperature"}, BackendError, ("refused",)),
        (400, {"detail": [{"msg": "field required"}]}, BackendError, ("field required",)),
        (
            400,
            {"error": {"message": "request (9000 tokens) exceeds the available context size"}},
            BackendError,
            ("context",),
        ),
        (400, {"error": {"message": "Failed to load image or audio file"}}, InvalidImage, ()),
        (500, {"error": {"message": "model name=x failed to load"}}, InvalidModelFile, ()),
    ],
)
def test_error_statuses_are_clear(
    stub: StubServer,
    backend: OpenAICompatBackend,
    case: tuple[int, object, type[BackendError], tuple[str, ...]],
) -> None:
    status, body, error_type, words = case
    stub.scripts.append(Script(fault="status", status=status, body=body))
    with pytest.raises(error_type) as raised:
        collect(backend.stream_chat(ask()))
    for word in words:
        assert word in str(raised.value)


def test_a_wrong_base_url_says_so(stub: StubServer) -> None:
    root = stub.base_url.removesuffix("/v1")
    backend = OpenAICompatBackend(root + "/api")
    try:
        with pytest.raises(BackendUnavailable) as raised:
            backend.list_models()
    finally:
        backend.close()
    assert "/v1" in str(raised.value)


def test_refused_connection_is_actionable() -> None:
    backend = OpenAICompatBackend(f"http://127.0.0.1:{free_port()}/v1")
    try:
        with pytest.raises(BackendUnavailable) as raised:
            backend.list_models()
        with pytest.raises(BackendUnavailable):
            backend.stream_chat(ask())
    finally:
        backend.close()
    message = str(raised.value)
    assert "No server is running at http://127.0.0.1:" in message
    assert "--base-url" in message and "llama-server" in message


def test_stop_during_a_stall_takes_effect(stub: StubServer, backend: OpenAICompatBackend) -> None:
    stub.scripts.append(Script(deltas=("Wait",), fault="stall"))
    cancel = CancelToken()
    first = threading.Event()

    def stop_during_the_stall() -> None:
        first.wait(30)
        time.sleep(0.3)  # the server is now silent, the worker blocked in recv()
        cancel.cancel()

    threading.Thread(target=stop_during_the_stall).start()
    chunks = []
    for chunk in backend.stream_chat(ask(), cancel):
        chunks.append(chunk)
        first.set()
    # Ending at all proves the stop (the stall outlasts the test); how fast is measured by
    # ``benchmarks/cancel_latency.py``, not asserted on a shared machine.
    assert chunks[0] == TextDelta("Wait")
    assert isinstance(chunks[-1], Done) and chunks[-1].reason == "cancelled"
    assert stub.client_gone.wait(2), "the server must see the connection close"


def test_closing_the_stream_closes_the_connection(
    stub: StubServer, backend: OpenAICompatBackend
) -> None:
    stub.scripts.append(Script(deltas=("Wait",), fault="stall"))
    stream = backend.stream_chat(ask())
    assert next(iter(stream)) == TextDelta("Wait")
    stream.close()  # type: ignore[attr-defined]
    assert stub.client_gone.wait(2)


def test_a_stall_without_stop_times_out_clearly(stub: StubServer) -> None:
    stub.scripts.append(Script(deltas=("Wait",), fault="stall"))
    backend = OpenAICompatBackend(stub.base_url, timeout=0.5)
    try:
        with pytest.raises(GenerationFailed) as raised:
            collect(backend.stream_chat(ask()))
    finally:
        backend.close()
    assert raised.value.partial_text == "Wait"
    assert "stopped sending for 0.5 s" in str(raised.value)


# -- the API key -------------------------------------------------------------------------------


def test_api_key_is_sent_as_bearer(stub: StubServer) -> None:
    stub.api_key = KEY
    backend = OpenAICompatBackend(stub.base_url, KEY)
    try:
        text, _ = collect(backend.stream_chat(ask()))
    finally:
        backend.close()
    assert text
    assert {r.headers["authorization"] for r in stub.requests} == {f"Bearer {KEY}"}


@pytest.mark.parametrize(("given", "words"), [(None, "requires an API key"), ("nope", "refused")])
def test_401_is_a_clear_error_without_the_key(
    stub: StubServer, given: str | None, words: str
) -> None:
    stub.api_key = KEY
    backend = OpenAICompatBackend(stub.base_url, given)
    try:
        with pytest.raises(BackendUnavailable) as raised:
            backend.list_models()
    finally:
        backend.close()
    message = str(raised.value)
    assert words in message and "401" in message and "--api-key-env" in message
    assert KEY not in message and (given is None or given not in message)


def test_the_key_never_reaches_logs_or_repr(
    stub: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    stub.api_key = KEY
    caplog.set_level(logging.DEBUG)
    backend = OpenAICompatBackend(stub.base_url, KEY)
    try:
        collect(backend.stream_chat(ask()))
        stub.scripts.append(Script(fault="status", status=500, body={"error": "x"}))
        with pytest.raises(BackendError) as raised:
            collect(backend.stream_chat(ask()))
        shown = repr(backend)
    finally:
        backend.close()
    assert caplog.records, "httpx/httpcore debug logging was captured"
    assert KEY not in caplog.text
    assert KEY not in shown and "<set>" in shown
    assert KEY not in str(raised.value)


# -- addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:1234/v1/", "http://127.0.0.1:1234/v1"),
        ("https://gpu-box.lan/openai/v1", "https://gpu-box.lan/openai/v1"),
        ("http://[::1]:8000", "http://[::1]:8000/v1"),
        ("  http://localhost:8080/v1?x=1  ", "http://localhost:8080/v1"),
    ],
)
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", ["", "ftp://x/v1", "http://", "http://x:notaport/v1"])
def test_bad_base_urls_are_clear_errors(bad: str) -> None:
    with pytest.raises(BackendError):
        normalize_base_url(bad)


def test_server_root_and_display_url() -> None:
    assert server_root("http://h:8080/v1") == "http://h:8080"
    assert server_root("http://h:8080/openai") is None
    assert display_url("http://user:secret@h:1/v1") == "http://h:1/v1"


def test_plain_http_on_the_lan_is_warned_about() -> None:
    assert plain_http_warning("http://127.0.0.1:8080/v1", has_key=True) is None
    assert plain_http_warning("https://box.lan/v1", has_key=True) is None
    warning = plain_http_warning("http://192.168.1.20:8000/v1", has_key=True)
    assert warning and "API key" in warning and "unencrypted" in warning
    backend = OpenAICompatBackend("http://192.168.1.20:8000/v1")
    assert backend.warnings and "API key" not in backend.warnings[0]
    backend.close()


def test_stats_prefer_the_server_timings() -> None:
    state = StreamState()
    state.absorb({"choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 9}})
    state.absorb(
        {
            "choices": [],
            "timings": {"prompt_n": 3, "prompt_ms": 20.0, "predicted_n": 9, "predicted_ms": 90.0},
        }
    )
    stats = state.stats(prompt_wall_s=1.0, decode_wall_s=1.0, deltas=9)
    assert (stats.prompt_tokens, stats.completion_tokens) == (3, 9)
    assert (stats.prompt_s, stats.decode_s) == (0.02, 0.09)


def test_error_status_mapping_is_total() -> None:
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 502, 503, -1):
        error = from_status(status, "", base_url="http://127.0.0.1:1/v1", model="m")
        assert isinstance(error, BackendError) and str(error)
