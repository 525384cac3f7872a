"""Runs "describe each" on a worker thread and relays every finished row to the GUI thread.

The work itself is ``desktop_app.core.describe`` (the same ``plan`` as ``localsight
describe`` and the pool engine of ``describe --concurrency``: one endpoint, the window's
backend, with up to ``concurrency`` images in flight); this module only adds the thread,
the two cancel tokens and a small thumbnail per row.  Hashing the files (``plan``),
decoding images and the model all happen here, never on the GUI thread.  Rows are written
by this thread alone (the pool's single writer), so each image is one row.

Stop sets both tokens: ``stop`` so no further image starts, ``cancel`` so the images being
described end now instead of after tens of seconds on a Raspberry Pi.  They get no row
(like the CLI's second Ctrl+C); every finished row stays.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from backends.base import Backend, BackendError, CancelToken, ChatRequest, Chunk, ModelInfo
from desktop_app.core.describe.output import DescribeRow
from desktop_app.core.describe.pool import (
    AllEndpointsDropped,
    PoolEndpoint,
    PoolPolicy,
    run_pool,
)
from desktop_app.core.describe.run import DescribeJob, DescribeSummary, plan
from desktop_app.core.images import ImageError, make_thumbnail, normalize_image
from desktop_app.qt.common.i18n import error_text, shown
from desktop_app.qt.common.signals import emit_from_worker
from desktop_app.qt.common.workers import unexpected

THUMB_PX = 48
#: Backends that are servers: they may answer several requests at once (Ollama with
#: ``OLLAMA_NUM_PARALLEL``, llama-server ``-np``).  The in-process llama.cpp answers one.
PARALLEL_BACKENDS = frozenset({"ollama", "openai"})


class Borrowed:
    """The window's own backend lent to a run: the pool closes its backends when it ends,
    but this one goes on serving the chat, so ``close`` does nothing."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.name = backend.name

    def list_models(self) -> list[ModelInfo]:
        return self._backend.list_models()

    def model_info(self, model_id: str) -> ModelInfo:
        return self._backend.model_info(model_id)

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        return self._backend.stream_chat(request, cancel)

    def close(self) -> None:
        """Left open: the window's backend is closed by the window."""


def window_endpoint(
    backend: Backend, concurrency: int, make: Callable[[str], Backend]
) -> tuple[PoolEndpoint, PoolPolicy]:
    """The pool of a window run: one endpoint, the window's backend.

    A server gets up to ``concurrency`` images in flight; the first slot borrows the
    window's backend and each further slot gets its own (``make(name)``: a backend is safe
    on one thread at a time).  The in-process llama.cpp gets one, and no stall limit: a
    Raspberry Pi may read an image for minutes before its first word.
    """
    lent: list[Backend] = []

    def slot() -> Backend:
        if not lent:
            lent.append(Borrowed(backend))
            return lent[0]
        return make(backend.name)

    if backend.name in PARALLEL_BACKENDS:
        return PoolEndpoint(backend.name, slot, max(1, concurrency)), PoolPolicy(stall_s=300.0)
    return PoolEndpoint(backend.name, slot, 1), PoolPolicy(stall_s=math.inf, errors_are_rows=True)


class _TableSink:
    """The ``RowSink`` of a window run: each row goes to the GUI with its thumbnail."""

    def __init__(self, runner: DescribeRunner, job: DescribeJob) -> None:
        self._runner = runner
        self._job = job

    def write(self, row: DescribeRow) -> None:
        emit_from_worker(
            self._runner.row_ready, row, None if row.error else _thumbnail(row, self._job)
        )


def _thumbnail(row: DescribeRow, job: DescribeJob) -> bytes | None:
    """A small preview through the same safe decoder the model's copy went through.

    Decoding again costs far less than the model's turn on the same image; a file that
    changed or vanished since simply has no preview.
    """
    policy = dataclasses.replace(job.policy, max_long_edge=THUMB_PX * 4)
    try:
        return make_thumbnail(normalize_image(Path(row.path), policy=policy), THUMB_PX)
    except (ImageError, OSError):
        return None


class DescribeRunner(QObject):
    """One describe run at a time; signals arrive on the GUI thread (queued)."""

    planned = Signal(int)  # images that need the model (identical files are copied)
    row_ready = Signal(object, object)  # DescribeRow, thumbnail bytes or None
    finished = Signal(object)  # DescribeSummary
    failed = Signal(str)  # an error that would repeat for every image (no vision, no engine)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._stop = CancelToken()
        self._cancel = CancelToken()
        # Connected before anyone else's slots, so by the time they run ``busy`` is False.
        self.finished.connect(self._ended)
        self.failed.connect(self._ended)

    def _ended(self, *_args: object) -> None:
        # The worker emits its last signal as its last act; the join takes microseconds.
        self.wait(2.0)

    @property
    def busy(self) -> bool:
        """True until the worker thread has really ended (also while a Stop winds down)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.cancelled

    def start(
        self,
        endpoint: PoolEndpoint,
        files: Sequence[Path],
        job: DescribeJob,
        *,
        policy: PoolPolicy | None = None,
    ) -> None:
        """Describe ``files`` on ``endpoint`` with up to ``endpoint.limit`` in flight.

        The server failing ``policy.max_failures`` times in a row (or an error that repeats
        for every image: no vision, no engine) ends the run with ``failed``: the last error.
        """
        if self.busy:
            raise RuntimeError("a describe run is already running")
        self._stop = stop = CancelToken()
        self._cancel = cancel = CancelToken()
        files = list(files)
        last: list[str] = []  # the server's failures, newest last

        def work() -> None:
            try:
                items, copies, _done = plan(files, [], job)
                emit_from_worker(self.planned, len(items))
                summary = run_pool(
                    [endpoint],
                    items,
                    copies,
                    job,
                    _TableSink(self, job),
                    concurrency=endpoint.limit,
                    stop=stop,
                    cancel=cancel,
                    policy=policy,
                    on_failure=lambda _index, why, _dropped: last.append(why),
                )
            except AllEndpointsDropped as error:
                emit_from_worker(self.failed, shown(last[-1]) if last else error_text(error))
            except BackendError as error:
                emit_from_worker(self.failed, error_text(error))
            except Exception as error:  # the window must survive anything a backend does
                emit_from_worker(self.failed, unexpected(error))
            else:
                emit_from_worker(self.finished, summary)

        self._thread = threading.Thread(target=work, name="localsight-describe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish promptly: no new image starts and the current generation is cancelled."""
        self._stop.cancel()
        self._cancel.cancel()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = ["DescribeRunner", "DescribeSummary"]
