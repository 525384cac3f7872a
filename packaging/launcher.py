"""Entry script of the PyInstaller bundle (``packaging/localsight.spec``).

Why a separate script: a frozen app must call ``multiprocessing.freeze_support()`` before
anything else, or the llama.cpp engine child process (started with the spawn method)
would run the whole app again — a second window — instead of the engine.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.__main__ import main

    sys.exit(main())
