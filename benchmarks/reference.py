"""Raw llama.cpp as the reference: ``llama-bench`` built from the binding's own sources.

The tools are built by ``tests/helpers/llama_tools.ensure_tool`` from the llama.cpp tree vendored in
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
    """llama-bench's rates at its fastest flash-attention setting of those asked for."""

    pp_tok_s: float | None  # None when not asked for (pp=0)
    tg_tok_s: float | None  # None when not asked for (tg=0)
    pp_flash_attention: bool | None = None  # the setting that gave ``pp_tok_s``
    tg_flash_attention: bool | None = None


def llama_bench_binary(flavour: str = "dispatch") -> Path:
    """llama-bench of ``flavour``: "dispatch" runs the app's own CPU variant, "native" is
    built with ``-march=native`` (no AMX) for this machine alone (``tests/helpers/llama_tools``)."""
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.helpers.llama_tools import ensure_tool

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
    flash_attention: tuple[bool, ...] = (False, True),
    depth: int = 0,
) -> BenchResult:
    """llama-bench's own averages for pp``pp`` and tg``tg`` with ``threads`` threads, at
    the fastest of the ``flash_attention`` settings (each measured in the same run): the
    reference is raw llama.cpp at its best, whatever LocalSight chose.

    ``depth``: tokens already in the context when the test starts (``-d``).  Decode speed
    falls with what attention reads -- SmolLM2 tg128 here: 154 tok/s at depth 0, 148 at 64,
    116 at 256 -- so a decode is compared at the depth LocalSight decodes at (its prompt).
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
        "-d",
        str(depth),
        "-fa",
        ",".join("1" if on else "0" for on in flash_attention),
        "-o",
        "json",
    ]
    from tests.helpers.llama_tools import tool_env

    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        env=tool_env(_flavour_of(binary)),
    )
    rows = json.loads(out.stdout)

    def fastest(prompt: bool) -> tuple[float | None, bool | None]:
        found = [
            (float(r["avg_ts"]), _flash_attention_of(r))
            for r in rows
            if (r.get("n_prompt", 0) > 0) == prompt
        ]
        return max(found) if found else (None, None)

    pp_rate, pp_fa = fastest(True)
    tg_rate, tg_fa = fastest(False)
    return BenchResult(pp_rate, tg_rate, pp_fa, tg_fa)


def _flash_attention_of(row: dict[str, object]) -> bool:
    """llama-bench's JSON says ``flash_attn`` as a bool in older builds, and as a type
    ("enabled", 1, ...) in newer ones."""
    value = row.get("flash_attn", row.get("flash_attn_type", False))
    return value in (True, 1, "1", "on", "enabled", "true")
