"""How full a chat's context is: the tokens its next request holds against the context size.

Why an estimate: neither runtime says how many tokens a whole conversation takes.  Both
keep the conversation's beginning cached between answers and report only the tokens they
had to *read* for the last one (llama.cpp's fast path counts what the prefix cache lacked;
Ollama's ``prompt_eval_count`` leaves out its cached prompt), and llama.cpp runs in the
engine process, where tokenising would cost a round trip per keystroke of the meter.  So the
meter counts from the text, the way tokenizers come out on average -- about four characters
a token for English and code, one per character for Chinese, Japanese and Korean -- plus a
fixed cost per image and per turn, and the window labels it an estimate ("≈").

What happens when it is full is the backend's doing; the window's meter says it in its tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from backends.base import GenerationOptions
from desktop_app.core.store.records import StoredMessage

__all__ = ["CHARS_PER_TOKEN", "IMAGE_TOKENS", "ContextUse", "context_size", "estimate_use"]

#: Characters per token for alphabetic text and code (BPE tokenizers of current models).
CHARS_PER_TOKEN: Final = 4.0
#: Tokens an image takes in the prompt: vision encoders give 64 (SmolVLM) to ~1 000 (Qwen2-VL
#: at 1024 px); 256 is the common middle (Gemma 3, LLaVA-style projectors give 256-576).
IMAGE_TOKENS: Final = 256
#: The chat template's markers around each turn (role tags, separators).
TURN_TOKENS: Final = 4


@dataclass(frozen=True, slots=True)
class ContextUse:
    """``used`` of ``size`` tokens; ``estimated`` when counted from the text (always, now)."""

    used: int
    size: int
    estimated: bool = True

    @property
    def fraction(self) -> float:
        return min(self.used / self.size, 1.0) if self.size > 0 else 0.0


def context_size(options: GenerationOptions, model_context: int | None) -> int:
    """The context the backend gives this chat: the chosen size, never more than the model
    was trained for (``backends/llama_cpp/backend.py`` picks ``min(num_ctx, trained)``)."""
    size = options.num_ctx
    if model_context:
        size = min(size, model_context)
    return max(size, 1)


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` takes, estimated: wide (CJK) characters one each, the rest by four.

    Counted by one regular expression, not a Python loop per character: the meter
    re-counts the whole chat after each answer (a loop took ~0.6 s for 10 000 messages)."""
    wide = len(_WIDE.findall(text))
    narrow = len(text) - wide
    return wide + int(narrow / CHARS_PER_TOKEN + 0.999)


#: Kana, CJK ideographs (and extension A, compatibility, the supplementary planes), Hangul.
_WIDE: Final = re.compile(
    "[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff]"
)


def estimate_use(
    messages: Sequence[StoredMessage],
    system_prompt: str | None,
    size: int,
) -> ContextUse:
    """The estimated tokens the chat's next request holds: what the session sends (the
    system prompt, every user turn with its images, every answer that has text; failed
    answers are left out, as ``ChatSession`` leaves them out)."""
    used = 0
    if system_prompt and system_prompt.strip():
        used += estimate_tokens(system_prompt) + TURN_TOKENS
    for message in messages:
        if message.role == "assistant" and (
            message.state in ("error", "streaming") or not message.text.strip()
        ):
            continue
        used += estimate_tokens(message.text) + TURN_TOKENS + IMAGE_TOKENS * len(message.images)
    return ContextUse(used, size)
