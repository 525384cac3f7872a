"""Issue 19, item 6: models are asked in the language the person writes in; nothing sent to
a model forces English."""

from __future__ import annotations

import re

from desktop_app.core.chat.presets import BUILTIN_PRESETS
from desktop_app.core.settings import Settings


def test_no_default_system_prompt() -> None:
    assert Settings().system_prompt == ""


def test_no_builtin_preset_makes_the_answer_english() -> None:
    for preset in BUILTIN_PRESETS:
        text = f"{preset.system_prompt or ''} {preset.prompt or ''}"
        assert not re.search(r"english", text, re.IGNORECASE), preset.key
        # A fixed English sentence to answer with ("say 'No text found.'") is English too.
        assert not re.search(r"say '[^']+'", text), preset.key


def test_the_builtin_presets_answer_in_the_persons_language() -> None:
    for preset in BUILTIN_PRESETS:
        if preset.key == "builtin:translate-zh":  # its target language is its point
            continue
        assert "in the language of the user's message" in (preset.system_prompt or ""), preset.key
