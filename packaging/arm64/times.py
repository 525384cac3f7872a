"""Prints the step-time table of packaging/arm64-check.sh.

Each run appends "step, cold|warm, seconds, run id" lines to one file; the table shows this
run's time of each step beside the latest time of that step in the other state, so one look
gives both what a first run on a clean machine costs and what a cached rerun costs.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(path: str, run_id: str) -> None:
    """Prints this run's steps, each with its latest cold and latest warm time."""
    rows = [line.split("\t") for line in Path(path).read_text().splitlines() if line]
    latest: dict[tuple[str, str], float] = {}
    for step, state, seconds, _run in rows:
        latest[(step, state)] = float(seconds)
    this_run = [(step, state, float(sec)) for step, state, sec, run in rows if run == run_id]
    print(f"{'step':<12} {'this run':>14} {'cold (latest)':>14} {'warm (latest)':>14}")
    for step, state, took in this_run:
        cold = latest.get((step, "cold"))
        warm = latest.get((step, "warm"))
        print(
            f"{step:<12} {f'{took:.1f} s {state}':>14} "
            f"{'-' if cold is None else f'{cold:.1f} s':>14} "
            f"{'-' if warm is None else f'{warm:.1f} s':>14}"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
