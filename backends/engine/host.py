"""``EngineBackend``: the llama.cpp backend, hosted in a child process the app can lose.

llama.cpp and ggml call ``abort()`` on some malformed files and failed asserts, which in the
window process would take the window (and the user's draft) with it.  This backend speaks
the same ``Backend`` protocol as ``LlamaCppBackend`` but runs it in an engine process
(``backends.engine.child``).  A dead engine becomes an ``EngineCrashed`` error that says
what it interrupted; the engine starts lazily on first need and again after a crash, and
models registered by path are registered again in the new engine so their ids stay valid.

Stopping the engine is also how memory really returns to the OS (``unload``) and how a
cancel that llama.cpp cannot honour is enforced (the hard stop in ``stream``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from backends.base import (
    BackendError,
    CancelToken,
    ChatRequest,
    Chunk,
    Done,
    EngineCrashed,
    ModelInfo,
    PrefillReport,
    TextDelta,
)
from backends.engine.crash import EngineExit
from backends.engine.process import EngineGone, EngineProcess, Mailbox, start_timeout_s
from backends.engine.protocol import (
    Call,
    Cancel,
    Chat,
    EngineConfig,
    Failure,
    Prefill,
    Reply,
    Stage,
    ToEngine,
    error_from_wire,
)
from backends.engine.stream import EngineStream, _Exchange, dead_engine_error
from backends.llama_cpp import cpu_variants, native
from backends.llama_cpp.conversation_states import StateCacheSize
from backends.llama_cpp.image_embeddings import ImageCacheSize, clear_folder
from backends.messages import message, sentence_of

_T = TypeVar("_T")

#: How often a prefill's wait looks at its cancel token.
_PREFILL_POLL_S = 0.05
#: How long a cancelled prefill is waited for before the caller is let go (an image's
#: encode cannot be aborted: the engine finishes it alone, and a Send waits for it there).
_PREFILL_CANCEL_WAIT_S = 2.0


class EngineBackend:
    """llama.cpp in a child engine process. Safe to drive from one worker thread at a time;
    quick calls (``list_models``, ``model_info``) may come from another thread meanwhile."""

    name = "llama-cpp"

    def __init__(
        self,
        model_dirs: Iterable[Path] = (),
        extra_models: Iterable[Path] = (),
        *,
        include_embedded: bool = True,
        hard_stop_s: float = 2.0,
        stop_timeout_s: float = 2.0,
        start_timeout_s: float | None = None,
        call_timeout_s: float = 60.0,
        summary_cache: Path | None = None,
        image_cache: ImageCacheSize | None = None,
        conversation_cache: StateCacheSize | None = None,
    ) -> None:
        """``hard_stop_s``: how long a cancelled answer may run on before the engine is killed.
        ``stop_timeout_s``: how long ``close``/``unload`` wait for a clean exit before killing.
        ``start_timeout_s``, ``call_timeout_s``: generous, for a Raspberry Pi's slow imports
        (``start_timeout_s``: by default ``process.start_timeout_s()``, which the environment
        can lengthen).
        ``summary_cache``: where the engine keeps model files' validations across launches
        (see ``LlamaCppBackend``).
        ``image_cache``: the engine's image-embedding cache (``image_embeddings``); None:
        every image new to the context is encoded.
        ``conversation_cache``: where the engine keeps evaluated conversations across
        restarts (``conversation_states``); None: nowhere.
        """
        self._config = EngineConfig(
            model_dirs=tuple(str(Path(p)) for p in model_dirs),
            extra_models=tuple(str(Path(p)) for p in extra_models),
            include_embedded=include_embedded,
            summary_cache=None if summary_cache is None else str(summary_cache),
            image_cache_dir=None
            if image_cache is None or image_cache.folder is None
            else str(image_cache.folder),
            image_cache_disk_bytes=0 if image_cache is None else image_cache.disk_bytes,
            image_cache_memory_bytes=0 if image_cache is None else image_cache.memory_bytes,
            conversation_cache_dir=None
            if conversation_cache is None or conversation_cache.folder is None
            else str(conversation_cache.folder),
            conversation_cache_bytes=0
            if conversation_cache is None
            else conversation_cache.disk_bytes,
        )
        self._hard_stop_s = hard_stop_s
        self._stop_timeout_s = stop_timeout_s
        self._start_timeout_s = start_timeout_s
        self._call_timeout_s = call_timeout_s
        self._lock = threading.RLock()  # engine (re)start and the one active chat
        self._ids = itertools.count(1)
        self._engine: EngineProcess | None = None
        self._unreported_start_s = 0.0
        self._active: _Exchange | None = None
        self._registered: dict[str, tuple[str, str | None]] = {}
        self._problems: list[str] = []
        self._variant: str | None = None  # the CPU variant the current engine runs

    # -- the engine -----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The engine's process id while one runs (for tests and diagnostics)."""
        engine = self._engine
        return engine.pid if engine is not None and engine.alive else None

    @property
    def problems(self) -> list[str]:
        """Files the last ``list_models`` skipped, and registrations lost in a restart."""
        return list(self._problems)

    def _ensure_engine(self) -> EngineProcess:
        with self._lock:
            engine = self._engine
            if engine is not None and engine.alive:
                return engine
            choice = native.cpu_choice()  # the variant this engine starts on
            config = dataclasses.replace(self._config, cpu_variant=choice.library)
            timeout_s = self._start_timeout_s or start_timeout_s()  # read at each start
            engine = EngineProcess(config, start_timeout_s=timeout_s)
            self._engine = engine
            self._variant = choice.variant
            self._unreported_start_s = engine.start_s
            self._replay_registrations(engine)
            return engine

    def _replay_registrations(self, engine: EngineProcess) -> None:
        """Register again, in the new engine, every model registered in an earlier one."""
        for model_path, mmproj in list(self._registered.values()):
            try:
                self._call_on(engine, "register", (model_path, mmproj))
            except EngineCrashed:
                raise
            except BackendError as error:  # the file went away since: say so, carry on
                self._problems.append(sentence_of(error))

    def _take_engine(self) -> EngineProcess | None:
        # Deliberately without the lock: a stop must not wait behind a request being set up.
        engine, self._engine = self._engine, None
        return engine

    def unload(self) -> None:
        """Free the model for real: stop the engine (the next request starts a new one).

        Stopping the process is the only way the memory of a llama.cpp model surely goes back
        to the OS; an answer still streaming ends as cancelled.
        """
        engine = self._take_engine()
        if engine is not None:
            engine.stop(self._stop_timeout_s)

    def close(self) -> None:
        """Stop the engine cleanly, killing it if it does not exit in time. Idempotent."""
        self.unload()

    def stop_hard(self) -> None:
        """Kill the engine now (an answer streaming ends as cancelled)."""
        engine = self._take_engine()
        if engine is not None:
            engine.kill()

    def __enter__(self) -> EngineBackend:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- quick calls ----------------------------------------------------------------------

    def _call(self, method: str, *args: Any) -> Any:
        return self._call_on(None, method, args)

    def _call_on(self, engine: EngineProcess | None, method: str, args: tuple[Any, ...]) -> Any:
        """The value of ``method`` run in ``engine`` (by default the current one)."""
        engine, request_id, mailbox = self._deliver(
            lambda request_id: Call(request_id, method, args), "working", engine
        )
        try:
            item = self._await_reply(engine, mailbox, "working")
            return item.value
        finally:
            engine.discard(request_id)

    def _deliver(
        self,
        message_for: Callable[[int], ToEngine],
        stage: Stage,
        engine: EngineProcess | None = None,
    ) -> tuple[EngineProcess, int, Mailbox]:
        """Send a new request to ``engine`` (by default the current one, started if needed).

        An engine can die between two requests before its watchdog notices; a message that
        could not even be written never reached it, so with the default engine it is sent
        once more, to a fresh one.
        """
        for attempt in range(2):
            current = engine or self._ensure_engine()
            request_id = next(self._ids)
            try:
                mailbox = current.open(request_id)
                current.send(message_for(request_id))
            except EngineGone as gone:
                current.discard(request_id)
                if engine is not None or attempt:
                    raise dead_engine_error(gone.exit, stage) from None
                continue
            return current, request_id, mailbox
        raise AssertionError("unreachable")

    def _await_reply(self, engine: EngineProcess, mailbox: Mailbox, stage: Stage) -> Reply:
        deadline = time.monotonic() + self._call_timeout_s
        while True:
            try:
                item = mailbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                engine.kill()
                raise EngineCrashed(
                    message(
                        "The model engine stopped responding and was stopped; the app is "
                        "fine. Try again."
                    )
                ) from None
            if isinstance(item, Reply):
                return item
            if isinstance(item, Failure):
                raise error_from_wire(item.error)
            if isinstance(item, EngineExit):
                raise dead_engine_error(item, stage)

    def list_models(self) -> list[ModelInfo]:
        models, problems = self._call("list_models")
        self._problems = list(problems)
        return [_expect(m, ModelInfo) for m in models]

    def model_info(self, model_id: str) -> ModelInfo:
        return _expect(self._call("model_info", model_id), ModelInfo)

    def register(self, model_path: str | Path, mmproj: str | Path | None = None) -> ModelInfo:
        """Make a GGUF (and optionally its projector) available by path; validates both.

        Paths are made absolute first, so the model keeps its id in an engine started later
        from another working directory.
        """
        path = str(Path(model_path).expanduser().absolute())
        projector = None if mmproj is None else str(Path(mmproj).expanduser().absolute())
        info = _expect(self._call("register", path, projector), ModelInfo)
        with self._lock:
            self._registered[info.id] = (path, projector)
        return info

    def default_model_id(self) -> str | None:
        value = self._call("default_model_id")
        return None if value is None else _expect(value, str)

    def clear_image_embeddings(self) -> int:
        """Forget every kept image embedding: the running engine's memory and the folder.

        With no engine running there is no memory to empty, and none is started for this:
        the folder is cleared here.  Answered while an answer streams (the engine reads
        calls on its main thread); a forgotten image is simply encoded again.
        """
        engine = self._engine
        if engine is not None and engine.alive:
            return _expect(self._call_on(engine, "clear_image_embeddings", ()), int)
        folder = self._config.image_cache_dir
        return 0 if folder is None else clear_folder(Path(folder))

    # -- eager prefill --------------------------------------------------------------------

    def prefill(self, request: ChatRequest, cancel: CancelToken | None = None) -> PrefillReport:
        """Have the engine read ``request`` ahead of its Send (``SupportsPrefill``); blocks
        until it is done, cancelled or the engine is gone.

        Starts the engine if none runs (the model loads now, not at Send).  A cancel is sent
        on to the engine, which stops between two images (or aborts a decode); after
        ``_PREFILL_CANCEL_WAIT_S`` more this returns anyway and lets the engine finish alone.
        """
        cancel = cancel or CancelToken()
        if cancel.cancelled:
            return PrefillReport(cancelled=True)
        engine, request_id, mailbox = self._deliver(
            lambda request_id: Prefill(request_id, request), "loading"
        )
        with self._lock:
            self._unreported_start_s = 0.0  # started while the person typed, not at Send
        cancelled_at: float | None = None
        try:
            while True:
                try:
                    item = mailbox.get(timeout=_PREFILL_POLL_S)
                except queue.Empty:
                    if cancel.cancelled and cancelled_at is None:
                        cancelled_at = time.monotonic()
                        with contextlib.suppress(EngineGone):  # its exit is in the mailbox
                            engine.send(Cancel(request_id))
                    if (
                        cancelled_at is not None
                        and time.monotonic() - cancelled_at > _PREFILL_CANCEL_WAIT_S
                    ):
                        return PrefillReport(cancelled=True)
                    continue
                if isinstance(item, Reply):
                    return _expect(item.value, PrefillReport)
                if isinstance(item, Failure):
                    raise error_from_wire(item.error)
                if isinstance(item, EngineExit):
                    raise dead_engine_error(item, "loading")
        finally:
            engine.discard(request_id)

    # -- answers --------------------------------------------------------------------------

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        """Yield the engine's chunks as they arrive; a dead engine raises ``EngineCrashed``.

        Checks that need no model (unknown model, images for a text-only model) raise here,
        before iteration, like the in-process backend.
        """
        cancel = cancel or CancelToken()
        try:
            stream = self._open_stream(request, cancel)
        except EngineCrashed as crash:
            notice = self._recover_from_illegal_instruction(crash)
            stream = self._open_stream(request, cancel)  # the one automatic retry
            return _SelfHealingStream(self, stream, request, cancel, notice=notice)
        return _SelfHealingStream(self, stream, request, cancel)

    def _open_stream(self, request: ChatRequest, cancel: CancelToken) -> EngineStream:
        with self._lock:
            self._settle_previous_answer()
            engine, request_id, mailbox = self._deliver(
                lambda request_id: Chat(request_id, request, cancelled=cancel.cancelled),
                "loading",
            )
            try:
                self._await_reply(engine, mailbox, "loading")
            except BaseException:
                engine.discard(request_id)
                raise
            start_s, self._unreported_start_s = self._unreported_start_s, 0.0
            exchange = _Exchange(
                engine,
                request_id,
                mailbox,
                cancel,
                hard_stop_s=self._hard_stop_s,
                start_s=start_s,
            )
            self._active = exchange
        return EngineStream(exchange)

    def _recover_from_illegal_instruction(self, crash: EngineCrashed) -> str:
        """After the engine died by SIGILL: reject its CPU variant, choose the next one.

        Returns the sentence that tells the person what happened; re-raises ``crash`` (with
        a clearer message where there is one) when nothing can be switched.
        """
        failed = self._variant
        if crash.signal != signal.SIGILL or failed is None:
            raise crash
        try:
            choice = cpu_variants.reject(failed, "stopped by SIGILL while answering")
        except cpu_variants.NoUsableVariant as error:
            raise EngineCrashed(
                message(
                    "This computer's processor rejected an instruction llama.cpp used, and "
                    "no compatible mode is left ({reason}). Run `localsight doctor` and "
                    "include its output in a bug report. The app is fine.",
                    reason=sentence_of(error),
                ),
                partial_text=crash.partial_text,
                signal=crash.signal,
            ) from None
        return message(
            "This computer's processor rejected an instruction set; LocalSight switched to a "
            "compatible mode ({failed} → {variant}).",
            failed=failed,
            variant=str(choice.variant),
        )

    def _settle_previous_answer(self) -> None:
        """One answer at a time: wind down a dropped stream, refuse over a live one."""
        active = self._active
        if active is None or active.finished or not active.engine.alive:
            return  # an answer on a dead engine ends at its next read; it blocks nothing
        if not active.abandoned:
            raise BackendError(
                message("The model is still answering another request. Stop it first.")
            )
        active.close()


class _SelfHealingStream(Iterator[Chunk]):
    """An answer that survives its CPU variant being refused by the processor once.

    If the engine dies by SIGILL before any text arrived, the variant is rejected, a fresh
    engine starts on the next one and the request is sent again: the caller sees one answer,
    its ``Done`` carrying a notice of the switch.  Once text has been shown it cannot be
    taken back, so then the switch is made for the next attempt and the error says so.
    """

    def __init__(
        self,
        backend: EngineBackend,
        stream: Iterator[Chunk],
        request: ChatRequest,
        cancel: CancelToken,
        *,
        notice: str = "",
    ):
        self._backend = backend
        self._stream = stream
        self._request = (request, cancel)
        self._notice = notice
        self._retried = bool(notice)  # the one retry was spent before the first chunk
        self._text_seen = False

    def __iter__(self) -> _SelfHealingStream:
        return self

    def __next__(self) -> Chunk:
        try:
            chunk = next(self._stream)
        except EngineCrashed as crash:
            if self._retried or crash.signal != signal.SIGILL:
                raise
            notice = self._backend._recover_from_illegal_instruction(crash)
            if self._text_seen:
                raise EngineCrashed(
                    message("{notice} Press Retry to answer again.", notice=notice),
                    partial_text=crash.partial_text,
                    signal=crash.signal,
                ) from None
            self._retried, self._notice = True, notice
            self._stream = self._backend._open_stream(*self._request)
            return next(self)
        if isinstance(chunk, TextDelta):
            self._text_seen = True
        elif isinstance(chunk, Done) and self._notice:
            return dataclasses.replace(chunk, notice=self._notice)
        return chunk

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if callable(close):
            close()


def _expect(value: object, kind: type[_T]) -> _T:
    """``value`` if the engine sent the type asked for; a clear error otherwise."""
    if not isinstance(value, kind):
        raise BackendError(
            message(
                "The model engine sent {sent} where {expected} was expected.",
                sent=type(value).__name__,
                expected=kind.__name__,
            )
        )
    return value
