"""The seam between LocalSight and every model runtime.

Every backend (in-process llama.cpp, Ollama over HTTP, later OpenAI-compatible servers)
speaks this one protocol and these frozen value types, so the session, the CLI and the
window never learn which runtime answers.  Errors form one family whose messages a person
can act on, raised with a ``backends.messages.message`` so the window and the CLI show them
in the person's language (``str(error)`` is the English).

This module is imported by the GUI at start-up: it must stay free of Qt and of heavy
native modules.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from backends.messages import message

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image normalised by ``desktop_app.core.images``: only these bytes reach a model."""

    data: bytes = field(repr=False)
    mime: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation. Images belong to user turns."""

    role: Role
    text: str
    images: tuple[ImageInput, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    """Sampling and resource options; ``None`` means "the backend's sensible default"."""

    temperature: float = 0.7
    max_tokens: int | None = 1024
    num_ctx: int = 4096
    threads: int | None = None
    seed: int | None = None
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a backend needs to answer one turn."""

    model: str
    messages: tuple[Message, ...]
    options: GenerationOptions = field(default_factory=GenerationOptions)
    #: The last message is an answer to extend (Continue after the token limit or a Stop):
    #: the model goes on from its last word in the same turn, and streams only what it adds.
    #: llama.cpp renders the prompt up to the answer's start and appends the answer; Ollama
    #: and OpenAI-compatible servers continue a final assistant message themselves.
    continue_last: bool = False

    @property
    def images(self) -> tuple[ImageInput, ...]:
        return tuple(image for message in self.messages for image in message.images)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model can do, as data, so it is checked before a request is sent."""

    vision: bool = False
    completion: bool = True
    thinking: bool = False
    tools: bool = False


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model a backend can run. ``id`` is what goes into ``ChatRequest.model``."""

    id: str
    name: str
    size: int | None = None
    family: str | None = None
    quantization: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    context_length: int | None = None
    parameter_size: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """Timings of one generation, from the runtime's own counters where it has them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    load_s: float = 0.0
    prompt_s: float = 0.0
    decode_s: float = 0.0

    @property
    def prompt_tok_s(self) -> float:
        return self.prompt_tokens / self.prompt_s if self.prompt_s > 0 else 0.0

    @property
    def decode_tok_s(self) -> float:
        return self.completion_tokens / self.decode_s if self.decode_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer, in order. Never empty."""

    text: str


@dataclass(frozen=True, slots=True)
class Done:
    """The last chunk of every stream that did not raise."""

    stats: Stats
    reason: FinishReason
    # Something the person should know about how this answer came about, e.g. that the
    # engine switched to another CPU variant and answered again. Empty almost always.
    notice: str = ""


Chunk = TextDelta | Done


class CancelToken:
    """Asks a running generation to stop; backends check it between chunks.

    A plain ``threading.Event`` underneath, so a GUI thread can cancel a worker thread.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)


class BackendError(Exception):
    """Base of every error a backend raises; ``str()`` is a sentence a person can act on.

    ``partial_text`` carries the answer received before a mid-stream failure, so callers
    can keep it even if they did not accumulate the deltas themselves.
    """

    def __init__(self, message: str, *, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text


class BackendUnavailable(BackendError):
    """The runtime cannot be reached or started (server down, library missing)."""


class ModelNotFound(BackendError):
    """The requested model is not installed / the file does not exist."""


class VisionNotSupported(BackendError):
    """Images were sent to a model that cannot see them."""


class InvalidModelFile(BackendError):
    """The model file is corrupt, truncated or not a model at all."""


class TemplateBudgetExceeded(InvalidModelFile):
    """The model's chat template needed more time or memory than any real template does.

    A kind of ``InvalidModelFile``: the remedy is the same (pick another model), so callers
    that already handle a bad file handle this too; the type lets tests and logs tell it apart.
    """


class InvalidImage(BackendError):
    """The runtime could not decode an image it was given."""


class OutOfMemory(BackendError):
    """The model (plus its context) does not fit in the memory available."""


class ContextOverflow(BackendError):
    """The conversation no longer fits in the model's context window."""


class GenerationFailed(BackendError):
    """The runtime failed while answering; any partial answer is in ``partial_text``."""


class Cancelled(BackendError):
    """A request was stopped through its ``CancelToken`` before the runtime answered.

    Nothing is wrong: the caller asked for it.  A stream ends with ``Done(reason="cancelled")``
    instead; this is raised only by a request that returns a value (a model's details, the
    model list, a deletion), because it has no partial value to give back.
    """


class EngineCrashed(BackendError):
    """The process hosting a native runtime died (an abort, a segfault, the OOM killer).

    The app itself is fine and the next request starts a fresh engine; any answer received
    before the crash is in ``partial_text``; ``signal`` is the signal that killed it, if one
    did (SIGILL makes the engine switch to another CPU variant).
    """

    def __init__(self, message: str, *, partial_text: str = "", signal: int | None = None):
        super().__init__(message, partial_text=partial_text)
        self.signal = signal


@runtime_checkable
class Backend(Protocol):
    """What every runtime offers. Implementations must be safe to call from one worker thread."""

    name: str

    def list_models(self) -> list[ModelInfo]:
        """Models this backend can run now, without downloading anything."""
        ...

    def model_info(self, model_id: str) -> ModelInfo:
        """Details and capabilities of one model; raises ``ModelNotFound``."""
        ...

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        """Yield ``TextDelta``s then exactly one ``Done``; raise a ``BackendError`` on failure.

        Closing the iterator early stops the work as promptly as the runtime allows.
        """
        ...

    def close(self) -> None:
        """Release native resources and connections. Idempotent."""
        ...


# -- optional abilities ---------------------------------------------------------------------
#
# What only some runtimes can do.  Callers ask ``isinstance(backend, SupportsX)`` (the
# protocols are runtime-checkable) and then call the method, which type checkers see.


@runtime_checkable
class SupportsRegister(Protocol):
    """Runs a model file named by its path, with its vision projector, not only those it found.

    ``LlamaCppBackend`` and ``EngineBackend``: their models are GGUF files.  Optional because
    a server (Ollama, an OpenAI-compatible one) runs only models it already has, by name.
    """

    def register(self, model_path: str | Path, mmproj: str | Path | None = None) -> ModelInfo:
        """Make a GGUF (and optionally its projector) available by path; validates both."""
        ...


@runtime_checkable
class SupportsDefaultModel(Protocol):
    """Has a model of its own for when the user chose none (the SmolLM2 in the install).

    ``LlamaCppBackend`` and ``EngineBackend``.  Optional because a server's models are
    whatever it has: the first one it lists is used instead.
    """

    def default_model_id(self) -> str | None:
        """The built-in model's id, or ``None`` when this install has none."""
        ...


@runtime_checkable
class SupportsImageCache(Protocol):
    """Keeps images' projector outputs so an image seen before is not encoded again (issue
    20): ``LlamaCppBackend`` and ``EngineBackend``.

    Optional because a server (Ollama, an OpenAI-compatible one) reads images its own way.
    """

    def clear_image_embeddings(self) -> int:
        """Forget every kept image, in memory and on disk; how many files went.  Always
        safe: an image forgotten is encoded again when next read."""
        ...


class PullStatus(Protocol):
    """One progress line of a pull (``backends.ollama.PullProgress``).

    ``digest``/``total``/``completed`` are set only while a layer downloads.
    """

    @property
    def status(self) -> str: ...

    @property
    def digest(self) -> str | None: ...

    @property
    def total(self) -> int | None: ...

    @property
    def completed(self) -> int | None: ...


@runtime_checkable
class SupportsPull(Protocol):
    """Downloads a model by name into the runtime's own store: ``OllamaBackend``.

    Optional because llama.cpp runs files (LocalSight downloads those itself, in
    ``desktop_app.core.models.library``) and OpenAI-compatible servers manage their models.
    """

    def pull(self, model: str, cancel: CancelToken | None = None) -> Iterator[PullStatus]:
        """Yield progress lines until the model is there; cancelling ends them quietly."""
        ...


@runtime_checkable
class SupportsDelete(Protocol):
    """Removes a model from the runtime's own store: ``OllamaBackend``.

    Optional for the same reason as ``SupportsPull``; LocalSight's own downloads are removed
    through ``desktop_app.core.models.library``.
    """

    def delete(self, model: str) -> None:
        """Remove ``model``; raises ``ModelNotFound`` if it is not there."""
        ...


@runtime_checkable
class HasHost(Protocol):
    """Talks to a server at an address a person may want to see: ``OllamaBackend``.

    Optional because llama.cpp runs in this machine's processes; an OpenAI-compatible
    backend calls its address ``base_url`` (it is a URL with a path, not a host).
    """

    @property
    def host(self) -> str:
        """The server's address, e.g. ``http://127.0.0.1:11434``."""
        ...


@runtime_checkable
class HasWarnings(Protocol):
    """Has something to say before any work: ``OllamaBackend`` and ``OpenAICompatBackend``
    (prompts and an API key would cross the network over plain http).

    Optional because a runtime in this machine's processes has nothing to warn about; read
    it through ``backend_warnings``, which gives ``()`` then.
    """

    @property
    def warnings(self) -> Sequence[str]:
        """Sentences for the person, shown as they are."""
        ...


@runtime_checkable
class HasProblems(Protocol):
    """Says what went wrong while listing models: ``LlamaCppBackend`` and ``EngineBackend``
    (files skipped: unreadable, not GGUF, a projector without its model) and
    ``OllamaBackend`` (models whose details could not be read).

    Optional because an OpenAI-compatible server lists only what it serves; read it
    through ``backend_problems``, which gives ``()`` then.
    """

    @property
    def problems(self) -> Sequence[str]:
        """One sentence per thing skipped by the last ``list_models``."""
        ...


def backend_warnings(backend: Backend) -> Sequence[str]:
    """The backend's warnings, or none if it never has any."""
    return backend.warnings if isinstance(backend, HasWarnings) else ()


def backend_problems(backend: Backend) -> Sequence[str]:
    """What the backend's last ``list_models`` skipped, or nothing if it never skips."""
    return backend.problems if isinstance(backend, HasProblems) else ()


def check_request(info: ModelInfo, request: ChatRequest) -> None:
    """Refuse a request the model cannot serve, before any work starts."""
    if request.images and not info.capabilities.vision:
        raise VisionNotSupported(
            message(
                "{model} cannot see images. Remove the images, or pick a model with "
                "vision (for a GGUF file, also give its mmproj projector file).",
                model=info.name,
            )
        )
    if not request.messages:
        raise BackendError(message("There is nothing to send: the conversation is empty."))
    if request.continue_last and request.messages[-1].role != "assistant":
        raise BackendError(message("There is no answer to continue: the last message is not one."))


def without_echo(chunks: Iterator[Chunk], start: str) -> Iterator[Chunk]:
    """A continued answer's stream with the answer's ``start`` taken off, if it was sent back.

    llama-server's assistant prefill streams the whole message, the given start included,
    where Ollama and llama.cpp stream only what the model adds.  The caller of a
    ``continue_last`` request wants only the addition, whichever server answers: deltas are
    held back while they could still be the echo, then the echo (if it was one) is dropped.
    An error's ``partial_text`` is cut the same way.
    """
    pending, deciding = "", bool(start)
    try:
        for chunk in chunks:
            if deciding and isinstance(chunk, TextDelta):
                pending += chunk.text
                if len(pending) < len(start) and start.startswith(pending):
                    continue
                deciding = False
                rest = pending[len(start) :] if pending.startswith(start) else pending
                if rest:
                    yield TextDelta(rest)
                continue
            # Done while still undecided: what came was the start again, nothing was added.
            yield chunk
    except BackendError as error:
        if error.partial_text.startswith(start):
            error.partial_text = error.partial_text[len(start) :]
        raise
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True, slots=True)
class PrefillReport:
    """What an eager prefill did: the tokens it evaluated (image tokens included), the
    images it read (evaluated, or at least encoded into the image-embedding cache), and
    whether it was cancelled before the end."""

    tokens: int = 0
    images: int = 0
    cancelled: bool = False


@runtime_checkable
class SupportsPrefill(Protocol):
    """Reads a conversation's images before Send (issue 20, eager prefill):
    ``LlamaCppBackend`` and ``EngineBackend``.

    The window calls ``prefill`` when an image is attached, with the request Send would make
    if pressed now (the typed text may still change).  The backend evaluates what of it cannot
    depend on the text still to come -- the conversation so far and the new turn up to and
    including its images -- so that Send evaluates only the typed words.  It blocks until
    done or cancelled; it never fails loudly (an error raises ``BackendError``, which the
    window only logs: Send reads everything again and reports it).

    A request sent while a prefill runs waits for it when it continues the same
    conversation (it would have done the same work), and cancels it otherwise; Stop
    cancels both.  Optional because a server reads images its own way.
    """

    def prefill(self, request: ChatRequest, cancel: CancelToken | None = None) -> PrefillReport:
        """Evaluate the part of ``request`` that the text still to be typed cannot change."""
        ...
