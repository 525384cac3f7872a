"""Sizes a model file or the settings name are clamped to what the request needs (issue 16, 3).

A 0.5 MB file claiming a 2**31 - 1 token training context answered after 15-56 s at 8.2 GB
(the binding sized every tokenisation's buffer by that claim), and ``threads: 10**9`` made
llama.cpp abort with ``std::bad_alloc``.  Both now answer like any model; the memory of the
whole CLI process tree is measured (a count of bytes, not a time, so it holds on a busy
machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backends.llama_cpp.threads import MAX_THREADS, threads_for
from desktop_app.core.settings import MAX_CONTEXT_TOKENS
from tests.helpers import REPO
from tests.helpers.cli import localsight
from tests.helpers.crashing_models import patch_metadata
from tests.helpers.tiny_models import write_tiny_text_model

#: The tiny model answers in well under this; the unbounded tokeniser needed 8.2 GB.
PEAK_LIMIT = 1024 * 1024 * 1024


def test_a_huge_claimed_context_costs_no_memory(tmp_path: Path) -> None:
    model = write_tiny_text_model(tmp_path / "claims-2g-context.gguf")
    patch_metadata(model, "llama.context_length", 2**31 - 1)
    environ = {**os.environ, "PYTHONPATH": str(REPO)}
    environ.pop("LOCALSIGHT_DEBUG", None)
    command = [sys.executable, "-m", "desktop_app", "ask", "--model", str(model)]
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.scripts.peak_rss", "--", *command, "Hi"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    peak = int(done.stderr.strip().splitlines()[-1].removeprefix("peak_rss_bytes="))
    assert peak < PEAK_LIMIT, f"{peak / 1e6:.0f} MB"


def test_an_absurd_thread_count_is_clamped_to_the_machine() -> None:
    cpus = os.cpu_count() or 1
    assert threads_for(10**9) == min(cpus, MAX_THREADS)
    assert threads_for(1) == 1
    assert 1 <= threads_for(None) <= cpus


def test_a_context_too_big_for_memory_is_shrunk_until_it_fits(tmp_path: Path) -> None:
    from backends.llama_cpp.fit import MIN_SHRUNK_CONTEXT, estimate, fitting_context
    from backends.llama_cpp.gguf_check import inspect_gguf
    from backends.memory import GIB, MemoryReading

    model = inspect_gguf(write_tiny_text_model(tmp_path / "m.gguf"))
    free_for_8k = estimate(model, None, 8192).total
    reading = MemoryReading(64 * GIB, free_for_8k)
    assert fitting_context(model, None, 2**30, reading) == 8192
    assert fitting_context(model, None, 4096, reading) == 4096  # what fits is not grown
    starved = MemoryReading(64 * GIB, 1024)
    assert fitting_context(model, None, 2**20, starved) == MIN_SHRUNK_CONTEXT


def test_the_cli_answers_when_asked_for_the_largest_context_it_takes(tmp_path: Path) -> None:
    """A million tokens of a model claiming two billion, end to end (a guard: the shrinking
    itself is proven above, with a memory reading made to be short)."""
    model = write_tiny_text_model(tmp_path / "claims-2g-context.gguf")
    patch_metadata(model, "llama.context_length", 2**31 - 1)
    done = localsight(
        "ask", "--model", str(model), "--ctx", str(MAX_CONTEXT_TOKENS), "--max-tokens", "4", "Hi"
    )
    assert done.returncode == 0, done.stderr
