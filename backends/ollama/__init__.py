"""Ollama over HTTP through the official client; ``ollama`` itself is imported on first use."""

from backends.ollama.backend import OllamaBackend, PullProgress
from backends.ollama.host import DEFAULT_HOST, parse_host, plain_http_warning, resolve_host

__all__ = [
    "DEFAULT_HOST",
    "OllamaBackend",
    "PullProgress",
    "parse_host",
    "plain_http_warning",
    "resolve_host",
]
