"""Raw llama.cpp as the reference: ``llama-bench`` built from the binding's own sources.

The tools are built by ``tests/llama_tools.ensure_tool`` from the llama.cpp tree vendored in
the installed llama-cpp-python sdist, so both sides run the same llama.cpp version.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchResult:
    pp_tok_s: float
    tg_tok_s: float


def llama_bench_binary() -> Path:
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.llama_tools import ensure_tool

    return ensure_tool("llama-bench")


def llama_bench(
    binary: Path, model: Path, threads: int, *, pp: int = 512, tg: int = 128, reps: int = 3
) -> BenchResult:
    """llama-bench's own averages for pp``pp`` and tg``tg`` with ``threads`` threads."""
    command = [
        str(binary),
        "-m",
        str(model),
        "-t",
        str(threads),
        "-p",
        str(pp),
        "-n",
        str(tg),
        "-r",
        str(reps),
        "-o",
        "json",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
    rows = json.loads(out.stdout)
    pp_rate = next(r["avg_ts"] for r in rows if r.get("n_prompt", 0) > 0)
    tg_rate = next(r["avg_ts"] for r in rows if r.get("n_gen", 0) > 0)
    return BenchResult(float(pp_rate), float(tg_rate))
