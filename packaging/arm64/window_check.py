"""The window answering a typed question, run inside the arm64 rootfs under Xvfb.

packaging/arm64-check.sh runs this with the installed .venv's Python on a real X display
(xvfb-run), so it proves what a Raspberry Pi owner sees: PySide6's X11 plugin loads with the
system packages install.sh installs, the window opens on the default model (SmolLM2 in its
engine process), and a question typed into the composer gets an answer. It prints the answer
and saves a screenshot of the window (and of the whole X screen, when ImageMagick's ``import``
is there) into OUTDIR.

    python packaging/arm64/window_check.py OUTDIR
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "What is the capital of France?"
# Emulated arm64 is ~10x slower than native: the engine start and the answer get room.
ANSWER_TIMEOUT_S = 900.0


def pump_until(condition: object, seconds: float) -> bool:
    """Runs Qt's event loop until ``condition()`` holds or ``seconds`` pass."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        if app is not None:
            app.processEvents()
        time.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


def main(outdir: Path) -> int:
    """Opens the window, asks, waits for the answer; 0 when it came and mentions Paris."""
    outdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LOCALSIGHT_HOME", tempfile.mkdtemp(prefix="localsight-arm64-"))
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.settings import Settings, app_paths
    from desktop_app.qt.app import create_window

    paths = app_paths().ensure()
    # Greedy with a plain system prompt, as the CLI steps: the same answer every run.
    Settings(temperature=0.0, system_prompt="You are a helpful assistant.").save(
        paths.settings_path
    )
    _app = QApplication.instance() or QApplication(sys.argv)
    print("platform:", QApplication.platformName(), flush=True)
    window = create_window(paths)
    window.resize(1024, 640)
    window.show()
    if not pump_until(lambda: window.model is not None, 300):
        print("the window found no model", file=sys.stderr)
        return 1
    assert window.model is not None
    print("model:", window.model.id, flush=True)
    window.new_chat()
    window.composer.set_text(QUESTION)
    window.composer._submit()
    started = time.monotonic()
    pump_until(lambda: window.runner.busy, 10)
    done = pump_until(
        lambda: not window.runner.busy and window.composer.send_button.isVisible(),
        ANSWER_TIMEOUT_S,
    )
    print(f"answered in {time.monotonic() - started:.1f} s" if done else "no answer in time")
    pump_until(lambda: False, 1.0)  # let the last card paint
    window.grab().save(str(outdir / "arm64-window.png"))
    if shutil.which("import") and os.environ.get("DISPLAY"):
        subprocess.run(["import", "-window", "root", str(outdir / "arm64-screen.png")], check=False)
    store = window.state.store
    chats = store.list_conversations()
    answer = next(
        (m for c in chats for m in reversed(store.messages(c.id)) if m.role == "assistant"), None
    )
    text = "" if answer is None else answer.text
    print("answer:", text.replace("\n", " "), flush=True)
    window.close()
    return 0 if done and "paris" in text.lower() else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
