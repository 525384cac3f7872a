"""Kept conversation states (issue 20, item 3): a chat reopened after a restart.

Through LocalSight's own ``LlamaCppBackend``, wall clock as a person waits for it.  An image
conversation of three turns (an image, another image, a text question) is answered by one
backend, whose state goes to disk when it is closed (the app quitting).  Then, as after a
restart, a new backend asks the next question:

* restored: a new backend on the same folder, which puts the kept state back and reads only
  the new tail;
* cold: a new backend keeping nothing (no state, no image embeddings), which reads the whole
  conversation, both images encoded again.

Each backend loads its model with a text warm-up first, so neither time holds the load.
Also: the bytes written for the conversation, the write's time, and the extra memory: the
writer's resident growth while its snapshot waits for the disk, and the reader's peak above
its baseline during the restored answer (the cold answer's for comparison).

With the tiny synthetic vision model the encode is a few milliseconds; ``--vit-l`` uses the
ViT-L/14-336-shaped projector (1.2 GB, written once into the benchmark cache), whose encode
costs what LLaVA 1.5's does.  Prints a table; asserts nothing.

    python -m benchmarks.conversation_states [--quick] [--vit-l | --gemma3] [--threads N]
    python -m benchmarks --only conversation_states [--vit-l]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from backends.base import GenerationOptions, ImageInput, Message
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.conversation_states import ConversationStates
from benchmarks import llm, models
from benchmarks.report import Metric, judged, median, table


def _image(index: int) -> ImageInput:
    from desktop_app.core.images import normalize_image
    from tests.helpers.images import png_bytes

    color = ((37 * index) % 256, (91 * index + 40) % 256, (53 * index + 90) % 256)
    return normalize_image(png_bytes(color, size=(336, 336)), name=f"photo-{index}.png")


def _status(field: str) -> int:
    """A ``/proc/self/status`` value in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _options(threads: int) -> GenerationOptions:
    return GenerationOptions(temperature=0.0, max_tokens=8, threads=threads, seed=1)


def _backend(states: ConversationStates | None) -> LlamaCppBackend:
    backend = LlamaCppBackend(
        include_embedded=False, include_stores=False, conversation_states=states
    )
    backend.idle_keep_s = 3600.0  # kept when asked here, not on a timer mid-measurement
    return backend


Turns = list[tuple[str, tuple[ImageInput, ...]]]


def _turns(run: int) -> Turns:
    return [
        ("What is in this picture?", (_image(2 * run),)),
        ("And in this one?", (_image(2 * run + 1),)),
        ("Which of the two is brighter?", ()),
    ]


def _warm(backend: LlamaCppBackend, model_id: str, threads: int) -> None:
    llm.answer(backend, model_id, (Message("user", "Warm up."),), _options(threads))


def _reopened_answer(
    pair: tuple[Path, Path], states: ConversationStates | None, history: list[Message], threads: int
) -> tuple[llm.Timing, int]:
    """The next answer in a new backend (a restart); its timing and peak extra memory."""
    backend = _backend(states)
    try:
        model_id = backend.register(*pair).id
        _warm(backend, model_id, threads)
        _reset_peak()
        baseline = _status("VmRSS")
        _, timing = llm.answer(backend, model_id, tuple(history), _options(threads))
        peak = max(0, _status("VmHWM") - baseline)
    finally:
        backend.close()
    return timing, peak


def reopen_rows(
    pair: tuple[Path, Path],
    folder: Path,
    threads: int,
    runs: int,
    note: str,
) -> list[Metric]:
    cold: list[float] = []
    restored: list[float] = []
    written: list[float] = []
    write_s: list[float] = []
    held: list[float] = []
    peaks_restored: list[float] = []
    peaks_cold: list[float] = []
    evaluated: list[float] = []
    for run in range(runs):
        store = ConversationStates(folder / f"run-{run}")
        backend = _backend(store)
        history: list[Message] = []
        try:
            model_id = backend.register(*pair).id
            for text, images in _turns(run):
                history.append(Message("user", text, images))
                answer, _ = llm.answer(backend, model_id, tuple(history), _options(threads))
                history.append(Message("assistant", answer))
            before = _status("VmRSS")
            backend.keep_conversation_state()  # what quitting (or idling) does
            held.append(max(0, _status("VmRSS") - before))
            assert store.flush()
            written.append(store.written_bytes)
            write_s.append(store.write_s)
        finally:
            backend.close()
        history.append(Message("user", "Tell me more about the first one."))

        timing, peak = _reopened_answer(
            pair, ConversationStates(folder / f"run-{run}"), history, threads
        )
        restored.append(timing.ttft_s)
        peaks_restored.append(peak)
        evaluated.append(timing.stats.prompt_tokens)
        timing, peak = _reopened_answer(pair, None, history, threads)
        cold.append(timing.ttft_s)
        peaks_cold.append(peak)
    first = median(cold)
    mib = 1024 * 1024
    return [
        judged("reopened image chat, next answer TTFT, cold", first, "s", note=note),
        judged(
            "reopened image chat, next answer TTFT, restored",
            median(restored),
            "s",
            reference=first,
            goal="<= 0.10 x cold",
            check=lambda ratio: ratio <= 0.10,
            on_ratio=True,
            note=note + f"; {median(evaluated):.0f} tokens evaluated after the restore",
        ),
        judged("disk written per conversation", median(written) / mib, "MiB", note=note),
        judged("conversation state write", 1000 * median(write_s), "ms", note="background thread"),
        judged(
            "extra memory while the state waits for the disk",
            median(held) / mib,
            "MiB",
            note="writer's RSS growth after the snapshot",
        ),
        judged(
            "peak extra memory, restored answer",
            median(peaks_restored) / mib,
            "MiB",
            note=f"VmHWM over the baseline; cold answer: {median(peaks_cold) / mib:.1f} MiB",
        ),
        judged(
            "memory a kept state holds until written / while restored",
            median(written) / mib,
            "MiB",
            note="by construction: one copy of state + logits (snapshot; file read whole)",
        ),
    ]


def conversation_state_rows(
    *,
    vit_l: bool = False,
    gemma3: bool = False,
    threads: int | None = None,
    quick: bool = False,
) -> list[Metric]:
    """``gemma3``: the Gemma 3 stand-in (Gemma 3 270M, synthetic projector of its width), a
    real model's KV size (past its 512-token sliding window: the whole context's state)."""
    threads = threads or min(4, os.cpu_count() or 1)
    if gemma3:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.helpers.family_models import cached_family

        pair = cached_family("gemma3")
        note = "Gemma 3 270M + synthetic projector"
    else:
        pair = models.tiny_vlm(vit_l)
        note = (
            "synthetic model, ViT-L/14-336-shaped projector"
            if vit_l
            else "tiny synthetic vision model: encode cost NOT representative (try --vit-l)"
        )
    note += f", {threads} threads, load {os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory(prefix="localsight-bench-states-") as folder:
        return reopen_rows(pair, Path(folder), threads, 1 if quick else 3, note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.conversation_states", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    parser.add_argument("--vit-l", action="store_true", help="ViT-L/14-336-shaped projector")
    parser.add_argument("--gemma3", action="store_true", help="the Gemma 3 270M stand-in")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    rows = conversation_state_rows(
        vit_l=args.vit_l, gemma3=args.gemma3, threads=args.threads, quick=args.quick
    )
    for metric in rows:
        print(metric.json_line(), flush=True)
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
