"""Ollama's failures, translated into LocalSight's error family.

The official client surfaces failures in several shapes: a builtin ``ConnectionError`` from
its plain requests, a raw ``httpx.ConnectError`` from its streaming ones, ``ResponseError``
with the HTTP status (or ``-1`` for an ``{"error": ...}`` line that arrives after HTTP 200),
``json.JSONDecodeError`` or a pydantic ``ValidationError`` for a line it cannot read, and
httpx's timeout and protocol errors for stalls and dropped connections.  The window shows
``str(error)`` as it is, so every branch here ends in a sentence that says what to do; each is
a ``message`` (``backends.messages``), so the window and the CLI show it in the person's
language, with Ollama's own error text (``detail``) and an exception's text kept as they came.

How a failed connection becomes an error is shared with the OpenAI-compatible backend
(``backends._http``); this module words it for Ollama and reads what only Ollama sends.

``ollama``, ``httpx`` and ``pydantic`` are imported inside ``translate`` only: by the time
anything fails the backend has imported them already, and this module stays cheap to import.
"""

from __future__ import annotations

import json
from typing import Literal

from backends import _http
from backends.base import (
    BackendError,
    BackendUnavailable,
    GenerationFailed,
    InvalidImage,
    InvalidModelFile,
    ModelNotFound,
    OutOfMemory,
)
from backends.messages import message
from backends.ollama.host import is_local

Phase = Literal["request", "chat", "pull", "delete"]

_TRANSPORT = _http.Wording(
    no_answer=message(
        "Ollama at {where} did not answer{waited}. It may be busy loading a model; "
        "try again in a moment."
    ),
    stopped_sending=message(
        "Ollama stopped sending{waited} and was given up on. The partial answer is kept; "
        "try again, or raise the Ollama timeout if the model is very slow to load."
    ),
    closed_mid_answer=message(
        "Ollama at {where} closed the connection before it finished (did the server stop "
        "or crash?). The partial answer is kept; try again."
    ),
)


def not_running(host: str) -> BackendUnavailable:
    """The server does not accept connections at ``host``."""
    if is_local(host):
        return BackendUnavailable(
            message(
                "Ollama is not running at {host}. Start it with `ollama serve` (or open the "
                "Ollama app), or give its address with --host / OLLAMA_HOST.",
                host=host,
            )
        )
    return BackendUnavailable(
        message(
            "Ollama is not reachable at {host}. Check the address, and that Ollama is running "
            "on that machine and that this computer may reach it.",
            host=host,
        )
    )


def model_missing(model: str) -> ModelNotFound:
    return ModelNotFound(
        message(
            "Ollama has no model called '{model}'. Pull it first: "
            "localsight models pull --backend ollama {model}",
            model=model,
        )
    )


def translate(
    error: BaseException,
    *,
    host: str,
    model: str = "",
    phase: Phase = "request",
    partial: str = "",
    read_timeout: float | None = None,
) -> BackendError:
    """The ``BackendError`` for anything the client raised; ``partial`` rides along."""
    import httpx
    import pydantic
    from ollama import ResponseError

    if isinstance(error, BackendError):
        return error
    if isinstance(error, httpx.ConnectTimeout) and not is_local(host):
        return BackendUnavailable(
            message(
                "Ollama at {host} did not accept a connection in time. Check the address and "
                "that the machine is on.",
                host=host,
            )
        )
    if isinstance(error, ConnectionError):  # the client's own, from its plain requests
        return not_running(host)
    if isinstance(error, ResponseError):
        status, detail = error.status_code, str(error.error).strip().rstrip(".")
        return _response_error(status, detail, host=host, model=model, phase=phase, partial=partial)
    transport = _http.transport_error(
        error,
        _TRANSPORT,
        where=host,
        unreachable=lambda: not_running(host),
        answering=phase != "request",  # a pull or a delete too: not a plain request
        partial=partial,
        read_timeout=read_timeout,
    )
    if transport is not None:
        return transport
    if isinstance(error, (json.JSONDecodeError, pydantic.ValidationError)):
        return GenerationFailed(
            message(
                "The server at {host} sent a reply LocalSight cannot read ({detail}). Is it "
                "really Ollama, and up to date?",
                host=host,
                detail=_short(error),
            ),
            partial_text=partial,
        )
    return GenerationFailed(
        message(
            "Talking to Ollama at {host} failed: {error}: {detail}",
            host=host,
            error=type(error).__name__,
            detail=_short(error),
        ),
        partial_text=partial,
    )


def _response_error(
    status: int, detail: str, *, host: str, model: str, phase: Phase, partial: str
) -> BackendError:
    lowered = detail.lower()
    if status == 404 or (phase == "pull" and "file does not exist" in lowered):
        if phase == "pull":
            return ModelNotFound(
                message(
                    "Ollama's library has no model called '{model}' ({detail}). Check the name "
                    "and tag on ollama.com/library.",
                    model=model,
                    detail=detail,
                )
            )
        if phase == "delete":
            return ModelNotFound(
                message("Ollama has no model called '{model}'; nothing was deleted.", model=model)
            )
        return model_missing(model)
    if status in (401, 403):
        return BackendUnavailable(
            message(
                "Ollama at {host} refused access (HTTP {status}: {detail}). Check the token or "
                "headers configured for it.",
                host=host,
                status=status,
                detail=detail,
            )
        )
    if "memory" in lowered and ("requires more" in lowered or "out of" in lowered):
        return OutOfMemory(
            message(
                "{model} does not fit in the memory Ollama has: {detail}. Close other "
                "programs, or pick a smaller model or a smaller context size.",
                model=model or message("The model"),
                detail=detail,
            ),
            partial_text=partial,
        )
    if "image" in lowered and status in (-1, 400, 500):
        return InvalidImage(
            message(
                "Ollama could not read an attached image ({detail}). Try another image.",
                detail=detail,
            ),
            partial_text=partial,
        )
    if any(
        marker in lowered
        for marker in ("runner process has terminated", "error loading model", "unable to load")
    ):
        return InvalidModelFile(
            message(
                "Ollama could not load {model}: {detail}. The download may be "
                "damaged: delete it and pull it again, or update Ollama.",
                model=model or message("the model"),
                detail=detail,
            ),
            partial_text=partial,
        )
    if status == 400:
        return BackendError(
            message("Ollama refused the request: {detail}", detail=detail), partial_text=partial
        )
    if status == -1:
        return GenerationFailed(
            message(
                "Ollama failed while answering: {detail}. The partial answer is kept; try again.",
                detail=detail,
            ),
            partial_text=partial,
        )
    return GenerationFailed(
        message(
            "Ollama answered with an error (HTTP {status}): {detail}", status=status, detail=detail
        ),
        partial_text=partial,
    )


def _short(error: BaseException, limit: int = 200) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
