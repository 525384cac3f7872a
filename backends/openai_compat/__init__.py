"""OpenAI-compatible servers (llama-server, llamafile, LM Studio, vLLM) over HTTP.

``httpx`` and ``httpx_sse`` are imported on first use, so importing this package is cheap.
"""

from backends.openai_compat.backend import DEFAULT_BASE_URL, OpenAICompatBackend
from backends.openai_compat.endpoint import (
    PRESETS,
    Preset,
    display_url,
    normalize_base_url,
    plain_http_warning,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "PRESETS",
    "OpenAICompatBackend",
    "Preset",
    "display_url",
    "normalize_base_url",
    "plain_http_warning",
]
