"""Damaged GGUF files through the real CLI: how each of the audit's 1000 runs ends.

``localsight ask`` with each seeded mutation of the tiny model or its projector
(``tests.helpers.gguf_mutations``, the cases ``tests/integration/test_mutated_models.py``
samples).  The goal of issue 16 is 0 deaths by signal; the table also says how the rest
ended: refused by the validator before any native code, refused by llama.cpp with a clean
error, contained (llama.cpp aborted inside the engine process and the CLI said so in one
line), or answered.  "Contained" is the count that would have killed a CLI running llama.cpp
in its own process.  Runs are spread over the machine's cores; each is a fresh process.

    python -m benchmarks --only mutated [--quick]
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.report import Metric, judged

SEED_OFFSET = 2  # the CLI sweep's cases, so the benchmark's first cases are the test's


def mutated_model_rows(count: int) -> list[Metric]:
    """Run ``count`` mutated files through ``localsight ask`` and count the endings."""
    from tests.helpers.fuzz import SEED
    from tests.helpers.gguf_mutations import mutations, run_case, write_bases

    with tempfile.TemporaryDirectory(prefix="localsight-mutated-") as folder:
        root = Path(folder)
        # One CPU-variant verdict for all the runs, in this folder only: set for the runs
        # and taken back after, so later rows do not point at a deleted folder.
        saved = os.environ.get("LOCALSIGHT_CPU_CACHE")
        os.environ["LOCALSIGHT_CPU_CACHE"] = saved or str(root / "cpu")
        bases = write_bases(root)
        cases = list(mutations(bases, root / "cases", SEED + SEED_OFFSET, count))
        started = time.perf_counter()
        workers = max(1, min(4, os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            outcomes = list(
                pool.map(lambda c: run_case(c, bases.image, root / f"home-{c.index}"), cases)
            )
        seconds = time.perf_counter() - started
        if saved is None:
            os.environ.pop("LOCALSIGHT_CPU_CACHE", None)
    kinds = Counter(o.kind for o in outcomes)
    worst = [
        f"#{c.index} {c.description}"
        for c, o in zip(cases, outcomes, strict=True)
        if o.kind in ("signal", "hang", "traceback")
    ][:3]
    spread = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    return [
        judged(
            f"CLI deaths by signal, {count} mutated GGUF/mmproj",
            kinds["signal"],
            "runs",
            goal="0",
            check=lambda v: v == 0,
            note=f"{spread}; {seconds:.0f} s" + (f"; e.g. {'; '.join(worst)}" if worst else ""),
        ),
        judged(
            "CLI hangs or tracebacks, same runs",
            kinds["hang"] + kinds["traceback"],
            "runs",
            goal="0",
            check=lambda v: v == 0,
        ),
        judged(
            "llama.cpp crashes contained by the engine, same runs",
            kinds["contained crash"],
            "runs",
            note="each would have killed an in-process CLI; refused by the validator: "
            f"{kinds['refused']}",
        ),
    ]
