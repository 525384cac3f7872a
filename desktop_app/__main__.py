"""``python -m desktop_app`` and the ``localsight`` entry point."""

from __future__ import annotations

import sys

from desktop_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
