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
    """llama-bench's rates for one flash-attention setting."""

    pp_tok_s: float | None  # None when not asked for (pp=0)
    tg_tok_s: float | None  # None when not asked for (tg=0)


def llama_bench_binary(flavour: str = "dispatch") -> Path:
    """llama-bench of ``flavour``: "dispatch" runs the app's own CPU variant, "native" is
    built with ``-march=native`` (no AMX) for this machine alone (``tests/llama_tools``)."""
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.llama_tools import ensure_tool

    return ensure_tool("llama-bench", flavour=flavour)


def _flavour_of(binary: Path) -> str:
    return "native" if binary.parent.parent.name.endswith("-native") else "dispatch"


def llama_bench(
    binary: Path,
    model: Path,
    threads: int,
    *,
    pp: int = 512,
    tg: int = 128,
    reps: int = 1,
    flash_attention: bool = False,
) -> BenchResult:
    """llama-bench's own averages for pp``pp`` and tg``tg`` with ``threads`` threads.

    Flash attention off is how LocalSight runs (with it on, a conversation continued from
    the cached prefix no longer answers exactly as a fresh context would); on is
    llama-bench's CPU default, measured too so the cost of that choice is visible.
    """
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
        "-fa",
        "1" if flash_attention else "0",
        "-o",
        "json",
    ]
    from tests.llama_tools import tool_env

    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        env=tool_env(_flavour_of(binary)),
    )
    rows = json.loads(out.stdout)

    def rate(prompt: bool) -> float | None:
        found = [r["avg_ts"] for r in rows if (r.get("n_prompt", 0) > 0) == prompt]
        return float(found[0]) if found else None

    return BenchResult(rate(True), rate(False))
