"""The engine process: a ``LlamaCppBackend`` serving requests that arrive over a pipe.

Runs in a spawned child (never forked: the window process has Qt threads).  The main thread
only reads the pipe, so a ``Cancel`` reaches the running generation at once even while
llama.cpp is busy; the generation runs on its own thread and streams chunks back as they
come.  When the app disappears the pipe closes and the engine exits, so an engine is never
left behind holding gigabytes.

The engine's stdout and stderr go to a private log file: llama.cpp's chatter already goes
to the backend's log callback, and what still reaches file descriptor 2 (ggml's failed
asserts, printed just before ``abort()``) is what the app quotes when the engine dies.

Test-only hook, read from the environment when the engine starts:
``LOCALSIGHT_ENGINE_TEST_HANG=encode`` makes every answer sleep for ten minutes after the
model is loaded, ignoring cancellation, like an image encode that cannot be aborted.  It
exists so the hard stop (killing an engine that does not honour a cancel) can be tested.
``LOCALSIGHT_ENGINE_TEST_HANG=start`` makes the engine sleep as long before it says it is
ready, like a start on a very slow computer (the start timeout is tested with it).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NoReturn

from backends.base import (
    BackendError,
    CancelToken,
    Chunk,
    Done,
    GenerationFailed,
    TextDelta,
)
from backends.engine.protocol import (
    Call,
    Cancel,
    Chat,
    EngineConfig,
    Failure,
    Piece,
    Prefill,
    Progress,
    Ready,
    Reply,
    Shutdown,
    Stage,
    ToEngine,
    dumps,
    error_to_wire,
    loads,
)
from backends.llama_cpp import LlamaCppBackend, cpu_variants
from backends.llama_cpp.backend import RequestStage
from backends.llama_cpp.conversation_states import ConversationStates, StateCacheSize
from backends.llama_cpp.cpu_probe import execute_illegal_instruction, prepare_native_child
from backends.llama_cpp.image_embeddings import ImageCacheSize, ImageEmbeddingCache
from backends.messages import message

TEST_HANG_ENV = "LOCALSIGHT_ENGINE_TEST_HANG"
# Comma-separated CPU variant names: an engine running one of them executes an illegal
# instruction once a model is loaded, like a variant that passed its probe and then met an
# instruction this CPU refuses mid-answer (the engine's SIGILL recovery is tested with it).
TEST_TRAP_ENV = "LOCALSIGHT_ENGINE_TEST_TRAP"
_TEST_HANG_S = 600.0
_SHUTDOWN_JOIN_S = 1.0
# Everything a shutdown waits for -- the answer to end, image-embedding files and the
# conversation's state still being written -- within one budget under the app's stop timeout
# (2 s), past which it kills the engine (and a file half written stays a temporary).
_SHUTDOWN_BUDGET_S = 1.6


def _staged_backend(config: EngineConfig, report: Callable[[Stage], None]) -> LlamaCppBackend:
    """The in-process backend, reporting each request's stages (``on_stage``) to the app.

    A crash message must say whether the model died while loading or while answering, and
    only the backend knows when a load happens (it loads lazily, inside the stream).
    """
    test_hang = os.environ.get(TEST_HANG_ENV, "")

    def on_stage(stage: RequestStage) -> None:
        report(stage)
        if stage == "answering":
            _test_faults(test_hang)

    return LlamaCppBackend(
        [Path(p) for p in config.model_dirs],
        [Path(p) for p in config.extra_models],
        include_embedded=config.include_embedded,
        on_stage=on_stage,
        summary_cache=None if config.summary_cache is None else Path(config.summary_cache),
        image_embeddings=_image_embeddings(config),
        conversation_states=_conversation_states(config),
    )


def _image_embeddings(config: EngineConfig) -> ImageEmbeddingCache | None:
    """The engine's image-embedding cache, as the app sized it; None when it is off."""
    folder = None if config.image_cache_dir is None else Path(config.image_cache_dir)
    size = ImageCacheSize(
        folder,
        disk_bytes=config.image_cache_disk_bytes,
        memory_bytes=config.image_cache_memory_bytes,
    )
    return size.make()


def _conversation_states(config: EngineConfig) -> ConversationStates | None:
    """Where the engine keeps evaluated conversations, as the app sized it; None: off."""
    folder = config.conversation_cache_dir
    size = StateCacheSize(
        None if folder is None else Path(folder), disk_bytes=config.conversation_cache_bytes
    )
    return size.make()


def _test_faults(test_hang: str) -> None:
    """The test hooks that strike once the model is loaded: ``TEST_TRAP_ENV``, then
    ``TEST_HANG_ENV`` (read when the engine started, passed in as ``test_hang``)."""
    variant = cpu_variants.current().variant
    traps = os.environ.get(TEST_TRAP_ENV, "").split(",")
    if variant and variant in traps:
        execute_illegal_instruction()
    if test_hang == "encode":
        time.sleep(_TEST_HANG_S)  # deliberately deaf to the cancel token


class _Server:
    """Reads requests on the main thread, answers chats on a worker thread."""

    def __init__(self, conn: Connection, config: EngineConfig) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()
        self._backend = _staged_backend(config, self._report_stage)
        self._chat_id: int | None = None
        self._chat_cancel: CancelToken | None = None
        self._chat_thread: threading.Thread | None = None
        #: Eager prefills running (their own threads), by request id, for ``Cancel``.
        self._prefills: dict[int, CancelToken] = {}

    def send(self, message: Ready | Reply | Failure | Progress | Piece) -> None:
        data = dumps(message)
        try:
            with self._send_lock:
                self._conn.send_bytes(data)
        except OSError:  # the app is gone; nobody is left to answer
            self._orphaned()

    def _orphaned(self) -> NoReturn:
        """The app is gone: the model must not linger."""
        os._exit(0)  # without waiting for native work in progress

    def run(self) -> None:
        if os.environ.get(TEST_HANG_ENV) == "start":
            time.sleep(_TEST_HANG_S)
        self.send(Ready(os.getpid()))
        while True:
            try:
                message: ToEngine = loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                self._orphaned()
            if isinstance(message, Shutdown):
                break
            if isinstance(message, Cancel):
                if message.id == self._chat_id and self._chat_cancel is not None:
                    self._chat_cancel.cancel()
                prefill = self._prefills.get(message.id)
                if prefill is not None:
                    prefill.cancel()
            elif isinstance(message, Prefill):
                self._start_prefill(message)
            elif isinstance(message, Chat):
                self._start_chat(message)
            elif isinstance(message, Call):
                self._answer_call(message)
        self._shutdown()

    # -- requests -------------------------------------------------------------------------

    def _report_stage(self, stage: Stage) -> None:
        if self._chat_id is not None:
            self.send(Progress(self._chat_id, stage))

    def _answer_call(self, message: Call) -> None:
        try:
            value = self._run_call(message.method, message.args)
        except Exception as error:
            self.send(Failure(message.id, error_to_wire(error)))
        else:
            self.send(Reply(message.id, value))

    def _run_call(self, method: str, args: tuple[object, ...]) -> object:
        backend = self._backend
        if method == "list_models":
            return backend.list_models(), list(backend.problems)
        if method == "model_info":
            return backend.model_info(str(args[0]))
        if method == "register":
            mmproj = args[1]
            return backend.register(str(args[0]), None if mmproj is None else str(mmproj))
        if method == "default_model_id":
            return backend.default_model_id()
        if method == "clear_image_embeddings":
            return backend.clear_image_embeddings()
        raise BackendError(
            message("The model engine does not know the request {request}.", request=repr(method))
        )

    def _start_chat(self, message: Chat) -> None:
        cancel = CancelToken()
        if message.cancelled:
            cancel.cancel()
        try:
            # Checks (unknown model, images to a text-only model) happen here, eagerly, so
            # the app can raise them from stream_chat itself.
            stream = self._backend.stream_chat(message.request, cancel)
        except Exception as error:
            self.send(Failure(message.id, error_to_wire(error)))
            return
        self._chat_id, self._chat_cancel = message.id, cancel
        self.send(Reply(message.id, None))
        thread = threading.Thread(
            target=self._pump, args=(message.id, stream), name="engine-chat", daemon=True
        )
        self._chat_thread = thread
        thread.start()

    def _start_prefill(self, message: Prefill) -> None:
        """Read a request ahead of its Send on a thread of its own: the backend makes a chat
        arriving meanwhile wait for it or cancel it."""
        cancel = CancelToken()
        self._prefills[message.id] = cancel
        thread = threading.Thread(
            target=self._prefill, args=(message, cancel), name="engine-prefill", daemon=True
        )
        thread.start()

    def _prefill(self, message: Prefill, cancel: CancelToken) -> None:
        try:
            report = self._backend.prefill(message.request, cancel)
        except Exception as error:
            self.send(Failure(message.id, error_to_wire(error)))
        else:
            self.send(Reply(message.id, report))
        finally:
            self._prefills.pop(message.id, None)

    def _pump(self, chat_id: int, stream: Iterator[Chunk]) -> None:
        parts: list[str] = []
        done: Done | None = None
        try:
            for chunk in stream:
                if isinstance(chunk, TextDelta):
                    parts.append(chunk.text)
                    self.send(Piece(chat_id, chunk))
                else:
                    done = chunk
        except Exception as error:
            self.send(Failure(chat_id, error_to_wire(error, "".join(parts))))
            return
        # Done goes out only once the stream is exhausted, i.e. once the backend has released
        # its one-generation lock: the app may send the next chat the moment it reads Done.
        if done is None:  # never expected; still, the app must not wait forever
            done_error = GenerationFailed(message("The answer ended without finishing."))
            self.send(Failure(chat_id, error_to_wire(done_error, "".join(parts))))
        else:
            self.send(Piece(chat_id, done))

    def _shutdown(self) -> None:
        if self._chat_cancel is not None:
            self._chat_cancel.cancel()
        for prefill in list(self._prefills.values()):
            prefill.cancel()
        deadline = time.monotonic() + _SHUTDOWN_BUDGET_S
        thread = self._chat_thread
        if thread is not None and thread.is_alive():
            thread.join(_SHUTDOWN_JOIN_S)
        states = self._backend.conversation_states
        if states is not None:  # copied now (milliseconds), written beside the images
            self._backend.keep_conversation_state()
        images = self._backend.image_embeddings
        if images is not None:  # the last image read may still be on its way
            images.flush(max(0.0, deadline - time.monotonic()))
        if states is not None:  # unless kept on idle already, or the answer still ran
            states.flush(max(0.0, deadline - time.monotonic()))
        # Exit without freeing the model or finalising the interpreter: the engine holds
        # nothing to save (answers are kept by the app), and the OS returns its memory
        # faster than freeing it piece by piece would; the app's quit waited for that.
        # (Taken back once as a suspect of the test process's heap corruption, which was
        # BackgroundCall's double deletion in that process, not anything in this child.)
        os._exit(0)


def main(conn: Connection, config: EngineConfig, log_path: str) -> None:
    """Entry point of the engine process (the ``multiprocessing`` target)."""
    prepare_native_child(log_path)  # output to the private log, no gdb backtrace
    # Ctrl+C in the terminal reaches the whole process group; the app decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if config.cpu_variant is not None:
        cpu_variants.adopt(config.cpu_variant)
    _Server(conn, config).run()
