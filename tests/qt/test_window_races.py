"""The window's races, made deterministic with ``ScriptedBackend`` (tests/helpers/fake_backend.py).

Every moment that matters -- the model loading, thinking before its first token, half-way
through an answer -- is a gate the fake backend's stream waits at until the test releases
it, so Stop, switching chats, the Describe window and closing the window each land at
exactly the stage named, whatever the machine's speed.  Real widgets (offscreen), the real
``ChatSession`` on its worker thread, real SQLite.  Nothing sleeps and nothing is timed:
every wait is ``qtbot.waitUntil`` on state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from backends.base import (
    BackendError,
    CancelToken,
    ChatRequest,
    Chunk,
    Done,
    GenerationFailed,
    GenerationOptions,
    Message,
    TextDelta,
)
from desktop_app.core.settings import AppPaths
from desktop_app.core.store.database import Store
from desktop_app.qt.chat.sidebar import ANSWERING_MARK
from desktop_app.qt.controllers.chat import describing_notice
from tests.helpers.backend_contract import BackendContract
from tests.helpers.fake_backend import (
    BROKEN_MODEL,
    MODEL,
    STILL_ANSWERING,
    TEXT_MODEL,
    Script,
    ScriptedBackend,
    ScriptedCall,
)
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, send, wait_idle

pytestmark = pytest.mark.usefixtures("qapp")

WAIT_MS = 10_000  # a ceiling for state to arrive, never a duration anything depends on


# -- the fake itself: the contract every backend passes, and its gates -------------------


class TestScriptedBackendContract(BackendContract):
    """With its gates open the fake is a backend like any other."""

    @pytest.fixture
    def backend(self) -> Iterator[ScriptedBackend]:
        backend = ScriptedBackend(deltas=None, gated=False, pace_s=0.002)
        yield backend
        backend.close()

    @pytest.fixture
    def text_model_id(self) -> str:
        return MODEL

    @pytest.fixture
    def vision_model_id(self) -> str:
        return MODEL

    @pytest.fixture
    def text_only_model_id(self) -> str:
        return TEXT_MODEL

    @pytest.fixture
    def broken_model_id(self) -> str:
        return BROKEN_MODEL


def _ask(text: str = "hi", max_tokens: int = 64) -> ChatRequest:
    return ChatRequest(
        MODEL, (Message("user", text),), GenerationOptions(temperature=0, max_tokens=max_tokens)
    )


class _Consumer:
    """Iterates a stream on its own thread, as the window's worker does."""

    def __init__(self, backend: ScriptedBackend, cancel: CancelToken | None = None) -> None:
        self.chunks: list[Chunk] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(backend, cancel), daemon=True)
        self.thread.start()

    def _run(self, backend: ScriptedBackend, cancel: CancelToken | None) -> None:
        try:
            self.chunks.extend(backend.stream_chat(_ask(), cancel))
        except BaseException as error:
            self.error = error

    def text(self) -> str:
        return "".join(c.text for c in self.chunks if isinstance(c, TextDelta))

    def done(self) -> Done:
        assert isinstance(self.chunks[-1], Done)
        return self.chunks[-1]


def test_fake_waits_at_each_gate_until_released() -> None:
    backend = ScriptedBackend(deltas=("One", " two"))
    consumer = _Consumer(backend)
    call = backend.wait_for_call(1)
    assert call.gates == ["loading", "first-token", "after-1", "after-2", "done"]
    for gate in call.gates:
        assert call.wait_at(gate)
        assert consumer.text() == call.text
        call.release(gate)
    consumer.thread.join(10)
    assert consumer.text() == "One two" and consumer.done().reason == "stop"
    assert call.outcome == "stop" and call.passed == call.gates and call.ended
    assert consumer.done().stats.completion_tokens == 2
    assert backend.requests == [_ask()]


@pytest.mark.parametrize("gate", ["loading", "first-token", "after-1", "done"])
def test_fake_honours_cancel_at_every_gate(gate: str) -> None:
    backend = ScriptedBackend(deltas=("One", " two"))
    cancel = CancelToken()
    consumer = _Consumer(backend, cancel)
    call = backend.wait_for_call(1)
    for passed in call.gates[: call.gates.index(gate)]:
        assert call.wait_at(passed)
        call.release(passed)
    assert call.wait_at(gate)
    cancel.cancel()  # the gate is never released: the cancel alone ends the stream
    consumer.thread.join(10)
    assert consumer.done().reason == "cancelled" and call.outcome == "cancelled"
    assert consumer.text() == call.text == {"after-1": "One", "done": "One two"}.get(gate, "")


def test_fake_answers_one_request_at_a_time_like_llama_cpp() -> None:
    backend = ScriptedBackend()
    first = _Consumer(backend)
    call = backend.wait_for_call(1)
    assert call.wait_at("loading")
    with pytest.raises(BackendError) as refused:
        list(backend.stream_chat(_ask("second")))
    assert type(refused.value) is BackendError and str(refused.value) == STILL_ANSWERING
    assert [c.outcome for c in backend.calls] == [None, "refused"]
    call.finish()
    first.thread.join(10)
    assert first.text() == "Alpha beta gamma delta"
    backend.script(Script(gated=False))
    last = list(backend.stream_chat(_ask("third")))[-1]  # the backend is free again
    assert isinstance(last, Done) and last.reason == "stop"


def test_fake_raises_the_scripted_error_with_the_text_so_far() -> None:
    backend = ScriptedBackend()
    backend.script(Script(fail=("after-2", GenerationFailed("The scripted model failed."))))
    consumer = _Consumer(backend)
    call = backend.wait_for_call(1)
    call.finish()
    consumer.thread.join(10)
    assert isinstance(consumer.error, GenerationFailed)
    assert consumer.error.partial_text == "Alpha beta" == consumer.text()
    assert call.outcome == "error" and not backend.current


# -- the window on the fake --------------------------------------------------------------

RELEASED = {"loading": "", "first-token": "", "after-2": "Alpha beta"}


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend()
    yield backend
    for call in backend.calls:  # a failed test must not leave a worker waiting at a gate
        call.cancel.cancel()


@pytest.fixture
def window(qtbot: Any, paths: AppPaths, backend: ScriptedBackend) -> Any:
    win = open_window(qtbot, paths, backend)
    assert win.model.id == MODEL and win.backend is backend
    return win


def start_answer(qtbot: Any, window: Any, backend: ScriptedBackend, text: str) -> ScriptedCall:
    """Send ``text``; returns the call once its stream waits at "loading" and the window
    shows the answer's card (every queued signal of the start has been delivered)."""
    calls = len(backend.calls)
    send(qtbot, window, text)
    qtbot.waitUntil(lambda: len(backend.calls) == calls + 1, timeout=WAIT_MS)
    call = backend.calls[-1]
    qtbot.waitUntil(
        lambda: call.at == "loading" and window.chat_controller.streaming_widget() is not None,
        timeout=WAIT_MS,
    )
    return call


def advance_to(qtbot: Any, window: Any, call: ScriptedCall, gate: str) -> None:
    """Release the gates before ``gate``, one by one; return once the stream waits at
    ``gate`` and the window has received every delta released so far."""
    for step in call.gates:
        if step != gate and step in call.released:
            continue  # released earlier: the stream goes past it by itself
        qtbot.waitUntil(lambda s=step: call.at == s, timeout=WAIT_MS)
        if step == gate:
            break
        call.release(step)
    generation = window.chat_controller.generation
    qtbot.waitUntil(lambda: generation.text == call.text, timeout=WAIT_MS)


def answering_marks(window: Any) -> list[str]:
    items = [window.sidebar.list.item(i).text() for i in range(window.sidebar.list.count())]
    return [text for text in items if text.startswith(ANSWERING_MARK)]


def assert_stopped(window: Any, conversation_id: int, text: str) -> None:
    """The answer is stored and shown ``interrupted`` with exactly ``text``."""
    user, answer = window.store.messages(conversation_id)
    assert (user.role, answer.role) == ("user", "assistant")
    assert (answer.state, answer.text, answer.error) == ("interrupted", text, None)
    if window.conversation_id != conversation_id:
        window.open_conversation(conversation_id)
    card = window.chat.widgets[-1]
    assert card.message.id == answer.id and card.message.state == "interrupted"
    assert card.text == text
    assert card.status.isVisibleTo(card) and "incomplete" in card.status.text()
    assert window.composer.send_button.isVisible() and not window.composer.stop_button.isVisible()
    assert answering_marks(window) == []


@pytest.mark.parametrize("stage", list(RELEASED))
def test_stop_at_each_stage(qtbot: Any, window: Any, backend: ScriptedBackend, stage: str) -> None:
    """Stop while the model loads, while it thinks before its first token, and mid-answer."""
    call = start_answer(qtbot, window, backend, "Tell me something.")
    answering = window.conversation_id
    advance_to(qtbot, window, call, stage)
    card = window.chat_controller.streaming_widget()
    assert card is not None and card.text == RELEASED[stage]
    assert window.composer.stop_button.isVisible() and not window.composer.send_button.isVisible()
    if stage == "loading":
        assert card.status.isVisibleTo(card) and card.status.text().startswith("Loading model")
    qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert call.outcome == "cancelled" and call.text == RELEASED[stage]
    assert window.stage_label.text() == "Stopped"
    assert_stopped(window, answering, RELEASED[stage])
    assert len(backend.calls) == 1


@pytest.mark.parametrize("stage", list(RELEASED))
def test_stop_from_another_chat_at_each_stage(
    qtbot: Any, window: Any, backend: ScriptedBackend, stage: str
) -> None:
    """Ctrl+N, then Esc in the new chat, stops the answer of the first one."""
    call = start_answer(qtbot, window, backend, "Tell me something.")
    answering = window.conversation_id
    advance_to(qtbot, window, call, stage)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.conversation_id is None and window.chat.widgets == []
    assert window.composer.send_button.isVisible()  # this chat is not the one answering
    assert len(answering_marks(window)) == 1
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    assert call.outcome == "cancelled"
    assert window.conversation_id is None and window.chat.widgets == []  # still the new chat
    assert_stopped(window, answering, RELEASED[stage])


def test_switching_chats_mid_answer_shows_the_text_only_where_it_belongs(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    backend.script(Script(deltas=("Old", " answer")))
    old_call = start_answer(qtbot, window, backend, "An old chat.")
    old_call.finish()
    wait_idle(qtbot, window)
    old_id = window.conversation_id
    old_texts = ["An old chat.", "Old answer"]
    assert [w.text for w in window.chat.widgets] == old_texts

    window.new_chat()
    call = start_answer(qtbot, window, backend, "A new question.")
    answering = window.conversation_id
    advance_to(qtbot, window, call, "after-2")
    assert window.chat_controller.streaming_widget().text == "Alpha beta"

    window.open_conversation(old_id)  # away: the old chat as it was, no streaming card
    assert window.chat_controller.streaming_widget() is None
    assert [w.text for w in window.chat.widgets] == old_texts
    assert window.composer.send_button.isVisible()
    call.release("after-2")  # " gamma" arrives while the other chat is on screen
    advance_to(qtbot, window, call, "after-3")
    assert [w.text for w in window.chat.widgets] == old_texts

    window.open_conversation(answering)  # back: exactly the text released so far
    card = window.chat_controller.streaming_widget()
    assert card is not None and card is window.chat.widgets[-1]
    assert card.text == "Alpha beta gamma" == call.text
    assert window.composer.stop_button.isVisible()

    window.new_chat()  # and away again, to an empty chat: nothing of the answer shows
    assert window.chat.widgets == []
    window.open_conversation(answering)
    assert window.chat_controller.streaming_widget().text == "Alpha beta gamma"

    call.finish()
    wait_idle(qtbot, window)
    stored = window.store.messages(answering)[-1]
    assert (stored.state, stored.text) == ("complete", "Alpha beta gamma delta")
    assert window.chat.widgets[-1].text == stored.text
    assert [m.text for m in window.store.messages(old_id)] == old_texts


def test_going_back_mid_answer_does_not_say_thinking(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    call = start_answer(qtbot, window, backend, "A question.")
    answering = window.conversation_id
    advance_to(qtbot, window, call, "after-2")
    card = window.chat_controller.streaming_widget()
    assert not card.status.isVisibleTo(card)  # writing: the text itself shows progress
    window.new_chat()
    window.open_conversation(answering)
    card = window.chat_controller.streaming_widget()
    assert card.text == "Alpha beta"
    assert not card.status.isVisibleTo(card), f"the card says {card.status.text()!r} while writing"


def test_a_message_sent_in_another_chat_is_refused_and_kept(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    advance_to(qtbot, window, call, "after-1")
    window.new_chat()
    send(qtbot, window, "A second question.")
    notice = window.composer.notice
    assert notice.isVisible() and "still answering" in notice.text()
    assert "Talk for a while." in notice.text()  # names the chat that answers
    assert window.composer.text() == "A second question."  # the draft is kept
    assert window.chat.widgets == [] and window.conversation_id is None
    assert len(backend.calls) == 1  # nothing reached the model

    call.release("after-1")  # the first answer goes on, untouched
    advance_to(qtbot, window, call, "after-2")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    assert call.outcome == "cancelled"

    second = start_answer(qtbot, window, backend, window.composer.text())
    assert second.request.messages[-1].text == "A second question."
    second.finish()
    wait_idle(qtbot, window)
    texts = [w.text for w in window.chat.widgets]
    assert texts == ["A second question.", "Alpha beta gamma delta"]
    assert window.chat.widgets[-1].message.state == "complete"


def test_the_still_answering_notice_goes_when_that_answer_ends(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    advance_to(qtbot, window, call, "after-1")
    window.new_chat()
    send(qtbot, window, "A second question.")
    assert "still answering" in window.composer.notice.text()
    call.finish()
    wait_idle(qtbot, window)
    assert window.composer.text() == "A second question."
    notice = window.composer.notice
    assert not notice.isVisibleTo(window.composer), f"still shown: {notice.text()!r}"


def _images(tmp_path: Path, count: int) -> list[Path]:
    files = []
    for i in range(count):
        path = tmp_path / f"photo{i}.png"
        path.write_bytes(png_bytes((50 * i, 120, 200), (48, 40)))
        files.append(path)
    return files


def test_describe_start_is_refused_while_the_chat_answers(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    advance_to(qtbot, window, call, "after-1")
    window.open_describe(_images(tmp_path, 2))
    panel = window.describe_panel
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.busy and panel.notice.isVisible()
    assert "answering in the chat" in panel.notice.text()
    assert window.lease.holder == "chat" and len(backend.calls) == 1

    call.finish()  # the chat's answer ends; then Start runs
    wait_idle(qtbot, window)
    assert window.lease.holder is None
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.busy and window.lease.holder == "describe"
    for number in (2, 3):  # one call per image, one at a time
        qtbot.waitUntil(lambda n=number: len(backend.calls) == n, timeout=WAIT_MS)
        backend.calls[-1].finish()
    qtbot.waitUntil(lambda: not panel.busy and window.lease.holder is None, timeout=WAIT_MS)
    assert [c.outcome for c in backend.calls] == ["stop", "stop", "stop"]
    assert all(len(c.request.images) == 1 for c in backend.calls[1:])
    rows = panel.table.finished_rows()
    assert [r.text for r in rows] == ["Alpha beta gamma delta"] * 2
    assert not [r for r in rows if r.error]


def test_chat_waits_while_a_describe_run_holds_the_model(
    qtbot: Any, window: Any, backend: ScriptedBackend, tmp_path: Path
) -> None:
    window.open_describe(_images(tmp_path, 1))
    panel = window.describe_panel
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    panel.start()
    assert panel.busy and window.lease.holder == "describe"
    qtbot.waitUntil(lambda: len(backend.calls) == 1, timeout=WAIT_MS)
    described = backend.calls[0]
    qtbot.waitUntil(lambda: described.at == "loading", timeout=WAIT_MS)
    assert len(described.request.images) == 1

    send(qtbot, window, "Are you there?")
    assert window.composer.notice.isVisible()
    assert window.composer.notice.text() == describing_notice()
    assert window.composer.text() == "Are you there?"  # the draft is kept
    assert window.chat.widgets == [] and not window.runner.busy
    assert len(backend.calls) == 1  # the describe call only

    described.finish()
    qtbot.waitUntil(lambda: not panel.busy and window.lease.holder is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.notice.isVisible(), timeout=WAIT_MS)
    assert window.composer.text() == "Are you there?"
    call = start_answer(qtbot, window, backend, window.composer.text())  # accepted now
    assert window.lease.holder == "chat"
    call.finish()
    wait_idle(qtbot, window)
    assert [w.text for w in window.chat.widgets] == ["Are you there?", "Alpha beta gamma delta"]
    assert window.store.messages(window.conversation_id)[-1].state == "complete"
    assert window.lease.holder is None


def test_a_backend_error_mid_answer_shows_on_the_card_with_the_text_kept(
    qtbot: Any, window: Any, backend: ScriptedBackend
) -> None:
    failure = "The model stopped answering: scripted failure."
    backend.script(Script(fail=("after-2", GenerationFailed(failure))))
    call = start_answer(qtbot, window, backend, "Tell me something.")
    advance_to(qtbot, window, call, "after-2")
    call.release("after-2")  # the stream raises here
    wait_idle(qtbot, window)
    assert call.outcome == "error"
    stored = window.store.messages(window.conversation_id)[-1]
    assert (stored.state, stored.text, stored.error) == ("error", "Alpha beta", failure)
    card = window.chat.widgets[-1]
    assert card.message.state == "error" and card.text == "Alpha beta"
    assert card.status.isVisibleTo(card) and card.status.text() == failure
    assert card.status.objectName() == "ErrorText"
    assert card.action_buttons["retry"].isVisible()
    assert window.stage_label.text() == "The answer failed"
    assert window.lease.holder is None


@pytest.mark.parametrize("where", ["here", "another chat"])
def test_closing_the_window_mid_answer_keeps_the_released_text(
    qtbot: Any, window: Any, backend: ScriptedBackend, paths: AppPaths, where: str
) -> None:
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    answering = window.conversation_id
    advance_to(qtbot, window, call, "after-2")
    if where == "another chat":
        window.new_chat()
    window.close()  # never releases a gate: the close itself must end the answer
    assert call.outcome == "cancelled" and call.ended
    assert not window.runner.busy and backend.closed >= 1
    store = Store.open(paths.database_path)
    try:
        last = store.messages(answering)[-1]
        assert (last.state, last.text) == ("interrupted", "Alpha beta")
    finally:
        store.close()


def test_stop_before_the_worker_starts_is_not_lost(
    qtbot: Any, window: Any, backend: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enter then Esc at once: the worker thread may not have started the session yet."""
    from desktop_app.core.chat.session import ChatSession

    entered, go = threading.Event(), threading.Event()
    original = ChatSession.send

    def held_send(self: ChatSession, *args: Any, **kwargs: Any) -> Any:
        entered.set()  # on the worker thread, before the session takes its lock
        go.wait(WAIT_MS / 1000)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ChatSession, "send", held_send)
    send(qtbot, window, "Never mind.")
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    assert window.stage_label.text() == "Stopping…"
    go.set()
    # Either the answer ends (the Stop was kept) or the model is left answering at "loading".
    qtbot.waitUntil(
        lambda: (
            window.chat_controller.generation is None
            or (backend.current is not None and backend.current.at == "loading")
        ),
        timeout=WAIT_MS,
    )
    running = backend.current
    assert running is None or running.cancel.cancelled, "the Stop pressed at once was dropped"
    wait_idle(qtbot, window)
    assert window.store.messages(window.conversation_id)[-1].state == "interrupted"
