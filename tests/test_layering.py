"""The layers stay clean: no Qt below the window, no heavy native module at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_imports_are_light() -> None:
    code = (
        "import sys\n"
        "import backends.base, backends.llama_cpp, backends.llama_cpp.backend\n"
        "import desktop_app.core.images, desktop_app.core.settings, desktop_app.cli.app\n"
        "import desktop_app.__main__\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('llama_cpp', 'PySide6'))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if "No module named" in result.stderr:
        result = subprocess.run(
            ["lint-imports"], capture_output=True, text=True, cwd=ROOT, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr
