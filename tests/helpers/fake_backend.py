"""``ScriptedBackend``: a real ``Backend`` whose answers the test releases step by step.

Why it exists: the window's races -- Stop while the model loads, while it thinks, mid-answer,
from another chat; the chat against the Describe window; a failure half-way; closing the
window mid-answer -- used to be tested with the tiny llama.cpp model, so whether a Stop came
before the first token or after the tenth depended on how fast the machine was.  This
backend makes each of those moments a place the stream *waits* until the test lets it go,
so every scenario is deterministic and nothing is timed.

Each ``stream_chat`` becomes a :class:`ScriptedCall`.  Its stream passes named gates::

    "loading" -> "first-token" -> [delta 1] -> "after-1" -> [delta 2] -> "after-2" ... -> "done"

and waits at each until the test releases it (``call.release("loading")``,
``call.advance()``, ``call.finish()``).  A ``CancelToken`` is honoured at every gate, whether
the gate is released or not: the stream ends at once with ``Done(reason="cancelled")`` and
no further text.  A :class:`Script` can make the stream raise a given ``BackendError`` when
it is released from a given gate (with the text so far as ``partial_text``).  Like
llama.cpp it answers one request at a time: a second stream started while one runs raises
the same ``BackendError`` ("The model is still answering another request. Stop it first.").

With ``gated=False`` every gate is open (and ``pace_s`` spaces the deltas out), which is how
it passes ``tests/backend_contract.py`` like any other backend.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from backends.base import (
    BackendError,
    CancelToken,
    Capabilities,
    ChatRequest,
    Chunk,
    Done,
    FinishReason,
    InvalidImage,
    InvalidModelFile,
    ModelInfo,
    ModelNotFound,
    Stats,
    TextDelta,
    check_request,
)

#: The model a window test chooses; it sees images unless ``ScriptedBackend(vision=False)``.
MODEL = "scripted-model"
TEXT_MODEL = "scripted-text"
BROKEN_MODEL = "scripted-broken"

#: The llama.cpp backends' refusal of a second request while one runs (same class, same words:
#: ``backends/llama_cpp/backend.py`` and ``backends/engine/host.py``).
STILL_ANSWERING = "The model is still answering another request. Stop it first."

#: How often a stream waiting at a gate looks at its ``CancelToken`` (the token is a plain
#: event with no callback, so a gate wakes on a release at once and on a cancel within this).
POLL_S = 0.002

#: The answer when a script gives no deltas: endless, so ``max_tokens`` ends it ("length"),
#: like the tiny llama.cpp model that never emits end-of-sequence.
ENDLESS = ("lorem", " ipsum", " dolor", " sit", " amet")
DEFAULT_DELTAS = ("Alpha", " beta", " gamma", " delta")


@dataclass(frozen=True)
class ScriptedModel:
    """A model the backend lists; ``broken`` fails to load (``InvalidModelFile``)."""

    id: str
    vision: bool = False
    broken: bool = False
    name: str = ""

    def info(self) -> ModelInfo:
        return ModelInfo(
            id=self.id,
            name=self.name or self.id,
            size=1024,
            family="scripted",
            quantization="F16",
            capabilities=Capabilities(vision=self.vision),
            context_length=4096,
            parameter_size="0M",
        )


def default_models(*, vision: bool = True) -> tuple[ScriptedModel, ...]:
    """``MODEL`` (sees images when ``vision``), a text-only model and one that cannot load."""
    return (
        ScriptedModel(MODEL, vision=vision, name="Scripted Model"),
        ScriptedModel(TEXT_MODEL, name="Scripted Text"),
        ScriptedModel(BROKEN_MODEL, broken=True, name="Scripted Broken"),
    )


@dataclass(frozen=True)
class Script:
    """How one call answers.

    ``deltas``: the answer's pieces in order (``None``: endless, ended by ``max_tokens``).
    ``fail``: ``(gate, error)`` -- released from ``gate``, the stream raises ``error`` instead
    of going on (its ``partial_text`` is the text so far unless it already has one).
    ``gated``: ``None`` follows the backend; ``False`` opens every gate of this call.
    """

    deltas: Sequence[str] | None = DEFAULT_DELTAS
    fail: tuple[str, BackendError] | None = None
    notice: str = ""
    gated: bool | None = None


@dataclass(repr=False, eq=False)
class ScriptedCall:
    """One ``stream_chat``: what it was asked, where its stream is, and its gates."""

    request: ChatRequest
    cancel: CancelToken
    script: Script
    model: ScriptedModel
    #: Every delta yielded so far, joined: the text "released" to the caller.
    text: str = ""
    deltas: list[str] = field(default_factory=list)
    #: Gates passed, in order.
    passed: list[str] = field(default_factory=list)
    #: None while the stream runs; then "stop", "length", "cancelled", "error", "closed"
    #: (the caller closed the stream early) or "refused" (another call was running).
    outcome: str | None = None
    _at: str | None = None
    _released: set[str] = field(default_factory=set)
    _all_open: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ended: threading.Event = field(default_factory=threading.Event)

    def __repr__(self) -> str:
        last = self.request.messages[-1].text if self.request.messages else ""
        return (
            f"<ScriptedCall {last[:30]!r} at={self._at!r} passed={self.passed} "
            f"text={self.text!r} outcome={self.outcome!r}>"
        )

    # -- what the test reads ------------------------------------------------------------

    @property
    def at(self) -> str | None:
        """The gate the stream is waiting at now, or None (running between gates, or ended)."""
        return self._at

    @property
    def released(self) -> frozenset[str]:
        """The gates the test has released so far (passed or not yet reached)."""
        with self._cond:
            return frozenset(self._released)

    @property
    def ended(self) -> bool:
        """The stream has finished and the backend is free again."""
        return self._ended.is_set()

    @property
    def limit(self) -> int:
        """How many deltas this call may yield (``max_tokens``, or 1024 when unset)."""
        wanted = self.request.options.max_tokens
        return 1024 if wanted is None else max(0, wanted)

    @property
    def gates(self) -> list[str]:
        """Every gate of a stream that runs to its end, in order."""
        count = self.limit if self.script.deltas is None else len(self.script.deltas)
        count = min(count, self.limit)
        return ["loading", "first-token", *(f"after-{i}" for i in range(1, count + 1)), "done"]

    # -- what the test does -------------------------------------------------------------

    def release(self, *gates: str) -> None:
        """Let the stream pass these gates (now, or when it gets there)."""
        with self._cond:
            self._released.update(gates)
            self._cond.notify_all()

    def advance(self) -> str:
        """Release the gate the stream waits at now; returns its name."""
        with self._cond:
            gate = self._at
            if gate is None:
                raise AssertionError(f"the stream waits at no gate (outcome {self.outcome!r})")
            self._released.add(gate)
            self._cond.notify_all()
        return gate

    def finish(self) -> None:
        """Open every gate: the stream runs to its end (or its scripted failure)."""
        with self._cond:
            self._all_open = True
            self._cond.notify_all()

    def wait_at(self, gate: str, timeout: float = 10.0) -> bool:
        """Block until the stream waits at ``gate`` (for tests without an event loop)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._at == gate or self.ended, timeout) and (
                self._at == gate
            )

    def wait_ended(self, timeout: float = 10.0) -> bool:
        return self._ended.wait(timeout)

    # -- what the stream does -----------------------------------------------------------

    def _pass(self, gate: str) -> bool:
        """Wait at ``gate`` until released; False as soon as the call is cancelled."""
        with self._cond:
            self._at = gate
            self._cond.notify_all()
            try:
                while not self.cancel.cancelled:
                    if self._all_open or gate in self._released:
                        self.passed.append(gate)
                        return True
                    self._cond.wait(POLL_S)
                return False
            finally:
                self._at = None
                self._cond.notify_all()

    def _end(self, outcome: str) -> None:
        if self.outcome is None:
            self.outcome = outcome

    def _set_ended(self) -> None:
        with self._cond:
            self._ended.set()
            self._cond.notify_all()


class ScriptedBackend:
    """A ``Backend`` whose every answer is driven by the test (see the module docstring).

    ``vision``: whether ``MODEL`` sees images (``check_request`` refuses images otherwise).
    ``models``: what it lists instead of :func:`default_models`.
    ``deltas``: the answer of every call without a script of its own (``None``: endless).
    ``gated``: whether streams wait at their gates until released (False: never wait).
    ``pace_s``: with open gates, how long each delta waits (on the cancel token) before it
    is yielded, so a cancel from another thread finds the stream still running.
    """

    def __init__(
        self,
        *,
        vision: bool = True,
        models: Iterable[ScriptedModel] | None = None,
        deltas: Sequence[str] | None = DEFAULT_DELTAS,
        gated: bool = True,
        pace_s: float = 0.0,
        name: str = "scripted",
    ) -> None:
        self.name = name
        listed = default_models(vision=vision) if models is None else tuple(models)
        self.models = {model.id: model for model in listed}
        self.default_script = Script(deltas=deltas)
        self.gated = gated
        self.pace_s = pace_s
        #: Every ``stream_chat`` call in order, refused ones included.
        self.calls: list[ScriptedCall] = []
        self.closed = 0
        self._scripts: list[Script] = []
        self._busy = threading.Lock()
        self._lock = threading.Condition()
        self._current: ScriptedCall | None = None

    # -- the test's side ----------------------------------------------------------------

    def script(self, *scripts: Script) -> None:
        """How the next calls answer, one script per call, in order (then the default)."""
        with self._lock:
            self._scripts.extend(scripts)

    @property
    def requests(self) -> list[ChatRequest]:
        return [call.request for call in self.calls]

    def wait_for_call(self, number: int, timeout: float = 10.0) -> ScriptedCall:
        """The ``number``-th call (1-based) once it is made (for tests without an event loop)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.calls) >= number, timeout):
                raise AssertionError(f"no call number {number} within {timeout} s")
            return self.calls[number - 1]

    @property
    def current(self) -> ScriptedCall | None:
        """The call whose stream is running now (holding the backend), if any."""
        return self._current

    # -- Backend ------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        return [model.info() for model in self.models.values()]

    def model_info(self, model_id: str) -> ModelInfo:
        return self._model(model_id).info()

    def _model(self, model_id: str) -> ScriptedModel:
        model = self.models.get(model_id)
        if model is None:
            raise ModelNotFound(f"No model called {model_id!r} was found (scripted backend).")
        return model

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        model = self._model(request.model)
        check_request(model.info(), request)  # refused up front, like the real backends
        with self._lock:
            script = self._scripts.pop(0) if self._scripts else self.default_script
        call = ScriptedCall(request, cancel or CancelToken(), script, model)
        gated = self.gated if script.gated is None else script.gated
        call._all_open = not gated
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        return self._stream(call)

    def close(self) -> None:
        """Nothing native to free; counted so a test can see the window closed it."""
        self.closed += 1

    # -- the stream ---------------------------------------------------------------------

    def _stream(self, call: ScriptedCall) -> Iterator[Chunk]:
        # As in llama.cpp, the backend is taken when the stream starts (the first next()).
        if not self._busy.acquire(blocking=False):
            call._end("refused")
            call._set_ended()
            raise BackendError(STILL_ANSWERING)
        self._current = call
        try:
            yield from self._answer(call)
        except GeneratorExit:  # closed early by the caller: the backend is free at once
            call._end("closed")
            raise
        except BaseException:
            call._end("error")
            raise
        finally:
            self._current = None
            self._busy.release()
            call._set_ended()

    def _gate(self, call: ScriptedCall, gate: str) -> bool:
        if not call._pass(gate):
            return False
        failure = call.script.fail
        if failure is not None and failure[0] == gate:
            error = failure[1]
            if not error.partial_text:
                error.partial_text = call.text
            call._end("error")
            raise error
        return True

    def _answer(self, call: ScriptedCall) -> Iterator[Chunk]:
        if not self._gate(call, "loading"):
            yield self._done(call, "cancelled")
            return
        if call.model.broken:
            call._end("error")
            raise InvalidModelFile(
                f"The scripted backend could not load {call.model.id}: the file is damaged."
            )
        _check_images(call)
        if not self._gate(call, "first-token"):
            yield self._done(call, "cancelled")
            return
        pieces = itertools.cycle(ENDLESS) if call.script.deltas is None else call.script.deltas
        reason: FinishReason = "stop"
        for number, text in enumerate(pieces, 1):
            if number > call.limit:
                reason = "length"
                break
            if self.pace_s and call._all_open and call.cancel.wait(self.pace_s):
                yield self._done(call, "cancelled")
                return
            if call.cancel.cancelled:
                yield self._done(call, "cancelled")
                return
            call.deltas.append(text)
            call.text += text
            yield TextDelta(text)
            if not self._gate(call, f"after-{number}"):
                yield self._done(call, "cancelled")
                return
        if not self._gate(call, "done"):
            yield self._done(call, "cancelled")
            return
        yield self._done(call, reason)

    def _done(self, call: ScriptedCall, reason: FinishReason) -> Done:
        call._end(reason)
        prompt = sum(len(m.text.split()) + 1 + 64 * len(m.images) for m in call.request.messages)
        completion = len(call.deltas)
        stats = Stats(
            prompt_tokens=max(1, prompt),
            completion_tokens=completion,
            prompt_s=0.01,
            decode_s=completion / 100,  # a steady 100 tok/s: nothing here is timed
        )
        return Done(stats, reason, call.script.notice if reason != "cancelled" else "")


def _check_images(call: ScriptedCall) -> None:
    """Decode every image, as a runtime reading the prompt would (a garbage file fails)."""
    if not call.request.images:
        return
    from PIL import Image

    for number, image in enumerate(call.request.images, 1):
        try:
            with Image.open(io.BytesIO(image.data)) as decoded:
                decoded.load()
        except Exception as error:
            call._end("error")
            raise InvalidImage(
                f"The model could not read image {number} ({image.mime}): {error}"
            ) from None


__all__ = [
    "BROKEN_MODEL",
    "DEFAULT_DELTAS",
    "MODEL",
    "STILL_ANSWERING",
    "TEXT_MODEL",
    "Script",
    "ScriptedBackend",
    "ScriptedCall",
    "ScriptedModel",
    "default_models",
]
