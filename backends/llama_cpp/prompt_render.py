"""The conversation as prompt text, rendered exactly as llama-cpp-python would render it.

The fast path evaluates prompts itself (to keep the prefix in the context), so it must
produce the very text the binding's handlers produce, or answers would change with the
switch: the GGUF's own Jinja template in the binding's ``ImmutableSandboxedEnvironment``
(trim/lstrip blocks, the generation-tag extension, its ``tojson``; CVE-2024-34359), images
replaced by mtmd's media marker as ``MTMDChatHandler`` does, and for template-less text
models the binding's own family formatter (``gemma``, ``chatml``).

The sandbox is ``template_budget``'s subclass of it: the same text for every real template,
but a template that would take too long or build too much stops with one clear error
(``TemplateBudgetExceeded``) instead of holding the app for minutes and gigabytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from backends.base import TemplateBudgetExceeded

if TYPE_CHECKING:  # jinja2 and the budget load on the first render (importing the backend
    # must stay quick: they cost about 28 ms), inside the functions that use them
    from jinja2.environment import Template

    from backends.llama_cpp import template_budget


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


_PROBE_TEXT = "LOCALSIGHT_CONTENT_PROBE"


@dataclass(frozen=True, slots=True)
class ContentCaps:
    """Which message content a chat template renders: plain strings, typed parts, or both.

    Some templates read only typed parts (SmolVLM's: ``for line in message['content']`` and
    ``line['type'] == 'text'``): a plain-string message renders as nothing there, and the
    question silently vanishes from the prompt.  Others read only strings.  llama.cpp's own
    chat code (``common/chat.cpp``, ``messages_inp_normalizer``) asks the template which it
    wants and converts; so does LocalSight, by rendering a probe message each way.
    """

    string: bool
    typed: bool
    #: What the template writes for an ``{"type": "image"}`` part ("<image>" for SmolVLM),
    #: when it reads only typed parts; "" otherwise.
    image_placeholder: str = ""

    @property
    def only_typed(self) -> bool:
        return self.typed and not self.string

    @property
    def only_string(self) -> bool:
        return self.string and not self.typed


@functools.lru_cache(maxsize=4)
def _environment(llama_cpp: ModuleType) -> template_budget.BudgetedEnvironment:
    """The binding's sandbox for chat templates (CVE-2024-34359), with its extensions, and
    the time and memory budget."""
    import jinja2.ext

    from backends.llama_cpp import template_budget

    formats = llama_cpp.llama_chat_format
    environment = template_budget.BudgetedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[formats.Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    environment.filters["tojson"] = formats.Jinja2ChatFormatter.tojson
    return environment


@functools.lru_cache(maxsize=16)
def _compiled(llama_cpp: ModuleType, template: str) -> Template:
    """``template`` compiled once, not on every turn (a compiled template keeps no state
    between renders); a template that cannot be compiled raises, and is tried again."""
    return _environment(llama_cpp).from_string(template)


def _render(llama_cpp: ModuleType, template: str, **variables: Any) -> str:
    """One render, within the budget ``template_budget.running`` holds for the caller."""
    from backends.llama_cpp import template_budget

    return template_budget.render(_compiled(llama_cpp, template), None, variables)


def _conversation_limits(
    messages: Sequence[dict[str, Any]], *texts: str
) -> template_budget.BudgetLimits:
    """The caps for rendering ``messages``: their text sets them, not their images' bytes
    (an attached photo must not give a hostile template megabytes more to build)."""
    from backends.llama_cpp import template_budget

    chars = sum(map(len, texts))
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(part.get("text", ""))) + 16 for part in content)
    return template_budget.BudgetLimits.for_conversation(chars, len(messages))


def _raise_exception(message: str) -> None:
    raise ValueError(message)


_caps_cache: dict[str, ContentCaps] = {}


def content_caps(llama_cpp: ModuleType, template: str) -> ContentCaps:
    """Whether ``template`` renders string content, typed content, or both (cached)."""
    known = _caps_cache.get(template)
    if known is not None:
        return known
    from backends.llama_cpp import template_budget

    _compiled(llama_cpp, template)  # a template that cannot even be compiled fails here
    with template_budget.running(_conversation_limits([], _PROBE_TEXT * 2)):
        caps = _probe_caps(llama_cpp, template)
    _caps_cache[template] = caps
    return caps


def _probe_caps(llama_cpp: ModuleType, template: str) -> ContentCaps:
    """``content_caps``' probes: up to four renders, sharing one budget."""
    from backends.llama_cpp import template_budget

    def render(content: Any) -> str:
        try:
            return _render(
                llama_cpp,
                template,
                messages=[{"role": "user", "content": content}],
                add_generation_prompt=True,
                bos_token="",
                eos_token="",
                raise_exception=_raise_exception,
                strftime_now=template_budget.strftime_now,
            )
        except TemplateBudgetExceeded:
            raise  # not a shape it refuses: a template that must not run at all
        except Exception:  # the template refuses this shape: it does not support it
            return ""

    text_part = {"type": "text", "text": _PROBE_TEXT}
    string = _PROBE_TEXT in render(_PROBE_TEXT)
    typed = _PROBE_TEXT in render([text_part])
    placeholder = ""
    if typed and not string:
        # One image part more adds exactly the placeholder, wherever the template puts it.
        one = render([{"type": "image"}, text_part])
        two = render([{"type": "image"}, {"type": "image"}, text_part])
        if _PROBE_TEXT in one and len(two) > len(one):
            head = 0
            while head < len(one) and one[head] == two[head]:
                head += 1
            placeholder = two[head : head + len(two) - len(one)]
            if two != one[:head] + placeholder + one[head:]:
                placeholder = ""
    return ContentCaps(string=string, typed=typed, image_placeholder=placeholder)


def normalise_messages(
    messages: Sequence[dict[str, Any]], marker: str, caps: ContentCaps
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The messages as llama.cpp's own chat code hands them to a template.

    A message with images becomes one string: the media marker for each image and the text
    parts joined by newlines, with no newline next to a marker (``to_json_oaicompat``).
    Then, for a template that reads only typed parts, every string becomes one text part;
    for one that reads only strings, text parts are joined.  One exception: a typed-only
    template that writes its own image placeholder (SmolVLM) gets real image parts, and
    ``render_template`` swaps the placeholder for the marker.  Returns the messages and the
    images' bytes in marker order.
    """
    normalised: list[dict[str, Any]] = []
    images: list[bytes] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and caps.image_placeholder:
            # The template's own image parts (render_template swaps its placeholder for the
            # marker): SmolVLM writes "User:<image>…", as it was trained, where a text part
            # holding the marker would give "User: <__media__>…".
            parts: list[dict[str, Any]] = []
            for part in content:
                if part.get("type") == "image_url":
                    images.append(_image_bytes(part["image_url"]["url"]))
                    parts.append({"type": "image"})
                elif part.get("type") == "text":
                    parts.append({"type": "text", "text": str(part.get("text", ""))})
            normalised.append({**message, "content": parts})
            continue
        if isinstance(content, list):
            has_media = any(part.get("type") == "image_url" for part in content)
            if has_media or caps.only_string:
                text = ""
                after_marker = False
                for part in content:
                    if part.get("type") == "image_url":
                        images.append(_image_bytes(part["image_url"]["url"]))
                        text += marker
                        after_marker = True
                    elif part.get("type") == "text":
                        if text and not after_marker:
                            text += "\n"
                        text += str(part.get("text", ""))
                        after_marker = False
                content = text
        if caps.only_typed and isinstance(content, str):
            content = [{"type": "text", "text": content}]
        normalised.append({**message, "content": content})
    return normalised, images


def render_template(
    llama_cpp: ModuleType,
    template: str,
    messages: Sequence[dict[str, Any]],
    *,
    bos_token: str,
    eos_token: str,
    marker: str,
    add_special: bool,
    caps: ContentCaps | None = None,
) -> RenderedPrompt:
    """Render the GGUF's Jinja template in the binding's sandbox, with images as markers,
    within ``template_budget``'s caps (``TemplateBudgetExceeded`` past them).

    ``add_special``: the binding's text path lets the template write the BOS itself
    (``False``); ``MTMDChatHandler`` asks mtmd's tokenizer to add special tokens (``True``).
    ``caps``: what the template reads (probed once per template when not given).  The
    probes and the render share one budget, set by the conversation.
    """
    from backends.llama_cpp import template_budget

    limits = _conversation_limits(messages, bos_token, eos_token)
    with template_budget.running(limits):
        return _render_prompt(
            llama_cpp,
            template,
            messages,
            bos_token=bos_token,
            eos_token=eos_token,
            marker=marker,
            add_special=add_special,
            caps=caps,
        )


def _render_prompt(
    llama_cpp: ModuleType,
    template: str,
    messages: Sequence[dict[str, Any]],
    *,
    bos_token: str,
    eos_token: str,
    marker: str,
    add_special: bool,
    caps: ContentCaps | None,
) -> RenderedPrompt:
    from backends.llama_cpp import template_budget

    if caps is None:
        caps = content_caps(llama_cpp, template)
    converted, images = normalise_messages(messages, marker, caps)
    text = _render(
        llama_cpp,
        template,
        messages=converted,
        add_generation_prompt=True,
        eos_token=eos_token,
        bos_token=bos_token,
        raise_exception=_raise_exception,
        strftime_now=template_budget.strftime_now,
    )
    if caps.image_placeholder and images:
        if text.count(caps.image_placeholder) != len(images):
            # The person's own text holds the placeholder too: render the way llama.cpp does.
            return _render_prompt(
                llama_cpp,
                template,
                messages,
                bos_token=bos_token,
                eos_token=eos_token,
                marker=marker,
                add_special=add_special,
                caps=ContentCaps(string=caps.string, typed=caps.typed),
            )
        text = text.replace(caps.image_placeholder, marker)
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
