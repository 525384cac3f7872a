"""The errors a model download can end in; ``str()`` is a sentence a person can act on.

One family, so the window can catch ``DownloadError`` and show the message as it is (each
a ``backends.messages.message``, shown in the person's language), and tell the kinds apart
where the remedy differs (offer "free space" for ``NotEnoughSpace``, "try again" for
``NetworkError``, nothing for ``DownloadCancelled``).
"""

from __future__ import annotations

import errno
import socket
import ssl

from backends.messages import message


class DownloadError(Exception):
    """Base of every download failure."""


class InsecureURL(DownloadError):
    """A URL (or a redirect) that is not https; plain http is allowed only to loopback."""


class NotFoundOnHub(DownloadError):
    """The hub answered 404: the repo, revision or file does not exist (any more)."""


class AccessDenied(DownloadError):
    """The hub answered 401/403: a gated repo whose licence must be accepted, or a token."""


class NetworkError(DownloadError):
    """The connection failed and retries did not help; the partial file is kept to resume."""


class ChecksumMismatch(DownloadError):
    """The bytes are not the file that was expected; the bad copy has been deleted."""


class NotEnoughSpace(DownloadError):
    """The disk is full, or would be; what was downloaded so far is kept to resume."""


class WillNotFit(DownloadError):
    """The model cannot run in this machine's memory, so it is not downloaded."""


class DownloadBusy(DownloadError):
    """Another download of the same file (another window, the CLI) is running."""


class UnsafeFileName(DownloadError):
    """A repo, revision or file name that could reach another file or URL (``../``, a folder
    part): refused before anything is fetched or written."""


class InTheWay(DownloadError):
    """Something that is not a regular file (a link, a pipe, a folder) sits where the
    download must write; it is left alone and nothing is written through it."""


class DownloadCancelled(DownloadError):
    """The user cancelled; what was downloaded so far is kept to resume."""


# -- low-level network errors in words a person can act on --------------------------------

_RESOLVER_WORDS = (
    "name or service not known",  # glibc EAI_NONAME
    "temporary failure in name resolution",  # glibc EAI_AGAIN: no DNS server answered
    "nodename nor servname",  # macOS
    "getaddrinfo failed",  # Windows
    "no address associated with hostname",
)
_OFFLINE_ERRNOS = frozenset(
    code
    for code in (
        getattr(errno, "ENETUNREACH", None),
        getattr(errno, "ENETDOWN", None),
        getattr(errno, "EHOSTUNREACH", None),
    )
    if code is not None
)


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and what caused it (httpx wraps httpcore, which wraps the socket error)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(seen) < 16 and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def plain_network_problem(error: BaseException, host: str) -> str:
    """What a failed connection to ``host`` means, without ``[Errno -2]`` or a library's name.

    Issue 17: offline, a download said "[Errno -2] Name or service not known … HF_ENDPOINT".
    The cause is read from the exception chain (the socket error under httpx's): the name
    not resolving or no route to the network is "no internet connection"; a refusal, a
    timeout and a failed certificate each say what to try.  ``host`` is data (the hub's
    name), quoted as it is.
    """
    chain = _chain(error)
    words = " ".join(str(e).lower() for e in chain)
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        w in words for w in _RESOLVER_WORDS
    ):
        return message(
            "No internet connection: the download needs one ({host} could not be found). "
            "Connect to the internet and try again; what was downloaded so far is kept.",
            host=host,
        )
    if any(isinstance(e, OSError) and e.errno in _OFFLINE_ERRNOS for e in chain):
        return message(
            "No internet connection: the download needs one ({host} cannot be reached "
            "from this network). Connect to the internet and try again; what was "
            "downloaded so far is kept.",
            host=host,
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in words:
        return message(
            "The secure connection to {host} could not be checked. Check that this "
            "computer's date and time are right, or whether a proxy or firewall intercepts "
            "connections, then try again.",
            host=host,
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in words:
        return message(
            "{host} refused the connection: the server is not running or blocks it. "
            "Try again later.",
            host=host,
        )
    if (
        any(isinstance(e, TimeoutError) for e in chain)
        or "timed out" in words
        or any("timeout" in type(e).__name__.lower() for e in chain)
    ):
        return message(
            "{host} did not answer in time: the connection may be slow or down. "
            "Try again; what was downloaded so far is kept.",
            host=host,
        )
    if any(isinstance(e, ConnectionResetError) for e in chain) or "reset" in words:
        return message(
            "The connection to {host} was cut off. Try again; the download resumes.", host=host
        )
    return message(
        "The connection to {host} failed. Check the internet connection and try again; "
        "what was downloaded so far is kept.",
        host=host,
    )
