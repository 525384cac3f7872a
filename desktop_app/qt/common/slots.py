"""Putting values into a sentence's ``{name}`` slots, one pass, nothing else touched.

Qt-free on purpose: the Markdown writer (``desktop_app/qt/chat/markdown.py``) fills its
labels with it and never loads Qt; ``i18n.translator`` fills every translated sentence
with it.  Why named slots and not ``str.format``: see ``i18n``.
"""

from __future__ import annotations

import re

__all__ = ["SLOT", "fill"]

SLOT = re.compile(r"\{(\w+)\}")


def fill(text: str, /, **values: object) -> str:
    """``text`` with each ``{name}`` given in ``values`` replaced by ``str(value)``."""
    if not values:
        return text

    def value(slot: re.Match[str]) -> str:
        name = slot.group(1)
        return str(values[name]) if name in values else slot.group(0)

    return SLOT.sub(value, text)
