"""Where model files come from: Hugging Face's URL scheme, and which URLs may be fetched.

The hub serves every file of a repo at ``{endpoint}/{repo}/resolve/{revision}/{filename}``
and answers with its identity in headers: ``X-Linked-Etag`` (for LFS files, the sha256 of
the content), ``X-Linked-Size``, ``X-Repo-Commit``, then usually a redirect to a CDN that
honours HTTP Range.  ``HF_ENDPOINT`` relocates the hub exactly as it does for
``huggingface_hub`` (a mirror, or the tests' loopback server).

Downloads are https only (docs/failures.md, item 8): a model file is code-adjacent input for a
native parser, and plain http lets anyone on the path swap it.  Plain http is allowed
only to a loopback address, where there is no path to attack (local mirrors, the tests),
and the rule is checked on every redirect too, not only on the first URL.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from backends.messages import message
from desktop_app.core.downloads.errors import InsecureURL

ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_ENDPOINT = "https://huggingface.co"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def hub_endpoint(environ: Mapping[str, str] | None = None) -> str:
    """``HF_ENDPOINT`` (as huggingface_hub reads it), else https://huggingface.co."""
    env = os.environ if environ is None else environ
    return (env.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")


def resolve_url(repo: str, revision: str, filename: str, endpoint: str | None = None) -> str:
    base = endpoint.rstrip("/") if endpoint else hub_endpoint()
    return f"{base}/{repo}/resolve/{quote(revision, safe='')}/{quote(filename)}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Raise ``InsecureURL`` unless ``url`` is https, or http to a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and is_loopback(host):
        return
    raise InsecureURL(
        message(
            "Refusing to download from {url}: model downloads use https only (plain http is "
            "allowed only to this computer's own loopback address). Check HF_ENDPOINT.",
            url=url,
        )
    )


def normalize_etag(value: str | None) -> str | None:
    """``W/"abc"`` → ``abc``."""
    if not value:
        return None
    return value.strip().removeprefix("W/").strip('"') or None


def sha256_from_etag(etag: str | None) -> str | None:
    """The hub's etag of an LFS file is its sha256; a git blob's (40 hex) is not."""
    value = normalize_etag(etag)
    return value.lower() if value and _SHA256.match(value.lower()) else None


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """What the hub says about one file before any byte of it is fetched."""

    url: str
    etag: str | None
    size: int | None
    commit: str | None

    @property
    def sha256(self) -> str | None:
        return sha256_from_etag(self.etag)
