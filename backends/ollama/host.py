"""Where the Ollama server is, and whether talking to it leaks anything.

The address rules are the official client's (``ollama._client._parse_host``) so that
``OLLAMA_HOST`` means the same thing to LocalSight as to the ``ollama`` command; they are
restated here because importing the client costs a third of a second, too much for code the
window runs at start-up to show the configured address.  A test pins both to the same
answers.

Ollama has no authentication (docs/failures.md, item 8): a plain-http address on another machine
sends prompts, images and answers over the network in clear text.  That is allowed (a
stronger box on the LAN is a good reason) but the user is told, once, in words.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from collections.abc import Mapping

from backends.messages import message

DEFAULT_PORT = 11434
DEFAULT_HOST = f"http://127.0.0.1:{DEFAULT_PORT}"
HOST_ENV = "OLLAMA_HOST"


def parse_host(host: str | None) -> str:
    """A full base URL from anything ``OLLAMA_HOST`` accepts (``:8080``, ``box``, ``https://x``).

    Mirrors the client: no scheme means http on 11434, ``http://`` without a port means
    80, ``https://`` means 443, a trailing slash is dropped and IPv6 keeps its brackets.
    """
    host, port = host or "", DEFAULT_PORT
    scheme, _, hostport = host.partition("://")
    if not hostport:
        scheme, hostport = "http", host
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    split = urllib.parse.urlsplit(f"{scheme}://{hostport}")
    name = split.hostname or "127.0.0.1"
    port = split.port or port
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            name = f"[{name}]"
    except ValueError:
        pass
    path = split.path.strip("/")
    return f"{scheme}://{name}:{port}/{path}" if path else f"{scheme}://{name}:{port}"


def resolve_host(host: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The address to use: the explicit one, else ``OLLAMA_HOST``, else 127.0.0.1:11434."""
    env = os.environ if environ is None else environ
    return parse_host(host or env.get(HOST_ENV) or None)


def is_local(url: str) -> bool:
    """True when the address can only reach this machine.

    Names are not resolved (that would be network traffic at start-up): only ``localhost``
    and literal loopback / unspecified addresses count as local.  ``0.0.0.0`` is what many
    people put in ``OLLAMA_HOST`` for the server; a client connecting to it reaches this
    machine.
    """
    name = (urllib.parse.urlsplit(url).hostname or "").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def plain_http_warning(url: str) -> str | None:
    """One sentence for a plain-http address on another machine, else ``None``."""
    if is_local(url) or urllib.parse.urlsplit(url).scheme != "http":
        return None
    return message(
        "Ollama at {url} is reached over plain http: prompts, images and answers cross the "
        "network unencrypted and Ollama itself checks no password. Use it only on a network "
        "you trust, or reach it through https.",
        url=url,
    )
