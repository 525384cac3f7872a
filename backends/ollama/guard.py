"""Cutting a streaming request's connection from another thread, so Stop works at once.

Checking the ``CancelToken`` between chunks is not enough: while Ollama loads a model, reads
an image or simply stalls, the worker thread sits in ``recv()`` and sees no chunk to check
between.  The guard keeps the socket of its one request (httpcore reports it through the
``trace`` request extension when the connection is made) and a small watcher thread shuts
the socket down when the token fires.  ``shutdown()`` wakes a blocked ``recv()`` at once
(``close()`` would not, on Linux), the client raises, the backend sees the token and ends
the stream as cancelled; the server sees the connection close and stops generating, which is
how Ollama itself is told to stop.

The guard is attached only to a client that never reuses connections, so every guarded
request opens (and reports) a socket of its own.  A cancel during the TCP connect itself
waits for the connect to finish or time out, the one window the guard cannot reach.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any

from backends.base import CancelToken

_SOCKET_EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete")


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

    @property
    def was_cut(self) -> bool:
        return self._cut

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
        """Shut the connection down now (or as soon as it exists)."""
        with self._lock:
            if self._finished.is_set():
                return
            self._cut = True
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
