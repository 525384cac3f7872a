"""``describe`` on a pool of 1, 2 and 3 llama-servers (the tiny VLM, ``-np 2`` each).

Images/s over the pool and the client's own CPU seconds per image (this process's
``time.process_time``: the servers are other processes).  The model is tiny on purpose, so
the ratio to one server shows the client's overhead, not the model's; on a machine with
fewer cores than servers the servers share them and the ratio says so (the load is noted).

The same pool of *latency-bound* servers (OpenAI-compatible stubs that take 100 ms per
answer, two at a time, and almost no CPU) then shows the client alone: with servers that do
not compete with it and with each other for the cores, what is left of the 3x is the
client's own overhead.

    python -m benchmarks.describe_pool [--quick]
    python -m benchmarks --only describe_pool
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import models
from benchmarks.report import Metric, judged, table


def _images(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    folder.mkdir()
    paths = []
    for index in range(count):
        path = folder / f"img{index:03d}.png"
        colour = (index * 37 % 256, index * 91 % 256, index * 53 % 256)
        Image.new("RGB", (32 + index % 23, 32 + index % 17), colour).save(path)
        paths.append(path)
    return paths


def _run(
    urls: list[str], images: list[Path], out: Path, *, vision: tuple[str, ...] = ()
) -> tuple[float, float]:
    """(images/s, client CPU s per image) of one pool run over ``images``."""
    from backends.base import CancelToken, GenerationOptions
    from backends.openai_compat import OpenAICompatBackend
    from desktop_app.core.describe.output import RowWriter
    from desktop_app.core.describe.pool import PoolEndpoint, run_pool
    from desktop_app.core.describe.run import DescribeJob, WorkItem, file_sha256
    from desktop_app.core.images import ImagePolicy

    job = DescribeJob(
        "tiny-vlm",
        "Describe this image in one or two sentences.",
        GenerationOptions(temperature=0.0, max_tokens=16, seed=1),
        ImagePolicy(),
    )
    work = [WorkItem(path, file_sha256(path)) for path in images]
    endpoints = [
        PoolEndpoint(url, lambda url=url: OpenAICompatBackend(url, vision_models=vision), 2)  # type: ignore[misc]
        for url in urls
    ]
    writer = RowWriter(out, "jsonl")
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        summary = run_pool(
            endpoints,
            work,
            [],
            job,
            writer,
            concurrency=2 * len(urls),
            stop=CancelToken(),
            cancel=CancelToken(),
        )
    finally:
        writer.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert summary.described == len(images) and summary.errors == 0, summary
    return len(images) / wall, cpu / len(images)


_STUB_ANSWER_S = 0.1
_STUB_SLOTS = 2


def _latency_servers(count: int) -> list[Any]:
    """OpenAI-compatible stubs answering each chat after ``_STUB_ANSWER_S``, at most
    ``_STUB_SLOTS`` at once (as ``-np 2``), with next to no CPU."""
    import threading

    from tests.helpers import openai_stub

    class SlowHandler(openai_stub._Handler):
        def _stream(self, script: openai_stub.Script) -> None:
            with self.server.slots:  # type: ignore[attr-defined]
                time.sleep(_STUB_ANSWER_S)
            super()._stream(script)

    servers = []
    for _ in range(count):
        stub = openai_stub.StubServer(
            models=[{"id": "tiny-vlm", "object": "model", "owned_by": "stub"}]
        )
        stub._server.server_close()
        stub._server = openai_stub._Server(("127.0.0.1", 0), SlowHandler, stub)
        stub._server.slots = threading.BoundedSemaphore(_STUB_SLOTS)  # type: ignore[attr-defined]
        stub._thread = threading.Thread(
            target=stub._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        servers.append(stub.__enter__())
    return servers


def _pool_rows(
    label: str, urls: list[str], images: list[Path], folder: Path, note: str, **run: Any
) -> list[Metric]:
    rows: list[Metric] = []
    single: float | None = None
    for size in (1, 2, 3):
        rate, cpu = _run(urls[:size], images, folder / f"{label}-pool{size}.jsonl", **run)
        if single is None:
            single = rate
        rows.append(
            judged(
                f"describe pool, {size} {label}: images/s",
                rate,
                "img/s",
                reference=None if size == 1 else single,
                goal=">= 2.7x one server" if size == 3 else "",
                check=(lambda ratio: ratio >= 2.7) if size == 3 else None,
                on_ratio=True,
                note=note,
            )
        )
        rows.append(judged(f"describe pool, {size} {label}: client CPU", cpu * 1000, "ms/img"))
    return rows


def describe_pool_rows(*, quick: bool = False) -> list[Metric]:
    from tests.helpers.llama_server import LlamaServer
    from tests.helpers.llama_tools import ensure_tool

    model, mmproj = models.tiny_vlm(False)
    binary = ensure_tool("llama-server")
    count = 30 if quick else 90
    note = (
        f"{count} images, tiny VLM, -np 2, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    servers: list[LlamaServer] = []
    rows: list[Metric] = []
    try:
        for _ in range(3):
            server = LlamaServer(
                binary, model=model, mmproj=mmproj, alias="tiny-vlm", ctx=4096, extra=("-np", "2")
            )
            servers.append(server.start())
        with tempfile.TemporaryDirectory(prefix="localsight-bench-pool-") as folder:
            base = Path(folder)
            images = _images(base / "photos", count)
            _run([servers[0].base_url], images[:4], base / "warm.jsonl")  # first-use costs
            urls = [server.base_url for server in servers]
            rows += _pool_rows("llama-server(s)", urls, images, base, note)
            stubs = _latency_servers(3)
            try:
                stub_note = (
                    f"{count} images, stubs: {_STUB_ANSWER_S * 1000:.0f} ms per answer, "
                    f"{_STUB_SLOTS} at once, load {os.getloadavg()[0]:.1f}"
                )
                urls = [stub.base_url for stub in stubs]
                rows += _pool_rows(  # the stubs say nothing of vision: the user's list does
                    "latency-bound server(s)", urls, images, base, stub_note, vision=("tiny-vlm",)
                )
            finally:
                for stub in stubs:
                    stub.__exit__()
    finally:
        for server in servers:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.describe_pool", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="30 images instead of 90")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    metrics = describe_pool_rows(quick=args.quick)
    for metric in metrics:
        print(metric.json_line(), flush=True)
    print()
    print(table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
