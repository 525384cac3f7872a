"""The failures of OpenAI-compatible servers, translated into LocalSight's error family.

The servers agree on the happy path and disagree on errors, so this module reads every
shape seen in their documentation and source: OpenAI's ``{"error": {"message", "type",
"code"}}`` (llama-server, LM Studio, vLLM's newer releases), a bare ``{"error": "text"}``,
vLLM's older ``{"object": "error", "message": ...}``, FastAPI's ``{"detail": ...}``, and
plain text.  Mid-stream, an error arrives as an SSE event after HTTP 200 -- a ``data:``
line holding one of those objects (llama-server, vLLM), or an ``event: error``.

The window shows ``str(error)`` as it is, so every branch ends in a sentence that says what
to do; each is a ``message`` (``backends.messages``), so the window and the CLI show it in the
person's language, with the server's own error text (``detail``) and an exception's text kept
as they came.  The API key never appears in any of them.  How a failed connection becomes an error
is shared with the Ollama backend (``backends._http``); this module words it for these
servers.  ``httpx`` is imported inside the functions that need it, so importing this module
stays cheap.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from backends import _http
from backends.base import (
    BackendError,
    BackendUnavailable,
    ContextOverflow,
    GenerationFailed,
    InvalidImage,
    InvalidModelFile,
    ModelNotFound,
    OutOfMemory,
    VisionNotSupported,
)
from backends.messages import message
from backends.openai_compat.endpoint import display_url, is_local

Phase = Literal["request", "chat"]

_DETAIL_LIMIT = 300

_TRANSPORT = _http.Wording(
    no_answer=message(
        "The server at {where} did not answer{waited}. It may be busy loading a model; "
        "try again in a moment."
    ),
    stopped_sending=message(
        "The server at {where} stopped sending{waited} and was given up on. The partial "
        "answer is kept; try again."
    ),
    closed_before_answer=message(
        "The server at {where} closed the connection without answering. Is it an "
        "OpenAI-compatible server, and is it still running?"
    ),
    closed_mid_answer=message(
        "The server at {where} closed the connection before the answer was finished (did "
        "the server stop or crash?). The partial answer is kept; try again."
    ),
)


def not_reachable(base_url: str) -> BackendUnavailable:
    """Nothing accepts connections at ``base_url``."""
    where = display_url(base_url)
    if is_local(base_url):
        return BackendUnavailable(
            message(
                "No server is running at {where}. Start it (llama-server, llamafile, LM "
                "Studio's local server or vLLM), or give its address with --base-url or "
                "--preset.",
                where=where,
            )
        )
    return BackendUnavailable(
        message(
            "The server at {where} is not reachable. Check the address, that the server runs "
            "on that machine, and that it listens on the network rather than only on "
            "127.0.0.1.",
            where=where,
        )
    )


def model_missing(base_url: str, model: str, detail: str = "") -> ModelNotFound:
    where = display_url(base_url)
    if detail:
        return ModelNotFound(
            message(
                "The server at {where} has no model called '{model}' ({detail}). See what it "
                "serves with: localsight models --backend openai --base-url URL",
                where=where,
                model=model,
                detail=detail,
            )
        )
    return ModelNotFound(
        message(
            "The server at {where} has no model called '{model}'. See what it serves with: "
            "localsight models --backend openai --base-url URL",
            where=where,
            model=model,
        )
    )


def _reply(status: int, detail: str) -> str:
    """``HTTP 401: Invalid API Key``, or ``HTTP 401`` (nothing to translate) when the server
    said nothing more: a part of the sentences below, in parentheses."""
    if detail:
        return message("HTTP {status}: {detail}", status=status, detail=detail)
    return f"HTTP {status}"


def error_detail(payload: Any) -> str:
    """The human part of any error shape, shortened; ``""`` when there is none."""
    message: Any = payload
    if isinstance(payload, dict):
        inner = payload.get("error", payload)
        if isinstance(inner, dict):
            message = inner.get("message") or inner.get("detail") or inner.get("type") or ""
        elif isinstance(inner, str):
            message = inner
        else:
            message = payload.get("message") or payload.get("detail") or ""
    if isinstance(message, list):  # FastAPI validation errors
        message = "; ".join(str(item.get("msg", item)) for item in message[:3])
    return _short(str(message) if message is not None else "")


def status_of(payload: Any) -> int | None:
    """The HTTP status an error object names (``error.code``), if it names one."""
    if isinstance(payload, dict):
        inner = payload.get("error", payload)
        if isinstance(inner, dict):
            code = inner.get("code")
            if isinstance(code, int) and 100 <= code < 600:
                return code
    return None


def body_detail(body: bytes) -> str:
    """The detail of an error response body, JSON or not."""
    text = body[:65536].decode("utf-8", errors="replace").strip()
    try:
        return error_detail(json.loads(text))
    except ValueError:
        return _short(text)


def from_status(
    status: int,
    detail: str,
    *,
    base_url: str,
    model: str = "",
    phase: Phase = "chat",
    partial: str = "",
    has_key: bool = False,
) -> BackendError:
    """The error for an HTTP error status (or ``-1``: an error event after HTTP 200)."""
    where = display_url(base_url)
    reply = _reply(status, detail)
    lowered = detail.lower()
    if status in (401, 403):
        if has_key:
            return BackendUnavailable(
                message(
                    "The server at {where} refused the API key ({reply}). Check the key in the "
                    "environment variable named by --api-key-env, or in the settings.",
                    where=where,
                    reply=reply,
                )
            )
        return BackendUnavailable(
            message(
                "The server at {where} requires an API key ({reply}). Put the key in an "
                "environment variable and give its name with --api-key-env, or set it in the "
                "settings.",
                where=where,
                reply=reply,
            )
        )
    if status == 404 and phase == "request":
        return BackendUnavailable(
            message(
                "There is no OpenAI-compatible API at {where} ({reply}). Check the address: it "
                "usually ends in /v1.",
                where=where,
                reply=reply,
            )
        )
    if _names_missing_model(lowered) or (status == 404 and model):
        return model_missing(base_url, model, detail)
    if "context" in lowered and any(
        marker in lowered for marker in ("exceed", "maximum context", "too long", "context size")
    ):
        return ContextOverflow(
            message(
                "The conversation no longer fits in the model's context on the server "
                "({detail}). Start a new conversation, or give the server a larger context "
                "size.",
                detail=detail,
            ),
            partial_text=partial,
        )
    if (
        any(marker in lowered for marker in ("out of memory", "failed to allocate"))
        or re.search(r"\boom\b", lowered) is not None
    ):
        return OutOfMemory(
            message(
                "The server ran out of memory ({detail}). Pick a smaller model or context size "
                "on the server.",
                detail=detail,
            ),
            partial_text=partial,
        )
    if any(marker in lowered for marker in ("image", "mmproj", "multimodal", "bitmap", "media")):
        if any(marker in lowered for marker in ("not supported", "mmproj", "not support")):
            return VisionNotSupported(
                message(
                    "The model on {where} cannot see images ({detail}). Remove the images, or "
                    "load the model with its vision projector (llama-server: --mmproj).",
                    where=where,
                    detail=detail,
                ),
                partial_text=partial,
            )
        return InvalidImage(
            message(
                "The server could not read an attached image ({detail}). Try another image.",
                detail=detail,
            ),
            partial_text=partial,
        )
    if _failed_to_load(lowered):  # so ``detail`` names the model and says what failed
        return InvalidModelFile(
            message(
                "The server at {where} could not load {model}: {detail}. The model file may be "
                "damaged or not supported by that server; check the server's log.",
                where=where,
                model=model or message("the model"),
                detail=detail,
            ),
            partial_text=partial,
        )
    if status == 503:
        return BackendUnavailable(
            message(
                "The server at {where} is not ready ({reply}). It may still be loading the "
                "model; try again in a moment.",
                where=where,
                reply=reply,
            ),
            partial_text=partial,
        )
    if status == -1:
        if detail:
            failed = message(
                "The server at {where} failed while answering: {detail}. The partial answer "
                "is kept; try again.",
                where=where,
                detail=detail,
            )
        else:
            failed = message(
                "The server at {where} failed while answering. The partial answer is kept; "
                "try again.",
                where=where,
            )
        return GenerationFailed(failed, partial_text=partial)
    if 400 <= status < 500:
        return BackendError(
            message(
                "The server at {where} refused the request ({reply}).", where=where, reply=reply
            ),
            partial_text=partial,
        )
    return GenerationFailed(
        message(
            "The server at {where} failed ({reply}). The partial answer is kept; try again, "
            "and check the server's log if it keeps failing.",
            where=where,
            reply=reply,
        ),
        partial_text=partial,
    )


def from_exception(
    error: BaseException,
    *,
    base_url: str,
    phase: Phase = "request",
    partial: str = "",
    read_timeout: float | None = None,
) -> BackendError:
    """The error for anything httpx (or JSON decoding) raised."""
    import httpx

    if isinstance(error, BackendError):
        return error
    where = display_url(base_url)
    transport = _http.transport_error(
        error,
        _TRANSPORT,
        where=where,
        unreachable=lambda: not_reachable(base_url),
        answering=phase == "chat",
        partial=partial,
        read_timeout=read_timeout,
    )
    if transport is not None:
        return transport
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return BackendError(
            message(
                "{where} is not a usable server address ({detail}).",
                where=where,
                detail=_short(str(error)),
            )
        )
    if isinstance(error, (ValueError, UnicodeDecodeError)):  # JSON that is not JSON
        return GenerationFailed(
            message(
                "The server at {where} sent a reply LocalSight cannot read ({detail}). Is it an "
                "OpenAI-compatible server?",
                where=where,
                detail=_short(str(error)),
            ),
            partial_text=partial,
        )
    return GenerationFailed(
        message(
            "Talking to the server at {where} failed: {error}: {detail}",
            where=where,
            error=type(error).__name__,
            detail=_short(str(error)),
        ),
        partial_text=partial,
    )


def _failed_to_load(lowered: str) -> bool:
    return "model" in lowered and any(
        marker in lowered for marker in ("failed to load", "error loading", "unable to load")
    )


def _names_missing_model(lowered: str) -> bool:
    return "model" in lowered and any(
        marker in lowered for marker in ("not found", "does not exist", "no such model")
    )


def _short(text: str, limit: int = _DETAIL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
