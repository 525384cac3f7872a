"""What the two HTTP backends share: their clients, and how a failed connection is reported.

The Ollama backend (through the official client) and the OpenAI-compatible backend (through
httpx directly) both talk httpx underneath, so the same things go wrong under both: nothing
listens at the address, the server stalls, the connection drops.  Which error of the family
in ``backends.base`` each of those becomes, and whether the partial answer rides along, is
decided here, once (``transport_error``); the sentences stay with each backend
(``Wording``), because each names its own server and its own remedy.  What only one server
does (Ollama's error JSON, an OpenAI server's error body, its status codes) stays in that
backend's ``errors.py``.

``httpx`` is imported inside the functions that need it: by the time anything fails the
backend has imported it already, and this module stays cheap to import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from backends.base import BackendError, BackendUnavailable, GenerationFailed
from backends.messages import Message, message

# -- clients --------------------------------------------------------------------------------


def default_connect_timeout(local: bool) -> float:
    """How long to wait for a connection when the user gave no limit: 2 s on this machine,
    where a refused connection is instant, so waiting longer would only delay "not running";
    10 s for another machine, across a network that may be slow."""
    return 2.0 if local else 10.0


class _Closable(Protocol):
    def close(self) -> None: ...


_Client = TypeVar("_Client", bound=_Closable)


class ClientPair(Generic[_Client]):
    """A backend's two HTTP clients, each made on first use and closed together.

    ``plain`` serves short requests nothing can cancel and may keep its connection alive
    between them; ``streaming`` serves chats, pulls and every request given a ``CancelToken``
    on a fresh connection per request, so each request reports its own socket to the
    ``ConnectionGuard`` that cuts it on Stop.  Both may be asked for from any thread.
    """

    def __init__(self, plain: Callable[[], _Client], streaming: Callable[[], _Client]) -> None:
        self._make_plain = plain
        self._make_streaming = streaming
        self._lock = threading.Lock()
        self._plain: _Client | None = None
        self._streaming: _Client | None = None

    def plain(self) -> _Client:
        with self._lock:
            if self._plain is None:
                self._plain = self._make_plain()
            return self._plain

    def streaming(self) -> _Client:
        with self._lock:
            if self._streaming is None:
                self._streaming = self._make_streaming()
            return self._streaming

    def close(self) -> None:
        """Close both clients; the next request makes new ones. Idempotent."""
        with self._lock:
            for client in (self._plain, self._streaming):
                if client is not None:
                    client.close()
            self._plain = self._streaming = None


# -- failures -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wording:
    """One backend's sentences for the failures ``transport_error`` tells apart.

    Each is a ``message("…")`` written out in the backend (so ``pyside6-lupdate`` finds it
    there, beside the server it names) whose ``template`` ``transport_error`` fills: ``{where}``
    stands for the server's address as it may be shown, ``{waited}`` for `` for N s`` (the
    read timeout that ran out, itself a ``message``) or nothing when that is not known.
    """

    no_answer: Message  # the server stalled before answering
    stopped_sending: Message  # the server stalled in the middle of an answer
    closed_mid_answer: Message  # the connection dropped in the middle of an answer
    # The connection dropped before any answer.  None: said as ``closed_mid_answer``, and
    # treated as a failed answer too.
    closed_before_answer: Message | None = None


def waited(read_timeout: float | None) -> str:
    """`` for 300 s``: how long a stalled server was waited for, when that is known.

    A part of the sentences above rather than a sentence of its own: the translator words it
    to fit them (Chinese puts it in parentheses after the verb)."""
    if not read_timeout:
        return ""
    return message(" for {seconds} s", seconds=f"{read_timeout:g}")


def transport_error(
    error: BaseException,
    wording: Wording,
    *,
    where: str,
    unreachable: Callable[[], BackendError],
    answering: bool,
    partial: str = "",
    read_timeout: float | None = None,
) -> BackendError | None:
    """The error for an httpx failure to connect, to hear back or to stay connected, or
    ``None`` for anything else (the backend's own failures, unreadable replies, bugs).

    ``answering``: the request was one whose reply was under way (a chat, a pull), so a
    failure interrupts an answer: it is a ``GenerationFailed`` carrying ``partial``.  Before
    that, the same failure means the server is not in a state to serve at all:
    ``BackendUnavailable``, whose sentence says what to check.
    """
    import httpx

    # Refused, unresolvable, TLS that failed, or no connection within the connect timeout:
    # nothing was sent, so nothing is lost; the server is simply not there (the backend
    # says where to start it or what to check).
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        return unreachable()
    # The read (or write, or pool) timeout ran out: the server accepted the request and went
    # quiet.  Before an answer that is usually a model still loading, so it is worth trying
    # again; during one the text so far is kept and the answer ends as failed.
    if isinstance(error, httpx.TimeoutException):
        how_long = waited(read_timeout)
        if not answering:
            return BackendUnavailable(
                message(wording.no_answer.template, where=where, waited=how_long)
            )
        return GenerationFailed(
            message(wording.stopped_sending.template, where=where, waited=how_long),
            partial_text=partial,
        )
    # The connection broke: the server stopped, crashed or is not speaking HTTP as expected.
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        if not answering and wording.closed_before_answer is not None:
            return BackendUnavailable(message(wording.closed_before_answer.template, where=where))
        return GenerationFailed(
            message(wording.closed_mid_answer.template, where=where), partial_text=partial
        )
    return None
