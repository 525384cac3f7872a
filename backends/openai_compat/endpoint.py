"""Where an OpenAI-compatible server is, the presets for the common ones, and what leaks.

Every server here puts the OpenAI API under ``/v1`` and some of its own endpoints at the
root (llama-server's ``/props`` and ``/health``), so the base URL is kept exactly as the
user gave it (``http://box:8080/v1``), and the root is derived only when the path is the
usual ``/v1``.  An address without a path gets ``/v1``: people type ``127.0.0.1:8080``.

The API key goes in an ``Authorization: Bearer`` header and nowhere else: not in the URL,
not in an error message, not in a log line, not in ``repr()``.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from backends.base import BackendError
from backends.messages import message
from backends.ollama.host import is_local

__all__ = [
    "PRESETS",
    "Preset",
    "display_url",
    "is_local",
    "normalize_base_url",
    "plain_http_warning",
    "server_root",
]


@dataclass(frozen=True, slots=True)
class Preset:
    """A server's default address, and what the user should know about talking to it
    (``note``: a ``message``, shown in the settings)."""

    name: str
    label: str
    base_url: str
    note: str


# Default ports from each project's documentation.  llamafile and llama-server share 8080
# (llamafile *is* llama.cpp's server in one file), so the two presets differ only in name.
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "llama-server",
            "llama.cpp llama-server",
            "http://127.0.0.1:8080/v1",
            message(
                "Start with `llama-server -m MODEL.gguf --mmproj MMPROJ.gguf`; vision and "
                "timings are detected."
            ),
        ),
        Preset(
            "llamafile",
            "llamafile",
            "http://127.0.0.1:8080/v1",
            message(
                "Run the .llamafile (it serves on 8080); older builds may not report vision: "
                "mark the model as seeing in the settings."
            ),
        ),
        Preset(
            "lm-studio",
            "LM Studio",
            "http://127.0.0.1:1234/v1",
            message(
                "Start the server in LM Studio's Developer tab; mark vision models in the "
                "settings (its OpenAI endpoint does not say which models see)."
            ),
        ),
        Preset(
            "vllm",
            "vLLM",
            "http://127.0.0.1:8000/v1",
            message(
                "`vllm serve MODEL` (add --api-key to require a key); mark vision models in "
                "the settings."
            ),
        ),
    )
}


def normalize_base_url(url: str) -> str:
    """``http(s)://host:port/path`` without a trailing slash, query or fragment.

    No scheme means http; no path means ``/v1``.  Raises ``BackendError`` with a sentence
    for anything that is not an http(s) address.
    """
    text = url.strip()
    if not text:
        raise BackendError(
            message("The server address is empty. Give one like http://127.0.0.1:8080/v1")
        )
    if "://" not in text:
        text = "http://" + text
    try:
        split = urllib.parse.urlsplit(text)
        port = split.port
    except ValueError:
        raise BackendError(
            message(
                "'{address}' is not a server address. Give one like http://127.0.0.1:8080/v1",
                address=display_url(url),
            )
        ) from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise BackendError(
            message(
                "'{address}' is not an http(s) server address. Give one like "
                "http://127.0.0.1:8080/v1",
                address=display_url(url),
            )
        )
    host = split.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    if split.username or split.password:
        userinfo = split.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    path = split.path.rstrip("/") or "/v1"
    return urllib.parse.urlunsplit((split.scheme, netloc, path, "", ""))


def server_root(base_url: str) -> str | None:
    """The server's root when the API sits at the usual ``/v1``, else ``None``."""
    split = urllib.parse.urlsplit(base_url)
    if not split.path.endswith("/v1"):
        return None
    return urllib.parse.urlunsplit((split.scheme, split.netloc, split.path[: -len("/v1")], "", ""))


def display_url(url: str) -> str:
    """The address as it may be shown or logged: any ``user:password@`` is dropped."""
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        return message("(invalid address)")
    if "@" not in split.netloc:
        return url
    netloc = split.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((split.scheme, netloc, split.path, split.query, ""))


def plain_http_warning(base_url: str, *, has_key: bool) -> str | None:
    """One sentence for a plain-http address on another machine, else ``None``."""
    if is_local(base_url) or urllib.parse.urlsplit(base_url).scheme != "http":
        return None
    where = display_url(base_url)
    if has_key:
        return message(
            "The server at {where} is reached over plain http: prompts, images, answers and "
            "the API key cross the network unencrypted. Use it only on a network you trust, "
            "or reach it through https.",
            where=where,
        )
    return message(
        "The server at {where} is reached over plain http: prompts, images, answers cross the "
        "network unencrypted. Use it only on a network you trust, or reach it through https.",
        where=where,
    )
