"""A long conversation in a real store, for the long-chat tests and benchmark (issue 17, defect 1).

Mixed like a real chat: short questions, answers of one line to several paragraphs, some with a
code block or a list, and every 25th question with an image (one PNG, stored once, so its
thumbnail is real).  Deterministic: the same ``count`` gives the same texts.
"""

from __future__ import annotations

import hashlib

from backends.base import ImageInput
from desktop_app.core.store.database import Store
from tests.helpers.images import png_bytes

_PARAGRAPH = (
    "The model reads the whole conversation before each answer, so what was said earlier "
    "shapes what comes next; a long chat costs more to read than a short one. "
)


def _answer(index: int) -> str:
    kind = index % 5
    if kind == 0:
        return f"Short answer {index}."
    if kind == 1:
        return f"Answer {index}. " + _PARAGRAPH * (1 + index % 4)
    if kind == 2:
        return (
            f"Answer {index} with code:\n\n```python\ndef f{index}(x):\n"
            f"    return x * {index}\n```\n\nThat is all."
        )
    if kind == 3:
        return f"Answer {index}:\n\n- first point\n- second point\n- **third** point"
    return f"Answer {index}.\n\n" + (_PARAGRAPH * 3 + "\n\n") * 2


def _image() -> ImageInput:
    data = png_bytes((40, 120, 200), (96, 64))
    return ImageInput(data, "image/png", hashlib.sha256(data).hexdigest(), 96, 64)


def make_long_chat(store: Store, count: int, *, title: str = "A long chat") -> int:
    """A conversation of ``count`` messages (questions and answers alternating); its id."""
    conversation = store.create_conversation(title=title)
    image = _image()
    for index in range(count):
        if index % 2 == 0:
            images = [image] if index % 50 == 0 else []
            store.add_message(conversation, "user", f"Question {index}?", images)
        else:
            store.add_message(conversation, "assistant", _answer(index))
    return conversation
