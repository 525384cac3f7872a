"""The chat-completions wire format: request bodies out, stream chunks in.

Pure functions on plain data, so the mapping is easy to read and to test without a server.

What each server accepts, from their documentation: the OpenAI parameters ``temperature``,
``top_p``, ``max_tokens``, ``seed``, ``stop`` and ``stream_options.include_usage`` are
understood by llama-server, llamafile, LM Studio and vLLM alike.  ``top_k`` and a repeat
penalty are not OpenAI parameters: llama.cpp's server (and llamafile) take ``top_k`` and
``repeat_penalty``, vLLM takes ``top_k`` and ``repetition_penalty``; other servers may
refuse unknown fields (OpenAI itself answers 400), so they are sent only to a server that
identified itself (``owned_by`` in ``/v1/models``).  ``num_ctx`` and ``threads`` are the
server's own start-up settings and cannot be changed per request.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal

from backends.base import FinishReason, GenerationOptions, Message, Stats

ServerKind = Literal["llama.cpp", "vllm", "other"]


def server_kind(owned_by: object) -> ServerKind:
    """Which dialect of extra parameters the server speaks, from ``/v1/models``' owner."""
    if owned_by == "llamacpp":  # llama-server, and llamafile builds based on it
        return "llama.cpp"
    if owned_by == "vllm":
        return "vllm"
    return "other"


def wire_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Messages for ``/chat/completions``; images become ``image_url`` data URIs.

    A turn without images stays a plain string: the most widely understood shape.  The
    bytes are the ones ``desktop_app.core.images`` normalised, so nothing else (no file
    name, no metadata, no remote URL) ever reaches the server.
    """
    wire: list[dict[str, Any]] = []
    for message in messages:
        if not message.images:
            wire.append({"role": message.role, "content": message.text})
            continue
        parts: list[dict[str, Any]] = [
            {
                "type": "image_url",
                "image_url": {
                    "url": f"data:{image.mime};base64,"
                    + base64.b64encode(image.data).decode("ascii")
                },
            }
            for image in message.images
        ]
        if message.text:
            parts.append({"type": "text", "text": message.text})
        wire.append({"role": message.role, "content": parts})
    return wire


def request_body(
    model: str,
    messages: tuple[Message, ...],
    options: GenerationOptions,
    kind: ServerKind = "other",
) -> dict[str, Any]:
    """The JSON body of one streamed chat completion."""
    body: dict[str, Any] = {
        "model": model,
        "messages": wire_messages(messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": options.temperature,
        "top_p": options.top_p,
    }
    if options.max_tokens is not None:
        body["max_tokens"] = options.max_tokens
    if options.seed is not None:
        body["seed"] = options.seed
    if options.stop:
        body["stop"] = list(options.stop)
    if kind == "llama.cpp":
        body["top_k"] = options.top_k
        body["repeat_penalty"] = options.repeat_penalty
    elif kind == "vllm":
        body["top_k"] = options.top_k
        body["repetition_penalty"] = options.repeat_penalty
    return body


@dataclass(slots=True)
class StreamState:
    """What the chunks of one answer said, gathered as they arrive."""

    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None

    def absorb(self, chunk: dict[str, Any]) -> str:
        """Record the chunk's metadata and return its text (``""`` when it carries none).

        Reasoning models on llama-server and vLLM stream ``reasoning_content`` besides
        ``content``; only the answer itself is shown.
        """
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage
        timings = chunk.get("timings")
        if isinstance(timings, dict):
            self.timings = timings
        text: list[str] = []
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or choice.get("message") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str):
                text.append(content)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish_reason = reason
        return "".join(text)

    @property
    def reason(self) -> FinishReason:
        return "length" if self.finish_reason == "length" else "stop"

    def stats(self, *, prompt_wall_s: float, decode_wall_s: float, deltas: int) -> Stats:
        """Stats from the server's own counters where it reports them.

        llama-server's ``timings`` are the runtime's counters (``prompt_n`` is the prompt
        tokens actually evaluated, after its prompt cache, as the in-process backend
        reports it).  Otherwise ``usage`` gives the token counts and the wall clock of this
        client the times: time to the first token, then first to last token.
        """
        timings = self.timings or {}
        usage = self.usage or {}
        prompt_n = _int(timings.get("prompt_n"))
        predicted_n = _int(timings.get("predicted_n"))
        prompt_ms = _float(timings.get("prompt_ms"))
        predicted_ms = _float(timings.get("predicted_ms"))
        if prompt_n is not None and predicted_n is not None and predicted_ms is not None:
            return Stats(
                prompt_tokens=prompt_n,
                completion_tokens=predicted_n,
                prompt_s=(prompt_ms or 0.0) / 1000.0,
                decode_s=predicted_ms / 1000.0,
            )
        return Stats(
            prompt_tokens=_int(usage.get("prompt_tokens")) or 0,
            completion_tokens=_int(usage.get("completion_tokens")) or deltas,
            prompt_s=prompt_wall_s,
            decode_s=decode_wall_s,
        )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
