"""The image-embedding cache (issue 20, item 2): what an image seen before costs.

Through LocalSight's own ``LlamaCppBackend``, wall clock as a person waits for it:

* the first image turn of a conversation, cold (an image never seen: encoded) against the
  same turn after the model was loaded again, its embeddings read from memory and -- as after
  a restart, a new backend and a new cache on the same folder -- from disk;
* the encode's share of the cold turn's prompt time (what the cache can save at most);
* ``describe``-like: 20 images, one request each, then the same 20 with another prompt in
  a new backend (a second ``describe`` run): the time ratio and the cache's hit rate.

With the tiny synthetic vision model the encode is a few milliseconds and the ratios say
little; ``--vit-l`` uses the ViT-L/14-336-shaped projector (1.2 GB, written once into the
benchmark cache), whose encode costs what LLaVA 1.5's does.  Prints a table; asserts nothing.

    python -m benchmarks.image_embeddings [--quick] [--vit-l] [--threads N]
    python -m benchmarks --only image_embeddings [--vit-l]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from backends.base import GenerationOptions, ImageInput, Message
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.image_embeddings import ImageEmbeddingCache
from benchmarks import llm, models
from benchmarks.report import Metric, judged, median, vision_main


def _image(index: int) -> ImageInput:
    """A distinct 336x336 photo-like image per index (noise: no two alike)."""
    from desktop_app.core.images import normalize_image
    from tests.helpers.images import png_bytes

    color = ((37 * index) % 256, (91 * index + 40) % 256, (53 * index + 90) % 256)
    return normalize_image(png_bytes(color, size=(336, 336)), name=f"photo-{index}.png")


def _backend(cache: ImageEmbeddingCache | None) -> LlamaCppBackend:
    return LlamaCppBackend(include_embedded=False, include_stores=False, image_embeddings=cache)


def _ask(
    backend: LlamaCppBackend, model_id: str, image: ImageInput, prompt: str, threads: int
) -> llm.Timing:
    options = GenerationOptions(temperature=0.0, max_tokens=4, threads=threads, seed=1)
    _, timing = llm.answer(backend, model_id, (Message("user", prompt, (image,)),), options)
    return timing


def first_turn_rows(
    pair: tuple[Path, Path], folder: Path, threads: int, runs: int, note: str
) -> list[Metric]:
    """TTFT of a first image turn: cold, then from memory after a reload, then from disk."""
    cold: list[float] = []
    memory: list[float] = []
    disk: list[float] = []
    shares: list[float] = []
    for run in range(runs):
        image = _image(1000 + run)  # a new image each run: cold means never seen
        cache = ImageEmbeddingCache(folder)
        backend = _backend(cache)
        try:
            model_id = backend.register(*pair).id
            _ask(backend, model_id, _image(999), "Warm up.", threads)  # load model and projector
            before = cache.encode_s
            timing = _ask(backend, model_id, image, "What is in this picture?", threads)
            cold.append(timing.ttft_s)
            shares.append((cache.encode_s - before) / max(timing.stats.prompt_s, 1e-9))
            backend.unload()
            _ask(backend, model_id, _image(999), "Warm up.", threads)  # load again
            memory.append(
                _ask(backend, model_id, image, "What is in this picture?", threads).ttft_s
            )
            assert cache.flush()
        finally:
            backend.close()
        reader = ImageEmbeddingCache(folder)  # a restart: the disk only
        backend = _backend(reader)
        try:
            model_id = backend.register(*pair).id
            _ask(backend, model_id, _image(999), "Warm up.", threads)
            disk.append(_ask(backend, model_id, image, "What is in this picture?", threads).ttft_s)
        finally:
            backend.close()
    first = median(cold)
    return [
        judged("image turn 1 TTFT, cold", first, "s", note=note),
        judged(
            "image turn 1 TTFT, embeddings from memory",
            median(memory),
            "s",
            reference=first,
            goal="(vs cold)",
            note=note + "; after unload + load of the model",
        ),
        judged(
            "image turn 1 TTFT, embeddings from disk",
            median(disk),
            "s",
            reference=first,
            goal="(vs cold)",
            note=note + "; new backend and cache on the same folder (a restart)",
        ),
        judged(
            "encode share of the cold prompt",
            100 * median(shares),
            "%",
            note="mtmd_encode_chunk time / the turn's prompt_s (wall clock)",
        ),
    ]


def describe_rows(
    pair: tuple[Path, Path], folder: Path, threads: int, count: int, note: str
) -> list[Metric]:
    """``describe`` over ``count`` images, then again with another prompt, as a new run."""
    images = [_image(index) for index in range(count)]
    totals: list[float] = []
    encode_s = 0.0
    hit_rate = 0.0
    for attempt, prompt in enumerate(("Describe this image.", "List the colours you see.")):
        cache = ImageEmbeddingCache(folder)
        backend = _backend(cache)
        try:
            model_id = backend.register(*pair).id
            _ask(backend, model_id, _image(999), "Warm up.", threads)  # the load is not counted
            warm_hits, warm_misses, warm_encode_s = cache.hits, cache.misses, cache.encode_s
            total = 0.0
            for image in images:
                total += _ask(backend, model_id, image, prompt, threads).total_s
            totals.append(total)
            hits, misses = cache.hits - warm_hits, cache.misses - warm_misses
            if attempt == 0:
                encode_s = cache.encode_s - warm_encode_s
            else:
                hit_rate = hits / max(1, hits + misses)
            assert cache.flush()
        finally:
            backend.close()
    first, second = totals
    return [
        judged(f"describe {count} images, first run", first, "s", note=note),
        judged(
            f"describe {count} images, second run (other prompt)",
            second,
            "s",
            reference=first,
            goal="(vs first run)",
            note=note + f"; first run's encode {encode_s:.2f} s",
        ),
        judged(
            f"describe {count} images, second run vs first without its encode",
            second,
            "s",
            reference=max(first - encode_s, 1e-9),
            goal="(~1: all that is left is prefill and answer)",
            note=note,
        ),
        judged(
            "image-embedding cache hit rate, second run",
            100 * hit_rate,
            "%",
            goal="100 %",
            check=lambda v: v >= 99.9,
            note=note,
        ),
    ]


def image_embedding_rows(
    *, vit_l: bool = False, threads: int | None = None, quick: bool = False
) -> list[Metric]:
    pair = models.tiny_vlm(vit_l)
    threads = threads or min(4, os.cpu_count() or 1)
    note = (
        "synthetic model, ViT-L/14-336-shaped projector"
        if vit_l
        else "tiny synthetic vision model: encode cost NOT representative (try --vit-l)"
    )
    # A shared machine's load moves every number here (2 threads on 2 busy cores: a cached
    # turn took 40 ms or 1.5 s within a minute); compare ratios, and mind the load.
    note += f", {threads} threads, load {os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory(prefix="localsight-bench-embeddings-") as folder:
        rows = first_turn_rows(pair, Path(folder) / "first", threads, 2 if quick else 3, note)
        count = 5 if quick and vit_l else 20
        rows += describe_rows(pair, Path(folder) / "describe", threads, count, note)
    return rows


def main(argv: list[str] | None = None) -> int:
    return vision_main("python -m benchmarks.image_embeddings", __doc__, image_embedding_rows, argv)


if __name__ == "__main__":
    sys.exit(main())
