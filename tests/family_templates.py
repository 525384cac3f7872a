"""Real chat templates of the model families LocalSight users run, for rendering tests.

Each is the family's template as its GGUF carries it (from the model's processor/tokenizer
config), so the tests render exactly what a user's model would.  SmolLM2's ChatML template
is read from the real SmolLM2 GGUF at test time instead of being copied here.
"""

from __future__ import annotations

from pathlib import Path

# SmolVLM / SmolVLM2 (HuggingFaceTB, transformers' processing_smolvlm): reads only typed
# content parts; an image as the first part means "User:" without the space.
SMOLVLM = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def smollm2_template(smollm2: Path) -> str:
    """SmolLM2-135M-Instruct's own ChatML template, read from the real GGUF."""
    from backends.llama_cpp.gguf_check import inspect_gguf

    template = inspect_gguf(smollm2).chat_template
    assert template, "SmolLM2's GGUF carries a chat template"
    return template
