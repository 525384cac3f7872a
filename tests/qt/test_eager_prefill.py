"""Eager prefill in the window (issue 20): an attached image is read while the person types.

Real widgets (offscreen), the real ``ChatSession`` on its worker, real SQLite; the backend
is the scripted one with a ``prefill`` that blocks until the test releases it
(tests/helpers/prefill_backend.py), so "Reading…" lasts as long as each test needs and
nothing is timed: every wait is on state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage

from backends.base import BackendError, ChatRequest, PrefillReport, SupportsPrefill
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.settings import AppPaths
from desktop_app.qt.chat.composer import READ, READING
from tests.helpers.fake_backend import TEXT_MODEL, ScriptedBackend
from tests.helpers.prefill_backend import PrefillCall, PrefillingBackend
from tests.helpers.window_fixtures import WAIT_MS, open_window, seed_tiny_vlm, send, wait_idle

pytestmark = pytest.mark.usefixtures("qapp")

REAL_WAIT_MS = 180_000  # a real model on a loaded 2-core machine: a ceiling, not a duration


@pytest.fixture
def backend() -> Iterator[PrefillingBackend]:
    backend = PrefillingBackend()
    yield backend
    backend.release_all()
    for call in backend.calls:
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: PrefillingBackend) -> Any:
    return open_window(qtbot, paths, backend)


def paste_image(qtbot: Any, window: Any, color: Qt.GlobalColor) -> None:
    """Ctrl+V of image data; returns once the composer shows it."""
    count = len(window.composer.pending)
    image = QImage(48, 32, QImage.Format.Format_RGB32)
    image.fill(color)
    mime = QMimeData()
    mime.setImageData(image)
    window.composer.edit.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: len(window.composer.pending) == count + 1, timeout=WAIT_MS)


def prefill(qtbot: Any, backend: PrefillingBackend, number: int) -> PrefillCall:
    """The ``number``-th prefill (1-based), once the window has asked for it."""
    qtbot.waitUntil(lambda: len(backend.prefills) >= number, timeout=WAIT_MS)
    return backend.prefills[number - 1]


def states(window: Any) -> list[str]:
    return [item.read_state for item in window.composer.pending]


def captions(window: Any) -> list[str]:
    return [
        item.caption.text() if item.caption.isVisible() else "" for item in window.composer.pending
    ]


def without_last_text(request: ChatRequest) -> ChatRequest:
    """The request with the last turn's text left out (it is still being typed)."""
    last = request.messages[-1]
    return dataclasses.replace(
        request, messages=(*request.messages[:-1], dataclasses.replace(last, text=""))
    )


def settle(qtbot: Any, window: Any) -> None:
    """Until the controller has looked at the last change (it decides on the next turn of
    the event loop)."""
    qtbot.waitUntil(lambda: not window.prefill_controller._timer.isActive(), timeout=WAIT_MS)


def test_an_attached_image_is_read_ahead_with_the_chat_and_send_asks_the_same(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    send(qtbot, window, "Hello.")
    wait_idle(qtbot, window)
    paste_image(qtbot, window, Qt.GlobalColor.darkGreen)

    call = prefill(qtbot, backend, 1)
    assert [m.role for m in call.request.messages] == ["user", "assistant", "user"]
    assert call.request.messages[-1].images == tuple(window.composer.images())
    qtbot.waitUntil(lambda: states(window) == [READING], timeout=WAIT_MS)
    assert captions(window) == ["Reading…"]
    item = window.composer.pending[0]
    assert "being read" in item.preview.accessibleName()

    call.release()
    qtbot.waitUntil(lambda: states(window) == [READ], timeout=WAIT_MS)
    assert captions(window) == ["✓ Ready"]
    assert "Enter answers at once" in item.preview.toolTip()
    assert "read" in item.preview.accessibleName()

    send(qtbot, window, "What colour is it?")
    wait_idle(qtbot, window)
    real = backend.requests[-1]
    assert real.messages[-1].text == "What colour is it?"
    # The prefill read exactly what Send then asked, up to the words typed after it.
    assert without_last_text(real) == call.request
    assert len(backend.prefills) == 1  # the sent image is not read again


def test_removing_an_image_cancels_and_reads_what_remains(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.red)
    paste_image(qtbot, window, Qt.GlobalColor.blue)
    qtbot.waitUntil(
        lambda: bool(backend.prefills) and len(backend.prefills[-1].request.images) == 2,
        timeout=WAIT_MS,
    )
    both = backend.prefills[-1]
    kept = window.composer.pending[1].image

    window.composer.pending[0].remove_button.click()
    qtbot.waitUntil(lambda: both.cancelled, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: backend.prefills[-1] is not both, timeout=WAIT_MS)
    again = backend.prefills[-1]
    assert again.request.images == (kept,)
    assert states(window) == [READING]

    count = len(backend.prefills)
    window.composer.pending[0].remove_button.click()
    qtbot.waitUntil(lambda: again.cancelled, timeout=WAIT_MS)
    settle(qtbot, window)
    assert len(backend.prefills) == count  # nothing left to read
    assert window.prefill_controller.job is None


def test_an_image_added_while_reading_restarts_with_both_and_keeps_ready_ones(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.red)
    first = prefill(qtbot, backend, 1)
    first.release()
    qtbot.waitUntil(lambda: states(window) == [READ], timeout=WAIT_MS)

    paste_image(qtbot, window, Qt.GlobalColor.blue)
    second = prefill(qtbot, backend, 2)
    assert len(second.request.images) == 2
    # The first image was read with the same chat: it stays ready; the new one is read.
    qtbot.waitUntil(lambda: states(window) == [READ, READING], timeout=WAIT_MS)

    paste_image(qtbot, window, Qt.GlobalColor.yellow)
    qtbot.waitUntil(lambda: second.cancelled, timeout=WAIT_MS)
    third = prefill(qtbot, backend, 3)
    assert len(third.request.images) == 3


def _open_first_chat(window: Any) -> None:
    window.open_conversation(window.store.list_conversations()[-1].id)


def _start_edit(window: Any) -> None:
    window.chat.widgets[0].action_buttons["edit"].click()


def _choose_text_model(window: Any) -> None:
    window.choose_model(next(m for m in window.models if m.id == TEXT_MODEL))


@pytest.mark.parametrize(
    ("change", "reads_again"),
    [
        (_choose_text_model, False),
        (lambda window: window.new_chat(), True),
        (_open_first_chat, True),
        (_start_edit, False),
        (
            lambda window: window.apply_settings(
                dataclasses.replace(window.settings, image_long_edge=512)
            ),
            True,
        ),
        (lambda window: window.lease.acquire("describe"), False),
        (lambda window: window.chat_controller.set_own_settings("Be brief.", None), True),
    ],
    ids=["text-only-model", "new-chat", "other-chat", "edit", "settings", "describe", "prompt"],
)
def test_what_the_reading_depends_on_changing_cancels_it(
    qtbot: Any, window: Any, backend: PrefillingBackend, change: Any, reads_again: bool
) -> None:
    send(qtbot, window, "First chat.")
    wait_idle(qtbot, window)
    window.new_chat()
    send(qtbot, window, "Second chat.")
    wait_idle(qtbot, window)
    paste_image(qtbot, window, Qt.GlobalColor.darkCyan)
    call = prefill(qtbot, backend, 1)
    qtbot.waitUntil(lambda: states(window) == [READING], timeout=WAIT_MS)

    change(window)
    qtbot.waitUntil(lambda: call.cancelled, timeout=WAIT_MS)
    settle(qtbot, window)
    if reads_again:  # the image is still attached: read for what Send would now ask
        again = prefill(qtbot, backend, 2)
        assert again.request.messages[-1].images == tuple(window.composer.images())
        qtbot.waitUntil(lambda: states(window) == [READING], timeout=WAIT_MS)
    else:
        assert len(backend.prefills) == 1
        assert all(state != READING for state in states(window))


def test_a_new_chat_reads_the_image_without_history(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    send(qtbot, window, "Old chat.")
    wait_idle(qtbot, window)
    paste_image(qtbot, window, Qt.GlobalColor.darkCyan)
    call = prefill(qtbot, backend, 1)
    window.new_chat()
    qtbot.waitUntil(lambda: call.cancelled, timeout=WAIT_MS)
    again = prefill(qtbot, backend, 2)
    assert [m.role for m in again.request.messages] == ["user"]
    window.open_conversation(window.store.list_conversations()[0].id)
    qtbot.waitUntil(lambda: again.cancelled, timeout=WAIT_MS)
    third = prefill(qtbot, backend, 3)
    assert [m.text for m in third.request.messages[:-1]] == ["Old chat.", "Alpha beta gamma delta"]


def test_nothing_is_read_ahead_by_a_text_only_model(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    _choose_text_model(window)
    paste_image(qtbot, window, Qt.GlobalColor.red)
    settle(qtbot, window)
    assert backend.prefills == []
    assert states(window) == [""] and captions(window) == [""]


def test_nothing_is_read_ahead_by_a_backend_that_cannot(qtbot: Any, paths: AppPaths) -> None:
    plain = ScriptedBackend(gated=False)
    window = open_window(qtbot, paths, plain)
    paste_image(qtbot, window, Qt.GlobalColor.red)
    settle(qtbot, window)
    assert window.prefill_controller.job is None
    assert states(window) == [""] and captions(window) == [""]
    send(qtbot, window, "Still answers.")
    wait_idle(qtbot, window)
    assert plain.requests[-1].messages[-1].images


def test_nothing_is_read_while_an_answer_runs_then_it_is(qtbot: Any, paths: AppPaths) -> None:
    backend = PrefillingBackend(gated=True)
    window = open_window(qtbot, paths, backend)
    try:
        send(qtbot, window, "A long answer, please.")
        answer = backend.wait_for_call(1)
        paste_image(qtbot, window, Qt.GlobalColor.red)
        settle(qtbot, window)
        assert backend.prefills == [] and states(window) == [""]
        answer.finish()
        wait_idle(qtbot, window)
        call = prefill(qtbot, backend, 1)  # the answer ended: the image is read now
        assert [m.role for m in call.request.messages] == ["user", "assistant", "user"]
    finally:
        backend.release_all()
        for call in backend.calls:
            call.cancel.cancel()


def test_send_while_reading_goes_through_without_cancelling_it(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.magenta)
    call = prefill(qtbot, backend, 1)
    send(qtbot, window, "What is this?")
    wait_idle(qtbot, window)  # answered while the prefill is still blocked
    assert not call.ended.is_set() and not call.cancelled  # the backend's to deal with
    assert backend.requests[-1].messages[-1].text == "What is this?"
    assert window.composer.pending == []

    call.release()
    qtbot.waitUntil(call.ended.is_set, timeout=WAIT_MS)
    settle(qtbot, window)
    paste_image(qtbot, window, Qt.GlobalColor.cyan)  # the next image: read with the answer
    second = prefill(qtbot, backend, 2)
    assert [m.role for m in second.request.messages] == ["user", "assistant", "user"]
    assert states(window) == [READING]


def test_a_failed_reading_is_only_logged(
    qtbot: Any, window: Any, backend: PrefillingBackend, caplog: pytest.LogCaptureFixture
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.red)
    call = prefill(qtbot, backend, 1)
    call.release(fail=BackendError("The engine could not read the image."))
    qtbot.waitUntil(lambda: states(window) == [""], timeout=WAIT_MS)
    assert "could not read the image" in caplog.text
    assert window.composer.notice_text("general") == ""
    assert window.composer.notice_text("chat") == ""
    settle(qtbot, window)
    assert len(backend.prefills) == 1  # not tried again for the same images


def test_closing_the_window_while_reading_cancels_it(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.red)
    call = prefill(qtbot, backend, 1)
    window.close()
    assert call.cancelled and call.ended.is_set()  # ended before the backends were closed
    assert backend.closed >= 1


@pytest.mark.parametrize("size", [(48, 32), (30, 90), (200, 40), (64, 64)])
def test_the_state_is_shown_on_the_thumbnail_without_changing_its_size(
    qtbot: Any, size: tuple[int, int]
) -> None:
    from desktop_app.core.images import normalize_image
    from desktop_app.qt.chat.composer import Composer
    from tests.helpers.images import png_bytes

    composer = Composer()
    qtbot.addWidget(composer)
    image = normalize_image(png_bytes((30, 90, 200), size=size), name="shape.png")
    composer.add_image(image, "shape.png")
    composer.show()
    item = composer.pending[0]
    before = (item.sizeHint(), composer.strip.sizeHint(), composer.sizeHint())
    for state in (READING, READ):
        composer.set_read_states({image.sha256: state})
        assert item.caption.isVisible()
        assert item.preview.rect().contains(item.caption.geometry())  # on the picture
        assert (item.sizeHint(), composer.strip.sizeHint(), composer.sizeHint()) == before
    composer.set_read_states({})
    assert not item.caption.isVisible()
    assert item.preview.accessibleName() == "Attached image shape.png"


def test_nothing_is_claimed_when_the_backend_read_nothing_and_a_declined_one_is_retried(
    qtbot: Any, window: Any, backend: PrefillingBackend
) -> None:
    paste_image(qtbot, window, Qt.GlobalColor.red)
    # The backend had nothing to do (no fast path for this model): no "Ready".
    prefill(qtbot, backend, 1).release(report=PrefillReport())
    qtbot.waitUntil(lambda: window.prefill_controller.job.report is not None, timeout=WAIT_MS)
    assert states(window) == [""]
    paste_image(qtbot, window, Qt.GlobalColor.blue)
    # Declined: the model was busy (the backend's own cancel, not the window's).
    prefill(qtbot, backend, 2).release(report=PrefillReport(cancelled=True))
    qtbot.waitUntil(lambda: window.prefill_controller.job.report is not None, timeout=WAIT_MS)
    assert states(window) == ["", ""]
    window.lease.acquire("describe")  # a Describe run comes and goes: read again after it
    window.lease.release("describe")
    third = prefill(qtbot, backend, 3)
    assert len(third.request.images) == 2
    third.release()
    qtbot.waitUntil(lambda: states(window) == [READ, READ], timeout=WAIT_MS)


def test_a_window_rebuilt_in_another_language_reads_its_draft_again(
    qtbot: Any, paths: AppPaths, backend: PrefillingBackend
) -> None:
    from desktop_app.qt.app import create_window

    window = create_window(paths, backend=backend, extra_backends={})  # deleted by rebuild
    window.show()
    qtbot.waitUntil(lambda: window.model is not None, timeout=WAIT_MS)
    new = None
    try:
        paste_image(qtbot, window, Qt.GlobalColor.red)
        first = prefill(qtbot, backend, 1)
        new = window.rebuild()
        assert first.cancelled  # the old window's reading stops with it
        second = prefill(qtbot, backend, 2)
        assert second.request.images == tuple(new.composer.images())
        qtbot.waitUntil(
            lambda: [i.read_state for i in new.composer.pending] == [READING], timeout=WAIT_MS
        )
    finally:
        backend.release_all()
        (new or window).close()


def answer_tokens(qtbot: Any, window: Any, text: str) -> int:
    """Send ``text``; the prompt tokens the model evaluated for the answer."""
    send(qtbot, window, text)
    wait_idle(qtbot, window, REAL_WAIT_MS)
    answer = window.store.messages(window.conversation_id)[-1]
    assert answer.state == "complete" and answer.stats is not None
    return int(answer.stats.prompt_tokens)


@pytest.mark.parametrize("kind", ["engine", "in-process"])
def test_a_real_model_reads_the_image_ahead_and_send_reads_only_the_words(
    qtbot: Any,
    localsight_home: Path,
    tiny_vlm: tuple[Path, Path],
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tiny vision model in the window, in the engine process as the app runs it (and
    in-process): once the thumbnail says Ready, Send evaluates only the typed words and
    the template's tail -- what it evaluates without the prefill, less the image."""
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=4)
    backend = LlamaCppBackend(model_dirs=[paths.models_dir]) if kind == "in-process" else None
    window = open_window(qtbot, paths, backend)
    controller = window.prefill_controller
    try:
        assert isinstance(window.backend, SupportsPrefill)
        # Without the prefill: the image is read when Send is pressed.
        with monkeypatch.context() as patch:
            patch.setattr(controller, "wanted", lambda: None)
            paste_image(qtbot, window, Qt.GlobalColor.darkBlue)
            without = answer_tokens(qtbot, window, "What colour is it?")
        assert backend is None or controller.job is None

        window.new_chat()  # another image (nothing cached), read while the person "types"
        paste_image(qtbot, window, Qt.GlobalColor.darkYellow)
        qtbot.waitUntil(lambda: states(window) == [READ], timeout=REAL_WAIT_MS)
        job = controller.job
        assert job is not None and job.report is not None
        assert job.report.images == 1 and job.report.tokens > 0
        with_prefill = answer_tokens(qtbot, window, "What colour is it?")
        print(
            f"{kind}: Send evaluated {without} tokens without the prefill, {with_prefill} "
            f"after it (the prefill read {job.report.tokens})"
        )
        assert 0 < with_prefill < without
        # Nothing read twice (less, even: the template's start is cached from the first chat).
        assert with_prefill + job.report.tokens <= without
    finally:
        window.close()
        if backend is not None:
            backend.close()
