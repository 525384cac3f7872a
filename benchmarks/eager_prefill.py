"""Eager prefill (issue 20, item 1): what Enter costs once the image was read while typing.

Through LocalSight's own ``LlamaCppBackend`` (no image-embedding cache, so every image is
encoded: the prefill is what saves the time), wall clock as a person waits for it:

* the prefill itself, started when the image is attached (the person is still typing);
* TTFT after Enter with that image attached and prefilled, against TTFT of the same
  question without any image (goal: at most 1.3x) and against the same image turn without
  a prefill (what Enter cost before);
* the process's resident memory the prefill added (the image's KV cells and the projector's
  buffers; the context was loaded before).

Each run asks about a new image in a new conversation, measurements interleaved.  With the
tiny synthetic vision model the encode is a few milliseconds; ``--vit-l`` pairs a
ViT-L/14-336-shaped projector, whose encode costs what LLaVA 1.5's does, with the real
Gemma 3 270M (``models.gemma_vit_l``).  Prints a table;
asserts nothing.

    python -m benchmarks.eager_prefill [--quick] [--vit-l] [--threads N]
    python -m benchmarks --only eager_prefill [--vit-l]
"""

from __future__ import annotations

import os
import sys
import time

from backends.base import ChatRequest, GenerationOptions, ImageInput, Message
from backends.llama_cpp import LlamaCppBackend
from benchmarks import llm, models
from benchmarks.report import Metric, judged, median, vision_main

QUESTION = "What is in this picture? Answer in one short sentence."


def _image(index: int) -> ImageInput:
    """A distinct 336x336 image per index (never seen before by the model)."""
    from desktop_app.core.images import normalize_image
    from tests.helpers.images import png_bytes

    color = ((41 * index) % 256, (97 * index + 30) % 256, (59 * index + 70) % 256)
    return normalize_image(png_bytes(color, size=(336, 336)), name=f"photo-{index}.png")


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def eager_prefill_rows(
    *, vit_l: bool = False, threads: int | None = None, quick: bool = False
) -> list[Metric]:
    # With the ViT-L projector, a real language model (Gemma 3 270M): beside the tiny
    # synthetic one, whose prefill of ~100 tokens takes 2 ms, any fixed cost of Send (the
    # image decoded and preprocessed again to tokenize it, ~2-4 ms) would be the ratio.
    pair = models.gemma_vit_l() if vit_l else models.tiny_vlm(False)
    threads = threads or min(4, os.cpu_count() or 1)
    note = (
        "Gemma 3 270M + ViT-L/14-336-shaped projector"
        if vit_l
        else "tiny synthetic vision model: encode cost NOT representative (try --vit-l)"
    )
    note += f", {threads} threads, load {os.getloadavg()[0]:.1f}"
    options = GenerationOptions(temperature=0.0, max_tokens=4, threads=threads, seed=1)
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    prefill_s: list[float] = []
    eager: list[float] = []
    cold: list[float] = []
    text_only: list[float] = []
    memory: list[int] = []
    try:
        model_id = backend.register(*pair).id
        llm.answer(backend, model_id, (Message("user", "Warm up.", (_image(0),)),), options)
        for run in range(2 if quick else 4):
            # A new conversation each time: a different opening line, as another chat's.
            opening = Message("user", f"Chat {run}: hello.")
            greeting, _ = llm.answer(backend, model_id, (opening,), options)
            history = (opening, Message("assistant", greeting or "Hello."))

            _, timing = llm.answer(
                backend, model_id, (*history, Message("user", QUESTION)), options
            )
            text_only.append(timing.ttft_s)

            image = _image(100 + run)
            before = _rss_bytes()
            started = time.perf_counter()
            draft = ChatRequest(model_id, (*history, Message("user", "", (image,))), options)
            backend.prefill(draft)
            prefill_s.append(time.perf_counter() - started)
            memory.append(max(0, _rss_bytes() - before))
            _, timing = llm.answer(
                backend, model_id, (*history, Message("user", QUESTION, (image,))), options
            )
            eager.append(timing.ttft_s)

            other = _image(200 + run)  # the same turn, no prefill: what Enter cost before
            _, timing = llm.answer(
                backend, model_id, (*history, Message("user", QUESTION, (other,))), options
            )
            cold.append(timing.ttft_s)
    finally:
        backend.close()
    return [
        judged("eager prefill of a new image (while typing)", median(prefill_s), "s", note=note),
        judged(
            "TTFT after Enter, image prefilled, vs same question without an image",
            median(eager),
            "s",
            reference=median(text_only),
            goal="<= 1.3",
            check=lambda ratio: ratio <= 1.3,
            on_ratio=True,
            note=note,
        ),
        judged(
            "TTFT after Enter, image prefilled, vs the same turn without prefill",
            median(eager),
            "s",
            reference=median(cold),
            goal="(what the prefill saves)",
            note=note,
        ),
        judged(
            "memory added by an eager prefill (RSS)",
            median([float(m) for m in memory]) / 2**20,
            "MiB",
            note=note + "; the model and its context were loaded before",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return vision_main("python -m benchmarks.eager_prefill", __doc__, eager_prefill_rows, argv)


if __name__ == "__main__":
    sys.exit(main())
