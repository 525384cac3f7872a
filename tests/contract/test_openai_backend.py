"""The OpenAI-compatible backend against a REAL llama.cpp ``llama-server``.

``llama-server`` is built once per machine from the llama.cpp that the installed
llama-cpp-python vendors (tests/helpers/llama_tools.py; minutes the first time, cached after) and
started on loopback ports:

* ``tiny-vlm``: the tiny synthetic vision model with its ``--mmproj`` (single-model mode);
* ``smollm2``: SmolLM2 135M, a real chat model without vision (single-model mode);
* a *router-mode* server (``--models-dir``) holding both plus a truncated GGUF, so there is a
  real model the server cannot load.

The backend contract runs twice.  Once as most people deploy llama-server, one model per
server: the contract wants one ``backend``, so ``RoutedBackend`` (test-only) hands each
request to the backend instance whose server has that model, and anything else to the
SmolLM2 one, which must then answer for itself (an unknown model is the real backend's
``ModelNotFound``).  Once against the router, where one backend instance serves every
model with no help.  ``broken_model_id`` is the truncated GGUF in the router both times: a
model the real server lists but fails to load, which is what the contract means.

Marked ``llama_server``: ``pytest -m "not llama_server"`` skips them; CI runs them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import (
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    Chunk,
    GenerationFailed,
    GenerationOptions,
    ImageInput,
    InvalidModelFile,
    Message,
    ModelInfo,
    TextDelta,
    VisionNotSupported,
)
from backends.openai_compat import OpenAICompatBackend
from tests.helpers.backend_contract import GREEDY, BackendContract, ask, collect
from tests.helpers.cli import localsight
from tests.helpers.llama_server import LlamaServer
from tests.helpers.llama_tools import ensure_tool
from tests.helpers.tiny_models import write_tiny_text_model

pytestmark = pytest.mark.llama_server

PARIS = "What is the capital of France? Answer in one sentence."


# -- servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def llama_server_bin() -> Path:
    """Built on first use (a clean CI machine builds it here), then cached."""
    return ensure_tool("llama-server")


@pytest.fixture(scope="module")
def vlm_server(llama_server_bin: Path, tiny_vlm: tuple[Path, Path]) -> Iterator[LlamaServer]:
    model, mmproj = tiny_vlm
    with LlamaServer(llama_server_bin, model=model, mmproj=mmproj, alias="tiny-vlm") as server:
        yield server


@pytest.fixture(scope="module")
def smol_server(llama_server_bin: Path, smollm2: Path) -> Iterator[LlamaServer]:
    with LlamaServer(llama_server_bin, model=smollm2, alias="smollm2") as server:
        yield server


@pytest.fixture(scope="module")
def models_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_vlm: tuple[Path, Path], smollm2: Path
) -> Path:
    """The router's folder: names become model ids; a projector must be called mmproj*."""
    folder = tmp_path_factory.mktemp("router-models")
    (folder / "smollm2.gguf").symlink_to(smollm2)
    vlm = folder / "tiny-vlm"
    vlm.mkdir()
    (vlm / "tiny-vlm.gguf").symlink_to(tiny_vlm[0])
    (vlm / "mmproj-tiny-vlm.gguf").symlink_to(tiny_vlm[1])
    whole = write_tiny_text_model(tmp_path_factory.mktemp("whole") / "t.gguf").read_bytes()
    (folder / "broken.gguf").write_bytes(whole[: len(whole) // 2])  # an interrupted download
    return folder


@pytest.fixture(scope="module")
def router_server(llama_server_bin: Path, models_dir: Path) -> Iterator[LlamaServer]:
    with LlamaServer(llama_server_bin, models_dir=models_dir) as server:
        yield server


def backend_for(server: LlamaServer, **kwargs: object) -> OpenAICompatBackend:
    return OpenAICompatBackend(server.base_url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def smol(smol_server: LlamaServer) -> Iterator[OpenAICompatBackend]:
    backend = backend_for(smol_server)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def vlm(vlm_server: LlamaServer) -> Iterator[OpenAICompatBackend]:
    backend = backend_for(vlm_server)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def router(router_server: LlamaServer) -> Iterator[OpenAICompatBackend]:
    backend = backend_for(router_server)
    yield backend
    backend.close()


class RoutedBackend:
    """The contract's one ``backend`` over several single-model servers (test-only).

    Each call goes to the backend whose server lists the model; any other model goes to
    ``default``, so the real backend decides what an unknown model is.  Nothing is
    answered, checked or translated here.
    """

    name = "openai"

    def __init__(
        self, routes: dict[str, OpenAICompatBackend], default: OpenAICompatBackend
    ) -> None:
        self.routes = routes
        self.default = default

    def _pick(self, model_id: str) -> OpenAICompatBackend:
        return self.routes.get(model_id, self.default)

    def list_models(self) -> list[ModelInfo]:
        unique = {id(b): b for b in [self.default, *self.routes.values()]}.values()
        return [info for backend in unique for info in backend.list_models()]

    def model_info(self, model_id: str) -> ModelInfo:
        return self._pick(model_id).model_info(model_id)

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        return self._pick(request.model).stream_chat(request, cancel)

    def close(self) -> None:
        """The routed backends belong to their fixtures."""


# -- the contract, twice -----------------------------------------------------------------------


class TestSingleModelServersContract(BackendContract):
    @pytest.fixture
    def backend(
        self, smol: OpenAICompatBackend, vlm: OpenAICompatBackend, router: OpenAICompatBackend
    ) -> RoutedBackend:
        return RoutedBackend({"smollm2": smol, "tiny-vlm": vlm, "broken": router}, smol)

    @pytest.fixture
    def text_model_id(self) -> str:
        return "smollm2"

    @pytest.fixture
    def vision_model_id(self) -> str:
        return "tiny-vlm"

    @pytest.fixture
    def text_only_model_id(self) -> str:
        return "smollm2"

    @pytest.fixture
    def broken_model_id(self) -> str:
        return "broken"


class TestRouterServerContract(BackendContract):
    @pytest.fixture
    def backend(self, router: OpenAICompatBackend) -> OpenAICompatBackend:
        return router

    @pytest.fixture
    def text_model_id(self) -> str:
        return "smollm2"

    @pytest.fixture
    def vision_model_id(self) -> str:
        return "tiny-vlm"

    @pytest.fixture
    def text_only_model_id(self) -> str:
        return "smollm2"

    @pytest.fixture
    def broken_model_id(self) -> str:
        return "broken"


# -- real answers, real stats, real images ----------------------------------------------------


def test_smollm2_knows_paris_with_the_servers_own_timings(smol: OpenAICompatBackend) -> None:
    request = ChatRequest(
        "smollm2", (Message("user", PARIS),), GenerationOptions(temperature=0.0, max_tokens=32)
    )
    text, done = collect(smol.stream_chat(request))
    assert "Paris" in text
    assert done.reason == "stop"
    assert done.stats.prompt_tokens > 0 and 0 < done.stats.completion_tokens <= 32
    assert done.stats.prompt_s > 0 and done.stats.decode_s > 0


def test_stop_sequences_reach_the_server(smol: OpenAICompatBackend) -> None:
    options = GenerationOptions(temperature=0.0, max_tokens=32, stop=("Paris",))
    text, done = collect(
        smol.stream_chat(ChatRequest("smollm2", (Message("user", PARIS),), options))
    )
    assert "Paris" not in text
    assert done.reason == "stop"


def test_history_and_system_prompt_reach_the_model(smol: OpenAICompatBackend) -> None:
    request = ChatRequest(
        "smollm2",
        (
            Message("system", "You are a helpful assistant."),
            Message("user", PARIS),
            Message("assistant", "The capital of France is Paris."),
            Message("user", "Repeat the name of that city once."),
        ),
        GenerationOptions(temperature=0.0, max_tokens=24),
    )
    text, _ = collect(smol.stream_chat(request))
    assert "Paris" in text


def test_continue_goes_on_with_the_answer_in_llama_server(smol: OpenAICompatBackend) -> None:
    """Continue (issue 17, defect 4): the answer so far is the last message, which
    llama-server continues (its assistant prefill) rather than answering it."""
    options = GenerationOptions(temperature=0.0, max_tokens=6, seed=1, repeat_penalty=1.0)
    question = Message("user", "Write a long story about a cat.")
    start, done = collect(smol.stream_chat(ChatRequest("smollm2", (question,), options)))
    assert done.reason == "length"
    more, _ = collect(
        smol.stream_chat(
            ChatRequest(
                "smollm2", (question, Message("assistant", start)), options, continue_last=True
            )
        )
    )
    long_options = GenerationOptions(temperature=0.0, max_tokens=12, seed=1, repeat_penalty=1.0)
    whole, _ = collect(smol.stream_chat(ChatRequest("smollm2", (question,), long_options)))
    assert more and start + more == whole


def test_the_image_bytes_reach_the_model(
    vlm: OpenAICompatBackend, red_image: ImageInput, noise_image: ImageInput
) -> None:
    answers = {
        name: collect(vlm.stream_chat(ask("tiny-vlm", "Describe.", images=[image])))[0]
        for name, image in (("red", red_image), ("noise", noise_image))
    }
    plain, _ = collect(vlm.stream_chat(ask("tiny-vlm", "Describe.")))
    assert answers["red"] and answers["noise"]
    assert len({answers["red"], answers["noise"], plain}) == 3


def test_vision_is_detected_from_props_and_from_the_router_listing(
    smol: OpenAICompatBackend, vlm: OpenAICompatBackend, router: OpenAICompatBackend
) -> None:
    assert vlm.model_info("tiny-vlm").capabilities.vision  # /props modalities.vision
    assert not smol.model_info("smollm2").capabilities.vision
    listed = {m.id: m.capabilities.vision for m in router.list_models()}  # input_modalities
    assert listed == {"smollm2": False, "tiny-vlm": True, "broken": False}
    info = smol.model_info("smollm2")
    assert info.context_length == 2048 and info.size and info.parameter_size == "135M"


def test_a_wrong_vision_override_meets_the_servers_refusal(
    smol_server: LlamaServer, red_image: ImageInput
) -> None:
    backend = backend_for(smol_server, vision_models={"smollm2"})
    try:
        assert backend.model_info("smollm2").capabilities.vision
        with pytest.raises(VisionNotSupported) as raised:
            collect(backend.stream_chat(ask("smollm2", "Describe.", images=[red_image])))
    finally:
        backend.close()
    assert "mmproj" in str(raised.value)


def test_the_broken_model_is_an_invalid_model_file(router: OpenAICompatBackend) -> None:
    with pytest.raises(InvalidModelFile) as raised:
        collect(router.stream_chat(ask("broken", "hi")))
    assert "could not load" in str(raised.value)


# -- a server that dies, a server that wants a key --------------------------------------------


def test_a_killed_server_mid_answer_keeps_the_partial_answer(
    llama_server_bin: Path, smollm2: Path
) -> None:
    server = LlamaServer(llama_server_bin, model=smollm2, alias="smollm2").start()
    backend = backend_for(server)
    received: list[str] = []
    options = GenerationOptions(temperature=0.0, max_tokens=1500)
    try:
        with pytest.raises(GenerationFailed) as raised:
            for chunk in backend.stream_chat(
                ChatRequest("smollm2", (Message("user", "Write a very long story."),), options)
            ):
                if isinstance(chunk, TextDelta):
                    received.append(chunk.text)
                    if len(received) == 5:
                        server.kill()
        message = str(raised.value)
        assert "closed the connection" in message and "partial answer is kept" in message
        assert raised.value.partial_text == "".join(received)
        assert len(received) >= 5
        # The server is gone now: the next request says so, quickly and clearly.
        started = time.monotonic()
        with pytest.raises(BackendUnavailable) as gone:
            backend.list_models()
        assert time.monotonic() - started < 2.0
        assert "No server is running" in str(gone.value)
    finally:
        backend.close()
        server.stop()


def test_a_real_server_with_an_api_key(
    llama_server_bin: Path, tiny_vlm: tuple[Path, Path], tmp_path: Path
) -> None:
    key = "sk-llama-server-31b7c2"
    key_file = tmp_path / "keys.txt"
    key_file.write_text(key + "\n")
    model, mmproj = tiny_vlm
    server = LlamaServer(
        llama_server_bin, model=model, mmproj=mmproj, alias="tiny-vlm", api_key_file=key_file
    ).start()
    try:
        for given, words in ((None, "requires an API key"), ("wrong", "refused the API key")):
            backend = backend_for(server, api_key=given)
            with pytest.raises(BackendUnavailable) as raised:
                backend.list_models()
            backend.close()
            assert words in str(raised.value) and "401" in str(raised.value)
            assert key not in str(raised.value)
        backend = backend_for(server, api_key=key)
        try:
            assert backend.model_info("tiny-vlm").capabilities.vision  # /props needs it too
            text, _ = collect(backend.stream_chat(ask("tiny-vlm", "Hi.")))
        finally:
            backend.close()
        assert text
    finally:
        server.stop()


def test_stop_reaches_the_real_server(vlm: OpenAICompatBackend) -> None:
    cancel = CancelToken()
    options = GenerationOptions(temperature=0.0, max_tokens=1900, num_ctx=2048)
    deltas = 0
    for chunk in vlm.stream_chat(ask("tiny-vlm", "Go.", options=options), cancel):
        if isinstance(chunk, TextDelta):
            deltas += 1
            if deltas == 2:
                cancel.cancel()
    # The server noticed the closed connection: it is free for the next request at once.
    started = time.monotonic()
    text, _ = collect(vlm.stream_chat(ask("tiny-vlm", "Hi.", options=GREEDY)))
    assert text and time.monotonic() - started < 10


def test_cancel_from_another_thread_while_the_server_works(smol: OpenAICompatBackend) -> None:
    cancel = CancelToken()
    first = threading.Event()

    def stop_after_the_first_chunk() -> None:
        first.wait(30)
        cancel.cancel()

    threading.Thread(target=stop_after_the_first_chunk).start()
    chunks = []
    options = GenerationOptions(temperature=0.0, max_tokens=1000)
    for chunk in smol.stream_chat(
        ChatRequest("smollm2", (Message("user", "Write a very long story."),), options), cancel
    ):
        chunks.append(chunk)
        first.set()
    assert chunks[-1].reason == "cancelled"  # type: ignore[union-attr]
    assert len(chunks) < 200


# -- the CLI against the real server ----------------------------------------------------------


def test_cli_ask_against_llama_server(smol_server: LlamaServer, tmp_path: Path) -> None:
    result = localsight(
        "ask",
        PARIS,
        "--backend",
        "openai",
        "--base-url",
        smol_server.base_url,
        "--model",
        "smollm2",
        "--temperature",
        "0",
        "--stats",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_cli_ask_with_an_image_against_llama_server(
    vlm_server: LlamaServer, tmp_path: Path
) -> None:
    from tests.helpers.images import png_bytes

    picture = tmp_path / "red.png"
    picture.write_bytes(png_bytes())
    result = localsight(
        "ask",
        "Describe.",
        "--base-url",
        vlm_server.base_url,
        "--model",
        "tiny-vlm",
        "--image",
        str(picture),
        "--max-tokens",
        "8",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_cli_says_which_models_the_server_has(smol_server: LlamaServer, tmp_path: Path) -> None:
    result = localsight(
        "ask", "hi", "--base-url", smol_server.base_url, "--model", "llava", home=tmp_path
    )
    assert result.returncode != 0
    assert "no model called 'llava'" in result.stderr
