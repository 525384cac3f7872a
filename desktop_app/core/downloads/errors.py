"""The errors a model download can end in; ``str()`` is a sentence a person can act on.

One family, so the window can catch ``DownloadError`` and show the message as it is, and
tell the kinds apart where the remedy differs (offer "free space" for ``NotEnoughSpace``,
"try again" for ``NetworkError``, nothing for ``DownloadCancelled``).
"""

from __future__ import annotations


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
