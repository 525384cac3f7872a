"""The conversation as prompt text, rendered exactly as llama-cpp-python would render it.

The fast path evaluates prompts itself (to keep the prefix in the context), so it must
produce the very text the binding's handlers produce, or answers would change with the
switch: the GGUF's own Jinja template in the binding's ``ImmutableSandboxedEnvironment``
(trim/lstrip blocks, the generation-tag extension, its ``tojson``; CVE-2024-34359), images
replaced by mtmd's media marker as ``MTMDChatHandler`` does, and for template-less text
models the binding's own family formatter (``gemma``, ``chatml``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """Prompt text, the images it refers to (in marker order) and how to tokenize it."""

    text: str
    images: tuple[bytes, ...]
    image_ids: tuple[str, ...]
    add_special: bool


def family_formatter(llama_cpp: ModuleType, name: str) -> Callable[..., Any] | None:
    """The binding's formatter function for a family format, if the fast path can use it."""
    formatter = getattr(llama_cpp.llama_chat_format, f"format_{name.replace('-', '_')}", None)
    return formatter if callable(formatter) else None


def _image_bytes(url: str) -> bytes:
    # Only data URIs are ever built by the backend (never a URL the binding would fetch).
    if not url.startswith("data:"):
        raise ValueError("Failed to create bitmap: only inline images are accepted")
    return base64.b64decode(url.split(",", 1)[1])


def _template_messages(
    messages: Sequence[dict[str, Any]], marker: str
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Image parts become text parts holding the marker, as ``MTMDChatHandler`` does."""
    converted: list[dict[str, Any]] = []
    images: list[bytes] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            parts: list[Any] = []
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    images.append(_image_bytes(part["image_url"]["url"]))
                    parts.append({"type": "text", "text": marker})
                else:
                    parts.append(part)
            converted.append({**message, "content": parts})
        else:
            converted.append(dict(message))
    return converted, images


def render_template(
    llama_cpp: ModuleType,
    template: str,
    messages: Sequence[dict[str, Any]],
    *,
    bos_token: str,
    eos_token: str,
    marker: str,
    add_special: bool,
) -> RenderedPrompt:
    """Render the GGUF's Jinja template in the binding's sandbox, with images as markers.

    ``add_special``: the binding's text path lets the template write the BOS itself
    (``False``); ``MTMDChatHandler`` asks mtmd's tokenizer to add special tokens (``True``).
    """
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    formats = llama_cpp.llama_chat_format
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[formats.Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    environment.filters["tojson"] = formats.Jinja2ChatFormatter.tojson

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    converted, images = _template_messages(messages, marker)
    text = environment.from_string(template).render(
        messages=converted,
        add_generation_prompt=True,
        eos_token=eos_token,
        bos_token=bos_token,
        raise_exception=raise_exception,
        strftime_now=formats.Jinja2ChatFormatter.strftime_now,
    )
    return RenderedPrompt(
        text=text,
        images=tuple(images),
        image_ids=tuple(hashlib.sha256(data).hexdigest() for data in images),
        add_special=add_special,
    )


def render_family(
    formatter: Callable[..., Any], messages: Sequence[dict[str, Any]]
) -> RenderedPrompt:
    """A template-less text model: the binding's family formatter (text only)."""
    response = formatter(messages=list(messages))
    return RenderedPrompt(
        text=str(response.prompt),
        images=(),
        image_ids=(),
        add_special=not bool(getattr(response, "added_special", False)),
    )
