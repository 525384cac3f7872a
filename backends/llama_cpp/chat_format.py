"""How a conversation becomes a prompt for a given GGUF.

A GGUF with its own ``tokenizer.chat_template`` is rendered with that template (by
llama-cpp-python, in an immutable Jinja sandbox: CVE-2024-34359).  Files without one, such
as LLaVA 1.5's, get the family format their authors trained with (``USER: <image>\\n…
ASSISTANT:``); picking ``llama-2`` for them, the binding's fallback, makes models answer
nothing.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from backends.llama_cpp.gguf_check import GGUFSummary

# Text formats for template-less files, by GGUF architecture.
_TEXT_FORMAT_BY_ARCH = {
    "gemma": "gemma",
    "gemma2": "gemma",
    "gemma3": "gemma",
    "qwen2": "chatml",
    "qwen3": "chatml",
    "phi3": "chatml",
    "llama": "vicuna",
}

# Vision family handlers for template-less files, by a word in the model's name.
_VISION_HANDLER_BY_NAME = (
    ("moondream", "MoondreamChatHandler"),
    ("nanollava", "NanoLlavaChatHandler"),
    ("minicpm", "MiniCPMv26ChatHandler"),
    ("qwen2", "Qwen25VLChatHandler"),
    ("llava-v1.6", "Llava16ChatHandler"),
    ("llava-1.6", "Llava16ChatHandler"),
)


# LLaVA 1.5's own conversation format ("llava_v1" in the LLaVA repository: system prompt, a
# space, "USER: <image>\n{question} ASSISTANT: {answer}</s>"), for files converted without a
# template.  The binding's Llava15ChatHandler renders its CHAT_FORMAT with trim_blocks, which
# eats every separator and repeats "USER: " for plain-text turns
# ("SYSUSER: hiUSER: ASSISTANT: yo..."); LocalSight renders this instead (fast path).  The
# image marker is mtmd's default, the one the fast path renders with.
LLAVA15_TEMPLATE = (
    "{%- set ns = namespace(system='A chat between a curious human and an artificial "
    "intelligence assistant. The assistant gives helpful, detailed, and polite answers to "
    "the human\\'s questions.') -%}"
    "{%- for message in messages if message['role'] == 'system' and message['content'] -%}"
    "{%- set ns.system = message['content'] -%}"
    "{%- endfor -%}"
    "{{- ns.system + ' ' -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}"
    "{{- 'USER: ' + message['content'] | replace('<__media__>', '<__media__>\n') + ' ' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- 'ASSISTANT: ' + message['content'] + eos_token -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- 'ASSISTANT:' -}}{%- endif -%}"
)


def family_vision_template(handler_name: str) -> str | None:
    """The template LocalSight renders for a template-less vision file, if it has one."""
    return LLAVA15_TEMPLATE if handler_name == "Llava15ChatHandler" else None


def text_chat_format(model: GGUFSummary) -> str | None:
    """``None`` means "use the GGUF's own template"; otherwise a binding format name."""
    if model.chat_template:
        return None
    return _TEXT_FORMAT_BY_ARCH.get(model.architecture, "chatml")


def vision_handler_name(model: GGUFSummary) -> str:
    if model.chat_template:
        return "MTMDChatHandler"
    label = f"{model.name or ''} {model.path.name}".lower()
    for word, handler in _VISION_HANDLER_BY_NAME:
        if word in label:
            return handler
    return "Llava15ChatHandler"


def make_vision_handler(llama_cpp: ModuleType, model: GGUFSummary, projector_path: str) -> Any:
    formats = llama_cpp.llama_chat_format
    handler_class = getattr(formats, vision_handler_name(model))
    return handler_class(clip_model_path=projector_path, verbose=False)
