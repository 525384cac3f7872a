"""Measurements that need a fresh process of their own; each prints one JSON line.

A fresh process is the only honest way to time a launch, and the only way to read a peak
or a resident size that no earlier measurement inflated.

    python -m benchmarks.probes launch
    python -m benchmarks.probes gui MODEL.gguf TOKENS
    python -m benchmarks.probes rss-ref MODEL.gguf N_CTX
    python -m benchmarks.probes jpeg IMAGE.jpg
    python -m benchmarks.probes launch-quit HOME [idle|answering|listing]
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NUM_CTX = 2048
PROMPT = "Write a long story about a lighthouse keeper."


def _reset_peak_rss() -> bool:
    """Start the RSS high-water mark afresh (Linux >= 4.0).

    ``ru_maxrss`` cannot be used alone: Linux carries the high-water mark across fork and
    exec, so a probe started by the benchmark (hundreds of MB with models loaded) would
    report its parent's peak.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss() -> int:
    """VmHWM of /proc/self/status in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _app_home() -> Any:
    """An empty LOCALSIGHT_HOME, so nothing of the user's is read or written."""
    os.environ["LOCALSIGHT_HOME"] = tempfile.mkdtemp(prefix="localsight-bench-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_app.core.settings import app_paths

    return app_paths().ensure()


def launch() -> dict[str, float]:
    """Open the real window (default backends) and report when it first paints."""
    paths = _app_home()
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from desktop_app.qt.app import create_window

    window: Any = create_window(paths)

    class FirstPaint(QObject):
        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                print(json.dumps({"painted_at": time.time()}), flush=True)
                QApplication.quit()
            return False

    painter = FirstPaint()
    window.installEventFilter(painter)
    window.show()
    app = QApplication.instance()
    assert app is not None
    app.exec()
    return {}


def gui(model: str, tokens: int) -> dict[str, float]:
    """Longest GUI-thread stall (10 ms heartbeat) through a cold load and a streamed answer."""
    paths = _app_home()
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from backends.llama_cpp import LlamaCppBackend
    from desktop_app.core.settings import Settings
    from desktop_app.qt.app import create_window

    settings = Settings(model=model, max_tokens=tokens, temperature=0.0, num_ctx=NUM_CTX)
    settings.save(paths.settings_path)
    backend = LlamaCppBackend(extra_models=[Path(model)], include_stores=False)
    window: Any = create_window(paths, backend=backend, extra_backends={})
    window.resize(1024, 700)
    window.show()
    app = QApplication.instance()
    assert app is not None

    def wait_until(condition: Any, timeout_s: float) -> None:
        deadline = time.perf_counter() + timeout_s
        loop = QEventLoop()
        while not condition() and time.perf_counter() < deadline:
            QTimer.singleShot(5, loop.quit)
            loop.exec()

    wait_until(lambda: window.model is not None, 30)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    last[0] = time.perf_counter()
    window.composer.edit.setPlainText(PROMPT)
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_until(lambda: window.runner.busy, 5)
    wait_until(lambda: not window.runner.busy and window.composer.send_button.isVisible(), 300)
    timer.stop()
    answer = window.chat.widgets[-1]
    stats = answer.message.stats
    result = {
        "longest_stall_ms": max(gaps) * 1000 if gaps else 0.0,
        "beats": float(len(gaps)),
        "completion_tokens": float(stats.completion_tokens if stats else 0),
        "rss": float(_rss()),
        # The context the app holds now (it grows with the conversation): the reference
        # loads the bare binding with the same, so the difference is the app, not the KV.
        "n_ctx": float(backend._loaded.llm.n_ctx() if backend._loaded else NUM_CTX),
    }
    backend.close()
    return result


def rss_ref(model: str, n_ctx: int) -> dict[str, float]:
    """The same model, same context size, loaded by the bare binding and asked once."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=model, n_ctx=n_ctx, n_batch=512, verbose=False)
    llm.create_completion(PROMPT, max_tokens=16, temperature=0.0)
    result = {"rss": float(_rss())}
    llm.close()
    return result


def jpeg(path: str) -> dict[str, float]:
    """Time and peak memory (RSS high-water mark above the idle process) of one normalise."""
    import PIL.Image  # noqa: F401 - imported before the baseline, as the app has it loaded

    from desktop_app.core import images

    before = _rss()
    fresh_peak = _reset_peak_rss()
    started = time.perf_counter()
    result = images.normalize_image(path)
    elapsed = time.perf_counter() - started
    peak = _peak_rss() if fresh_peak else 0
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return {
        "seconds": elapsed,
        "peak_bytes": float(max(0, peak - before)),
        "out_w": float(result.width),
    }


def launch_quit(home: str, mode: str) -> dict[str, float]:
    """Open the real window on ``home``, wait until a model is chosen (Send can be used),
    then close it as a person does, inside the running event loop, and let the process
    end as ``desktop_app.qt.app.run`` does.  Times are wall-clock (``time.time``), for the
    parent to compare with its own start and with the moment it saw this process end.

    ``home`` is kept between runs so a warm start (the validated-model cache in its cache
    folder) is what is measured.  ``mode``: ``idle``; ``answering`` closes while an answer
    streams (the window used to freeze on "Writing…"); ``listing`` closes at the first
    paint, while the models are still being looked for.
    """
    os.environ["LOCALSIGHT_HOME"] = home
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.settings import Settings, app_paths
    from desktop_app.qt.app import create_window

    paths = app_paths().ensure()
    settings = Settings.load(paths.settings_path)
    settings = dataclasses.replace(settings, max_tokens=4096, first_run_dismissed=True)
    settings.save(paths.settings_path)
    window: Any = create_window(paths)
    app = QApplication.instance()
    assert app is not None
    result: dict[str, float] = {}
    poll = QTimer()
    poll.setInterval(5)

    def close() -> None:
        poll.stop()
        result["streamed"] = float(_streamed_chars(window))
        result["quit_at"] = time.time()
        window.close()
        result["closed_at"] = time.time()
        print(json.dumps(result), flush=True)

    def step() -> None:
        if mode == "listing":
            close()
        elif "ready_at" not in result:
            if window.model is not None:
                result["ready_at"] = time.time()
                if mode != "answering":
                    close()
                    return
                window.composer.edit.setPlainText(PROMPT)
                QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        elif _streamed_chars(window) > 40 or (not window.runner.busy and "sent" in result):
            close()
        elif window.runner.busy:
            result["sent"] = 1.0

    poll.timeout.connect(step)
    window.show()
    poll.start()
    app.exec()
    return result


def _streamed_chars(window: Any) -> int:
    widget = window.chat_controller.streaming_widget()
    return len(widget.text) if widget is not None else 0


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "launch":
        launch()
        return 0
    if command == "launch-quit":
        launch_quit(args[0], args[1] if len(args) > 1 else "idle")
        return 0
    handlers = {
        "gui": lambda: gui(args[0], int(args[1])),
        "rss-ref": lambda: rss_ref(args[0], int(args[1])),
        "jpeg": lambda: jpeg(args[0]),
    }
    print(json.dumps(handlers[command]()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
