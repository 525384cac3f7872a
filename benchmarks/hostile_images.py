"""Peak memory of image normalisation over the hostile image set (issue 16, item 4).

The set is ``tests/helpers/hostile_images.py``'s: decompression bombs that pass the pixel
guard, big canvases, TIFF strip and page tricks, metadata bombs, truncations, formats
LocalSight does not read, seeded byte mutations, and the realistic photos that must keep
working (a 48 MP phone JPEG, a 12 MP PNG screenshot). Every file is normalised in one fresh
child process that resets the RSS high-water mark before each call, so each file's peak is
measured alone, above the idle process, without an interpreter start per file (the helper's
docstring says how freed memory is kept from hiding the next file's peak).

    from benchmarks.hostile_images import hostile_image_rows
    rows = hostile_image_rows()          # the audit's ~557 files
    rows = hostile_image_rows(40)        # a quick sample
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.report import Metric, judged
from tests.helpers.hostile_images import (
    FULL_MUTATIONS,
    PEAK_GOAL_BYTES,
    run_hostile_set,
    write_hostile_set,
)


def hostile_image_rows(mutations: int = FULL_MUTATIONS) -> list[Metric]:
    """Peak normalisation memory (max over the set), refused and normalised counts, and the
    files that failed badly (another exception, a death, a timeout, or output on stderr).

    ``mutations`` is the number of seeded byte mutations added to the ~100 hand-made files.
    """
    with tempfile.TemporaryDirectory(prefix="localsight-hostile-") as scratch:
        folder = Path(scratch)
        write_hostile_set(folder, mutations)
        outcomes = run_hostile_set(folder)
    total = len(outcomes)
    measured = [o for o in outcomes if o.peak_bytes is not None]
    refused = sum(1 for o in outcomes if o.status == "refused")
    normalised = sum(1 for o in outcomes if o.status == "normalised")
    bad = [
        o for o in outcomes if o.status not in ("refused", "normalised") or o.warnings or o.stderr
    ]
    goal_mb = PEAK_GOAL_BYTES / 1e6
    rows: list[Metric] = []
    if measured:
        worst = max(measured, key=lambda o: o.peak_bytes or 0)
        rows.append(
            judged(
                "hostile images normalise peak memory",
                (worst.peak_bytes or 0) / 1e6,
                "MB",
                goal=f"<= {goal_mb:.0f} MB",
                check=lambda v: v <= goal_mb,
                note=(
                    f"max over {len(measured)} files of the RSS high-water mark above the idle "
                    f"process, reset per file; worst: {worst.name} ({worst.status})"
                ),
            )
        )
    rows += [
        judged(
            "hostile images refused",
            float(refused),
            "files",
            note=f"of {total}; {normalised} normalised",
        ),
        judged(
            "hostile images normalised",
            float(normalised),
            "files",
            note=f"of {total}; {refused} refused",
        ),
        judged(
            "hostile images failing badly",
            float(len(bad)),
            "files",
            goal="0",
            check=lambda v: v == 0,
            note="another exception, a death, a timeout, or a warning / bytes on stderr"
            + (f"; first: {bad[0].name}" if bad else ""),
        ),
    ]
    return rows
