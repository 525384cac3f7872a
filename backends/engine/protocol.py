"""The messages between the app and its engine process, and how they cross the pipe.

Messages are small frozen dataclasses (the value types of ``backends.base`` ride inside them
as they are; image bytes travel once, unencoded).  Every message carries the id of the
request it belongs to, so replies can be routed even when a model list is asked for while an
answer streams.

The app unpickles what the engine sends with an allowlist of classes.  The engine has the
same rights as the app, so this is not a sandbox boundary today; it keeps the channel from
becoming one-way code execution if the engine is ever confined (a crafted GGUF that
corrupts the engine's heap must not thereby reach the window process).
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import Any, Literal

import backends.base as base_types
from backends import messages
from backends.base import (
    BackendError,
    ChatRequest,
    Done,
    GenerationFailed,
    TextDelta,
)
from backends.messages import message, message_from_data, message_to_data, sentence_of

Stage = Literal["starting", "loading", "answering", "working"]

# ---- app -> engine ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """Run one quick backend method (list_models, model_info, register, default_model_id,
    clear_image_embeddings)."""

    id: int
    method: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Chat:
    """Start answering ``request``; ``cancelled`` if the caller's token was set already."""

    id: int
    request: ChatRequest
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Prefill:
    """Read ``request`` ahead of its Send (``SupportsPrefill``); answered by a ``Reply`` with
    a ``PrefillReport`` when done, or a ``Failure``.  Runs beside the engine's main loop, so
    a ``Cancel`` of its id, or a ``Chat``, reaches it at once."""

    id: int
    request: ChatRequest


@dataclass(frozen=True, slots=True)
class Cancel:
    """Set the engine-side cancel token of chat or prefill ``id`` (llama.cpp's abort
    callback reads it)."""

    id: int


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Stop generating, free the model and exit."""


# ---- engine -> app ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ready:
    """The engine is up and listening."""

    pid: int


@dataclass(frozen=True, slots=True)
class Reply:
    """The value of a ``Call``; for a ``Chat``, that the request was accepted (value None)."""

    id: int
    value: Any


@dataclass(frozen=True, slots=True)
class RemoteError:
    """A ``BackendError`` raised in the engine, by class name so it is re-raised as itself."""

    kind: str
    message: str
    partial_text: str = ""


@dataclass(frozen=True, slots=True)
class Failure:
    """Request ``id`` failed; for a chat this ends the stream."""

    id: int
    error: RemoteError


@dataclass(frozen=True, slots=True)
class Progress:
    """Chat ``id`` entered a new stage, so a crash can say what it interrupted."""

    id: int
    stage: Stage


@dataclass(frozen=True, slots=True)
class Piece:
    """One chunk of chat ``id``: ``TextDelta``s, then one ``Done``."""

    id: int
    chunk: TextDelta | Done


ToEngine = Call | Chat | Prefill | Cancel | Shutdown
FromEngine = Ready | Reply | Failure | Progress | Piece


# ---- errors -------------------------------------------------------------------------------


def _error_classes() -> dict[str, type[BackendError]]:
    found: dict[str, type[BackendError]] = {}
    pending: list[type[BackendError]] = [BackendError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def error_to_wire(error: BaseException, partial_text: str = "") -> RemoteError:
    """Describe an engine-side exception; anything outside the family becomes a failure."""
    if isinstance(error, BackendError):
        return RemoteError(
            type(error).__name__, _plain_sentence(error), error.partial_text or partial_text
        )
    return RemoteError(
        GenerationFailed.__name__,
        message(
            "The model engine failed unexpectedly: {error}",
            error=f"{type(error).__name__}: {error}",
        ),
        partial_text,
    )


def _plain_sentence(error: BaseException) -> str:
    """``error``'s sentence with every value a ``str`` or a ``Message``: a value of another
    type (a ``Path``, an exception) would be refused by the app's unpickler, and the whole
    reply with it."""
    sentence = sentence_of(error)
    return message_from_data(message_to_data(sentence), str(sentence))


def error_from_wire(remote: RemoteError) -> BackendError:
    """The same class, message and partial text as the error raised in the engine."""
    cls = _error_classes().get(remote.kind, BackendError)
    try:
        return cls(remote.message, partial_text=remote.partial_text)
    except TypeError:  # a subclass with another signature: keep the sentence anyway
        return BackendError(remote.message, partial_text=remote.partial_text)


# ---- the wire -----------------------------------------------------------------------------

#: ``backends.messages``: an error's sentence is a ``Message``, which the window translates.
_ALLOWED_MODULES = frozenset({base_types.__name__, messages.__name__, __name__})


class _AllowlistUnpickler(pickle.Unpickler):
    """Rebuilds only the value types and messages defined by LocalSight.

    Only a class *defined* in an allowed module, named directly: pickle (protocol 4+)
    follows dotted names, so ``backends.messages`` + ``re.enum.bltns.eval`` would reach
    ``eval`` through the modules an allowed one imports, and a plain name could still be a
    function or a module it imported.  The engine runs llama.cpp on files from anywhere;
    what it sends must not be able to run code in the app.
    """

    def find_class(self, module: str, name: str) -> Any:
        if module in _ALLOWED_MODULES and not name.startswith("_") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"the engine sent a forbidden type {module}.{name}")


def dumps(message: ToEngine | FromEngine) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only LocalSight's own types (and plain builtins)."""
    return _AllowlistUnpickler(io.BytesIO(data)).load()


# ---- start-up -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine builds its ``LlamaCppBackend`` (the same arguments, as plain strings)."""

    model_dirs: tuple[str, ...] = ()
    extra_models: tuple[str, ...] = ()
    include_embedded: bool = True
    # The CPU variant library the app chose (``cpu_variants``); None: the engine decides.
    cpu_variant: str | None = None
    # The file keeping model files' validations across launches (``summary_cache`` of
    # ``LlamaCppBackend``); None: checked once per engine.
    summary_cache: str | None = None
    # The image-embedding cache (``image_embeddings``): its folder (None: memory only) and
    # budgets in bytes; memory 0 and no folder: no cache.
    image_cache_dir: str | None = None
    image_cache_disk_bytes: int = 0
    image_cache_memory_bytes: int = 0
    # Kept conversation states (``conversation_states``): their folder (None: none kept)
    # and disk budget in bytes.
    conversation_cache_dir: str | None = None
    conversation_cache_bytes: int = 0
