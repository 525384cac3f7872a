"""Take the README's screenshots of the real window (run under Xvfb or on a desktop).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_screenshots.py [light|dark]

Add ``models`` after the scheme for only the shots of getting a model: the first-run card
of a fresh install and the model manager with a download in progress.

Everything is real except where said: the window, the store (a fresh SQLite file under a
temporary LOCALSIGHT_HOME), the thumbnails and the Markdown rendering.  The SmolLM2 answer is
generated live; the answer about the photo is staged text, because the tiny test vision model
answers gibberish and no real vision model can be downloaded on the build machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHOTO_ANSWER = """The photo shows a **small harbour at sunset**:

- three boats moored at a wooden pier
- a lighthouse on the left, its lamp not yet lit
- warm orange light reflecting on calm water

| object | count | where |
|---|---|---|
| boats | 3 | centre |
| lighthouse | 1 | left |

To crop it to the boats with Pillow:

```python
from PIL import Image

photo = Image.open("harbour.jpg")
boats = photo.crop((320, 180, 900, 520))
boats.save("boats.jpg")
```
"""


def make_photo(path: Path, hue: int) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420))
    draw = ImageDraw.Draw(image)
    for y in range(420):
        draw.line([(0, y), (640, y)], fill=(250 - y // 3, 140 - y // 5 + hue, 80 + y // 4))
    draw.rectangle([0, 300, 640, 420], fill=(30, 60, 110))
    draw.rectangle([60, 150, 90, 300], fill=(235, 235, 235))
    draw.polygon([(55, 150), (95, 150), (75, 120)], fill=(200, 40, 40))
    for x in (260, 360, 460):
        draw.polygon([(x, 300), (x + 70, 300), (x + 55, 320), (x + 15, 320)], fill=(90, 50, 30))
        draw.line([(x + 35, 300), (x + 35, 240)], fill=(240, 240, 240), width=3)
    draw.ellipse([470, 90, 560, 180], fill=(255, 210, 120))
    image.save(path)


def pump(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if app is not None:
            app.processEvents()
        time.sleep(0.01)


def wait_for(condition: object, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not condition():  # type: ignore[operator]
        pump(0.05)


def models_shots(scheme: str, out: Path) -> int:
    """A fresh install (no chats, no model downloaded): the first-run card, then the model
    manager.  The card, the catalog rows and their fit badges are real for the machine the
    script runs on, and so is the Ollama section (it says so if Ollama is not running).  Two
    things are staged: the machine is reported as the 8 GB laptop LocalSight targets
    (7.6 GiB total, 3.5 GiB free; the build machine has far more, which would make every
    badge "fits"), and the download in progress is a ``Progress`` report shown on the
    recommended row: no real model can be downloaded on the build machine."""
    from PySide6.QtWidgets import QApplication

    from desktop_app.core import model_fit

    def laptop(cls: type, folder: Path | None = None) -> model_fit.Resources:
        free = model_fit.free_disk(folder) if folder is not None else None
        return model_fit.Resources(int(7.6 * model_fit.GIB), int(3.5 * model_fit.GIB), free)

    model_fit.Resources.probe = classmethod(laptop)  # type: ignore[assignment, arg-type]

    from desktop_app.core.downloads import Progress
    from desktop_app.core.settings import app_paths
    from desktop_app.qt.app import create_window

    paths = app_paths().ensure()
    _app = QApplication.instance() or QApplication(sys.argv)  # kept alive until the end
    window = create_window(paths)
    window.resize(1100, 720)
    window.show()
    wait_for(window.first_run.isVisible, 60)
    pump(0.5)
    window.grab().save(str(out / f"first-run-{scheme}.png"))
    window.resize(1024, 600)
    pump(0.5)
    window.grab().save(str(out / f"first-run-1024x600-{scheme}.png"))

    window.open_model_manager()
    manager = window.model_manager
    wait_for(lambda: manager.loaded and manager.ollama.running is not None, 30)
    recommended = next(
        (row for row in manager.rows.values() if row.findChild(object, "RecommendedBadge")),
        next(iter(manager.rows.values())),
    )
    entry = recommended.entry
    done = int(entry.model_file.size * 0.46)
    recommended.start_busy()
    recommended.show_progress(
        Progress(
            filename=entry.model_file.filename,
            file_index=1,
            file_count=2,
            phase="downloading",
            done=done,
            total=entry.model_file.size,
            overall_done=done,
            overall_total=entry.download_bytes,
            speed=8.4e6,
            eta_s=(entry.download_bytes - done) / 8.4e6,
        )
    )
    pump(0.5)
    manager.grab().save(str(out / f"models-manager-{scheme}.png"))
    recommended.finish()  # the staged download is not running: nothing to cancel
    bar = manager.scroll_area.verticalScrollBar()
    bar.setValue(bar.maximum())
    pump(0.3)
    manager.grab().save(str(out / f"models-manager-ollama-{scheme}.png"))
    manager.close()
    window.close()
    print("screenshots written to", out)
    return 0


def main() -> int:
    scheme = sys.argv[1] if len(sys.argv) > 1 else "light"
    out = ROOT / "docs"
    home = Path(tempfile.mkdtemp(prefix="localsight-shots-"))
    os.environ["LOCALSIGHT_HOME"] = str(home)
    os.environ["LOCALSIGHT_THEME"] = scheme
    if "models" in sys.argv[2:]:
        return models_shots(scheme, out)

    from PySide6.QtWidgets import QApplication

    from backends.base import Stats
    from desktop_app.core.images import normalize_image
    from desktop_app.core.settings import Settings, app_paths
    from desktop_app.core.store import Store
    from desktop_app.qt.app import create_window
    from tests.tiny_models import write_tiny_vlm

    paths = app_paths().ensure()
    model, _ = write_tiny_vlm(paths.models_dir)
    Settings(model=str(model.resolve()), temperature=0.0, max_tokens=160).save(paths.settings_path)
    photos = []
    for i, hue in enumerate((0, 40)):
        photo = home / f"harbour{i}.png"
        make_photo(photo, hue)
        photos.append(normalize_image(photo, name=photo.name))

    store = Store.open(paths.database_path)
    chat = store.create_conversation(model=str(model.resolve()), backend="llama-cpp")
    store.add_message(chat, "user", "What is in these photos?", photos)
    answer = store.add_message(chat, "assistant", PHOTO_ANSWER)
    store.update_message(
        answer.id,
        stats=Stats(prompt_tokens=1210, completion_tokens=142, prompt_s=9.8, decode_s=11.6),
    )
    failed = store.create_conversation(model=str(model.resolve()), backend="llama-cpp")
    store.add_message(failed, "user", "Describe the scanned receipt.")
    error = store.add_message(failed, "assistant", "The receipt shows", state="streaming")
    store.update_message(
        error.id,
        state="error",
        error=(
            "The model crashed while answering (llama.cpp stopped with signal SIGABRT). The app is "
            "fine: press Retry, or pick another model."
        ),
    )
    store.close()

    _app = QApplication.instance() or QApplication(sys.argv)  # kept alive until the end
    window = create_window(paths)  # the app's own default: llama.cpp in its engine process
    window.resize(1100, 720)
    window.show()

    wait_for(lambda: window.model is not None)
    pump(0.5)
    window.new_chat()
    pump(0.3)
    window.grab().save(str(out / f"window-empty-{scheme}.png"))

    window.open_conversation(chat)
    pump(0.5)
    window.chat.verticalScrollBar().setValue(0)
    pump(0.3)
    window.grab().save(str(out / f"window-photo-{scheme}.png"))

    window.open_conversation(failed)
    pump(0.5)
    window.grab().save(str(out / f"window-error-{scheme}.png"))

    # A live answer from SmolLM2, the default text model.
    smollm = next(m for m in window.models if "SmolLM2" in m.id)
    window.new_chat()
    window.choose_model(smollm)
    window.composer.set_text("Write a Python function that reverses a string.")
    window.composer._submit()
    wait_for(lambda: not window.runner.busy and window.composer.send_button.isVisible(), 120)
    pump(0.5)
    window.grab().save(str(out / f"window-live-{scheme}.png"))
    window.resize(1024, 600)
    pump(0.5)
    window.grab().save(str(out / f"window-1024x600-{scheme}.png"))
    window.close()
    print("screenshots written to", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
