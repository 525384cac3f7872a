"""``python -m desktop_app`` and the ``localsight`` entry point: a command, or the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from desktop_app.cli.app import main as run_cli
from desktop_app.core.settings import AppPaths


def open_window(paths: AppPaths) -> int:
    from desktop_app.qt.app import run  # Qt loads only when the window opens

    return run(paths)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(argv, open_window=open_window)


if __name__ == "__main__":
    sys.exit(main())
