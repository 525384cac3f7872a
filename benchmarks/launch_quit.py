"""Launch until Send can be used, and quit until the process is gone (issue 17, defect 9).

Each run is a fresh interpreter (``benchmarks.probes launch-quit``) on one app home kept
for all runs, so after a first, unmeasured launch the validated-model cache is warm, as it
is for a person on every launch but the first.  The default backends, with the embedded
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


def _run(home: str, mode: str) -> tuple[float, float] | None:
    """(launch → model chosen, quit → process gone) in seconds, or None if it failed."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
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
    """Median launch → Send usable (warm cache), quit → gone idle and while answering."""
    home = tempfile.mkdtemp(prefix="localsight-bench-lq-")
    _run(home, "idle")  # the first launch fills the caches (CPU variant, model summaries)
    launches: list[float] = []
    quits: list[float] = []
    answering_quits: list[float] = []
    for _ in range(runs):
        idle = _run(home, "idle")
        if idle is not None:
            launches.append(idle[0])
            quits.append(idle[1])
        busy = _run(home, "answering")
        if busy is not None:
            answering_quits.append(busy[1])
    return [
        judged(
            "launch to Send usable (warm cache)",
            median(launches),
            "s",
            goal="< 3.0 s",
            check=lambda v: v < 3.0,
            note=f"new interpreter to a model chosen, SmolLM2, offscreen, median of {runs}",
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
