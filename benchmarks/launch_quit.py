"""Launch until Send can be used, and quit until the process is gone (issue 17, defect 9).

Each run is a fresh interpreter (``benchmarks.probes launch-quit``).  Warm runs share one
app home, so after a first, unmeasured launch the validated-model cache is warm, as it is
for a person on every launch but the first.  Cold runs each get a new home, so every model
file is read through again, as at the first launch after an install; the CPU-variant
verdicts are shared by all runs (``LOCALSIGHT_CPU_CACHE``), since the variant probe is a
once-per-machine cost that has rows of its own.  The default backends, with the embedded
SmolLM2 as the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import Metric, judged, median

REPO = Path(__file__).resolve().parents[1]


def _run(home: str, mode: str, cpu_cache: str) -> tuple[float, float] | None:
    """(launch → model chosen, quit → process gone) in seconds, or None if it failed."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(REPO),
        "LOCALSIGHT_CPU_CACHE": cpu_cache,
    }
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.probes", "launch-quit", home, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    result = None
    for line in process.stdout:
        if line.startswith("{"):
            result = json.loads(line)
            break
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    gone = time.time()
    if result is None or "ready_at" not in result:
        return None
    return result["ready_at"] - started, gone - result["quit_at"]


def launch_quit_rows(runs: int = 3) -> list[Metric]:
    """Median launch → Send usable (cold and warm), quit → gone idle and while answering."""
    cpu_cache = tempfile.mkdtemp(prefix="localsight-bench-lq-cpu-")
    home = tempfile.mkdtemp(prefix="localsight-bench-lq-")
    _run(home, "idle", cpu_cache)  # fills the CPU-variant verdicts and this home's summaries
    cold_launches: list[float] = []
    cold_quits: list[float] = []
    launches: list[float] = []
    quits: list[float] = []
    answering_quits: list[float] = []
    for _ in range(runs):
        cold = _run(tempfile.mkdtemp(prefix="localsight-bench-lq-cold-"), "idle", cpu_cache)
        if cold is not None:
            cold_launches.append(cold[0])
            cold_quits.append(cold[1])
        idle = _run(home, "idle", cpu_cache)
        if idle is not None:
            launches.append(idle[0])
            quits.append(idle[1])
        busy = _run(home, "answering", cpu_cache)
        if busy is not None:
            answering_quits.append(busy[1])
    return [
        Metric(  # no goal: what the warm launch is compared with
            "launch to Send usable (cold: no summaries kept)",
            median(cold_launches),
            "s",
            note=f"a new home: every model file read through, SmolLM2, median of {runs}",
        ),
        judged(
            "launch to Send usable (warm cache)",
            median(launches),
            "s",
            goal="< 3.0 s",
            check=lambda v: v < 3.0,
            note=f"new interpreter to a model chosen, SmolLM2, offscreen, median of {runs}",
        ),
        judged(
            "quit to process gone (after a cold launch)",
            median(cold_quits),
            "s",
            goal="< 1.0 s",
            check=lambda v: v < 1.0,
            note=f"window closed, idle, until the process has exited, median of {runs}",
        ),
        judged(
            "quit to process gone",
            median(quits),
            "s",
            goal="< 1.0 s",
            check=lambda v: v < 1.0,
            note=f"window closed, idle, until the process has exited, median of {runs}",
        ),
        judged(
            "quit while answering to process gone",
            median(answering_quits),
            "s",
            goal="< 1.0 s",
            check=lambda v: v < 1.0,
            note=f"closed mid-answer (kept as interrupted), median of {runs}",
        ),
    ]


if __name__ == "__main__":
    for row in launch_quit_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(row.json_line())
