"""One answer streaming out of the engine, as the caller iterates it.

The caller's ``CancelToken`` lives in the app, the generation in the engine: every wait here
is short (``_WAKE_S``) so a cancel set from any thread is forwarded within a few tens of
milliseconds.  If the engine has not ended the answer ``hard_stop_s`` after the cancel (an
image encode cannot be aborted), the engine is killed and the stream ends as cancelled:
Stop always works, and the next request starts a fresh engine.

An ``_Exchange`` holds the state; ``EngineStream`` is the iterator the caller holds.  They
are separate so a stream the caller dropped without closing can still be wound down by the
next request (the backend keeps the exchange, the caller's reference is gone).
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import time
from collections.abc import Iterator

from backends.base import (
    BackendError,
    BackendUnavailable,
    CancelToken,
    Chunk,
    Done,
    EngineCrashed,
    Stats,
    TextDelta,
)
from backends.engine.crash import EngineExit, crash_message
from backends.engine.process import EngineGone, EngineProcess, Mailbox
from backends.engine.protocol import Cancel, Failure, Piece, Progress, Stage, error_from_wire
from backends.messages import message

_WAKE_S = 0.05


def dead_engine_error(exit: EngineExit, stage: Stage, partial_text: str = "") -> BackendError:
    """The error for a request whose engine ended under it."""
    if exit.intentional:
        return BackendUnavailable(
            message("The model engine was stopped before it answered. Try again."),
            partial_text=partial_text,
        )
    code = exit.exitcode
    return EngineCrashed(
        crash_message(exit, stage),
        partial_text=partial_text,
        signal=-code if code is not None and code < 0 else None,
    )


class _Exchange:
    """A chat in flight: its mailbox, its cancel, the text so far and the stage it is in."""

    def __init__(
        self,
        engine: EngineProcess,
        request_id: int,
        mailbox: Mailbox,
        cancel: CancelToken,
        *,
        hard_stop_s: float,
        start_s: float,
    ) -> None:
        self.engine = engine
        self._id = request_id
        self._mailbox = mailbox
        self._cancel = cancel
        self._hard_stop_s = hard_stop_s
        self._start_s = start_s  # an engine start caused by this request counts as loading
        self._stop_requested = False
        self._cancel_sent_at: float | None = None
        self._parts: list[str] = []
        self._stage: Stage = "loading"
        self.finished = False
        self.abandoned = False

    @property
    def partial_text(self) -> str:
        return "".join(self._parts)

    def next(self) -> Chunk | None:
        """The next chunk, or None once the stream has ended."""
        while not self.finished:
            self._forward_cancel()
            if self._hard_stop_due():
                self.engine.kill()
                return self._finish(Done(Stats(), "cancelled"))
            try:
                item = self._mailbox.get(timeout=_WAKE_S)
            except queue.Empty:
                continue
            if isinstance(item, Piece):
                chunk = item.chunk
                if isinstance(chunk, TextDelta):
                    if self._cancel_sent_at is not None:
                        # Stop was pressed: text the engine made before it heard of it (a
                        # small model writes thousands of tokens a second) is not shown;
                        # the answer ends where the person stopped it.
                        continue
                    self._parts.append(chunk.text)
                    return chunk
                return self._finish(self._with_start_time(chunk))
            if isinstance(item, Progress):
                self._stage = item.stage
            elif isinstance(item, Failure):
                self._end()
                error = error_from_wire(item.error)
                error.partial_text = error.partial_text or self.partial_text
                raise error
            elif isinstance(item, EngineExit):
                if item.intentional:  # unload(), close() or stop_hard() while answering
                    return self._finish(Done(Stats(), "cancelled"))
                self._end()
                raise dead_engine_error(item, self._stage, self.partial_text)
        return None

    def close(self) -> None:
        """Stop the answer and wait until the engine is free again (at most the hard stop)."""
        self._stop_requested = True
        while not self.finished:
            # A crash while winding down changes nothing for a caller who stopped listening.
            with contextlib.suppress(BackendError):
                self.next()

    def abandon(self) -> None:
        """The caller dropped the stream: ask the engine to stop, without waiting."""
        if self.finished:
            return
        self.abandoned = True
        self._stop_requested = True
        self._forward_cancel()

    def _forward_cancel(self) -> None:
        if self._cancel_sent_at is not None:
            return
        if not (self._stop_requested or self._cancel.cancelled):
            return
        self._cancel_sent_at = time.monotonic()
        with contextlib.suppress(EngineGone):  # its EngineExit is in the mailbox already
            self.engine.send(Cancel(self._id))

    def _hard_stop_due(self) -> bool:
        sent = self._cancel_sent_at
        return sent is not None and time.monotonic() - sent > self._hard_stop_s

    def _with_start_time(self, done: Done) -> Done:
        if not self._start_s:
            return done
        stats = dataclasses.replace(done.stats, load_s=done.stats.load_s + self._start_s)
        return dataclasses.replace(done, stats=stats)

    def _finish(self, done: Done) -> Done:
        self._end()
        return done

    def _end(self) -> None:
        self.finished = True
        self.engine.discard(self._id)


class EngineStream(Iterator[Chunk]):
    """The iterator ``EngineBackend.stream_chat`` returns; ``close()`` stops the answer.

    Like a generator, it belongs to the one thread that iterates it; other threads stop it
    through the ``CancelToken`` (or ``EngineBackend.stop_hard``).
    """

    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    def __iter__(self) -> EngineStream:
        return self

    def __next__(self) -> Chunk:
        chunk = self._exchange.next()
        if chunk is None:
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._exchange.close()

    def __del__(self) -> None:
        # Like a generator's close at garbage collection, but without blocking whichever
        # thread happens to collect it: the next request finishes winding it down.  At
        # interpreter exit the engine may be half torn down already; nothing is left to do.
        with contextlib.suppress(Exception):
            self._exchange.abandon()
