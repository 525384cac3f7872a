"""Stop ends every HTTP request of the Ollama and OpenAI-compatible backends, whatever the
server does (issue 16, item 6).

The audit pressed Stop while Ollama's ``/api/show`` hung (the model's details not yet cached):
10 answers out of 10 were still running 30 s later, because ``stream_chat`` asked for them
outside the connection guard.  Here every request kind -- a model's details, the model list,
a deletion, a pull, a chat and the checks before it -- is started in a thread against a
server that hangs in each way a server can: it never accepts the connection, it accepts and
never answers, it sends the headers and stalls, it stalls in the middle of a stream.  Stop is
pressed once the server reports the hang has begun, and the test asserts that the thread
ended and how: a stream ends ``Done(reason="cancelled")``, a pull ends quietly, a request
that returns a value raises ``Cancelled``.  The join timeout only detects a hang; the time a
cancel takes is measured in ``benchmarks/cancel_latency.py``, not asserted here.

The backends are made with their default 300 s read timeout (and a 60 s connect timeout for
the server that never accepts), so a request that ignores Stop outlives the join.

At the end, a seeded sample of Stop pressed at a random moment under each fault mode of the
loopback Ollama server: each ends as cancelled, finished, or with the fault's own clear
error (the fault modes' outcomes without Stop are in test_ollama_backend.py).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from backends.base import (
    BackendError,
    Cancelled,
    CancelToken,
    Done,
    GenerationOptions,
    TextDelta,
)
from backends.llama_cpp import LlamaCppBackend
from backends.ollama import OllamaBackend
from backends.ollama.guard import ConnectionGuard
from backends.openai_compat import OpenAICompatBackend
from tests.helpers.backend_contract import ask
from tests.helpers.fuzz import SEED, fuzz_count
from tests.helpers.ollama_server import (
    HANG_S,
    PULLABLE_MODEL,
    TEXT_MODEL,
    VISION_MODEL,
    Fault,
    OllamaServer,
    build_test_server,
    silent_listener,
)
from tests.helpers.openai_stub import Script, StubServer

#: Long enough that only a request ignoring Stop is still running when it runs out.
JOIN_S = 10.0
LONG = GenerationOptions(temperature=0.0, max_tokens=40, seed=1, num_ctx=2048)

HangMode = Literal["no_answer", "after_headers", "mid_stream"]
Outcome = Literal["cancelled", "answered"]


# -- running a request in a thread ----------------------------------------------------------


@dataclass
class Running:
    """A request running in its own thread, as the window's worker runs it."""

    thread: threading.Thread
    outcome: list[Outcome] = field(default_factory=list)
    error: list[BaseException] = field(default_factory=list)


def start(work: Callable[[], Outcome]) -> Running:
    running = Running(threading.Thread(target=lambda: None, daemon=True))

    def run() -> None:
        try:
            running.outcome.append(work())
        except BaseException as error:  # kept for the assertion, not lost in the thread
            running.error.append(error)

    running.thread = threading.Thread(target=run, name="request-under-test", daemon=True)
    running.thread.start()
    return running


def stop_and_join(running: Running, cancel: CancelToken) -> Outcome:
    """Press Stop, wait for the thread (``JOIN_S`` at most) and give how it ended."""
    cancel.cancel()
    running.thread.join(JOIN_S)
    assert not running.thread.is_alive(), f"still running {JOIN_S:g} s after Stop"
    assert running.error == [], f"ended with {running.error[0]!r}, not as cancelled"
    [outcome] = running.outcome
    return outcome


def returned(call: Callable[[], object]) -> Outcome:
    """A request that returns a value: cancelled means it raised ``Cancelled``."""
    try:
        call()
    except Cancelled as error:
        assert str(error) and "\n" not in str(error)
        return "cancelled"
    return "answered"


def streamed(chunks: Iterator[object]) -> Outcome:
    """A chat: cancelled means the stream ended with ``Done(reason="cancelled")``."""
    items = list(chunks)
    done = items[-1]
    assert isinstance(done, Done), f"the stream ended with {done!r}"
    return "cancelled" if done.reason == "cancelled" else "answered"


def pulled(lines: Iterator[object]) -> Outcome:
    """A pull: cancelled means the progress lines ended quietly, before ``success``."""
    statuses = [getattr(line, "status", "") for line in lines]
    return "answered" if "success" in statuses else "cancelled"


# -- Ollama ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_server(smollm2: Path, tiny_vlm: tuple[Path, Path]) -> Iterator[OllamaServer]:
    llama = LlamaCppBackend(include_embedded=False)
    server = build_test_server(llama, smollm2=smollm2, tiny_vlm=tiny_vlm, broken=tiny_vlm[1])
    with server:
        yield server
    llama.close()


@pytest.fixture
def server(running_server: OllamaServer) -> Iterator[OllamaServer]:
    running_server.clear()
    yield running_server
    errors = list(running_server.errors)
    running_server.clear()
    running_server.remove(PULLABLE_MODEL)
    assert errors == [], "the loopback server itself failed"


@pytest.fixture
def ollama(server: OllamaServer) -> Iterator[OllamaBackend]:
    backend = OllamaBackend(server.url)  # the default 300 s read timeout
    yield backend
    backend.close()


OllamaCall = Callable[[OllamaBackend, CancelToken], Outcome]

OLLAMA_REQUESTS: dict[str, tuple[str, OllamaCall]] = {
    # name: (the path that hangs, the request)
    "model_info": (
        "/api/show",
        lambda b, c: returned(lambda: b.model_info(VISION_MODEL, cancel=c)),
    ),
    # The audit's case: the chat asks /api/show first, its answer not yet cached.
    "chat_show": (
        "/api/show",
        lambda b, c: streamed(b.stream_chat(ask(VISION_MODEL, "hi", options=LONG), c)),
    ),
    "list_tags": ("/api/tags", lambda b, c: returned(lambda: b.list_models(cancel=c))),
    "list_show": ("/api/show", lambda b, c: returned(lambda: b.list_models(cancel=c))),
    "delete": ("/api/delete", lambda b, c: returned(lambda: b.delete(PULLABLE_MODEL, cancel=c))),
    "pull": ("/api/pull", lambda b, c: pulled(b.pull(PULLABLE_MODEL, c))),
    "chat": (
        "/api/chat",
        lambda b, c: streamed(b.stream_chat(ask(VISION_MODEL, "Go on.", options=LONG), c)),
    ),
}
_STREAMS = {"pull", "chat"}
OLLAMA_CASES = [
    pytest.param(name, mode, id=f"{name}-{mode}")
    for name in OLLAMA_REQUESTS
    for mode in ("no_answer", "after_headers", "mid_stream")
    if mode != "mid_stream" or name in _STREAMS
]


def ollama_fault(path: str, mode: HangMode) -> Fault:
    if mode == "no_answer":
        return Fault.hang(path)
    if mode == "after_headers":
        return Fault.hang_after_headers(path)
    return Fault.stall(after=2, seconds=HANG_S, path=path)


@pytest.mark.parametrize(("name", "mode"), OLLAMA_CASES)
def test_stop_ends_every_ollama_request_during_a_hang(
    ollama: OllamaBackend, server: OllamaServer, name: str, mode: HangMode
) -> None:
    path, call = OLLAMA_REQUESTS[name]
    if name == "chat":
        ollama.model_info(VISION_MODEL)  # only the chat itself hangs
    server.inject(ollama_fault(path, mode))
    cancel = CancelToken()
    running = start(lambda: call(ollama, cancel))
    assert server.wait_stalled(path), f"{path} never began to hang"
    assert stop_and_join(running, cancel) == "cancelled"
    # The server learnt of it as Ollama does: the connection closed.
    assert server.wait_gone(path), "the server did not see the connection close"


def test_stop_before_the_chat_starts_sends_nothing(
    ollama: OllamaBackend, server: OllamaServer
) -> None:
    """A Stop that came first (the window keeps one pressed before the worker started)."""
    cancel = CancelToken()
    cancel.cancel()
    [done] = list(ollama.stream_chat(ask(VISION_MODEL, "hi"), cancel))
    assert isinstance(done, Done) and done.reason == "cancelled"
    assert server.paths() == []
    with pytest.raises(Cancelled):
        ollama.list_models(cancel=cancel)
    assert server.paths() == []


def test_requests_with_a_token_answer_as_before(
    ollama: OllamaBackend, server: OllamaServer
) -> None:
    """A token that is never cancelled changes nothing, and the token stays optional."""
    cancel = CancelToken()
    assert TEXT_MODEL in {m.id for m in ollama.list_models(cancel=cancel)}
    assert ollama.model_info(VISION_MODEL).capabilities.vision
    assert returned(lambda: ollama.model_info(TEXT_MODEL, cancel=cancel)) == "answered"
    assert streamed(ollama.stream_chat(ask(VISION_MODEL, "hi"), cancel)) == "answered"
    assert pulled(ollama.pull(PULLABLE_MODEL, cancel)) == "answered"
    ollama.delete(PULLABLE_MODEL, cancel=cancel)
    assert server.lookup(PULLABLE_MODEL) is None


@pytest.mark.parametrize("name", [n for n in OLLAMA_REQUESTS if n not in ("list_show", "chat")])
def test_stop_ends_an_ollama_request_whose_connection_is_never_accepted(name: str) -> None:
    _, call = OLLAMA_REQUESTS[name]
    with silent_listener() as url:
        backend = OllamaBackend(url, connect_timeout=60)  # a slow network's patience
        try:
            cancel = CancelToken()
            running = start(lambda: call(backend, cancel))
            time.sleep(0.2)  # in connect() by now, most likely; the outcome is the same anyway
            assert stop_and_join(running, cancel) == "cancelled"
        finally:
            backend.close()


class _StopRightAfterTheCheck(CancelToken):
    """A token whose first ``cancelled`` read says no, and *then* fires and lets the guard's
    watcher act on it, before ``start`` goes on: Stop pressed in that very gap, every time."""

    def __init__(self) -> None:
        super().__init__()
        self.guard: ConnectionGuard | None = None
        self._read = False

    @property
    def cancelled(self) -> bool:
        if not self._read and self.guard is not None:
            self._read = True
            self.cancel()
            watcher = self.guard._thread
            assert watcher is not None
            watcher.join(JOIN_S)  # the watcher sees the token, cuts, and is gone
            assert not watcher.is_alive()
            return False
        return super().cancelled


def test_stop_between_the_token_check_and_the_wait_still_ends_the_start() -> None:
    """Stop pressed after ``start`` checked the token but before it registered its wait:
    the watcher's cut found nothing to wake, and ``start`` waited for its step -- a connect
    with no socket yet -- to end by itself (the whole connect timeout).  The step here never
    ends; ``start`` must leave at once with ``Cancelled`` all the same."""
    token = _StopRightAfterTheCheck()
    guard = ConnectionGuard(token)
    token.guard = guard
    never = threading.Event()
    outcome: list[BaseException | str] = []

    def run() -> None:
        try:
            outcome.append(f"returned {guard.start(never.wait)}")
        except BaseException as error:  # the test reports whatever it was
            outcome.append(error)

    with guard:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(JOIN_S)  # a hang detector only: the wait should end at once
        try:
            assert not thread.is_alive(), "start() waited for a step Stop should have left"
            assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
        finally:
            never.set()  # lets an abandoned step (and a hung start) finish


# -- OpenAI-compatible ------------------------------------------------------------------------

OpenAICall = Callable[[OpenAICompatBackend, CancelToken], Outcome]

OPENAI_REQUESTS: dict[str, tuple[str, OpenAICall]] = {
    "model_info": (
        "/v1/models",
        lambda b, c: returned(lambda: b.model_info("stub-model", cancel=c)),
    ),
    "list_models": ("/v1/models", lambda b, c: returned(lambda: b.list_models(cancel=c))),
    # The chat checks the model against the listing first.
    "chat_models": (
        "/v1/models",
        lambda b, c: streamed(b.stream_chat(ask("stub-model", "hi"), c)),
    ),
    # A single-model llama-server is asked /props whether the model sees.
    "model_info_props": (
        "/props",
        lambda b, c: returned(lambda: b.model_info("stub-model", cancel=c)),
    ),
    "chat": (
        "/v1/chat/completions",
        lambda b, c: streamed(b.stream_chat(ask("stub-model", "hi"), c)),
    ),
}
OPENAI_CASES = [
    pytest.param(name, mode, id=f"{name}-{mode}")
    for name in OPENAI_REQUESTS
    for mode in ("no_answer", "after_headers", "mid_stream")
    if mode != "mid_stream" or name == "chat"
]


@pytest.mark.parametrize(("name", "mode"), OPENAI_CASES)
def test_stop_ends_every_openai_request_during_a_hang(name: str, mode: HangMode) -> None:
    path, call = OPENAI_REQUESTS[name]
    owner = "llamacpp" if name == "model_info_props" else "stub"
    with StubServer(models=[{"id": "stub-model", "object": "model", "owned_by": owner}]) as stub:
        if mode == "mid_stream":
            stub.scripts.append(Script(deltas=("Wait",), fault="stall"))
        else:
            stub.hang(path, mode)
        backend = OpenAICompatBackend(stub.base_url)  # the default 300 s read timeout
        try:
            cancel = CancelToken()
            running = start(lambda: call(backend, cancel))
            assert stub.stalled.wait(JOIN_S), f"{path} never began to hang"
            assert stop_and_join(running, cancel) == "cancelled"
            assert stub.client_gone.wait(JOIN_S), "the server did not see the connection close"
        finally:
            backend.close()


@pytest.mark.parametrize("name", ["model_info", "list_models", "chat_models"])
def test_stop_ends_an_openai_request_whose_connection_is_never_accepted(name: str) -> None:
    _, call = OPENAI_REQUESTS[name]
    with silent_listener() as url:
        backend = OpenAICompatBackend(f"{url}/v1", connect_timeout=60)
        try:
            cancel = CancelToken()
            running = start(lambda: call(backend, cancel))
            time.sleep(0.2)  # in connect() by now, most likely; the outcome is the same anyway
            assert stop_and_join(running, cancel) == "cancelled"
        finally:
            backend.close()


# -- Stop at a random moment under every fault mode (seeded) -----------------------------------

FAULT_MODES: dict[str, Callable[[random.Random], Fault]] = {
    "http_500": lambda r: Fault.status_code(500, "unexpected server error"),
    "close_mid_answer": lambda r: Fault.close_after(r.randint(0, 6)),
    "no_done_line": lambda r: Fault.truncate_after(r.randint(0, 6)),
    "error_line": lambda r: Fault.error_after(r.randint(0, 6), "the runner crashed"),
    "split_lines": lambda r: Fault.split_lines(pause=0.005),
    "stall": lambda r: Fault.stall(after=r.randint(0, 6), seconds=HANG_S),
    "huge_line": lambda r: Fault.huge_line(after=r.randint(0, 6), size=200_000),
    "malformed_line": lambda r: Fault.malformed(after=r.randint(0, 6)),
    "show_hangs": lambda r: Fault.hang("/api/show"),
}
FUZZ_CASES = [
    pytest.param(mode, case, id=f"{mode}-{case}")
    for mode in FAULT_MODES
    for case in range(fuzz_count(fast=2, full=10))
]


@pytest.mark.fuzz
@pytest.mark.parametrize(("mode", "case"), FUZZ_CASES)
def test_stop_at_a_random_moment_under_each_fault(
    server: OllamaServer, mode: str, case: int
) -> None:
    rng = random.Random(f"{SEED}-cancel-hangs-{mode}-{case}")
    server.inject(FAULT_MODES[mode](rng))
    delay = rng.uniform(0.0, 0.4)
    backend = OllamaBackend(server.url)
    try:
        cancel = CancelToken()
        chunks: list[object] = []
        error: list[BackendError] = []

        def chat() -> Outcome:
            try:
                for chunk in backend.stream_chat(
                    ask(VISION_MODEL, f"Go {case}.", options=LONG), cancel
                ):
                    chunks.append(chunk)
            except BackendError as failure:
                error.append(failure)
            return "answered"

        running = start(chat)
        time.sleep(delay)  # a random moment: before, during or after the fault
        stop_and_join(running, cancel)
    finally:
        backend.close()
    text = "".join(c.text for c in chunks if isinstance(c, TextDelta))
    if error:  # the fault came first: its own clear sentence, the partial answer kept
        [failure] = error
        assert not isinstance(failure, Cancelled)
        assert str(failure) and "\n" not in str(failure)
        assert failure.partial_text == text
    else:
        assert isinstance(chunks[-1], Done), "a stream ends with Done"
        assert chunks[-1].reason in ("cancelled", "stop", "length")
