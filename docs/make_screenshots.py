"""Take the README's screenshots of the real window (run under Xvfb or on a desktop).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_screenshots.py [light|dark]
    ... docs/make_screenshots.py light models      # only the first-run card and model manager
    ... docs/make_screenshots.py light describe    # only the "describe each" shot
    ... docs/make_screenshots.py light long        # only the 1 000-message chat
    ... docs/make_screenshots.py light --language zh_CN          # README.zh-CN.md's window
    ... docs/make_screenshots.py light --language zh_CN models   # and its first run, manager

``--language zh_CN``: the window in that language (as Settings → Language would set it),
with a conversation whose question and answer are in that language too, since a Chinese
user's chat is in Chinese; only the shots README.zh-CN.md shows, named ``*-zh_CN.png``
(``window-empty``, ``window-chat``, ``window-1024x600``; with ``models``: ``first-run``,
``first-run-1024x600`` and ``models``).  Needs a CJK font installed (fonts-wqy-microhei).

``models``: the first-run card of a fresh install and the model manager with a download in
progress.

Everything is real except where said: the window, the store (a fresh SQLite file under a
temporary LOCALSIGHT_HOME), the thumbnails and the Markdown rendering.  The SmolLM2 answer is
generated live; the answer about the photo is staged text, because the tiny test vision model
answers gibberish and no real vision model can be downloaded on the build machine.  For the
same reason the "describe each" shot (``describe``: only that one) runs the real panel, files,
thumbnails and broken-image error, with a backend that answers staged descriptions.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


#: The conversation of the Chinese shots: a Chinese user's question and answer.
PHOTO_QUESTION_ZH = "这两张照片里有什么？"
PHOTO_ANSWER_ZH = """照片里是**日落时分的一个小港口**：

- 三条小船停靠在木码头边
- 左边有一座灯塔，灯还没有亮
- 温暖的橙色阳光映在平静的水面上

| 物体 | 数量 | 位置 |
|---|---|---|
| 小船 | 3 | 中间 |
| 灯塔 | 1 | 左边 |

用 Pillow 把照片裁剪到只剩小船：

```python
from PIL import Image

photo = Image.open("harbour.jpg")
boats = photo.crop((320, 180, 900, 520))
boats.save("boats.jpg")
```
"""


def take_language(argv: list[str]) -> str | None:
    """Remove ``--language X`` from ``argv`` and return X (None without it), so the mode
    words (``models``, ``describe``, ``long``) keep their places."""
    if "--language" not in argv:
        return None
    at = argv.index("--language")
    language = argv[at + 1]
    del argv[at : at + 2]
    return language


def shot_name(stem: str, scheme: str, language: str | None) -> str:
    """The English shots carry the scheme (``window-photo-light.png``); the translated ones
    carry the language and the names README.zh-CN.md uses (``window-chat-zh_CN.png``)."""
    if language is None:
        return f"{stem}-{scheme}.png"
    renamed = {"window-photo": "window-chat", "models-manager": "models"}
    return f"{renamed.get(stem, stem)}-{language}.png"


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


def models_shots(scheme: str, out: Path, language: str | None = None) -> int:
    """A fresh install (no chats, no model downloaded): the first-run card, then the model
    manager.  The card, the catalog rows and their fit badges are real for the machine the
    script runs on, and so is the Ollama section (it says so if Ollama is not running).  Two
    things are staged: the machine is reported as the 8 GB laptop LocalSight targets
    (7.6 GiB total, 3.5 GiB free; the build machine has far more, which would make every
    badge "fits"), and the download in progress is a ``Progress`` report shown on the
    recommended row: no real model can be downloaded on the build machine."""
    from PySide6.QtWidgets import QApplication

    import desktop_app.core.models.fit as model_fit

    def laptop(cls: type, folder: Path | None = None) -> model_fit.Resources:
        free = model_fit.free_disk(folder) if folder is not None else None
        return model_fit.Resources(int(7.6 * model_fit.GIB), int(3.5 * model_fit.GIB), free)

    model_fit.Resources.probe = classmethod(laptop)  # type: ignore[assignment, arg-type]

    from desktop_app.core.downloads.fetch import Progress
    from desktop_app.core.settings import Settings, app_paths
    from desktop_app.qt.app import create_window

    paths = app_paths().ensure()
    if language is not None:  # a fresh install whose owner chose the language
        Settings(language=language).save(paths.settings_path)
    _app = QApplication.instance() or QApplication(sys.argv)  # kept alive until the end
    window = create_window(paths)
    window.resize(1100, 720)
    window.show()
    wait_for(window.first_run.isVisible, 60)
    pump(0.5)
    window.grab().save(str(out / shot_name("first-run", scheme, language)))
    window.resize(1024, 600)
    pump(0.5)
    window.grab().save(str(out / shot_name("first-run-1024x600", scheme, language)))

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
    pump(0.3)
    manager.scroll_area.ensureWidgetVisible(recommended)  # its progress line too
    pump(0.3)
    manager.grab().save(str(out / shot_name("models-manager", scheme, language)))
    recommended.finish()  # the staged download is not running: nothing to cancel
    if language is not None:
        manager.close()
        window.close()
        print("screenshots written to", out)
        return 0
    bar = manager.scroll_area.verticalScrollBar()
    bar.setValue(bar.maximum())
    pump(0.3)
    manager.grab().save(str(out / f"models-manager-ollama-{scheme}.png"))
    manager.close()
    window.close()
    print("screenshots written to", out)
    return 0


STAGED_DESCRIPTIONS = (
    "A green meadow under a blue sky, one round tree in the middle and a few white clouds.",
    "A small harbour at sunset: three wooden boats at a pier and a white lighthouse with a "
    "red roof on the left; the sun is low on the right.",
    "The same harbour a little later: the sky is more purple and the lighthouse is not lit yet.",
    "Three oranges in a white bowl on a wooden table, seen from above.",
    "A city skyline at night: dark towers with lit yellow windows under a crescent moon.",
)


def make_scene(path: Path, kind: str) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (120, 180, 235))
    draw = ImageDraw.Draw(image)
    if kind == "field":
        draw.rectangle([0, 200, 480, 320], fill=(70, 150, 60))
        draw.rectangle([232, 130, 248, 210], fill=(90, 60, 30))
        draw.ellipse([180, 60, 300, 160], fill=(40, 110, 40))
        for x in (60, 340):
            draw.ellipse([x, 40, x + 90, 80], fill=(250, 250, 250))
    elif kind == "oranges":
        draw.rectangle([0, 0, 480, 320], fill=(150, 100, 60))
        draw.ellipse([120, 50, 360, 290], fill=(245, 245, 240))
        for x, y in ((170, 110), (250, 100), (210, 180)):
            draw.ellipse([x, y, x + 70, y + 70], fill=(245, 140, 20))
    else:  # skyline
        draw.rectangle([0, 0, 480, 320], fill=(15, 20, 45))
        draw.ellipse([380, 30, 420, 70], fill=(240, 240, 200))
        draw.ellipse([392, 24, 432, 64], fill=(15, 20, 45))
        for i, height in enumerate((150, 220, 180, 260, 140, 200)):
            x = 20 + i * 75
            draw.rectangle([x, 320 - height, x + 60, 320], fill=(35, 40, 60))
            for wy in range(320 - height + 12, 310, 24):
                draw.rectangle([x + 10, wy, x + 20, wy + 8], fill=(250, 210, 90))
                draw.rectangle([x + 38, wy, x + 48, wy + 8], fill=(250, 210, 90))
    image.save(path)


class StagedBackend:
    """The window's own backend for everything, except that answers are staged text."""

    def __init__(self, real: object) -> None:
        self._real = real
        self._texts = iter(STAGED_DESCRIPTIONS)

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def stream_chat(self, request: object, cancel: object = None) -> object:
        from backends.base import Done, Stats, TextDelta

        time.sleep(0.4)  # a row appears at a time, as in a real run (a Pi takes ~20 s)
        yield TextDelta(next(self._texts, "A picture."))
        yield Done(Stats(), "stop")


def describe_shots(window: object, home: Path, out: Path, scheme: str, pump: object) -> None:
    """The "describe each" window after a finished run of six images, one of them broken."""
    folder = home / "holiday"
    folder.mkdir()
    make_scene(folder / "field.png", "field")
    make_photo(folder / "harbour0.png", 0)
    make_photo(folder / "harbour1.png", 40)
    make_scene(folder / "oranges.png", "oranges")
    make_scene(folder / "skyline.png", "skyline")
    (folder / "receipt-scan.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 200)  # cut off
    name = window.model_backend.get(window.model.id, "llama-cpp")  # type: ignore[attr-defined]
    window.backends[name] = StagedBackend(window.backends[name])  # type: ignore[attr-defined]
    window.open_describe(sorted(folder.iterdir()))  # type: ignore[attr-defined]
    panel = window.describe_panel  # type: ignore[attr-defined]
    panel.resize(900, 540)
    panel.start()
    end = time.monotonic() + 60
    while panel.busy and time.monotonic() < end:
        pump(0.05)  # type: ignore[operator]
    pump(0.5)  # type: ignore[operator]
    panel.table.selectRow(1)
    pump(0.3)  # type: ignore[operator]
    panel.grab().save(str(out / f"describe-{scheme}.png"))
    panel.resize(panel.minimumSize())
    pump(0.5)  # type: ignore[operator]
    panel.grab().save(str(Path(tempfile.gettempdir()) / f"describe-min-{scheme}.png"))
    panel.close()


def idle(window: Any) -> bool:
    """The answer has ended for the window too (not only its worker)."""
    return window.chat_controller.generation is None and window.composer.send_button.isVisible()


def answer_features_shots(window: Any, out: Path, scheme: str) -> None:
    """Live SmolLM2 answers: Regenerate keeps the first answer (‹ 2/2 › on the card), an answer
    cut by the token limit says so and offers Continue, and the context meter above the
    message box; at 1100×720 and at 1024×600."""
    import dataclasses

    window.chat_controller.regenerate()
    wait_for(lambda: idle(window), 120)
    pump(0.5)
    window.grab().save(str(out / f"window-versions-{scheme}.png"))
    window.settings = dataclasses.replace(window.settings, max_tokens=40)
    window.new_chat()
    window.composer.set_text("Tell me a long story about a lighthouse keeper and her cat.")
    window.composer._submit()
    wait_for(lambda: idle(window), 120)
    pump(0.5)
    window.grab().save(str(out / f"window-continue-{scheme}.png"))
    last = window.chat.last_message(user=False)
    window.chat_controller.continue_answer(last.id)
    wait_for(lambda: idle(window), 120)
    pump(0.5)
    window.resize(1024, 600)
    pump(0.5)
    window.grab().save(str(out / f"window-continued-1024x600-{scheme}.png"))
    window.resize(1100, 720)
    window.settings = dataclasses.replace(window.settings, max_tokens=160)


def long_chat_shot(window: Any, paths: Any, model: str, out: Path, scheme: str) -> None:
    """A 1 000-message chat, revealed at message 500 (as a search hit is): opens at once,
    only the cards near the viewport are built."""
    from desktop_app.core.store.database import Store

    with Store.open(paths.database_path) as store:
        chat = store.create_conversation(model=model, backend="llama-cpp", title="A long chat")
        for n in range(500):
            store.add_message(chat, "user", f"Question {2 * n}: what comes next in the story?")
            store.add_message(
                chat, "assistant", f"Answer {2 * n + 1}. The keeper climbs the stairs once more."
            )
        target = store.messages(chat)[500].id
    window.chat_controller.refresh_conversations()
    window.open_conversation(chat)
    pump(0.5)
    window.chat.reveal_message(target)
    pump(0.5)
    window.grab().save(str(out / f"window-long-chat-{scheme}.png"))


def main() -> int:
    language = take_language(sys.argv)
    scheme = sys.argv[1] if len(sys.argv) > 1 else "light"
    only_describe = "describe" in sys.argv[2:]
    out = ROOT / "docs"
    home = Path(tempfile.mkdtemp(prefix="localsight-shots-"))
    os.environ["LOCALSIGHT_HOME"] = str(home)
    os.environ["LOCALSIGHT_THEME"] = scheme
    if "models" in sys.argv[2:]:
        return models_shots(scheme, out, language)

    from PySide6.QtWidgets import QApplication

    from backends.base import Stats
    from backends.engine.crash import EngineExit, crash_message
    from desktop_app.core.images import normalize_image
    from desktop_app.core.settings import Settings, app_paths
    from desktop_app.core.store.database import Store
    from desktop_app.qt.app import create_window
    from tests.helpers.tiny_models import write_tiny_vlm

    paths = app_paths().ensure()
    model, _ = write_tiny_vlm(paths.models_dir)
    Settings(
        model=str(model.resolve()),
        temperature=0.0,
        max_tokens=160,
        language=language or "system",
    ).save(paths.settings_path)
    photos = []
    for i, hue in enumerate((0, 40)):
        photo = home / f"harbour{i}.png"
        make_photo(photo, hue)
        photos.append(normalize_image(photo, name=photo.name))

    store = Store.open(paths.database_path)
    chat = store.create_conversation(model=str(model.resolve()), backend="llama-cpp")
    question, text = ("What is in these photos?", PHOTO_ANSWER)
    if language == "zh_CN":
        question, text = PHOTO_QUESTION_ZH, PHOTO_ANSWER_ZH
    store.add_message(chat, "user", question, photos)
    answer = store.add_message(chat, "assistant", text)
    store.update_message(
        answer.id,
        stats=Stats(prompt_tokens=1210, completion_tokens=142, prompt_s=9.8, decode_s=11.6),
    )
    failed = store.create_conversation(model=str(model.resolve()), backend="llama-cpp")
    receipt = "描述一下这张扫描的收据。" if language == "zh_CN" else "Describe the scanned receipt."
    store.add_message(failed, "user", receipt)
    partial = "这张收据上写着" if language == "zh_CN" else "The receipt shows"
    error = store.add_message(failed, "assistant", partial, state="streaming")
    store.update_message(
        error.id,
        state="error",
        # The engine's own sentence for a crash (a translatable message: the Chinese window
        # shows it in Chinese, as it would a real one).
        error=crash_message(EngineExit(-signal.SIGABRT), "answering"),
    )
    store.close()

    _app = QApplication.instance() or QApplication(sys.argv)  # kept alive until the end
    window = create_window(paths)  # the app's own default: llama.cpp in its engine process
    window.resize(1100, 720)
    window.show()

    wait_for(lambda: window.model is not None)
    pump(0.5)
    if only_describe:
        describe_shots(window, home, out, scheme, pump)
        window.close()
        print("screenshot written to", out / f"describe-{scheme}.png")
        return 0
    if "long" in sys.argv[2:]:
        long_chat_shot(window, paths, str(model.resolve()), out, scheme)
        window.close()
        print("screenshot written to", out / f"window-long-chat-{scheme}.png")
        return 0
    window.new_chat()
    pump(0.3)
    window.grab().save(str(out / shot_name("window-empty", scheme, language)))

    window.open_conversation(chat)
    pump(0.5)
    window.chat.verticalScrollBar().setValue(0)
    pump(0.3)
    window.grab().save(str(out / shot_name("window-photo", scheme, language)))
    if language is not None:  # the same conversation on the smallest screen LocalSight targets
        window.resize(1024, 600)
        pump(0.5)
        window.chat.verticalScrollBar().setValue(window.chat.verticalScrollBar().maximum())
        pump(0.3)  # as the answer ends: its last lines, Copy and Regenerate
        window.grab().save(str(out / shot_name("window-1024x600", scheme, language)))
        window.open_conversation(failed)  # a failed answer: the engine's error, translated
        pump(0.5)
        window.grab().save(str(out / shot_name("window-error", scheme, language)))
        window.close()
        print("screenshots written to", out)
        return 0

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
    window.resize(1100, 720)
    answer_features_shots(window, out, scheme)
    long_chat_shot(window, paths, str(model.resolve()), out, scheme)
    window.choose_model(next(m for m in window.models if m.capabilities.vision))
    describe_shots(window, home, out, scheme, pump)
    window.close()
    print("screenshots written to", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
