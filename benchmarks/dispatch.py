"""What the portable, CPU-dispatched llama.cpp costs against one tuned for this very machine.

LocalSight installs llama.cpp with every CPU variant and loads the one this computer proves
it can run (``backends/llama_cpp/cpu_variants.py``); the alternative a user could build is
``-march=native``, which is what killed the first answer on a machine advertising AMX it
traps. Both sides here are ``llama-bench`` from the same llama.cpp source, same model,
threads and flash-attention setting: the dispatched one loads the app's chosen variant
library, the native one is compiled with ``-march=native`` minus AMX. Runs are paired in
the order dispatched, native, native, dispatched (then reversed), and each ratio is the
median of the pairs' ratios, so the machine's drift cancels within a pair.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.report import Metric, judged, median


def dispatch_rows(label: str, model: Path, *, threads: int, runs: int, tokens: int) -> list[Metric]:
    from backends.llama_cpp import cpu_variants
    from benchmarks.reference import llama_bench, llama_bench_binary

    print("[bench] building llama-bench, dispatched and native (once, ~5 min each)...", flush=True)
    dispatched, native = llama_bench_binary("dispatch"), llama_bench_binary("native")
    variant = cpu_variants.current().variant
    pairs: dict[str, list[tuple[float, float]]] = {"decode": [], "prefill": []}

    def rate(binary: Path, kind: str) -> float:
        if kind == "decode":
            value = llama_bench(binary, model, threads, pp=0, tg=tokens).tg_tok_s
        else:
            value = llama_bench(binary, model, threads, pp=512, tg=0).pp_tok_s
        return float(value or 0.0)

    for run in range(runs):
        for kind in ("decode", "prefill") if run % 2 == 0 else ("prefill", "decode"):
            if run % 2 == 0:
                ours, ref = rate(dispatched, kind), rate(native, kind)
            else:
                ref, ours = rate(native, kind), rate(dispatched, kind)
            pairs[kind].append((ours, ref))
            print(
                f"[bench] {label} dispatched ({variant}) vs native, pair {run + 1}: "
                f"{kind} {ours:.1f} vs {ref:.1f}",
                file=sys.stderr,
                flush=True,
            )
    note = (
        f"llama-bench both sides, {threads} threads, flash attention off; variant {variant}; "
        f"ratio = median of {runs} paired ratios"
    )
    rows = []
    for kind, test in (("decode", f"tg{tokens}"), ("prefill", "pp512")):
        values = [ours for ours, _ in pairs[kind]]
        refs = [ref for _, ref in pairs[kind]]
        ratios = [ours / ref for ours, ref in pairs[kind] if ref]
        rows.append(
            judged(
                f"{kind} tok/s {label} dispatched vs native",
                median(values),
                "tok/s",
                reference=median(refs),
                goal=f"ratio >= 0.97 (vs -march=native {test})",
                check=lambda r: r >= 0.97,
                on_ratio=True,
                note=note,
                paired_ratio=median(ratios) if ratios else None,
            )
        )
    return rows
