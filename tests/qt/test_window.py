"""The window, driven like a person would: real widgets (offscreen), real llama.cpp, real SQLite.

The tiny vision model answers (gibberish, fast, and it never stops by itself, so
``max_tokens`` bounds every answer); SmolLM2 is the text-only model.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from backends.llama_cpp import LlamaCppBackend
from desktop_app.qt.chat.sidebar import ANSWERING_MARK
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm, send

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def paths(localsight_home: Path, tiny_vlm: tuple[Path, Path]) -> Any:
    return seed_tiny_vlm(tiny_vlm, max_tokens=24)


@pytest.fixture
def backend(paths: Any) -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(model_dirs=[paths.models_dir])
    yield backend
    backend.close()


@pytest.fixture
def window(qtbot: Any, paths: Any, backend: LlamaCppBackend) -> Any:
    return open_window(qtbot, paths, backend)


def images_in(tmp_path: Path, count: int) -> list[Path]:
    files = []
    for i in range(count):
        path = tmp_path / f"photo{i}.png"
        path.write_bytes(png_bytes((40 * i % 255, 120, 200)))
        files.append(path)
    return files


def drop(window: Any, files: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    target = QPointF(window.width() / 2, window.height() / 2)
    event = QDropEvent(
        target,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def wait_idle(qtbot: Any, window: Any, timeout: int = 60_000) -> None:
    """Until the answer has ended for the window too: the worker's end (``runner.busy``)
    comes before the queued "finished" signal reaches the controller, and a send between
    the two is refused as "still answering" (seen once under load)."""
    qtbot.waitUntil(
        lambda: (
            not window.runner.busy
            and window.chat_controller.generation is None
            and window.stage_label.text() != ""
        ),
        timeout=timeout,
    )
    qtbot.waitUntil(window.composer.send_button.isVisible, timeout=timeout)


def test_first_minute(window: Any) -> None:
    assert window.windowTitle() == "LocalSight"
    assert window.composer.edit.hasFocus() or QApplication.focusWidget() is window.composer.edit
    assert window.chat.empty_state.isVisible()
    assert "can see images" in window.chat.empty_state.model_line.text()
    assert not window.composer.send_button.isEnabled()  # nothing to send yet
    assert window.minimumWidth() <= 1024 and window.minimumHeight() <= 600


def test_drop_images_then_send_and_stream(qtbot: Any, window: Any, tmp_path: Path) -> None:
    drop(window, images_in(tmp_path, 2))
    qtbot.waitUntil(lambda: len(window.composer.pending) == 2, timeout=10_000)
    assert window.composer.send_button.isEnabled()
    send(qtbot, window, "What is in these pictures?")
    wait_idle(qtbot, window)
    user, answer = window.chat.widgets
    assert user.is_user and len(user.message.images) == 2
    assert not answer.is_user and answer.message.state == "complete"
    assert answer.text and answer.stats.text()  # streamed text and subtle stats
    assert window.composer.pending == [] and window.composer.text() == ""
    stored = window.store.messages(window.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].text == answer.text
    assert window.windowTitle().startswith("LocalSight — What is in these")
    assert window.composer.edit.hasFocus() or QApplication.focusWidget() is window.composer.edit


def test_dropping_a_non_image_says_why(qtbot: Any, window: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture at all\n" * 10)
    drop(window, [notes])
    qtbot.waitUntil(window.composer.notice.isVisible, timeout=10_000)
    assert "notes.png" in window.composer.notice.text()
    assert window.composer.pending == []


def test_dropping_a_folder_without_images_says_so(qtbot: Any, window: Any, tmp_path: Path) -> None:
    empty = tmp_path / "Receipts 2025"
    (empty / "scans").mkdir(parents=True)
    (empty / "scans" / "a.png").write_bytes(png_bytes())  # one level down: not searched
    (empty / "notes.txt").write_text("nothing to see")
    drop(window, [empty])
    assert window.composer.notice.isVisible()
    notice = window.composer.notice.text()
    assert "No images in Receipts 2025" in notice and "subfolders" in notice
    assert window.composer.pending == []


def test_paste_image_data(qtbot: Any, window: Any) -> None:
    image = QImage(80, 60, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkGreen)
    mime = QMimeData()
    mime.setImageData(image)
    window.composer.edit.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=10_000)
    assert window.composer.pending[0].image.width == 80


def test_stop_mid_stream_keeps_partial_text(qtbot: Any, window: Any) -> None:
    window.settings = dataclasses.replace(window.settings, max_tokens=100_000)
    send(qtbot, window, "Go on forever.")
    qtbot.waitUntil(
        lambda: (w := window.chat_controller.streaming_widget()) is not None and len(w.text) > 20,
        timeout=60_000,
    )
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    answer = window.chat.widgets[-1]
    assert answer.message.state == "interrupted"
    assert answer.text
    assert answer.status.isVisible() and "incomplete" in answer.status.text()
    stored = window.store.messages(window.conversation_id)[-1]
    assert stored.state == "interrupted" and stored.text == answer.text


def test_regenerate_replaces_the_answer(qtbot: Any, window: Any) -> None:
    send(qtbot, window, "Hello there.")
    wait_idle(qtbot, window)
    first = window.chat.widgets[-1]
    first_created = first.message.created_at
    first.action_buttons["regenerate"].click()
    wait_idle(qtbot, window)
    assert len(window.chat.widgets) == 2
    assert window.chat.widgets[-1] is not first
    assert window.chat.widgets[-1].message.created_at > first_created
    assert len(window.store.messages(window.conversation_id)) == 2


def test_edit_and_resend(qtbot: Any, window: Any) -> None:
    send(qtbot, window, "First question.")
    wait_idle(qtbot, window)
    send(qtbot, window, "Second question.")
    wait_idle(qtbot, window)
    first_user = window.chat.widgets[0]
    first_user.action_buttons["edit"].click()
    assert window.composer.text() == "First question."
    window.composer.edit.setPlainText("First question, edited.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    stored = window.store.messages(window.conversation_id)
    assert [m.text for m in stored if m.role == "user"] == ["First question, edited."]
    assert len(stored) == 2


def test_images_to_a_text_only_model_explain_what_to_do(
    qtbot: Any, window: Any, tmp_path: Path, smollm2: Path
) -> None:
    text_only = next(m for m in window.models if m.id == str(smollm2.resolve()))
    window.choose_model(text_only)
    drop(window, images_in(tmp_path, 1))
    qtbot.waitUntil(lambda: len(window.composer.pending) == 1, timeout=10_000)
    send(qtbot, window, "Describe this.")
    assert window.composer.notice.isVisible()
    assert "cannot see images" in window.composer.notice.text()
    assert window.chat.widgets == []  # nothing was sent, the draft is kept
    assert window.composer.text() == "Describe this." and len(window.composer.pending) == 1


def test_switching_conversations_during_a_stream(qtbot: Any, window: Any) -> None:
    send(qtbot, window, "An old chat.")
    wait_idle(qtbot, window)
    old_id = window.conversation_id
    window.new_chat()
    window.settings = dataclasses.replace(window.settings, max_tokens=300)
    send(qtbot, window, "A long answer please.")
    streaming_id = window.conversation_id
    qtbot.waitUntil(lambda: window.chat_controller.streaming_widget() is not None, timeout=30_000)
    window.open_conversation(old_id)
    assert [w.message.conversation_id for w in window.chat.widgets] == [old_id, old_id]
    wait_idle(qtbot, window)
    assert [w.message.conversation_id for w in window.chat.widgets] == [old_id, old_id]
    finished = window.store.messages(streaming_id)
    assert finished[-1].state == "complete" and finished[-1].text
    window.open_conversation(streaming_id)
    assert window.chat.widgets[-1].text == finished[-1].text


def test_stop_works_from_another_chat_and_going_back_shows_the_answer(
    qtbot: Any, window: Any
) -> None:
    """The state bugs of a week of use: a long answer, Ctrl+N, then Esc -- it stops (before,
    nothing happened and going back showed a frozen "Thinking…"); meanwhile the sidebar
    marks the chat answering; going back shows the answer and keeps streaming into it."""
    window.settings = dataclasses.replace(window.settings, max_tokens=100_000)
    send(qtbot, window, "Talk for a long time.")
    answering = window.conversation_id
    qtbot.waitUntil(
        lambda: (w := window.chat_controller.streaming_widget()) is not None and len(w.text) > 5,
        timeout=60_000,
    )
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.conversation_id is None and window.chat.widgets == []
    marked = [window.sidebar.list.item(i).text() for i in range(window.sidebar.list.count())]
    assert any(text.startswith(ANSWERING_MARK) for text in marked)
    assert window.composer.send_button.isVisible()  # this chat is not answering

    window.open_conversation(answering)  # back: the answer so far, still growing
    widget = window.chat_controller.streaming_widget()
    assert widget is not None and widget is window.chat.widgets[-1]
    shown = len(widget.text)
    assert shown > 5 and window.composer.stop_button.isVisible()
    qtbot.waitUntil(lambda: len(widget.text) > shown + 5, timeout=30_000)

    window.new_chat()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)  # Esc in another chat stops it
    wait_idle(qtbot, window)
    stored = window.store.messages(answering)[-1]
    assert stored.state == "interrupted" and stored.text
    marked = [window.sidebar.list.item(i).text() for i in range(window.sidebar.list.count())]
    assert not any(text.startswith(ANSWERING_MARK) for text in marked)
    window.open_conversation(answering)
    assert window.chat.widgets[-1].text == stored.text


def test_a_message_sent_while_another_chat_answers_is_refused_with_a_word(
    qtbot: Any, window: Any
) -> None:
    """Before: Enter in another chat while one answered did nothing, silently."""
    window.settings = dataclasses.replace(window.settings, max_tokens=100_000)
    send(qtbot, window, "Talk for a long time.")
    qtbot.waitUntil(lambda: window.chat_controller.streaming_widget() is not None, timeout=60_000)
    window.new_chat()
    send(qtbot, window, "A second question.")
    assert window.composer.notice.isVisible()
    assert "still answering" in window.composer.notice.text()
    assert window.composer.text() == "A second question."  # the draft is kept
    assert window.chat.widgets == []
    window.stop()  # Chat → Stop, from this chat
    wait_idle(qtbot, window)
    window.settings = dataclasses.replace(window.settings, max_tokens=8)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert [w.text for w in window.chat.widgets][:1] == ["A second question."]
    assert window.chat.widgets[-1].message.state == "complete"


def test_closing_mid_answer_in_another_chat_keeps_the_text(
    qtbot: Any, paths: Any, backend: LlamaCppBackend
) -> None:
    """Before: quitting after switching chats ended with "The chat history is closed"."""
    window = open_window(qtbot, paths, backend)
    window.settings = dataclasses.replace(window.settings, max_tokens=100_000)
    send(qtbot, window, "Talk for a long time.")
    answering = window.conversation_id
    qtbot.waitUntil(
        lambda: (w := window.chat_controller.streaming_widget()) is not None and len(w.text) > 5,
        timeout=60_000,
    )
    window.new_chat()
    window.close()
    from desktop_app.core.store.database import Store

    store = Store.open(paths.database_path)
    try:
        last = store.messages(answering)[-1]
        assert last.state == "interrupted" and last.text
    finally:
        store.close()


def test_conversations_are_listed_renamed_searched_and_kept(qtbot: Any, window: Any) -> None:
    send(qtbot, window, "Tell me about giraffes.")
    wait_idle(qtbot, window)
    assert window.sidebar.list.count() == 1
    assert "giraffes" in window.sidebar.list.item(0).text()
    window.store.rename_conversation(window.conversation_id, "Tall animals")
    window.refresh_conversations()
    assert window.sidebar.list.item(0).text() == "Tall animals"
    window.sidebar.search.setText("giraffes")
    qtbot.waitUntil(
        lambda: (
            "Tall animals" in window.sidebar.list.item(0).text()
            if window.sidebar.list.count()
            else False
        ),
        timeout=5_000,
    )
    window.sidebar.search.setText("zebra-that-is-nowhere")
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 0, timeout=5_000)


class _Canary(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_remote_images_in_answers_are_never_fetched(qtbot: Any, window: Any) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        from desktop_app.core.store.database import StoredMessage

        payload = (
            f"![secret](http://127.0.0.1:{port}/leak?q=1)\n\n"
            f'<img src="http://127.0.0.1:{port}/raw">\n\n[ok](https://example.org)'
        )
        message = StoredMessage(
            id=-1,
            conversation_id=-1,
            role="assistant",
            text=payload,
            state="complete",
            images=(),
            stats=None,
            error=None,
            created_at=time.time(),
        )
        widget = window.chat.add_message(message)
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            qtbot.wait(50)
        assert _Canary.hits == 0
        html = widget.body.text()
        assert "<img" not in html
        assert f"http://127.0.0.1:{port}/leak" in html  # shown as text
    finally:
        server.shutdown()


def test_gui_thread_never_stalls_while_loading_and_streaming(
    qtbot: Any, window: Any, smollm2: Path
) -> None:
    """docs/failures.md, item 10: a 10 ms heartbeat on the GUI thread, through a load and a stream.

    SmolLM2 (a real 98 MB model) is loaded from cold and answers ~200 tokens.
    """
    window.backend.unload()
    window.choose_model(next(m for m in window.models if m.id == str(smollm2.resolve())))
    window.settings = dataclasses.replace(window.settings, max_tokens=200)
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
    send(qtbot, window, "Write a long story about a lighthouse keeper.")
    wait_idle(qtbot, window)
    timer.stop()
    longest = max(gaps) * 1000
    answer = window.chat.widgets[-1]
    print(
        f"longest GUI stall during load + stream: {longest:.1f} ms over {len(gaps)} beats, "
        f"{answer.message.stats.completion_tokens if answer.message.stats else 0} tokens"
    )
    assert answer.message.state == "complete" and len(answer.text) > 100
    assert longest < 250


def test_geometry_is_remembered(qtbot: Any, paths: Any, backend: LlamaCppBackend) -> None:
    from desktop_app.qt.app import create_window

    first = create_window(paths, backend=backend, extra_backends={})
    qtbot.addWidget(first)
    first.resize(760, 560)  # the offscreen screen is 800x600
    first.show()
    qtbot.waitExposed(first)
    first.close()
    second = create_window(
        paths, backend=LlamaCppBackend(model_dirs=[paths.models_dir]), extra_backends={}
    )
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 560)
    second.close()


def test_every_control_has_a_name_and_tooltip(window: Any) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit

    missing = []
    for widget in (
        window.findChildren(QAbstractButton)
        + window.findChildren(QComboBox)
        + window.findChildren(QLineEdit)
        + window.findChildren(QPlainTextEdit)
    ):
        if not widget.isVisibleTo(window):
            continue
        if not widget.accessibleName() or not widget.toolTip():
            missing.append(
                f"{type(widget).__name__} {widget.text() if hasattr(widget, 'text') else ''}"
            )
    assert missing == []


def test_ollama_models_are_listed_and_answer_with_images(  # noqa: PLR0917 - fixtures
    qtbot: Any,
    paths: Any,
    backend: LlamaCppBackend,
    smollm2: Path,
    tiny_vlm: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """Ollama's models sit in the same picker, marked; a photo goes to its vision model."""
    from backends.ollama import OllamaBackend
    from desktop_app.qt.app import create_window
    from tests.helpers.ollama_server import VISION_MODEL, build_test_server

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_vlm[0].read_bytes()[:1000])
    server = build_test_server(
        LlamaCppBackend(include_embedded=False), smollm2=smollm2, tiny_vlm=tiny_vlm, broken=broken
    )
    with server:
        ollama = OllamaBackend(server.url, timeout=30)
        win = create_window(paths, backend=backend, extra_backends={"ollama": ollama})
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: VISION_MODEL in win.model_backend, timeout=20_000)
        assert win.model_backend[VISION_MODEL] == "ollama"
        labels = [win.picker.combo.itemText(i) for i in range(win.picker.combo.count())]
        assert any("Ollama" in label and "sees images" in label for label in labels)
        win.choose_model(next(m for m in win.models if m.id == VISION_MODEL))
        assert win.backend is ollama
        drop(win, images_in(tmp_path, 1))
        qtbot.waitUntil(lambda: len(win.composer.pending) == 1, timeout=10_000)
        send(qtbot, win, "What is in this picture?")
        wait_idle(qtbot, win)
        answer = win.chat.widgets[-1]
        assert answer.message.state == "complete" and answer.text
        assert win.store.conversation(win.conversation_id).backend == "ollama"
        win.close()


def test_engine_crash_mid_answer_is_an_inline_error_and_recovers(qtbot: Any, paths: Any) -> None:
    """The window's default: llama.cpp in a child engine process. Killing it mid-answer
    leaves the window up, the partial answer kept with the reason, and the next send works."""
    import os
    import signal

    from backends.engine import EngineBackend
    from desktop_app.qt.app import create_window

    engine = EngineBackend(model_dirs=[paths.models_dir])
    win = create_window(paths, backend=engine, extra_backends={})
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model is not None, timeout=60_000)
    win.settings = dataclasses.replace(win.settings, max_tokens=100_000)
    send(qtbot, win, "Keep talking.")
    qtbot.waitUntil(
        lambda: (w := win.chat_controller.streaming_widget()) is not None and len(w.text) > 20,
        timeout=60_000,
    )
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_idle(qtbot, win)
    answer = win.chat.widgets[-1]
    assert answer.message.state == "error"
    assert answer.text  # the partial answer is kept
    assert "crash" in (answer.message.error or "").lower()
    assert answer.status.isVisible() and answer.action_buttons["retry"].isVisible()
    win.settings = dataclasses.replace(win.settings, max_tokens=12)
    send(qtbot, win, "Are you back?")
    wait_idle(qtbot, win)
    assert win.chat.widgets[-1].message.state == "complete"
    assert engine.pid is not None and engine.pid != pid
    win.close()
    assert engine.pid is None or not _alive(engine.pid)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
