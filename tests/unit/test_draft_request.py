"""``draft_request``: the request Send would make now, built without saving anything.

The eager prefill (issue 20) hands it to the backend when an image is attached; the backend
can only reuse that work if the real request continues it, so each case here builds the
draft, then really sends the same message through ``ChatSession`` and compares it with the
request the backend received.  Real SQLite; the scripted backend (gates open) records
each request (tests/helpers/fake_backend.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from backends.base import ChatRequest, GenerationFailed, GenerationOptions, ImageInput
from desktop_app.core.chat.session import ChatSession, draft_request
from desktop_app.core.images import normalize_image
from desktop_app.core.store.database import Store
from tests.helpers.fake_backend import MODEL, TEXT_MODEL, Script, ScriptedBackend
from tests.helpers.images import png_bytes

OPTIONS = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=2048)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "chats.sqlite3") as opened:
        yield opened


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend(gated=False)


def image(color: tuple[int, int, int], name: str) -> ImageInput:
    return normalize_image(png_bytes(color, size=(40, 30)), name=name)


def session(
    store: Store,
    backend: ScriptedBackend,
    conversation_id: int,
    *,
    model: str = MODEL,
    system_prompt: str | None = "",
    images_seen: bool = True,
) -> ChatSession:
    """As the window makes it (``ChatController._new_session``)."""
    return ChatSession(
        store,
        backend,
        conversation_id,
        model=model,
        options=OPTIONS,
        system_prompt=system_prompt,
        images_seen=images_seen,
    )


def sent(
    store: Store,
    backend: ScriptedBackend,
    conversation_id: int,
    text: str,
    images: Sequence[ImageInput],
    **kwargs: object,
) -> ChatRequest:
    """What the backend really receives when ``text`` and ``images`` are sent."""
    before = len(backend.requests)
    session(store, backend, conversation_id, **kwargs).send(text, images)  # type: ignore[arg-type]
    assert len(backend.requests) == before + 1
    return backend.requests[-1]


def test_a_new_chat_s_draft_is_its_first_request(store: Store, backend: ScriptedBackend) -> None:
    red = image((220, 20, 20), "red.png")
    draft = draft_request(
        store,
        None,
        model=MODEL,
        options=OPTIONS,
        system_prompt="",
        text="What is it?",
        images=[red],
    )
    conversation = store.create_conversation(model=MODEL, backend=backend.name)
    assert draft == sent(store, backend, conversation, "What is it?", [red])
    assert [m.role for m in draft.messages] == ["user"]
    assert draft.messages[0].images == (red,)
    assert store.messages(conversation)[0].text == "What is it?"  # only the send saved it


def test_a_draft_carries_the_history_and_its_images(store: Store, backend: ScriptedBackend) -> None:
    red, blue = image((220, 20, 20), "red.png"), image((20, 20, 220), "blue.png")
    conversation = store.create_conversation(model=MODEL, backend=backend.name)
    sent(store, backend, conversation, "First, this one.", [red])
    rows = len(store.messages(conversation))

    draft = draft_request(
        store,
        conversation,
        model=MODEL,
        options=OPTIONS,
        system_prompt="",
        text="",
        images=[blue],
    )
    assert len(store.messages(conversation)) == rows  # nothing saved by the draft
    real = sent(store, backend, conversation, "", [blue])
    assert draft == real
    assert [m.role for m in draft.messages] == ["user", "assistant", "user"]
    assert draft.images == (red, blue)


def test_a_draft_merges_its_turn_with_a_question_whose_answer_failed(
    store: Store, backend: ScriptedBackend
) -> None:
    red, green = image((220, 20, 20), "red.png"), image((20, 200, 20), "green.png")
    conversation = store.create_conversation(model=MODEL, backend=backend.name)
    backend.script(Script(fail=("first-token", GenerationFailed("The runtime crashed."))))
    sent(store, backend, conversation, "Look at this.", [red])
    assert store.messages(conversation)[-1].state == "error"

    draft = draft_request(
        store,
        conversation,
        model=MODEL,
        options=OPTIONS,
        system_prompt="",
        text="And this?",
        images=[green],
    )
    assert draft == sent(store, backend, conversation, "And this?", [green])
    # The error row is left out, and the two questions are one user turn (Gemma's rule).
    assert [m.role for m in draft.messages] == ["user"]
    assert draft.messages[0].text == "Look at this.\n\nAnd this?"
    assert draft.messages[0].images == (red, green)


def test_a_draft_starts_with_the_system_prompt(store: Store, backend: ScriptedBackend) -> None:
    red = image((220, 20, 20), "red.png")
    conversation = store.create_conversation(model=MODEL, backend=backend.name)
    sent(store, backend, conversation, "Hello.", [], system_prompt="Answer in one word.")

    # None: the prompt saved with the conversation, as a session given None uses.
    draft = draft_request(
        store,
        conversation,
        model=MODEL,
        options=OPTIONS,
        system_prompt=None,
        text="Colour?",
        images=[red],
    )
    assert draft == sent(store, backend, conversation, "Colour?", [red], system_prompt=None)
    assert draft.messages[0].role == "system"
    assert draft.messages[0].text == "Answer in one word."


def test_a_text_only_model_s_draft_has_notes_for_the_images(
    store: Store, backend: ScriptedBackend
) -> None:
    red = image((220, 20, 20), "red.png")
    conversation = store.create_conversation(model=MODEL, backend=backend.name)
    sent(store, backend, conversation, "What is this?", [red])

    draft = draft_request(
        store,
        conversation,
        model=TEXT_MODEL,
        options=OPTIONS,
        system_prompt="",
        images_seen=False,
        text="Say more.",
    )
    real = sent(store, backend, conversation, "Say more.", [], model=TEXT_MODEL, images_seen=False)
    assert draft == real
    assert draft.images == ()
    assert draft.messages[0].text == "[an image was here]\nWhat is this?"
