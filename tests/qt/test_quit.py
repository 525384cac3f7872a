"""Quitting is immediate and loses nothing (issue 17, defect 9).

The window stayed on screen, frozen on "Writing…", for 3.5-4.3 s while the close stopped
the answer, the engine and the history.  Now it leaves the screen first.  Nothing here is
timed: the tests assert the order of things and what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.core.settings import AppPaths
from desktop_app.core.store.database import Store
from tests.helpers.fake_backend import ScriptedBackend
from tests.helpers.window_fixtures import open_window
from tests.qt.test_window_races import advance_to, start_answer

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    backend = ScriptedBackend()
    yield backend
    for call in backend.calls:
        call.finish()


def test_the_window_leaves_the_screen_before_anything_is_waited_for(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, paths, backend)
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    advance_to(qtbot, window, call, "after-2")
    seen: list[tuple[str, bool]] = []
    runner_wait = window.runner.wait
    store_close = window.store.close

    def wait(timeout: float | None = None) -> None:
        seen.append(("wait for the answer", window.isVisible()))
        runner_wait(timeout)

    def close_store() -> None:
        seen.append(("close the history", window.isVisible()))
        store_close()

    monkeypatch.setattr(window.runner, "wait", wait)
    monkeypatch.setattr(window.store, "close", close_store)
    monkeypatch.setattr(
        backend, "close", lambda: seen.append(("close the backend", window.isVisible()))
    )
    window.close()
    assert [what for what, _ in seen] == [
        "wait for the answer",
        "close the backend",
        "close the history",
    ]
    assert not any(visible for _, visible in seen)


def test_an_answer_streaming_at_quit_is_kept(
    qtbot: Any, paths: AppPaths, backend: ScriptedBackend
) -> None:
    window = open_window(qtbot, paths, backend)
    call = start_answer(qtbot, window, backend, "Talk for a while.")
    conversation = window.conversation_id
    advance_to(qtbot, window, call, "after-2")
    window.close()
    assert call.outcome == "cancelled"
    store = Store.open(paths.database_path)
    try:
        question, answer = store.messages(conversation)
        assert question.text == "Talk for a while."
        assert (answer.state, answer.text) == ("interrupted", "Alpha beta")
        assert store.interrupted_count == 0  # saved by the close, not recovered after a crash
    finally:
        store.close()


class _Exited(Exception):
    pass
