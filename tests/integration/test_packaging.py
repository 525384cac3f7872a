"""The .deb from ``packaging/build.sh``, installed on this machine and used as a person would.

Not part of the default ``pytest`` run: it needs the bundle built first (a llama.cpp compile
for portable CPUs, cached, then PyInstaller: minutes) and installs a system package as
root. CI runs it as its own step (``.ci/run``)::

    bash packaging/build.sh
    LOCALSIGHT_TEST_PACKAGING=1 .venv/bin/python -m pytest -m packaging

What it proves: the package installs with dpkg, its desktop entry validates, its icons are
there at every size, the installed ``localsight`` answers with the bundled default model,
sees an image through a vision model (llama.cpp's shared libraries were collected), and
opens its window under Xvfb (a screenshot is kept as ``dist/installed-window.png``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.helpers.images import png_bytes

DIST = Path(os.environ.get("LOCALSIGHT_DIST", REPO / "dist"))

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(
        not os.environ.get("LOCALSIGHT_TEST_PACKAGING"),
        reason="installs the .deb system-wide: set LOCALSIGHT_TEST_PACKAGING=1 "
        "(after bash packaging/build.sh)",
    ),
]


def _arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def deb() -> Path:
    debs = sorted(DIST.glob(f"localsight_*_{_arch()}.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        pytest.fail(f"no .deb in {DIST}: run bash packaging/build.sh first")
    return debs[-1]


@pytest.fixture(scope="module")
def installed(deb: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("dpkg -i needs root")
    result = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path("/usr/bin/localsight")


def _run(
    *args: str, home: Path, timeout: float = 300, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["LOCALSIGHT_HOME"] = str(home)
    env.update(extra_env or {})
    return subprocess.run(
        ["/usr/bin/localsight", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd="/",  # nothing from the checkout can leak in through the working directory
    )


def test_package_contents(deb: Path, tmp_path: Path) -> None:
    from PIL import Image

    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    desktop = tmp_path / "usr/share/applications/localsight.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    icons = tmp_path / "usr/share/icons/hicolor"
    for size in (48, 128, 256):
        with Image.open(icons / f"{size}x{size}/apps/localsight.png") as icon:
            assert icon.size == (size, size)
    assert (icons / "scalable/apps/localsight.svg").read_text().lstrip().startswith("<?xml")
    link = tmp_path / "usr/bin/localsight"
    assert link.is_symlink() and os.readlink(link) == "/opt/localsight/localsight"
    assert (tmp_path / "opt/localsight/localsight").is_file()
    info = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Architecture"], capture_output=True, text=True, check=True
    )
    assert info.stdout.strip() == _arch()


def test_installed_app_answers_paris(installed: Path, tmp_path: Path) -> None:
    result = _run(
        "ask",
        "What is the capital of France? Answer in one word.",
        "--temperature",
        "0",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_installed_app_speaks_chinese(installed: Path, tmp_path: Path) -> None:
    """The bundle carries the translations the CLI reads (the .ts; the window's .qm beside
    it): a Chinese system gets a backend's error in Chinese, and ``--json`` stays as it is."""
    env = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    result = _run(
        "ask", "hi", "--backend", "ollama", "--host", "http://127.0.0.1:9",
        home=tmp_path, extra_env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert "localsight：错误：Ollama 未在 http://127.0.0.1:9 运行" in result.stderr, result.stderr
    bundle = Path("/opt/localsight")
    assert list(bundle.rglob("localsight_zh_CN.qm")) and list(bundle.rglob("localsight_zh_CN.ts"))
    assert list(bundle.rglob("qtbase_zh_CN.qm"))


def test_installed_app_proves_its_cpu_variant_and_falls_back(
    installed: Path, tmp_path: Path
) -> None:
    """The bundle carries every CPU variant and probes them in its own (frozen) children: the
    best one trapping (test hook) still gives an answer, and doctor says what happened."""
    first = _run(
        "doctor", "--json", home=tmp_path, extra_env={"LOCALSIGHT_CPU_CACHE": str(tmp_path / "a")}
    )
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert "portable build" in report["llama_cpp"]
    # The bundle knows its own and Qt's versions (their metadata is bundled): doctor on the
    # arm64 .deb said "not installed (source tree)" and "PySide6 not installed".
    assert report["localsight"] == importlib.metadata.version("localsight")
    assert report["qt"].startswith("PySide6 6.")
    best = report["claimed"][0][0]
    env = {"LOCALSIGHT_CPU_CACHE": str(tmp_path / "b"), "LOCALSIGHT_CPU_TEST_TRAP": best}
    asked = _run(
        "ask",
        "What is the capital of France? Answer in one word.",
        "--max-tokens",
        "12",
        home=tmp_path,
        extra_env=env,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    after = json.loads(_run("doctor", "--json", home=tmp_path, extra_env=env).stdout)
    assert after["rejected"] == [{"variant": best, "reason": "stopped by SIGILL during the probe"}]
    assert after["probe"]["probed_now"] == []


def test_installed_app_sees_an_image(
    installed: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(png_bytes())
    (folder / "b.jpg").write_text("not an image")
    out = tmp_path / "out.jsonl"
    result = _run(
        "describe",
        str(folder),
        "--model",
        str(tiny_vlm[0]),
        "--mmproj",
        str(tiny_vlm[1]),
        "--max-tokens",
        "4",
        "--out",
        str(out),
        home=tmp_path / "home",
    )
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and '"error": ""' in lines[0] and '"error": ""' not in lines[1]


def test_installed_window_opens_under_xvfb(installed: Path, tmp_path: Path) -> None:
    from PIL import Image

    if not shutil.which("Xvfb") or not shutil.which("import"):
        pytest.fail("needs Xvfb and imagemagick's import (apt-get install xvfb imagemagick)")
    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    app: subprocess.Popen[bytes] | None = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QT_QPA")}
        env.update(DISPLAY=display, LOCALSIGHT_HOME=str(tmp_path / "home"))
        time.sleep(1.0)
        app = subprocess.Popen(["/usr/bin/localsight"], env=env, cwd="/")
        shot = tmp_path / "window.png"
        deadline = time.monotonic() + 120
        colours = 0
        while time.monotonic() < deadline:
            time.sleep(3.0)
            assert app.poll() is None, f"the app exited with {app.returncode}"
            subprocess.run(
                ["import", "-display", display, "-window", "root", str(shot)],
                check=True,
                capture_output=True,
            )
            with Image.open(shot) as image:
                colours = len(image.convert("RGB").getcolors(1 << 20) or [])
            if colours > 50:  # a window with text, not an empty black screen
                time.sleep(5.0)  # let the model list settle for a representative picture
                subprocess.run(
                    ["import", "-display", display, "-window", "root", str(shot)],
                    check=True,
                    capture_output=True,
                )
                break
        assert colours > 50, "no window appeared within 120 s"
        DIST.mkdir(exist_ok=True)
        shutil.copy(shot, DIST / "installed-window.png")
    finally:
        if app is not None:
            app.terminate()
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        xvfb.wait(timeout=20)
