"""How long Stop takes to end an HTTP request that hangs, for every request kind (issue 16, item 6).

The goal is 1 s from the cancel to the end of the request, whatever the server does.  Each
kind of request of the Ollama and OpenAI-compatible backends is sent to a loopback server
(tests/helpers/ollama_server.py, tests/helpers/openai_stub.py) armed to hang in one way: no
answer at all, the headers and then nothing, a stream that stops in the middle, a connection
never accepted.  Once the server reports the hang has begun, the token is cancelled from this
thread, and the time until the request's own thread has returned is one sample; a row is the
worst of ``runs`` samples (the audit pressed Stop 10 times per case).  A run that does not
end, or ends otherwise than as cancelled, makes the row fail whatever its time.

    python -m benchmarks.cancel_latency [--runs 10]
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from backends.base import Cancelled, CancelToken, Done
from benchmarks.report import Metric, judged, median, table

#: A request still running this long after Stop is reported as hung (and as this long).
HANG_DETECTOR_S = 30.0
GOAL_S = 1.0


@dataclass(frozen=True)
class _Case:
    """One request kind under one way of hanging."""

    label: str
    arm: Callable[[], None]  # make the server hang on the next such request
    hanging: Callable[[], bool]  # wait until it does; False if it never began
    request: Callable[[CancelToken], bool]  # send it; True if it ended as cancelled


def _returned(call: Callable[[], object]) -> bool:
    try:
        call()
    except Cancelled:
        return True
    return False


def _streamed(chunks: Iterator[object]) -> bool:
    items = list(chunks)
    return bool(items) and isinstance(items[-1], Done) and items[-1].reason == "cancelled"


def _pulled(lines: Iterator[object]) -> bool:
    return "success" not in [getattr(line, "status", "") for line in lines]


def _stop_once(case: _Case) -> tuple[float, bool]:
    """Seconds from Stop to the end of the request, and whether it ended as cancelled."""
    case.arm()
    cancel = CancelToken()
    ended: list[float] = []
    outcome: list[bool] = []

    def work() -> None:
        try:
            ok = case.request(cancel)
        except Exception:
            ok = False
        ended.append(time.perf_counter())
        outcome.append(ok)

    thread = threading.Thread(target=work, name="request-under-test", daemon=True)
    thread.start()
    began = case.hanging()
    cancelled_at = time.perf_counter()
    cancel.cancel()
    thread.join(HANG_DETECTOR_S)
    if not ended:
        return HANG_DETECTOR_S, False
    return ended[0] - cancelled_at, began and outcome[0]


def _row(case: _Case, runs: int) -> Metric:
    samples = [_stop_once(case) for _ in range(runs)]
    latencies = [latency for latency, _ in samples]
    failures = sum(not ok for _, ok in samples)
    worst = max(latencies)
    note = f"max of {runs}; median {median(latencies) * 1000:.2f} ms"
    if failures:
        note += f"; {failures} run(s) did not end as cancelled"
    return judged(
        f"Stop latency: {case.label}",
        worst,
        "s",
        goal=f"<= {GOAL_S:g} s",
        check=lambda value: value <= GOAL_S and failures == 0,
        note=note,
    )


def _not_accepted(hang_s: float = 0.2) -> Callable[[], bool]:
    """No server signal when nobody accepts: give the request time to reach ``connect()``."""

    def wait() -> bool:
        time.sleep(hang_s)
        return True

    return wait


# -- Ollama -----------------------------------------------------------------------------------


def _ollama_cases(stack: contextlib.ExitStack) -> list[_Case]:
    from backends.llama_cpp import LlamaCppBackend
    from backends.ollama import OllamaBackend
    from benchmarks import models
    from tests.helpers.backend_contract import ask
    from tests.helpers.ollama_models import served_model
    from tests.helpers.ollama_server import (
        HANG_S,
        PULLABLE_MODEL,
        TEXT_MODEL,
        Fault,
        OllamaServer,
        silent_listener,
    )

    smollm2 = models.smollm2()
    llama = LlamaCppBackend(include_embedded=False)
    stack.callback(llama.close)
    server = OllamaServer(llama)
    server.add(served_model(TEXT_MODEL, smollm2))
    server.add(served_model(PULLABLE_MODEL, smollm2), pullable_only=True)
    stack.enter_context(server)
    # The default 300 s read timeout.  ``backend``'s /api/show always hangs, so it never
    # caches a model's details; ``chatting`` has them, so only its chat hangs.
    backend = OllamaBackend(server.url)
    stack.callback(backend.close)
    chatting = OllamaBackend(server.url)
    stack.callback(chatting.close)
    chatting.model_info(TEXT_MODEL)
    unreachable = OllamaBackend(stack.enter_context(silent_listener()), connect_timeout=10)
    stack.callback(unreachable.close)

    def armed(fault: Callable[[], Fault]) -> Callable[[], None]:
        def arm() -> None:
            server.clear()
            server.inject(fault())

        return arm

    def hanging(path: str) -> Callable[[], bool]:
        return lambda: server.wait_stalled(path, HANG_DETECTOR_S)

    def chat_show(token: CancelToken) -> bool:
        return _streamed(backend.stream_chat(ask(TEXT_MODEL, "Go on."), token))

    def chat(token: CancelToken) -> bool:
        return _streamed(chatting.stream_chat(ask(TEXT_MODEL, "Go on."), token))

    return [
        _Case(
            "Ollama /api/show, no answer",
            armed(lambda: Fault.hang("/api/show")),
            hanging("/api/show"),
            lambda t: _returned(lambda: backend.model_info(TEXT_MODEL, cancel=t)),
        ),
        _Case(
            "Ollama /api/show, headers then nothing",
            armed(lambda: Fault.hang_after_headers("/api/show")),
            hanging("/api/show"),
            lambda t: _returned(lambda: backend.model_info(TEXT_MODEL, cancel=t)),
        ),
        _Case(
            "Ollama chat while /api/show hangs (the audit's case)",
            armed(lambda: Fault.hang("/api/show")),
            hanging("/api/show"),
            chat_show,
        ),
        _Case(
            "Ollama /api/tags, no answer",
            armed(lambda: Fault.hang("/api/tags")),
            hanging("/api/tags"),
            lambda t: _returned(lambda: backend.list_models(cancel=t)),
        ),
        _Case(
            "Ollama /api/delete, no answer",
            armed(lambda: Fault.hang("/api/delete")),
            hanging("/api/delete"),
            lambda t: _returned(lambda: backend.delete(PULLABLE_MODEL, cancel=t)),
        ),
        _Case(
            "Ollama /api/pull, no answer",
            armed(lambda: Fault.hang("/api/pull")),
            hanging("/api/pull"),
            lambda t: _pulled(backend.pull(PULLABLE_MODEL, t)),
        ),
        _Case(
            "Ollama /api/pull, stalled mid-stream",
            armed(lambda: Fault.stall(after=2, seconds=HANG_S, path="/api/pull")),
            hanging("/api/pull"),
            lambda t: _pulled(backend.pull(PULLABLE_MODEL, t)),
        ),
        _Case(
            "Ollama /api/chat, no answer",
            armed(lambda: Fault.hang("/api/chat")),
            hanging("/api/chat"),
            chat,
        ),
        _Case(
            "Ollama /api/chat, headers then nothing",
            armed(lambda: Fault.hang_after_headers("/api/chat")),
            hanging("/api/chat"),
            chat,
        ),
        _Case(
            "Ollama /api/chat, stalled mid-stream",
            armed(lambda: Fault.stall(after=2, seconds=HANG_S)),
            hanging("/api/chat"),
            chat,
        ),
        _Case(
            "Ollama chat, connection never accepted",
            lambda: None,
            _not_accepted(),
            lambda t: _streamed(unreachable.stream_chat(ask(TEXT_MODEL, "hi"), t)),
        ),
    ]


# -- OpenAI-compatible ------------------------------------------------------------------------


def _openai_cases(stack: contextlib.ExitStack) -> list[_Case]:
    from backends.openai_compat import OpenAICompatBackend
    from tests.helpers.backend_contract import ask
    from tests.helpers.ollama_server import silent_listener
    from tests.helpers.openai_stub import Hang, Script, StubServer

    model = "stub-model"
    # owned_by "llamacpp" with one model: the backend asks /props whether it sees.
    stub = stack.enter_context(
        StubServer(models=[{"id": model, "object": "model", "owned_by": "llamacpp"}])
    )
    backend = OpenAICompatBackend(stub.base_url)  # the default 300 s read timeout
    stack.callback(backend.close)
    unreachable = OpenAICompatBackend(
        f"{stack.enter_context(silent_listener())}/v1", connect_timeout=10
    )
    stack.callback(unreachable.close)

    def armed(
        path: str, kind: Hang | None = None, script: Script | None = None
    ) -> Callable[[], None]:
        def arm() -> None:
            stub.stalled.clear()
            stub.client_gone.clear()
            if kind is not None:
                stub.hang(path, kind)
            if script is not None:
                stub.scripts.append(script)

        return arm

    def hanging() -> bool:
        return stub.stalled.wait(HANG_DETECTOR_S)

    def chat(token: CancelToken) -> bool:
        return _streamed(backend.stream_chat(ask(model, "hi"), token))

    def info(token: CancelToken) -> bool:
        return _returned(lambda: backend.model_info(model, cancel=token))

    return [
        _Case("OpenAI /v1/models, no answer", armed("/v1/models", "no_answer"), hanging, info),
        _Case(
            "OpenAI /v1/models, headers then nothing",
            armed("/v1/models", "after_headers"),
            hanging,
            info,
        ),
        _Case("OpenAI /props, no answer", armed("/props", "no_answer"), hanging, info),
        _Case(
            "OpenAI chat while /v1/models hangs",
            armed("/v1/models", "no_answer"),
            hanging,
            chat,
        ),
        _Case(
            "OpenAI /v1/chat/completions, no answer",
            armed("/v1/chat/completions", "no_answer"),
            hanging,
            chat,
        ),
        _Case(
            "OpenAI /v1/chat/completions, headers then nothing",
            armed("/v1/chat/completions", script=Script(deltas=(), fault="stall")),
            hanging,
            chat,
        ),
        _Case(
            "OpenAI /v1/chat/completions, stalled mid-stream",
            armed("/v1/chat/completions", script=Script(deltas=("Wait",), fault="stall")),
            hanging,
            chat,
        ),
        _Case(
            "OpenAI chat, connection never accepted",
            lambda: None,
            _not_accepted(),
            lambda t: _streamed(unreachable.stream_chat(ask(model, "hi"), t)),
        ),
    ]


def cancel_latency_rows(runs: int = 10) -> list[Metric]:
    """One row per request kind and way of hanging: the worst time from Stop to the end of
    the request over ``runs`` Stops (goal: 1 s)."""
    rows: list[Metric] = []
    with contextlib.ExitStack() as stack:
        for case in [*_ollama_cases(stack), *_openai_cases(stack)]:
            rows.append(_row(case, runs))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Stop latency of every HTTP request kind.")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rows = cancel_latency_rows(args.runs)
    print(table(rows))
    for row in rows:
        print(row.json_line())


if __name__ == "__main__":
    main()
