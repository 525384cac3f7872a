"""ChatSession with real llama.cpp: SmolLM2 for language, the tiny vision model for streams.

Every test uses a real SQLite file and a real model.  Two thin wrappers around the real
backend are used where the behaviour under test needs them: ``Recording`` keeps the requests
the session built (to check what reaches the model), ``FailingMidStream`` turns a real
stream into a runtime failure after some real chunks (fault injection: llama.cpp has no
reliable way to fail half-way through an answer on demand).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import (
    Backend,
    CancelToken,
    ChatRequest,
    Chunk,
    GenerationFailed,
    GenerationOptions,
    ImageInput,
    ModelInfo,
    TextDelta,
)
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.chat.session import ChatSession, SessionBusy, SessionCallbacks
from desktop_app.core.store.database import Store, StoredMessage

GREEDY = GenerationOptions(temperature=0.0, max_tokens=40, seed=1, num_ctx=2048)
LONG = GenerationOptions(temperature=0.7, max_tokens=1500, seed=3, num_ctx=2048, threads=1)


class Recording:
    """The real backend, remembering each request it was given."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.requests: list[ChatRequest] = []

    def list_models(self) -> list[ModelInfo]:
        return self.inner.list_models()

    def model_info(self, model_id: str) -> ModelInfo:
        return self.inner.model_info(model_id)

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        self.requests.append(request)
        return self.inner.stream_chat(request, cancel)

    def close(self) -> None:
        pass


class FailingMidStream(Recording):
    """Passes ``after`` real deltas through, then fails like a crashed runtime."""

    def __init__(self, inner: Backend, after: int, partial_text: str | None = None) -> None:
        super().__init__(inner)
        self.after = after
        self.partial_text = partial_text

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        received: list[str] = []
        stream = self.inner.stream_chat(request, cancel)
        try:
            for chunk in stream:
                if isinstance(chunk, TextDelta):
                    received.append(chunk.text)
                yield chunk
                if len(received) >= self.after:
                    partial = self.partial_text
                    raise GenerationFailed(
                        "llama.cpp failed while answering: simulated crash.",
                        partial_text="".join(received) if partial is None else partial,
                    )
        finally:
            stream.close()  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "chats.sqlite3") as opened:
        yield opened


@pytest.fixture
def smol(llama_backend: LlamaCppBackend) -> str:
    model = llama_backend.default_model_id()
    assert model is not None
    return model


@pytest.fixture
def vlm(llama_backend: LlamaCppBackend, tiny_vlm: tuple[Path, Path]) -> str:
    return llama_backend.register(*tiny_vlm).id


def db_rows(store: Store) -> list[tuple[str, str, str]]:
    """(role, state, text) of every message, read through a separate connection: only what
    is committed is visible there."""
    with sqlite3.connect(store.path) as conn:
        return conn.execute("SELECT role, state, text FROM messages ORDER BY id").fetchall()


# -- sending --------------------------------------------------------------------------------


def test_send_commits_the_question_first_and_the_answer_last(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=smol, options=GREEDY)
    events: list[str] = []
    seen_in_db: dict[str, list[tuple[str, str, str]]] = {}
    deltas: list[str] = []

    def on_user(message: StoredMessage) -> None:
        events.append("user")
        seen_in_db["user"] = db_rows(store)

    def on_started(message: StoredMessage) -> None:
        events.append("started")
        seen_in_db["started"] = db_rows(store)

    def on_finished(message: StoredMessage) -> None:
        events.append("finished")

    final = session.send(
        "What is the capital of France? Answer in one word.",
        callbacks=SessionCallbacks(on_user, on_started, deltas.append, on_finished),
    )
    assert events == ["user", "started", "finished"]
    assert seen_in_db["user"] == [
        ("user", "complete", "What is the capital of France? Answer in one word.")
    ]
    assert seen_in_db["started"][-1] == ("assistant", "streaming", "")
    assert final.state == "complete" and final.error is None
    assert final.text == "".join(deltas) and "Paris" in final.text
    assert final.stats is not None and final.stats.completion_tokens > 0
    assert store.messages(conversation)[-1] == final
    summary = store.conversation(conversation)
    assert (summary.model, summary.backend, summary.message_count) == (smol, "llama-cpp", 2)
    assert summary.title == "What is the capital of France? Answer in one word."
    assert not session.busy


def test_history_reaches_the_model(store: Store, llama_backend: LlamaCppBackend, smol: str) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=smol, options=GREEDY)
    session.send("Hello! My name is Zorblax.")
    answer = session.send("What is my name?")
    assert "Zorblax" in answer.text
    # Control: the same question in a fresh conversation does not know the name.
    fresh = ChatSession(
        store, llama_backend, store.create_conversation(), model=smol, options=GREEDY
    )
    assert "Zorblax" not in fresh.send("What is my name?").text


def test_request_is_built_from_stored_history(
    store: Store, llama_backend: LlamaCppBackend, vlm: str, red_image: ImageInput
) -> None:
    recording = Recording(llama_backend)
    conversation = store.create_conversation(system_prompt="You describe pictures.")
    session = ChatSession(
        store, recording, conversation, model=vlm, options=GenerationOptions(max_tokens=4)
    )
    session.send("First look", [red_image])
    # An error row and two user turns in a row, as after a failed answer.
    store.add_message(conversation, "assistant", "", state="error")
    store.add_message(conversation, "user", "Are you there?")
    session.send("Again", [red_image])
    request = recording.requests[-1]
    assert request.model == vlm and request.options == GenerationOptions(max_tokens=4)
    roles = [m.role for m in request.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert request.messages[0].text == "You describe pictures."
    assert request.messages[1].images == (red_image,)  # re-read from the store, identical
    assert request.messages[3].text == "Are you there?\n\nAgain"
    assert request.messages[3].images == (red_image,)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 1


def test_saved_settings_are_used_when_none_are_given(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    recording = Recording(llama_backend)
    options = GenerationOptions(max_tokens=3, temperature=0.0, seed=9)
    conversation = store.create_conversation(system_prompt="Saved prompt", options=options)
    ChatSession(store, recording, conversation, model=vlm).send("hi")
    assert recording.requests[-1].options == options
    assert recording.requests[-1].messages[0].text == "Saved prompt"
    # Given settings win and are saved with the conversation.
    override = GenerationOptions(max_tokens=2)
    ChatSession(
        store, recording, conversation, model=vlm, options=override, system_prompt="New"
    ).send("again")
    assert recording.requests[-1].options == override
    assert store.conversation_settings(conversation) == ("New", override)


# -- regenerate, edit, retry ----------------------------------------------------------------


def test_regenerate_replaces_the_last_answer(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=smol, options=GREEDY)
    first = session.send("Name a colour.")
    again = session.regenerate()
    messages = store.messages(conversation)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[-1] == again and again.id != first.id and again.state == "complete"
    assert again.text == first.text  # greedy: the same history gives the same answer


def test_edit_and_resend_keeps_the_images_and_the_old_branch(
    store: Store, llama_backend: LlamaCppBackend, vlm: str, red_image: ImageInput
) -> None:
    recording = Recording(llama_backend)
    conversation = store.create_conversation()
    session = ChatSession(
        store, recording, conversation, model=vlm, options=GenerationOptions(max_tokens=4)
    )
    session.send("What is this?", [red_image])
    first_question = store.messages(conversation)[0]
    session.send("And the second question?")
    edited_seen: list[StoredMessage] = []
    answer = session.edit_and_resend(
        first_question.id,
        "What colour is this?",
        SessionCallbacks(on_user_message=edited_seen.append),
    )
    messages = store.messages(conversation)
    assert [m.id for m in messages] == [messages[0].id, answer.id]
    assert messages[0].versions == (first_question.id, messages[0].id)  # a new version
    assert messages[0].text == "What colour is this?"
    assert messages[0].images == first_question.images
    assert edited_seen == [messages[0]]
    last = recording.requests[-1]
    assert [m.text for m in last.messages] == ["What colour is this?"]
    assert last.messages[0].images == (red_image,)
    with pytest.raises(ValueError):
        session.edit_and_resend(answer.id, "answers cannot be edited")


def test_retry_after_an_interrupted_answer(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=vlm, options=LONG)

    def stop_soon(_text: str) -> None:
        session.stop()

    stopped = session.send("Go", callbacks=SessionCallbacks(on_delta=stop_soon))
    assert stopped.state == "interrupted"
    session_short = ChatSession(
        store, llama_backend, conversation, model=vlm, options=GenerationOptions(max_tokens=5)
    )
    retried = session_short.retry()
    assert retried.state == "complete"
    assert [m.role for m in store.messages(conversation)] == ["user", "assistant"]
    assert retried.versions == (stopped.id, retried.id)  # the stopped answer is kept


def test_regenerate_twice_keeps_three_versions(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    """Regenerate keeps what it replaces (issue 17, versions): three answers, each shown
    again on request, and the model is asked only the visible branch."""
    recording = Recording(llama_backend)
    conversation = store.create_conversation()

    def session(tokens: int) -> ChatSession:
        options = GenerationOptions(temperature=0.0, max_tokens=tokens, seed=1, num_ctx=2048)
        return ChatSession(store, recording, conversation, model=smol, options=options)

    first = session(3).send("Write a long story about a cat.")
    second = session(6).regenerate()
    third = session(9).regenerate()
    assert len({first.text, second.text, third.text}) == 3
    assert third.versions == (first.id, second.id, third.id)
    assert [m.role for m in recording.requests[-1].messages] == ["user"]  # no old answers
    store.show_version(first.id)
    shown = store.messages(conversation)
    assert [m.text for m in shown] == ["Write a long story about a cat.", first.text]
    assert shown[1].version_index == 0 and len(shown[1].versions) == 3
    # A follow-up goes on from the version shown, and only that branch reaches the model.
    session(3).send("Shorter please.")
    sent = recording.requests[-1].messages
    assert [m.text for m in sent] == [
        "Write a long story about a cat.",
        first.text,
        "Shorter please.",
    ]


def test_edit_makes_a_branch_and_the_old_one_stays_reachable(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=smol, options=GREEDY)
    first_answer = session.send("Hello! My name is Zorblax.")
    follow_up = session.send("What is my name?")
    original = store.messages(conversation)[0]
    edited_answer = session.edit_and_resend(original.id, "Hello! My name is Quentin.")
    shown = store.messages(conversation)
    assert [m.text for m in shown] == ["Hello! My name is Quentin.", edited_answer.text]
    assert shown[0].versions == (original.id, shown[0].id)
    store.show_version(original.id)
    back = store.messages(conversation)
    assert [m.id for m in back] == [original.id, first_answer.id, back[2].id, follow_up.id]
    assert back[3].text == follow_up.text and "Zorblax" in follow_up.text


def test_continue_extends_an_answer_cut_by_the_token_limit(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    """Defect 4: an answer cut at the limit says so (kept in the store) and Continue makes
    the same row longer, the model going on from its last word."""
    recording = Recording(llama_backend)
    conversation = store.create_conversation()
    options = GenerationOptions(
        temperature=0.0, max_tokens=8, seed=1, num_ctx=2048, repeat_penalty=1.0
    )
    session = ChatSession(store, recording, conversation, model=smol, options=options)
    cut = session.send("Write a long story about a cat.")
    assert cut.cut_by_limit and cut.token_limit == 8
    started: list[StoredMessage] = []
    deltas: list[str] = []
    longer = session.continue_answer(
        cut.id, SessionCallbacks(on_assistant_started=started.append, on_delta=deltas.append)
    )
    assert longer.id == cut.id and started[0].text == cut.text
    assert longer.text.startswith(cut.text) and len(longer.text) > len(cut.text)
    assert longer.text == cut.text + "".join(deltas)
    assert recording.requests[-1].continue_last
    assert recording.requests[-1].messages[-1].text == cut.text
    assert longer.stats is not None and cut.stats is not None
    assert longer.stats.completion_tokens == cut.stats.completion_tokens + 8
    assert [m.id for m in store.messages(conversation)][1:] == [cut.id]
    # The model went on with the same answer: greedy, 8 + 8 tokens read as one 16-token
    # answer (no repeat penalty: it counts only the tokens generated in one go).
    whole = ChatSession(
        store,
        llama_backend,
        store.create_conversation(),
        model=smol,
        options=GenerationOptions(
            temperature=0.0, max_tokens=16, seed=1, num_ctx=2048, repeat_penalty=1.0
        ),
    ).send("Write a long story about a cat.")
    assert longer.text == whole.text


def test_a_failure_while_continuing_keeps_the_start_and_what_was_added(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    conversation = store.create_conversation()
    options = GenerationOptions(temperature=0.0, max_tokens=8, seed=1, num_ctx=2048)
    cut = ChatSession(store, llama_backend, conversation, model=smol, options=options).send(
        "Write a long story about a cat."
    )
    failing = FailingMidStream(llama_backend, after=2)
    session = ChatSession(store, failing, conversation, model=smol, options=options)
    deltas: list[str] = []
    failed = session.continue_answer(cut.id, SessionCallbacks(on_delta=deltas.append))
    assert failed.id == cut.id and failed.state == "error"
    assert failed.text == cut.text + "".join(deltas) and len(deltas) == 2
    # Regenerate after it still keeps the cut answer's row as a version.
    again = ChatSession(store, llama_backend, conversation, model=smol, options=options)
    assert again.regenerate().versions == (cut.id, store.messages(conversation)[-1].id)


def test_continue_refuses_anything_but_the_last_answer(
    store: Store, llama_backend: LlamaCppBackend, smol: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=smol, options=GREEDY)
    first = session.send("Hello!")
    session.send("Name a colour.")
    with pytest.raises(Exception, match="Only the last answer"):
        session.continue_answer(first.id)
    question = store.messages(conversation)[0]
    with pytest.raises(Exception, match="Only the last answer"):
        session.continue_answer(question.id)


def test_regenerate_with_nothing_to_answer(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    session = ChatSession(store, llama_backend, store.create_conversation(), model=vlm)
    with pytest.raises(Exception, match="nothing to answer"):
        session.regenerate()


# -- stop, busy, flush ----------------------------------------------------------------------


def test_stop_from_another_thread_keeps_the_partial_answer(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=vlm, options=LONG)
    deltas: list[str] = []
    twenty = threading.Event()

    def on_delta(text: str) -> None:
        deltas.append(text)
        if len(deltas) == 20:
            twenty.set()

    stopper = threading.Thread(target=lambda: (twenty.wait(60), session.stop()))
    stopper.start()
    final = session.send("Tell me everything.", callbacks=SessionCallbacks(on_delta=on_delta))
    stopper.join()
    assert final.state == "interrupted" and final.error is None
    assert final.text == "".join(deltas) and len(deltas) >= 20
    assert len(deltas) < LONG.max_tokens  # it stopped long before the limit
    assert store.message(final.id).state == "interrupted"
    assert not session.busy
    # The backend is free again: the next answer runs normally.
    short = ChatSession(
        store, llama_backend, conversation, model=vlm, options=GenerationOptions(max_tokens=3)
    )
    assert short.send("Shorter, please.").state == "complete"


def test_a_second_send_while_busy_is_refused(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=vlm, options=LONG)
    refusals: list[BaseException] = []

    def on_delta(_text: str) -> None:
        if not refusals:
            assert session.busy
            other = threading.Thread(target=lambda: _try_send(session, refusals))
            other.start()
            other.join()
            session.stop()

    session.send("Long answer please", callbacks=SessionCallbacks(on_delta=on_delta))
    assert len(refusals) == 1 and isinstance(refusals[0], SessionBusy)
    assert "still answering" in str(refusals[0])
    assert [m.text for m in store.messages(conversation) if m.role == "user"] == [
        "Long answer please"
    ]


def _try_send(session: ChatSession, refusals: list[BaseException]) -> None:
    try:
        session.send("interrupting")
    except SessionBusy as error:
        refusals.append(error)


def test_streaming_text_is_flushed_while_it_streams(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(
        store, llama_backend, conversation, model=vlm, options=LONG, flush_interval_s=0.05
    )
    streamed: list[str] = []
    saved_lengths: list[int] = []

    def on_delta(text: str) -> None:
        streamed.append(text)
        # The fast path streams 400 tiny-model tokens in about two flush intervals; a
        # millisecond per token (a window repaints slower) lets several flushes land.
        time.sleep(0.001)
        if len(streamed) % 25 == 0:
            row = db_rows(store)[-1]
            assert row[1] == "streaming"
            assert "".join(streamed).startswith(row[2])  # a prefix of what was received
            saved_lengths.append(len(row[2]))
        if len(streamed) == 400:
            session.stop()

    session.send("Stream for a while", callbacks=SessionCallbacks(on_delta=on_delta))
    assert saved_lengths[-1] > 0
    assert len(set(saved_lengths)) > 3  # the saved text kept growing during the stream


def test_flush_interval_must_keep_the_promise(store: Store, llama_backend: LlamaCppBackend) -> None:
    with pytest.raises(ValueError):
        ChatSession(store, llama_backend, 1, model="m", flush_interval_s=2.0)


# -- failures -------------------------------------------------------------------------------


def test_text_only_model_with_an_image_records_the_error_after_saving_the_question(
    store: Store,
    llama_backend: LlamaCppBackend,
    tiny_text_model: Path,
    red_image: ImageInput,
) -> None:
    model = llama_backend.register(tiny_text_model).id
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=model)
    finished: list[StoredMessage] = []
    final = session.send(
        "Describe this picture", [red_image], SessionCallbacks(on_finished=finished.append)
    )
    assert final.state == "error" and final.text == ""
    assert final.error is not None and "cannot see images" in final.error
    assert finished == [final]
    user, assistant = store.messages(conversation)
    assert (user.text, user.state, len(user.images)) == ("Describe this picture", "complete", 1)
    assert assistant == final


def test_an_image_chat_goes_on_with_a_text_only_model_without_its_images(
    store: Store, llama_backend: LlamaCppBackend, vlm: str, smol: str, red_image: ImageInput
) -> None:
    """Defect 5: after a switch to a text-only model, a follow-up in a chat with images
    failed "cannot see images" every time, Retry too.  Going on without the images: they
    are left out of what the model reads, a note stands where they were, and they stay in
    the store for a vision model."""
    recording = Recording(llama_backend)
    conversation = store.create_conversation()
    ChatSession(store, recording, conversation, model=vlm, options=GREEDY).send(
        "What is this?", [red_image]
    )
    as_before = ChatSession(store, recording, conversation, model=smol, options=GREEDY)
    refused = as_before.send("Tell me about red things.")
    assert refused.state == "error" and "cannot see images" in (refused.error or "")

    text_only = ChatSession(
        store, recording, conversation, model=smol, options=GREEDY, images_seen=False
    )
    retried = text_only.retry()
    assert retried.state == "complete" and retried.text
    sent = recording.requests[-1].messages
    assert recording.requests[-1].images == ()
    assert sent[0].text == "[an image was here]\nWhat is this?"
    assert sent[-1].text == "Tell me about red things."
    assert store.messages(conversation)[0].images[0].sha256 == red_image.sha256
    # Back with the vision model, the image is seen again.
    ChatSession(store, recording, conversation, model=vlm, options=GREEDY).send("And now?")
    assert recording.requests[-1].messages[0].images == (red_image,)


def test_context_overflow_is_recorded_and_the_question_kept(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(
        store, llama_backend, conversation, model=vlm, options=GenerationOptions(num_ctx=256)
    )
    question = "word " * 2000
    final = session.send(question)
    assert final.state == "error" and final.error and "context" in final.error.lower()
    assert store.messages(conversation)[0].text == question


@pytest.mark.parametrize("partial_from_error", [False, True])
def test_backend_error_mid_stream_keeps_the_partial_text(
    store: Store, llama_backend: LlamaCppBackend, vlm: str, partial_from_error: bool
) -> None:
    conversation = store.create_conversation()
    extra = "…and more the runtime had buffered"
    backend = FailingMidStream(llama_backend, after=10)
    if partial_from_error:
        backend.partial_text = None  # set below, once the received text is known
    deltas: list[str] = []

    def on_delta(text: str) -> None:
        deltas.append(text)
        if partial_from_error and len(deltas) == 10:
            backend.partial_text = "".join(deltas) + extra

    session = ChatSession(store, backend, conversation, model=vlm, options=LONG)
    final = session.send("Go on", callbacks=SessionCallbacks(on_delta=on_delta))
    assert final.state == "error" and final.error and "simulated crash" in final.error
    expected = "".join(deltas) + (extra if partial_from_error else "")
    assert final.text == expected and store.message(final.id).text == expected
    assert not session.busy
    # Retry replaces the failed answer.
    retry = ChatSession(
        store, llama_backend, conversation, model=vlm, options=GenerationOptions(max_tokens=3)
    ).retry()
    assert retry.state == "complete"
    assert [m.state for m in store.messages(conversation)] == ["complete", "complete"]


def test_a_failing_callback_is_recorded_and_raised(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=vlm, options=LONG)
    deltas: list[str] = []

    def on_delta(text: str) -> None:
        deltas.append(text)
        if len(deltas) == 5:
            raise RuntimeError("the window went away")

    with pytest.raises(RuntimeError, match="went away"):
        session.send("Hello", callbacks=SessionCallbacks(on_delta=on_delta))
    answer = store.messages(conversation)[-1]
    assert answer.state == "error" and answer.text == "".join(deltas)
    assert answer.error and "went away" in answer.error
    assert not session.busy
    # The backend's stream was closed: it answers again at once.
    short = ChatSession(
        store, llama_backend, conversation, model=vlm, options=GenerationOptions(max_tokens=3)
    )
    assert short.send("Again?").state == "complete"


def test_ctrl_c_marks_the_answer_interrupted(
    store: Store, llama_backend: LlamaCppBackend, vlm: str
) -> None:
    conversation = store.create_conversation()
    session = ChatSession(store, llama_backend, conversation, model=vlm, options=LONG)
    deltas: list[str] = []

    def on_delta(text: str) -> None:
        deltas.append(text)
        if len(deltas) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.send("Hello", callbacks=SessionCallbacks(on_delta=on_delta))
    answer = store.messages(conversation)[-1]
    assert (answer.state, answer.text, answer.error) == ("interrupted", "".join(deltas), None)
