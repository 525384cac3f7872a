"""Time and peak memory of normalising 108 and 200 MP phone photos (issue 17, defect 7).

Cameras of 2024 phones write 108 MP (12000×9000) and 200 MP (16320×12240) JPEGs. They used to
be refused by the pixel guard (89 MP); now a JPEG is held to the memory its reduced decode
takes instead, and libjpeg reads both at 1/8 scale. These rows show what that costs.

The photos are made like a camera's, baseline 4:2:0 at quality 90 with sensor-like grain (30
and 57 MB files, as big and as slow to entropy-decode as real ones), a row of blocks at a time
(``tests.helpers.hostile_images.striped_jpeg``), so making them never needs the 432 or 800 MB
a whole image would take in Pillow. Each is normalised in a fresh interpreter by the ``jpeg``
probe of ``benchmarks/probes.py``, the same one as the 48 MP row, which reports the time and
the RSS high-water mark above the idle process.

    from benchmarks.big_photos import big_photo_rows
    rows = big_photo_rows()      # 3 runs of each, the median reported
"""

from __future__ import annotations

import functools
import json
import operator
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.report import Metric, judged, median
from tests.helpers import REPO
from tests.helpers.hostile_images import PEAK_GOAL_BYTES, striped_jpeg

#: (label, width, height, time goal in seconds). The 48 MP row's goal is 0.5 s; these scale
#: it by the pixels libjpeg still has to entropy-decode whatever the scale.
_PHOTOS: tuple[tuple[str, int, int, float], ...] = (
    ("108 MP", 12_000, 9_000, 1.2),
    ("200 MP", 16_320, 12_240, 2.0),
)


def _jpeg_probe(path: Path, timeout: float = 300) -> dict[str, float]:
    """``python -m benchmarks.probes jpeg PATH`` in a fresh interpreter; its last JSON line."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.probes", "jpeg", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"jpeg probe failed on {path.name}: {out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def big_photo_rows(runs: int = 3) -> list[Metric]:
    """Normalise time and peak memory of a 108 and a 200 MP JPEG (medians of ``runs``)."""
    goal_mb = PEAK_GOAL_BYTES / 1e6
    rows: list[Metric] = []
    with tempfile.TemporaryDirectory(prefix="localsight-big-photos-") as scratch:
        for label, width, height, goal_s in _PHOTOS:
            path = Path(scratch) / f"photo-{width}x{height}.jpg"
            path.write_bytes(striped_jpeg(width, height, quality=90, noise=40.0))
            size_mb = path.stat().st_size / 1e6
            results = [_jpeg_probe(path) for _ in range(runs)]
            path.unlink()
            if any(r["out_w"] != 1024 for r in results):
                raise RuntimeError(f"{label} JPEG was not shrunk to 1024 px: {results}")
            note = f"{width}×{height} baseline JPEG, {size_mb:.0f} MB, decoded at 1/8 scale"
            rows += [
                judged(
                    f"{label} JPEG normalise time",
                    median([r["seconds"] for r in results]),
                    "s",
                    goal=f"< {goal_s:g} s",
                    check=functools.partial(operator.gt, goal_s),  # goal_s > value
                    note=note,
                ),
                judged(
                    f"{label} JPEG normalise peak memory",
                    median([r["peak_bytes"] / 1e6 for r in results]),
                    "MB",
                    goal=f"< {goal_mb:.0f} MB",
                    check=lambda v: v < goal_mb,
                    note="RSS high-water mark above the idle process; " + note,
                ),
            ]
    return rows


if __name__ == "__main__":
    from benchmarks.report import table

    print(table(big_photo_rows()))
