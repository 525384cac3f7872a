"""A conversation in progress: history in, one generation at a time, everything persisted.

The window (from a worker thread) and ``localsight ask --save`` both drive a
:class:`ChatSession`, so the durability rules live here once (docs/failures.md, item 5):

1. The user's message is committed **before** the backend is asked anything.
2. A ``streaming`` assistant row exists before the first token; its text is flushed at least
   every ``flush_interval_s`` (0.5 s by default, never more than 1 s) while tokens arrive,
   so a crash loses at most that much of an answer, and at startup the store marks it
   ``interrupted`` with its text.
3. Every way a generation ends writes a final state: ``complete``; ``interrupted`` after
   :meth:`ChatSession.stop` (or Ctrl+C in the CLI), text kept; ``error`` with the error's
   sentence and whatever text had arrived.  A backend that refuses the request up front (a
   text-only model given an image) still finds the user's message saved, and the refusal is
   recorded on the assistant row, so the user's words are never lost.

Progress is reported through plain callbacks (:class:`SessionCallbacks`) called on the
thread that runs the generation; the window relays them to the GUI thread as signals.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from backends.base import (
    Backend,
    BackendError,
    CancelToken,
    ChatRequest,
    Chunk,
    Done,
    GenerationOptions,
    ImageInput,
    Message,
    Role,
    Stats,
    TextDelta,
)
from backends.messages import message, sentence_of
from desktop_app.core.store.database import Store, StoredMessage

__all__ = [
    "MAX_FLUSH_INTERVAL_S",
    "ChatSession",
    "SessionBusy",
    "SessionCallbacks",
    "draft_request",
    "request_messages",
    "resolved_settings",
]

#: The promise made to the user: never more than this much of a streamed answer at risk.
MAX_FLUSH_INTERVAL_S: Final = 1.0


class SessionBusy(RuntimeError):
    """A second generation was asked for while one is running."""


@dataclass
class SessionCallbacks:
    """Optional hooks, all called on the thread running the generation."""

    on_user_message: Callable[[StoredMessage], None] | None = None
    #: The assistant's 'streaming' row exists (its id is where the answer will be saved).
    on_assistant_started: Callable[[StoredMessage], None] | None = None
    on_delta: Callable[[str], None] | None = None
    #: The final row: complete, interrupted (stopped) or error.
    on_finished: Callable[[StoredMessage], None] | None = None
    #: Something the person should know about how the answer came about (``Done.notice``,
    #: e.g. the engine switched CPU variant); called before ``on_finished``.
    on_notice: Callable[[str], None] | None = None


_NO_CALLBACKS: Final = SessionCallbacks()
_T = TypeVar("_T")


class ChatSession:
    """Sends turns of one stored conversation to one backend and model."""

    def __init__(
        self,
        store: Store,
        backend: Backend,
        conversation_id: int,
        *,
        model: str,
        options: GenerationOptions | None = None,
        system_prompt: str | None = None,
        flush_interval_s: float = 0.5,
        images_seen: bool = True,
    ) -> None:
        """``options`` / ``system_prompt`` of None mean "what the conversation has saved".

        Given values are saved to the conversation with the next answer, so reopening it
        later continues with the same settings.  ``images_seen=False``: the model is
        text-only and the person chose to go on without the chat's images; they are left
        out of what it reads, each replaced by a short note so the model knows something
        was there (issue 17: otherwise every follow-up in an image chat failed).
        """
        if not 0.0 <= flush_interval_s <= MAX_FLUSH_INTERVAL_S:
            raise ValueError(
                f"flush_interval_s must be between 0 and {MAX_FLUSH_INTERVAL_S} seconds"
            )
        self.store = store
        self.backend = backend
        self.conversation_id = conversation_id
        self.model = model
        self.flush_interval_s = flush_interval_s
        self._options = options
        self._system_prompt = system_prompt
        self.images_seen = images_seen
        self._running = threading.Lock()
        self._cancel_guard = threading.Lock()
        self._cancel: CancelToken | None = None
        self._stop_pending = False  # stop() came before the generation started

    # -- public operations ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a generation (or the save before it) is running."""
        return self._running.locked()

    def send(
        self,
        text: str,
        images: Sequence[ImageInput] = (),
        callbacks: SessionCallbacks | None = None,
    ) -> StoredMessage:
        """Save the user's message, then answer it; blocks, returns the final assistant row."""
        hooks = callbacks or _NO_CALLBACKS
        with self._exclusive() as cancel:
            user = self.store.add_message(self.conversation_id, "user", text, images)
            _call(hooks.on_user_message, user)
            return self._answer(cancel, hooks, self.store.messages(self.conversation_id))

    def regenerate(self, callbacks: SessionCallbacks | None = None) -> StoredMessage:
        """A new version of the last answer, asked from the history before it.

        The answer it replaces is kept as an earlier version (``StoredMessage.versions``;
        ``Store.show_version`` shows it again): nothing is lost.  When the visible branch
        ends with a question (its answer never got saved), this answers it.
        """
        hooks = callbacks or _NO_CALLBACKS
        with self._exclusive() as cancel:
            history = self.store.messages(self.conversation_id)
            if not any(m.role == "user" for m in history):
                raise BackendError(message("There is nothing to answer yet: send a message first."))
            last = history[-1]
            if last.role == "assistant":
                return self._answer(cancel, hooks, history[:-1], version_of=last.id)
            return self._answer(cancel, hooks, history)

    def retry(self, callbacks: SessionCallbacks | None = None) -> StoredMessage:
        """After an error or an interrupted answer: ask again (the same as regenerate)."""
        return self.regenerate(callbacks)

    def edit_and_resend(
        self,
        message_id: int,
        text: str,
        callbacks: SessionCallbacks | None = None,
        images: Sequence[ImageInput] | None = None,
    ) -> StoredMessage:
        """A new version of a user message, answered again; the old one and the answers that
        followed it stay as an earlier branch.

        ``images``: the edited message's images (None: the same as before).  The new version
        is one row written in one transaction with its images, so a crash leaves either the
        old branch or the new message, never neither.
        """
        hooks = callbacks or _NO_CALLBACKS
        with self._exclusive() as cancel:
            edited = self.store.message(message_id)
            if edited.conversation_id != self.conversation_id or edited.role != "user":
                raise ValueError(
                    message("Only your own messages in this conversation can be edited.")
                )
            if images is None:
                images = [self.store.image(image.sha256) for image in edited.images]
            user = self.store.add_message(
                self.conversation_id, "user", text, images, version_of=message_id
            )
            _call(hooks.on_user_message, user)
            return self._answer(cancel, hooks, self.store.messages(self.conversation_id))

    def continue_answer(
        self, message_id: int, callbacks: SessionCallbacks | None = None
    ) -> StoredMessage:
        """Extend the last answer (cut by the token limit, or stopped) in place.

        The same row grows: the model is given the conversation with this answer as its last,
        unfinished turn and goes on from its last word; the stored text is the old text plus
        what it adds, and the stats add up.  ``on_assistant_started`` gets the row (its text
        so far), ``on_delta`` only the new text.
        """
        hooks = callbacks or _NO_CALLBACKS
        with self._exclusive() as cancel:
            history = self.store.messages(self.conversation_id)
            last = history[-1] if history else None
            if (
                last is None
                or last.id != message_id
                or last.role != "assistant"
                or last.state not in ("complete", "interrupted")
                or not last.text.strip()
            ):
                raise BackendError(
                    message("Only the last answer of the chat can be continued, once it has text.")
                )
            return self._answer(cancel, hooks, history, continuing=last)

    def stop(self) -> None:
        """Ask the generation to stop; safe from any thread. The partial answer is kept as
        'interrupted'.  A Stop that comes before the generation has started (the worker
        thread is on its way) stops the next one as soon as it starts: it is the one the
        person meant, and the window makes a session per generation."""
        with self._cancel_guard:
            if self._cancel is not None:
                self._cancel.cancel()
            else:
                self._stop_pending = True

    # -- the generation -------------------------------------------------------------------

    def _exclusive(self) -> _Exclusive:
        return _Exclusive(self)

    def _answer(
        self,
        cancel: CancelToken,
        hooks: SessionCallbacks,
        history: Sequence[StoredMessage],
        *,
        version_of: int | None = None,
        continuing: StoredMessage | None = None,
    ) -> StoredMessage:
        """Create the streaming row (or reopen ``continuing``), run the backend, and always
        write a final state.  ``history``: the visible branch the model answers."""
        system_prompt, options = self._settings()
        self.store.update_conversation(
            self.conversation_id,
            model=self.model,
            backend=self.backend.name,
            system_prompt=... if self._system_prompt is None else self._system_prompt,
            options=... if self._options is None else self._options,
        )
        prefix = ""
        if continuing is not None:
            prefix = continuing.text
            self.store.update_message(continuing.id, state="streaming")
            row = self.store.message(continuing.id)
        else:
            row = self.store.add_message(
                self.conversation_id, "assistant", "", state="streaming", version_of=version_of
            )
        _call(hooks.on_assistant_started, row)
        received: list[str] = [prefix] if prefix else []
        state, stats, error = "complete", None, None
        reason: str | None = None
        flushed_at = time.monotonic()
        try:
            request = ChatRequest(
                self.model,
                self._request_messages(history, system_prompt),
                options,
                continue_last=continuing is not None,
            )
            # closing(): on stop, an error or Ctrl+C the backend's stream is closed at once,
            # which frees the runtime for the next request instead of when gc gets to it.
            with contextlib.closing(self._stream(request, cancel)) as chunks:
                for chunk in chunks:
                    if isinstance(chunk, TextDelta):
                        received.append(chunk.text)
                        _call(hooks.on_delta, chunk.text)
                        now = time.monotonic()
                        if now - flushed_at >= self.flush_interval_s:
                            self.store.update_message(row.id, text="".join(received))
                            flushed_at = now
                    elif isinstance(chunk, Done):
                        stats = chunk.stats
                        reason = chunk.reason
                        if chunk.notice:
                            _call(hooks.on_notice, chunk.notice)
                        if chunk.reason == "cancelled":
                            state = "interrupted"
                    if cancel.cancelled:
                        state = "interrupted"
                        break
        except BackendError as failure:
            # A runtime aborted by stop() may raise; that is still a stop, not a failure.
            state, error = (
                ("interrupted", None) if cancel.cancelled else ("error", sentence_of(failure))
            )
            # The backend's partial text is what it added (a continued answer's start is
            # not in it): the longer of it and what arrived, after that start.
            if len(failure.partial_text) > len("".join(received)) - len(prefix):
                received = [prefix, failure.partial_text]
        except BaseException as failure:
            # Ctrl+C in the CLI, a failing callback, a full disk during a flush: save what
            # arrived (best effort: the disk may be the problem), then let the error rise.
            crashed = "interrupted" if isinstance(failure, KeyboardInterrupt) else "error"
            self._finish_quietly(row.id, "".join(received), crashed, stats, failure)
            raise
        if continuing is not None:
            stats = _added(continuing.stats, stats)
        limited = reason == "length" and state == "complete"
        self.store.update_message(
            row.id,
            text="".join(received),
            state=state,
            stats=stats,
            error=error,
            finish_reason=reason,
            token_limit=options.max_tokens if limited and options.max_tokens else None,
        )
        final = self.store.message(row.id)
        _call(hooks.on_finished, final)
        return final

    def _stream(self, request: ChatRequest, cancel: CancelToken) -> Generator[Chunk, None, None]:
        """The backend's chunks. ``stream_chat`` is called on the first ``next()``, inside the
        caller's error handling, so a request refused up front is recorded like any error."""
        stream = self.backend.stream_chat(request, cancel)
        try:
            yield from stream
        finally:
            close = getattr(stream, "close", None)
            if callable(close):
                close()

    def _finish_quietly(
        self, message_id: int, text: str, state: str, stats: Stats | None, failure: BaseException
    ) -> None:
        error = (
            None
            if state == "interrupted"
            else message("{kind}: {error}", kind=type(failure).__name__, error=sentence_of(failure))
        )
        # The original failure is the one to report. If this write fails too, the row stays
        # 'streaming' and becomes 'interrupted' (text up to the last flush) at the next start.
        with contextlib.suppress(Exception):
            self.store.update_message(message_id, text=text, state=state, stats=stats, error=error)

    def _settings(self) -> tuple[str | None, GenerationOptions]:
        return resolved_settings(
            self.store, self.conversation_id, self._system_prompt, self._options
        )

    def _request_messages(
        self, history: Sequence[StoredMessage], system_prompt: str | None
    ) -> tuple[Message, ...]:
        return request_messages(self.store, history, system_prompt, images_seen=self.images_seen)


def resolved_settings(
    store: Store,
    conversation_id: int | None,
    system_prompt: str | None,
    options: GenerationOptions | None,
) -> tuple[str | None, GenerationOptions]:
    """The system prompt and options an answer is made with: those given, else the
    conversation's saved ones (a new chat, ``conversation_id`` None, has none), else the
    defaults."""
    stored_prompt, stored_options = (
        store.conversation_settings(conversation_id)
        if conversation_id is not None
        else (None, None)
    )
    prompt = system_prompt if system_prompt is not None else stored_prompt
    return prompt, options or stored_options or GenerationOptions()


def request_messages(
    store: Store,
    history: Sequence[StoredMessage],
    system_prompt: str | None,
    *,
    images_seen: bool = True,
    new_turn: tuple[str, Sequence[ImageInput]] | None = None,
) -> tuple[Message, ...]:
    """The conversation as the model should see it.

    System prompt first; user turns with their images re-read from the store; assistant
    turns that produced text (complete or interrupted: the user saw them).  Error rows
    are left out, and consecutive turns of one role are merged, because many chat
    templates (Gemma's among them) refuse two user turns in a row.  ``new_turn``: a user
    turn not saved yet, (text, images), after the history (the draft an eager prefill
    reads, :func:`draft_request`).  ``images_seen=False``: a text-only model; each image
    is replaced by a short note.
    """
    turns: list[tuple[Role, list[str], list[ImageInput]]] = []

    def add(role: Role, text: str, images: Sequence[ImageInput]) -> None:
        if turns and turns[-1][0] == role:
            turns[-1][1].append(text)
            turns[-1][2].extend(images)
        else:
            turns.append((role, [text], list(images)))

    def add_user(text: str, count: int, images: Sequence[ImageInput]) -> None:
        if images_seen:
            add("user", text, images)
        else:
            add("user", _left_out(count, text), [])

    if system_prompt and system_prompt.strip():
        turns.append(("system", [system_prompt], []))
    for stored in history:
        if stored.role == "user":
            read = [store.image(i.sha256) for i in stored.images] if images_seen else []
            add_user(stored.text, len(stored.images), read)
        elif stored.role == "assistant":
            if stored.state in ("error", "streaming") or not stored.text.strip():
                continue
            add("assistant", stored.text, [])
        else:
            add("system", stored.text, [])
    if new_turn is not None:
        text, images = new_turn
        add_user(text, len(images), images)
    return tuple(
        Message(role, "\n\n".join(t for t in texts if t), tuple(images))
        for role, texts, images in turns
    )


def draft_request(
    store: Store,
    conversation_id: int | None,
    *,
    model: str,
    options: GenerationOptions | None = None,
    system_prompt: str | None = None,
    images_seen: bool = True,
    text: str = "",
    images: Sequence[ImageInput] = (),
) -> ChatRequest:
    """The request :meth:`ChatSession.send` would make now for this draft, without saving it.

    The arguments are those the session would be made with (``conversation_id`` None: a
    new chat, no history yet) and those of ``send``.  The window hands it to an eager
    prefill (``SupportsPrefill``, issue 20) when an image is attached, so the model reads
    the conversation and the images while the person types; it is built by the same
    code as the real request, so the backend can tell the two continue each other.
    Reads the store (the history's images): call it off the GUI thread.
    """
    prompt, resolved = resolved_settings(store, conversation_id, system_prompt, options)
    history = store.messages(conversation_id) if conversation_id is not None else []
    messages = request_messages(
        store, history, prompt, images_seen=images_seen, new_turn=(text, tuple(images))
    )
    return ChatRequest(model, messages, resolved)


class _Exclusive:
    """``with`` block holding the session's one-generation lock and a fresh CancelToken."""

    def __init__(self, session: ChatSession) -> None:
        self._session = session

    def __enter__(self) -> CancelToken:
        session = self._session
        if not session._running.acquire(blocking=False):
            raise SessionBusy(
                message(
                    "LocalSight is still answering in this conversation. Stop the answer or "
                    "wait for it to finish, then send again."
                )
            )
        cancel = CancelToken()
        with session._cancel_guard:
            if session._stop_pending:
                cancel.cancel()
                session._stop_pending = False
            session._cancel = cancel
        return cancel

    def __exit__(self, *_exc: object) -> None:
        session = self._session
        with session._cancel_guard:
            session._cancel = None
        session._running.release()


def _left_out(count: int, text: str) -> str:
    """A user turn's text with a note where its images were (for a text-only model)."""
    if count == 0:
        return text
    note = "[an image was here]" if count == 1 else f"[{count} images were here]"
    return f"{note}\n{text}" if text else note


def _added(before: Stats | None, after: Stats | None) -> Stats | None:
    """The stats of an answer written in two goes (Continue): counts and times add up."""
    if before is None or after is None:
        return after or before
    return Stats(
        prompt_tokens=before.prompt_tokens + after.prompt_tokens,
        completion_tokens=before.completion_tokens + after.completion_tokens,
        load_s=before.load_s + after.load_s,
        prompt_s=before.prompt_s + after.prompt_s,
        decode_s=before.decode_s + after.decode_s,
    )


def _call(hook: Callable[[_T], None] | None, value: _T) -> None:
    if hook is not None:
        hook(value)
