"""One measured metric, printed as a table row and as one JSON line.

Every ratio is computed from numbers measured in the same run, so a loaded machine skews
value and reference alike instead of making the comparison meaningless.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """``goal`` is a predicate over the ratio (or over the value when there is no reference)."""

    metric: str
    value: float
    unit: str
    reference: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""
    #: The median of ratios taken pair by pair (each reference run next to one of ours),
    #: when the runs were paired; else the ratio of the medians.
    paired_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def json_line(self) -> str:
        ratio = self.ratio
        return json.dumps(
            {
                "metric": self.metric,
                "value": round(self.value, 4),
                "reference": None if self.reference is None else round(self.reference, 4),
                "ratio": None if ratio is None else round(ratio, 4),
                "unit": self.unit,
                "goal": self.goal,
                "met": self.met,
                "note": self.note,
            }
        )


def judged(
    metric: str,
    value: float,
    unit: str,
    *,
    reference: float | None = None,
    goal: str = "",
    check: Callable[[float], bool] | None = None,
    on_ratio: bool = False,
    note: str = "",
    paired_ratio: float | None = None,
) -> Metric:
    """A metric with its goal checked on the ratio (``on_ratio``) or on the value.

    A ratio goal without a reference (llama-bench skipped or failed) is reported as
    unknown, never as met.
    """
    base = Metric(metric, value, unit, reference, goal, None, note, paired_ratio)
    subject = base.ratio if on_ratio else value
    met = None if check is None or subject is None else bool(check(subject))
    return Metric(metric, value, unit, reference, goal, met, note, paired_ratio)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def table(metrics: Sequence[Metric]) -> str:
    """A fixed-width table a person can read in a terminal or paste into a note."""
    rows = [("metric", "value", "reference", "ratio", "goal", "met")]
    for m in metrics:
        ratio = m.ratio
        rows.append(
            (
                m.metric,
                f"{m.value:.3g} {m.unit}".strip(),
                "" if m.reference is None else f"{m.reference:.3g}",
                "" if ratio is None else f"{ratio:.3f}",
                m.goal,
                {True: "met", False: "NOT met", None: ""}[m.met],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def vision_main(
    prog: str, description: str | None, rows: Callable[..., list[Metric]], argv: list[str] | None
) -> int:
    """The command line of a vision benchmark module (``--quick``, ``--vit-l``,
    ``--threads``): its rows as JSON lines, then as a table."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--vit-l", action="store_true", help="ViT-L/14-336-shaped projector")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    metrics = rows(vit_l=args.vit_l, threads=args.threads, quick=args.quick)
    for metric in metrics:
        print(metric.json_line(), flush=True)
    print()
    print(table(metrics))
    return 0
