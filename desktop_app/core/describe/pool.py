"""Describe images on a pool of servers at once: the dealer, backoff and drop logic.

Qt-free, shared by ``localsight describe --concurrency``.  Why it is built this way:

* One writer.  Workers only describe; every row is written by the thread that called
  :func:`run_pool` (``RowWriter`` fsyncs each row), so rows never interleave and each image
  ends as exactly one row.  A row is written only when the image's answer is complete, so a
  Ctrl+C or a kill -9 loses at most the images in flight, which the next run (resume on
  sha256 + model + prompt) redoes.
* One backend object per slot: a backend is safe on one thread at a time
  (``backends.base.Backend``), so each in-flight request has its own, reused afterwards.
* The :class:`Dealer` is pure bookkeeping with an injected clock and random source, so its
  backoff and drop rules are tested without servers and without sleeping.
* A server that fails (refused, 5xx, 429, a dropped connection, a stall = no chunk for
  ``stall_s``) is an *endpoint* failure: the image goes back to the queue for whoever is
  free and the endpoint waits an exponential, jittered backoff; ``max_failures``
  in a row drop it.  A bad image (``ImageError``, ``InvalidImage``, ``ContextOverflow``) is
  one error row, and so is an image every server keeps failing on while they answer the
  others (``max_image_failures``): otherwise one such request would drop them all.  When
  every endpoint is dropped the run stops without writing error rows for the images left,
  so a re-run does them.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from backends.base import (
    Backend,
    BackendError,
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    ContextOverflow,
    Done,
    InvalidImage,
    Message,
    TextDelta,
)
from backends.messages import message, sentence_of
from desktop_app.core.describe.output import DescribeRow, RowSink
from desktop_app.core.describe.run import (
    FATAL_ERRORS,
    DescribeJob,
    DescribeSummary,
    WorkItem,
    emit_row,
    empty_row,
    one_line,
)
from desktop_app.core.images import ImageError

# Failures of the image itself: the same on every server, so one error row.
IMAGE_ERRORS: tuple[type[Exception], ...] = (ImageError, InvalidImage, ContextOverflow)


@dataclass(frozen=True, slots=True)
class PoolPolicy:
    """How patient the pool is with a failing endpoint."""

    max_failures: int = 3  # in a row, then the endpoint is dropped
    backoff_s: float = 0.5  # first wait; doubled per failure in a row
    backoff_max_s: float = 30.0
    jitter: float = 0.5  # the wait is multiplied by 1 - jitter .. 1 + jitter
    stall_s: float = 60.0  # no chunk for this long: the endpoint is stalled
    #: An image that failed this many times while the pool answered other images is the
    #: image's fault (every server refuses it): it becomes an error row instead of dropping
    #: every server one after another.
    max_image_failures: int = 3
    #: The endpoint is not a server that can be down (the in-process llama.cpp): an error
    #: is about the image, one error row, as a sequential run writes it -- except the
    #: ``FATAL_ERRORS``, which would fail every image alike and end the run.
    errors_are_rows: bool = False


@dataclass(slots=True)
class EndpointState:
    """The dealer's view of one endpoint, and its counters for the progress line."""

    name: str
    limit: int
    in_flight: int = 0
    failures_in_row: int = 0
    ready_at: float = 0.0
    dropped: bool = False
    done: int = 0
    errors: int = 0


@dataclass(slots=True)
class Dealer:
    """Deals work items to endpoints with a free slot, within ``concurrency`` in all.

    Not thread-safe: only the pool's main thread calls it.  ``clock`` and ``rng`` are
    injected so the rules are testable without time passing.
    """

    endpoints: list[EndpointState]
    concurrency: int
    policy: PoolPolicy = field(default_factory=PoolPolicy)
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    pending: deque[WorkItem] = field(default_factory=deque)
    #: Answers so far, all endpoints; and per image: (failures, answers when it first failed).
    answered: int = 0
    image_failures: dict[Path, tuple[int, int]] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        return sum(endpoint.in_flight for endpoint in self.endpoints)

    @property
    def all_dropped(self) -> bool:
        return all(endpoint.dropped for endpoint in self.endpoints)

    def deal(self) -> tuple[int, WorkItem] | None:
        """The next (endpoint index, item) to start now, or None (nothing / nobody free).

        The least-loaded ready endpoint (relative to its limit) gets it, so a pool of
        unequal servers fills evenly.
        """
        if not self.pending or self.in_flight >= self.concurrency:
            return None
        now = self.clock()
        free = [
            (endpoint.in_flight / endpoint.limit, index)
            for index, endpoint in enumerate(self.endpoints)
            if not endpoint.dropped
            and endpoint.in_flight < endpoint.limit
            and endpoint.ready_at <= now
        ]
        if not free:
            return None
        index = min(free)[1]
        self.endpoints[index].in_flight += 1
        return index, self.pending.popleft()

    def succeeded(self, index: int, *, error_row: bool = False) -> None:
        """The endpoint answered (a description, or an error row about the image)."""
        endpoint = self.endpoints[index]
        endpoint.in_flight -= 1
        endpoint.failures_in_row = 0
        endpoint.done += 1
        endpoint.errors += int(error_row)
        self.answered += 1

    def gave_back(self, index: int, item: WorkItem) -> None:
        """The item was not done (a cancel): back to the queue, the endpoint not blamed."""
        self.endpoints[index].in_flight -= 1
        self.pending.appendleft(item)

    def failed(self, index: int, item: WorkItem, *, server_down: bool = True) -> bool:
        """The endpoint failed on ``item``: the item goes back in line (unless it is
        ``given_up``), the endpoint backs off; returns True when this failure drops the
        endpoint."""
        endpoint = self.endpoints[index]
        endpoint.in_flight -= 1
        endpoint.errors += 1
        failures, answered_then = self.image_failures.get(item.path, (0, self.answered))
        # A live server's refusal of an image it refused before says no more of the server
        # (one bad image retried must not drop it); a server that is down always counts.
        if server_down or failures == 0:
            endpoint.failures_in_row += 1
        if not server_down:
            self.image_failures[item.path] = (failures + 1, answered_then)
        if not self.given_up(item):
            # Last in line: the others go first, so an image every server fails on is told
            # apart (``given_up``) while they answer the rest.
            self.pending.append(item)
        if endpoint.dropped:  # an image still in flight when it was dropped: said once
            return False
        if endpoint.failures_in_row >= self.policy.max_failures:
            endpoint.dropped = True
            return True
        wait = min(
            self.policy.backoff_max_s,
            self.policy.backoff_s * 2 ** (endpoint.failures_in_row - 1),
        )
        wait *= 1 + self.policy.jitter * (2 * self.rng.random() - 1)
        endpoint.ready_at = self.clock() + wait
        return False

    def given_up(self, item: WorkItem) -> bool:
        """Whether ``item`` was refused ``max_image_failures`` times by servers that answered
        (a 5xx, a 4xx for this request) in a run where images are answered: the servers
        work, this image does not.  Failures of a server that is down (refused, a stall)
        never count against an image, so in an outage the images wait for a re-run instead
        of becoming error rows."""
        failures, _ = self.image_failures.get(item.path, (0, self.answered))
        return failures >= self.policy.max_image_failures and self.answered > 0

    def next_ready_in(self) -> float | None:
        """Seconds until a backed-off endpoint may take work again (None: none waiting)."""
        now = self.clock()
        waits = [
            endpoint.ready_at - now
            for endpoint in self.endpoints
            if not endpoint.dropped and endpoint.ready_at > now
        ]
        return max(0.0, min(waits)) if waits else None


@dataclass(frozen=True, slots=True)
class PoolEndpoint:
    """A server to use: ``make`` builds one backend (one per slot); ``limit`` in flight."""

    name: str
    make: Callable[[], Backend]
    limit: int = 1


@dataclass(slots=True)
class _Task:
    index: int
    item: WorkItem
    backend: Backend
    cancel: CancelToken = field(default_factory=CancelToken)
    last_chunk: float = field(default_factory=time.monotonic)
    stalled: bool = False
    thread: threading.Thread | None = None


@dataclass(slots=True)
class _Outcome:
    task: _Task
    row: DescribeRow | None = None  # None: cancelled or failed
    failure: str = ""  # the endpoint's error, one line
    #: The failure says nothing about the image: refused, unreachable, a stall, a bug.
    server_down: bool = False


class AllEndpointsDropped(Exception):
    """Every endpoint of the pool was dropped; ``str()`` is one line (a ``message``)."""


def run_pool(
    endpoints: Sequence[PoolEndpoint],
    work: Sequence[WorkItem],
    copies: Sequence[DescribeRow],
    job: DescribeJob,
    writer: RowSink,
    *,
    concurrency: int,
    stop: CancelToken,
    cancel: CancelToken,
    policy: PoolPolicy | None = None,
    on_row: Callable[[DescribeRow, int], None] = lambda row, index: None,
    on_failure: Callable[[int, str, bool], None] = lambda index, why, dropped: None,
) -> DescribeSummary:
    """Describe ``work`` on ``endpoints`` with up to ``concurrency`` images in flight.

    Rows are written here, on the calling thread, as answers arrive (out of order).
    ``stop`` (first Ctrl+C) deals no more images and lets those in flight finish;
    ``cancel`` (second) cancels them too (no row: the next run redoes them).
    Raises :class:`AllEndpointsDropped` (after the in-flight work has ended) when no
    endpoint is left; the images not done get no row.
    """
    policy = policy or PoolPolicy()
    summary = DescribeSummary(total=len(work) + len(copies))
    for copied in copies:
        emit_row(copied, job, writer, summary)
        summary.copied += 1
    dealer = Dealer(
        [EndpointState(endpoint.name, max(1, endpoint.limit)) for endpoint in endpoints],
        max(1, concurrency),
        policy,
    )
    # twins within this run: the first of each content is described, the rest copy it
    first_of: dict[str, WorkItem] = {}
    twins: dict[str, list[WorkItem]] = {}
    for item in work:
        if item.sha256 and item.sha256 in first_of:
            twins.setdefault(item.sha256, []).append(item)
        else:
            if item.sha256:
                first_of[item.sha256] = item
            dealer.pending.append(item)
    idle: list[list[Backend]] = [[] for _ in endpoints]
    results: queue.Queue[_Outcome] = queue.Queue()
    running: dict[int, _Task] = {}
    lock = threading.Lock()  # guards the tasks' last_chunk against the watchdog's read

    def write(row: DescribeRow, task: _Task) -> None:
        """The image's row, then a copy for each file of the same content in this run."""
        summary.described += 1
        emit_row(row, job, writer, summary)
        on_row(row, task.index)
        for twin in twins.pop(task.item.sha256, []) if task.item.sha256 else []:
            copy = replace(row, path=str(twin.path), seconds=0.0)
            summary.copied += 1
            emit_row(copy, job, writer, summary)
            on_row(copy, task.index)

    def worker(task: _Task) -> None:
        try:
            row = _describe(task, job, lock)
            results.put(_Outcome(task, row=row))
        except BackendError as error:
            if policy.errors_are_rows and not isinstance(error, FATAL_ERRORS):
                row = empty_row(task.item, job, error=one_line(sentence_of(error)))
                results.put(_Outcome(task, row=row))
                return
            results.put(
                _Outcome(
                    task,
                    failure=one_line(sentence_of(error)) or type(error).__name__,
                    server_down=isinstance(error, BackendUnavailable),
                )
            )
        except Exception as error:  # a bug or an OS error in one request must not hang the run
            failure = one_line(str(error)) or type(error).__name__
            results.put(_Outcome(task, failure=failure, server_down=True))

    try:
        while True:
            if cancel.cancelled:
                for task in list(running.values()):
                    task.cancel.cancel()
            if not stop.cancelled:
                while (dealt := dealer.deal()) is not None:
                    index, item = dealt
                    backend = idle[index].pop() if idle[index] else endpoints[index].make()
                    task = _Task(index, item, backend)
                    running[id(task)] = task
                    # Held by the task while it runs only: a run over 100 000 images keeps
                    # no thread object per image.
                    task.thread = threading.Thread(target=worker, args=(task,), daemon=True)
                    task.thread.start()
            if not running:
                if stop.cancelled and dealer.pending:
                    summary.interrupted = True
                    break
                if not dealer.pending or dealer.all_dropped:
                    break
            wait = dealer.next_ready_in()
            try:
                outcome = results.get(timeout=min(0.25, wait) if wait is not None else 0.25)
            except queue.Empty:
                _watch(running, policy.stall_s, lock)
                continue
            task = outcome.task
            del running[id(task)]
            idle[task.index].append(task.backend)
            if outcome.row is not None:
                dealer.succeeded(task.index, error_row=bool(outcome.row.error))
                write(outcome.row, task)
            elif task.cancel.cancelled and not task.stalled:
                dealer.gave_back(task.index, task.item)
                summary.interrupted = True
            else:
                why = outcome.failure or message(
                    "no answer for {seconds} s", seconds=policy.stall_s
                )
                down = outcome.server_down or task.stalled
                on_failure(task.index, why, dealer.failed(task.index, task.item, server_down=down))
                if dealer.given_up(task.item):  # every server fails on this image alone
                    write(empty_row(task.item, job, error=one_line(why)), task)
            _watch(running, policy.stall_s, lock)
    finally:
        for task in running.values():
            task.cancel.cancel()
        deadline = time.monotonic() + 5.0  # one wait for them all, not 5 s each
        for task in running.values():
            if task.thread is not None:
                task.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for pool in idle:
            for backend in pool:
                backend.close()
        for task in running.values():
            task.backend.close()
    if dealer.all_dropped and dealer.pending:
        raise AllEndpointsDropped(
            message(
                "every server of the pool failed; %n image(s) not described (run the same "
                "command again to continue).",
                n=len(dealer.pending) + sum(len(rest) for rest in twins.values()),
            )
        )
    if stop.cancelled and dealer.pending:
        summary.interrupted = True
    return summary


def _watch(running: dict[int, _Task], stall_s: float, lock: threading.Lock) -> None:
    """Cancel the requests that have had no chunk for ``stall_s``: a stalled endpoint."""
    now = time.monotonic()
    with lock:
        for task in running.values():
            if not task.cancel.cancelled and now - task.last_chunk > stall_s:
                task.stalled = True
                task.cancel.cancel()


def _describe(task: _Task, job: DescribeJob, lock: threading.Lock) -> DescribeRow | None:
    """One image on the task's backend: a row, None when cancelled, or an endpoint failure
    raised as ``BackendError``."""
    from desktop_app.core.images import normalize_image

    item = task.item
    started = time.perf_counter()
    width = height = 0
    try:
        if not item.sha256:
            raise ImageError(message("{name} cannot be read.", name=item.path.name))
        image = normalize_image(item.path, policy=job.policy)
        width, height = image.width, image.height
        with lock:  # the stall clock runs from the request, not from this image's decoding
            task.last_chunk = time.monotonic()
        request = ChatRequest(
            job.model, (Message("user", job.prompt, images=(image,)),), job.options
        )
        parts: list[str] = []
        reason = "stop"
        for chunk in task.backend.stream_chat(request, task.cancel):
            with lock:
                task.last_chunk = time.monotonic()
            if isinstance(chunk, TextDelta):
                parts.append(chunk.text)
            elif isinstance(chunk, Done):
                reason = chunk.reason
        if reason == "cancelled" or task.cancel.cancelled:
            return None
        text, error = "".join(parts).strip(), ""
    except IMAGE_ERRORS as exc:
        if task.cancel.cancelled:
            return None
        text, error, width, height = "", one_line(sentence_of(exc)), 0, 0
    except BackendError:
        if task.cancel.cancelled:
            return None
        raise
    return DescribeRow(
        path=str(item.path),
        sha256=item.sha256,
        width=width,
        height=height,
        model=job.model,
        prompt=job.prompt,
        text=text,
        seconds=round(time.perf_counter() - started, 3),
        error=error,
    )
