"""The engine process: the backend contract through a pipe, and surviving native crashes.

The crashes are real: SIGKILL of the engine mid-answer, and GGUF files that make llama.cpp
abort() (``tests.helpers.crashing_models``).  One engine serves the contract and most tests; tests
that need a clean registry or a test hook in the environment start their own.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from backends.base import (
    Backend,
    BackendError,
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    ContextOverflow,
    Done,
    EngineCrashed,
    GenerationOptions,
    Message,
    ModelNotFound,
    TextDelta,
)
from backends.engine import EngineBackend
from backends.engine.child import TEST_HANG_ENV
from backends.engine.process import DEFAULT_START_TIMEOUT_S, START_TIMEOUT_ENV, start_timeout_s
from backends.engine.protocol import (
    Piece,
    RemoteError,
    dumps,
    error_from_wire,
    error_to_wire,
    loads,
)
from tests.helpers import REPO
from tests.helpers.backend_contract import BackendContract, ask, collect
from tests.helpers.crashing_models import write_abort_on_answer_model, write_abort_on_load_mmproj
from tests.helpers.tiny_models import write_tiny_text_model

LONG = GenerationOptions(temperature=0.0, max_tokens=400, seed=1, num_ctx=2048)


@pytest.fixture(scope="module")
def engine() -> Iterator[EngineBackend]:
    backend = EngineBackend(include_embedded=True)
    yield backend
    backend.close()


@pytest.fixture
def fresh_engine() -> Iterator[EngineBackend]:
    backend = EngineBackend(include_embedded=False, hard_stop_s=1.0)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def truncated_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_text_model: Path) -> Path:
    """A tiny model cut in half, like an interrupted download."""
    path = tmp_path_factory.mktemp("engine-broken") / "half.gguf"
    data = tiny_text_model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def assert_gone(pid: int) -> None:
    """No process ``pid`` (not even a zombie) among this process's children."""
    children = {child.pid for child in psutil.Process().children(recursive=True)}
    assert pid not in children
    assert not psutil.pid_exists(pid)


class TestEngineContract(BackendContract):
    @pytest.fixture
    def backend(self, engine: EngineBackend) -> EngineBackend:
        return engine

    @pytest.fixture
    def text_model_id(self, smollm2: Path) -> str:
        return str(smollm2.resolve())

    @pytest.fixture
    def vision_model_id(self, engine: EngineBackend, tiny_vlm: tuple[Path, Path]) -> str:
        return engine.register(*tiny_vlm).id

    @pytest.fixture
    def text_only_model_id(self, tiny_text_model: Path) -> str:
        return str(tiny_text_model)

    @pytest.fixture
    def broken_model_id(self, truncated_gguf: Path) -> str:
        return str(truncated_gguf)


# -- crashes --------------------------------------------------------------------------------


def test_sigkill_mid_answer_keeps_partial_text_and_restarts(
    engine: EngineBackend, smollm2: Path
) -> None:
    received: list[str] = []
    stream = engine.stream_chat(ask(str(smollm2), "Tell me a long story.", options=LONG))
    victim = engine.pid
    assert victim is not None
    with pytest.raises(EngineCrashed) as raised:
        for chunk in stream:
            if isinstance(chunk, TextDelta):
                received.append(chunk.text)
                if len(received) == 3:
                    os.kill(victim, signal.SIGKILL)
    message = str(raised.value)
    assert "while answering" in message and "SIGKILL" in message
    assert raised.value.partial_text == "".join(received)
    assert len(received) >= 3
    assert engine.pid is None
    assert_gone(victim)
    # The next request starts a fresh engine and answers.
    text, done = collect(engine.stream_chat(ask(str(smollm2), "Say hi.")))
    assert text
    assert engine.pid not in (None, victim)
    assert done.stats.load_s > 0  # engine start plus model load, reported once


def test_abort_while_loading_then_the_registered_model_still_answers(
    fresh_engine: EngineBackend, tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    good_id = fresh_engine.register(*tiny_vlm).id
    folder = tmp_path / "crashing"
    folder.mkdir()
    model = write_tiny_text_model(folder / "tiny-copy.gguf")
    mmproj = write_abort_on_load_mmproj(folder / "bad-mmproj.gguf")
    bad_id = fresh_engine.register(model, mmproj).id  # passes the pure-Python checks
    first = fresh_engine.pid
    with pytest.raises(EngineCrashed) as raised:
        collect(fresh_engine.stream_chat(ask(bad_id, "hi")))
    message = str(raised.value)
    assert message.startswith("The model crashed while loading (llama.cpp stopped with signal")
    assert "SIGABRT" in message and "pick another model" in message
    # A fresh engine, with the registrations replayed: the ids still work.
    text, _ = collect(fresh_engine.stream_chat(ask(good_id, "Hello.")))
    assert text
    assert fresh_engine.pid not in (None, first)
    assert {good_id, bad_id} <= {m.id for m in fresh_engine.list_models()}


def test_abort_while_answering_quotes_the_failed_assert(
    fresh_engine: EngineBackend, tmp_path: Path
) -> None:
    model = write_abort_on_answer_model(tmp_path / "f16-norm.gguf")
    with pytest.raises(EngineCrashed) as raised:
        collect(fresh_engine.stream_chat(ask(str(model), "hi")))
    message = str(raised.value)
    assert "while answering" in message
    assert "SIGABRT: binary_op: unsupported types" in message
    assert raised.value.partial_text == ""


def test_a_crashing_model_does_not_take_the_app_down_in_process_it_would(
    tmp_path: Path,
) -> None:
    """The reason the engine exists: the same file kills a process that loads it directly."""
    model = write_abort_on_answer_model(tmp_path / "f16-norm.gguf")
    script = (
        "import sys\n"
        "from backends.llama_cpp import LlamaCppBackend\n"
        "from tests.helpers.backend_contract import ask, collect\n"
        "collect(LlamaCppBackend(include_embedded=False).stream_chat(ask(sys.argv[1], 'hi')))\n"
    )
    # No GGML_NO_BACKTRACE here: the backend sets it itself, so an in-process abort never
    # freezes for seconds while ggml attaches gdb to print a backtrace (issue 16).
    env = {
        k: v for k, v in os.environ.items() if k not in ("GGML_NO_BACKTRACE", "LOCALSIGHT_DEBUG")
    }
    result = subprocess.run(
        [sys.executable, "-c", script, str(model)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert result.returncode == -signal.SIGABRT
    assert "binary_op: unsupported types" in result.stderr
    assert "#0 " not in result.stderr and "gdb" not in result.stderr.lower(), result.stderr


# -- stopping -------------------------------------------------------------------------------


def test_hard_stop_when_the_engine_ignores_cancel(
    monkeypatch: pytest.MonkeyPatch, fresh_engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    monkeypatch.setenv(TEST_HANG_ENV, "encode")  # the engine sleeps, deaf to cancel
    model_id = fresh_engine.register(*tiny_vlm).id
    cancel = CancelToken()
    stream = fresh_engine.stream_chat(ask(model_id, "Describe."), cancel)
    hung = fresh_engine.pid
    assert hung is not None
    threading.Timer(0.3, cancel.cancel).start()
    text, done = collect(stream)
    # The hung engine never answers: ending at all, with the process gone, is the hard stop.
    assert done.reason == "cancelled" and text == ""
    assert fresh_engine.pid is None
    assert_gone(hung)
    monkeypatch.delenv(TEST_HANG_ENV)
    text, _ = collect(fresh_engine.stream_chat(ask(model_id, "Hello.")))
    assert text
    assert fresh_engine.pid not in (None, hung)


def test_stop_hard_from_another_thread_ends_the_stream(
    monkeypatch: pytest.MonkeyPatch, fresh_engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    monkeypatch.setenv(TEST_HANG_ENV, "encode")
    model_id = fresh_engine.register(*tiny_vlm).id
    stream = fresh_engine.stream_chat(ask(model_id, "Describe."))
    threading.Timer(0.3, fresh_engine.stop_hard).start()
    _, done = collect(stream)
    assert done.reason == "cancelled"
    assert fresh_engine.pid is None


def test_unload_while_answering_ends_the_answer_as_cancelled(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    stream = engine.stream_chat(ask(model_id, "Count.", options=LONG))
    assert isinstance(next(stream), TextDelta)
    engine.unload()
    _, done = collect(stream)
    assert done.reason == "cancelled"


def test_a_stream_left_on_a_dead_engine_blocks_nothing(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    held = engine.stream_chat(ask(model_id, "Count.", options=LONG))
    assert isinstance(next(held), TextDelta)
    engine.stop_hard()
    text, _ = collect(engine.stream_chat(ask(model_id, "Hello.")))
    assert text
    _, done = collect(held)  # the held stream still ends properly when read again
    assert done.reason == "cancelled"


def test_dropping_a_stream_unread_frees_the_engine(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    stream = engine.stream_chat(ask(model_id, "Count.", options=LONG))
    assert isinstance(next(stream), TextDelta)
    del stream  # no close(): the next request winds it down
    text, done = collect(engine.stream_chat(ask(model_id, "Hello.")))
    assert text and done.reason == "length"


def test_a_second_answer_while_one_streams_is_refused(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    stream = engine.stream_chat(ask(model_id, "Count.", options=LONG))
    try:
        next(stream)
        with pytest.raises(BackendError, match="still answering"):
            engine.stream_chat(ask(model_id, "Hello."))
    finally:
        stream.close()  # type: ignore[attr-defined]


def test_model_list_while_an_answer_streams(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    cancel = CancelToken()
    listed: list[int] = []

    def list_models_meanwhile() -> None:
        listed.append(len(engine.list_models()))
        cancel.cancel()

    deltas = 0
    done: Done | None = None
    # Until the context is full (~2000 tokens): the fast path answers LONG's 400 tokens in
    # about a quarter of a second, sooner than a loaded machine lists the models.
    until_full = dataclasses.replace(LONG, max_tokens=None)
    for chunk in engine.stream_chat(ask(model_id, "Count.", options=until_full), cancel):
        if isinstance(chunk, TextDelta):
            deltas += 1
            if deltas == 2:
                threading.Thread(target=list_models_meanwhile).start()
        else:
            done = chunk
    assert listed and listed[0] >= 2
    assert done is not None and done.reason == "cancelled"


def test_unload_stops_the_engine_and_the_next_answer_reloads(
    engine: EngineBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = engine.register(*tiny_vlm).id
    collect(engine.stream_chat(ask(model_id, "hi")))
    pid = engine.pid
    assert pid is not None
    engine.unload()
    assert engine.pid is None
    assert_gone(pid)
    _, done = collect(engine.stream_chat(ask(model_id, "hi")))
    assert done.stats.load_s > 0
    assert engine.pid not in (None, pid)


def test_close_leaves_no_process(tiny_vlm: tuple[Path, Path]) -> None:
    backend = EngineBackend(include_embedded=False)
    assert backend.pid is None  # lazy: nothing runs until it is needed
    backend.register(*tiny_vlm)
    pid = backend.pid
    assert pid is not None and psutil.pid_exists(pid)
    backend.close()
    backend.close()  # idempotent
    assert backend.pid is None
    assert_gone(pid)


def test_the_engine_exits_when_the_app_dies(tmp_path: Path) -> None:
    """An app killed with SIGKILL must not leave an engine behind holding a model."""
    script = (
        "import os, signal, sys\n"
        "from backends.engine import EngineBackend\n"
        "if __name__ == '__main__':\n"
        "    backend = EngineBackend(include_embedded=False)\n"
        "    backend.list_models()\n"
        "    print(backend.pid, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    app = tmp_path / "app.py"
    app.write_text(script)
    result = subprocess.run(
        [sys.executable, str(app)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    orphan = int(result.stdout.split()[0])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(orphan)


# -- the wire -------------------------------------------------------------------------------


def test_engine_backend_is_a_backend() -> None:
    backend = EngineBackend(include_embedded=False)
    assert isinstance(backend, Backend)
    assert backend.name == "llama-cpp"
    assert backend.problems == []
    backend.close()  # never started: nothing to stop


def test_errors_cross_as_the_same_class_with_partial_text() -> None:
    sent = ContextOverflow("Too long for the context window.", partial_text="So far")
    received = error_from_wire(loads(pickle.dumps(error_to_wire(sent))))
    assert type(received) is ContextOverflow
    assert str(received) == str(sent)
    assert received.partial_text == "So far"
    surprise = error_from_wire(error_to_wire(KeyError("oops"), "half"))
    assert isinstance(surprise, BackendError)
    assert "KeyError" in str(surprise) and surprise.partial_text == "half"
    unknown = error_from_wire(RemoteError("NoSuchError", "Something.", ""))
    assert type(unknown) is BackendError


def test_the_app_unpickles_only_localsight_types() -> None:
    chunk = Piece(7, TextDelta("hi"))
    assert loads(dumps(chunk)) == chunk
    request = ChatRequest("m", (Message("user", "hi"),))
    assert loads(pickle.dumps(request)) == request
    with pytest.raises(pickle.UnpicklingError, match="forbidden"):
        loads(pickle.dumps(Path("/etc/passwd")))
    with pytest.raises(pickle.UnpicklingError, match="forbidden"):
        loads(pickle.dumps(os.system))


def test_unknown_model_in_a_fresh_engine(fresh_engine: EngineBackend) -> None:
    with pytest.raises(ModelNotFound):
        fresh_engine.model_info("no-such-model-anywhere")


def test_continue_crosses_to_the_engine(engine: EngineBackend) -> None:
    """Continue (issue 17, defect 4) through the engine: the request's ``continue_last``
    reaches the backend in the child, which goes on with the answer in the same turn
    (greedy, no repeat penalty: 6 + 6 tokens read as one 12-token answer)."""
    model_id = engine.default_model_id()
    assert model_id is not None
    options = GenerationOptions(temperature=0.0, max_tokens=6, seed=1, repeat_penalty=1.0)
    question = Message("user", "Write a long story about a cat.")
    start, done = collect(engine.stream_chat(ChatRequest(model_id, (question,), options)))
    assert done.reason == "length"
    more, _ = collect(
        engine.stream_chat(
            ChatRequest(
                model_id,
                (question, Message("assistant", start)),
                options,
                continue_last=True,
            )
        )
    )
    whole, _ = collect(
        engine.stream_chat(
            ChatRequest(model_id, (question,), dataclasses.replace(options, max_tokens=12))
        )
    )
    assert more and start + more == whole


def test_a_slow_start_waits_as_long_as_configured_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: under arm64 emulation the engine took 41-46 s of its 60 s to start (a Pi 4
    on a slow SD card can do the same), so the wait is an environment setting, and a start
    that outlasts it says that it was too slow and how to wait longer, not that the
    dependencies are broken."""
    monkeypatch.setenv(TEST_HANG_ENV, "start")  # the engine never says it is ready
    monkeypatch.setenv(START_TIMEOUT_ENV, "1.5")
    backend = EngineBackend(include_embedded=False)
    try:
        with pytest.raises(BackendUnavailable) as raised:
            backend.list_models()
    finally:
        backend.close()
    message = str(raised.value)
    assert "did not start within 2 s" in message
    assert START_TIMEOUT_ENV in message
    assert "Reinstall" not in message


def test_the_start_timeout_setting_falls_back_when_unreadable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A typo in the variable must not make the engine give up at once (or never)."""
    for bad in ("", "soon", "-5", "0", "nan", "inf"):
        monkeypatch.setenv(START_TIMEOUT_ENV, bad)
        assert start_timeout_s() == DEFAULT_START_TIMEOUT_S
    monkeypatch.setenv(START_TIMEOUT_ENV, "300")
    assert start_timeout_s() == 300.0
    monkeypatch.delenv(START_TIMEOUT_ENV)
    assert start_timeout_s() == DEFAULT_START_TIMEOUT_S >= 120.0
