"""Cutting a request's connection from another thread, so Stop works at once, at every stage.

Checking the ``CancelToken`` between chunks is not enough: while Ollama loads a model, reads
an image, looks a model up for ``/api/show`` or simply stalls, the worker thread sits in
``recv()`` and sees no chunk to check between.  The guard keeps the socket of its one request
(httpcore reports it through the ``trace`` request extension when the connection is made) and
shuts it down when the token fires.  ``shutdown()`` wakes a blocked ``recv()`` at once
(``close()`` would not, on Linux), the client raises, the backend sees the token and ends the
request as cancelled; the server sees the connection close and stops generating, which is how
Ollama itself is told to stop.

Before that socket exists there is nothing to shut down: a name lookup cannot be interrupted,
and a connect to a machine that drops packets waits for the whole connect timeout (10 s across
a network).  So the start of every request (connect, send, wait for the reply's headers, or
for all of a short reply) runs through ``ConnectionGuard.start``, in a thread of its own,
while the caller waits for it or for the token, whichever comes first (the watcher thread
wakes the caller the moment the token fires).  On Stop the caller leaves at once with
``Cancelled``; the abandoned start finishes by itself, quickly, since its socket is cut the
moment it exists, and whatever it got late is released.  The two short-lived threads cost
about 0.2 ms each, less than the fresh connection the guard needs (0.5 ms on this machine).

The guard is attached only to a client that never reuses connections, so every guarded request
opens (and reports) a socket of its own.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from backends.base import Cancelled, CancelToken
from backends.messages import message

_SOCKET_EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete")

_T = TypeVar("_T")


def cancelled() -> Cancelled:
    """The error of a request stopped before the server answered."""
    return Cancelled(message("Stopped at your request before the server answered."))


class ConnectionGuard:
    """Watches one request's ``CancelToken`` and cuts its connection when it fires."""

    def __init__(self, cancel: CancelToken, *, poll_s: float = 0.05) -> None:
        self._cancel = cancel
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._stream: Any = None
        self._cut = False
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._abandoned = False
        self._wake: threading.Event | None = None  # ends the wait in ``start``

    @property
    def was_cut(self) -> bool:
        return self._cut

    @property
    def abandoned(self) -> bool:
        """``start`` gave up on its step, which may still be running in its own thread: the
        caller must leave what the step uses (a stream, a generator) to it."""
        return self._abandoned

    def start(self, step: Callable[[], _T], *, release: Callable[[_T], None] | None = None) -> _T:
        """What ``step`` returns, or ``Cancelled`` as soon as the token fires.

        ``step`` opens this guard's connection and waits for the server: it sends the request
        and returns the reply (or, for a stream, its first part).  It runs in a thread of its
        own so that the wait ends on Stop even before the connection exists (see the module's
        docstring); the guard's watcher, which sees the token fire at once, wakes the wait.
        If the caller gave up on the step, ``release`` gets what it returned late (a response
        or stream to close).  A step that failed after the token fired failed because of it
        (its connection was cut): that is ``Cancelled`` too.
        """
        if self._thread is None:  # the watcher is what ends the wait below on Stop
            with self:
                return self.start(step, release=release)
        if self._cancel.cancelled:
            raise cancelled()
        lock = threading.Lock()
        woken = threading.Event()
        values: list[_T] = []
        errors: list[BaseException] = []
        with self._lock:
            self._wake = woken
            # Stop may have come between the check above and now: the watcher's cut found
            # no wait to end then, and will not come again, so look once more.
            stopped = self._cut
        if stopped or self._cancel.cancelled:
            raise cancelled()

        def run() -> None:
            try:
                value = step()
            except BaseException as error:
                with lock:
                    if not self._abandoned:
                        errors.append(error)
                woken.set()
                return
            with lock:
                kept = not self._abandoned
                if kept:
                    values.append(value)
            woken.set()
            if not kept and release is not None:
                with contextlib.suppress(Exception):
                    release(value)

        threading.Thread(target=run, name="http-request", daemon=True).start()
        try:
            while not woken.wait(1.0):  # a timeout keeps a Ctrl+C deliverable
                pass
        finally:  # Stop, or a Ctrl+C while waiting: leave the step behind, cut its connection
            with lock:
                self._abandoned = not (values or errors)
            if self._abandoned:
                self.cut()
        if self._abandoned:
            raise cancelled()
        if values:
            return values[0]
        if self._cancel.cancelled:
            raise cancelled() from None
        raise errors[0]

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` callback: remember the newest network stream of the request.

        After TLS the plain socket object is detached, so the TLS stream replaces it.
        """
        if event not in _SOCKET_EVENTS:
            return
        with self._lock:
            self._stream = info.get("return_value")
            cut = self._cut
        if cut:
            self._shutdown()

    def cut(self) -> None:
        """Shut the connection down now (or as soon as it exists), and end ``start``'s wait."""
        with self._lock:
            wake = self._wake
            if self._finished.is_set():
                return
            self._cut = True
        if wake is not None:
            wake.set()
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            stream = self._stream
        if stream is None:
            return
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _watch(self) -> None:
        """Cut the connection the moment the token fires (``Event.wait`` returns at once);
        the poll only notices that the request is over."""
        while not self._finished.is_set():
            if self._cancel.wait(self._poll_s):
                self.cut()
                return

    def __enter__(self) -> ConnectionGuard:
        self._thread = threading.Thread(target=self._watch, name="ollama-cancel", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._finished.set()
