"""``localsight describe`` on a pool of 3 real llama-servers (the tiny VLM, ``-np 2``).

The claims: with one server SIGKILLed half-way and another SIGSTOPped (a stall), every
image is described exactly once, with the same text a sequential run gives at temperature
0 (order aside), and the killed server's images are redone elsewhere; and a ``describe``
process killed with SIGKILL at random moments, then run again until done, loses no image
and duplicates none.  The quick versions (30 images, 4 kills) run by default; the full
ones (200 images, 20 kills) are marked ``slow``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.helpers.cli import UNSET
from tests.helpers.llama_server import LlamaServer
from tests.helpers.llama_tools import ensure_tool

pytestmark = pytest.mark.llama_server

COMMON = ("--model", "tiny-vlm", "--temperature", "0", "--seed", "1", "--max-tokens", "12")


@pytest.fixture(scope="module")
def servers(tiny_vlm: tuple[Path, Path]) -> Iterator[list[LlamaServer]]:
    binary = ensure_tool("llama-server")
    model, mmproj = tiny_vlm
    started: list[LlamaServer] = []
    try:
        for _ in range(3):
            server = LlamaServer(
                binary, model=model, mmproj=mmproj, alias="tiny-vlm", ctx=4096, extra=("-np", "2")
            )
            started.append(server.start())
        yield started
    finally:
        for server in started:
            server._signal(signal.SIGCONT)
            server.stop()


def _restart(server: LlamaServer) -> None:
    if server.process is None or server.process.poll() is not None:
        server.start()


def _images(folder: Path, count: int) -> Path:
    from PIL import Image

    folder.mkdir()
    for index in range(count):
        colour = (index * 37 % 256, index * 91 % 256, index * 53 % 256)
        Image.new("RGB", (16 + index % 23, 16 + index % 17), colour).save(
            folder / f"img{index:03d}.png"
        )
    return folder


def _env(home: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in UNSET}
    pythonpath = environ.get("PYTHONPATH")
    environ["PYTHONPATH"] = str(REPO) + (os.pathsep + pythonpath if pythonpath else "")
    environ["LOCALSIGHT_HOME"] = str(home)
    return environ


def _describe(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "describe", *args, *COMMON, "--no-progress"],
        cwd=REPO,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def _pool_run_survives_a_kill_and_a_stall(
    servers: list[LlamaServer], tmp_path: Path, count: int
) -> None:
    for server in servers:
        _restart(server)
    folder = _images(tmp_path / "photos", count)
    home = tmp_path / "home"
    home.mkdir()
    # the sequential reference: one server, one image at a time
    reference = tmp_path / "sequential.jsonl"
    process = _describe(
        home, str(folder), "--base-url", servers[0].base_url, "--out", str(reference)
    )
    _, stderr = process.communicate(timeout=1800)
    assert process.returncode == 0, stderr
    expected = {row["sha256"]: row["text"] for row in _rows(reference)}
    assert len(expected) == count and all(expected.values())

    killed, stalled, healthy = servers
    pooled = tmp_path / "pool.jsonl"
    process = _describe(
        home,
        str(folder),
        *("--base-url", killed.base_url, "--base-url", stalled.base_url),
        *("--base-url", healthy.base_url),
        *("--concurrency", "6", "--stall-timeout", "5", "--out", str(pooled)),
    )
    try:
        while _line_count(pooled) < count // 4 and process.poll() is None:
            time.sleep(0.05)
        stalled._signal(signal.SIGSTOP)
        while _line_count(pooled) < count // 2 and process.poll() is None:
            time.sleep(0.05)
        killed.kill()
        _, stderr = process.communicate(timeout=1800)
    finally:
        stalled._signal(signal.SIGCONT)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    rows = _rows(pooled)
    assert Counter(row["path"] for row in rows).most_common(1)[0][1] == 1  # no duplicate
    assert len(rows) == count  # no gap
    assert not [row for row in rows if row["error"]]
    assert {row["sha256"]: row["text"] for row in rows} == expected
    # the killed server was given up on (its images in flight were done by the others)
    assert stderr.count(f"{killed.port}/v1 dropped from the pool") == 1, stderr
    assert "images/s" in stderr


def test_pool_survives_a_killed_and_a_stalled_server(
    servers: list[LlamaServer], tmp_path: Path
) -> None:
    _pool_run_survives_a_kill_and_a_stall(servers, tmp_path, 30)


@pytest.mark.slow
def test_pool_survives_a_killed_and_a_stalled_server_200_images(
    servers: list[LlamaServer], tmp_path: Path
) -> None:
    _pool_run_survives_a_kill_and_a_stall(servers, tmp_path, 200)


def _kill_9_then_rerun(servers: list[LlamaServer], tmp_path: Path, count: int, kills: int) -> None:
    for server in servers:
        server._signal(signal.SIGCONT)
        _restart(server)
    folder = _images(tmp_path / "photos", count)
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "out.jsonl"
    pool = tmp_path / "servers.txt"
    pool.write_text(
        "# three llama-servers, two slots each\n"
        + "".join(f"{server.base_url} 2\n" for server in servers),
        encoding="utf-8",
    )
    args = (str(folder), "--pool", str(pool), "--concurrency", "6", "--out", str(out))
    rng = random.Random(21)
    landed = 0
    for _ in range(kills):
        # a random moment inside the run: after a random number of new rows, plus a random
        # fraction of the next image's time
        target = _line_count(out) + rng.randint(1, max(1, count // (3 * kills)))
        process = _describe(home, *args)
        while _line_count(out) < target and process.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.05))
        # A kill that lands mid-run: the process still running with images left (the tiny
        # model finishes the last few in milliseconds, so a late kill may find them done).
        landed += process.poll() is None and _line_count(out) < count
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    assert landed >= kills // 2  # most kills hit a run with work left
    for _ in range(3):  # finish: a run that is not killed
        process = _describe(home, *args)
        _, stderr = process.communicate(timeout=1800)
        assert process.returncode == 0, stderr
        if "0 to describe" in stderr:
            break
    rows = _rows(out)
    paths = Counter(row["path"] for row in rows)
    assert len(paths) == count  # none lost
    assert max(paths.values()) == 1  # none duplicated
    assert not [row for row in rows if row["error"]]


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(
    servers: list[LlamaServer], tmp_path: Path
) -> None:
    _kill_9_then_rerun(servers, tmp_path, 30, kills=4)


@pytest.mark.slow
def test_kill_9_twenty_times_on_200_images(servers: list[LlamaServer], tmp_path: Path) -> None:
    _kill_9_then_rerun(servers, tmp_path, 200, kills=20)


def test_a_pool_of_dead_servers_stops_with_one_line_and_writes_no_row(tmp_path: Path) -> None:
    from tests.helpers.cli import localsight
    from tests.helpers.llama_server import free_port

    folder = _images(tmp_path / "photos", 5)
    out = tmp_path / "out.jsonl"
    dead = [f"http://127.0.0.1:{free_port()}/v1" for _ in range(2)]
    result = localsight(
        "describe", str(folder), "--base-url", dead[0], "--base-url", dead[1],
        "--concurrency", "2", "--out", str(out), "--no-progress", *COMMON, home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "every server of the pool failed; 5 images not described" in result.stderr
    assert all(result.stderr.count(f"{url} dropped from the pool") == 1 for url in dead)
    assert "Traceback" not in result.stderr
    assert _rows(out) == []


def test_in_process_llama_cpp_stays_one_at_a_time(
    tiny_vlm: tuple[Path, Path], tmp_path: Path
) -> None:
    from tests.helpers.cli import NO_OLLAMA, localsight

    folder = _images(tmp_path / "photos", 3)
    out = tmp_path / "out.jsonl"
    result = localsight(
        "describe", str(folder), "--backend", "llama-cpp", "--concurrency", "4",
        "--model", str(tiny_vlm[0]), "--mmproj", str(tiny_vlm[1]), "--max-tokens", "4",
        "--out", str(out), "--no-progress", home=tmp_path, env=NO_OLLAMA,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(_rows(out)) == 3
    assert "images/s over" not in result.stderr  # the pool was not used
