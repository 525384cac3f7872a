"""Presets: a chat's settings (system prompt, options, a prompt to start with) under a name.

Three are built in, for what people do with a vision model every day (issue 17: "Describe
for alt text", "Read the text in this image", "Translate to 中文"); a person saves their own
from a chat's settings (``Store.add_preset``: kept in the chat history's database, next to
the chats they belong with, see migration 3).  Built-in ones are code, not rows: they cannot
be renamed or deleted and a new release may improve them.

Applying a preset gives the chat the preset's system prompt and options and may fill the
message box with its prompt.  A built-in preset changes only the temperature of the chat's
options (the context size and answer length stay the person's); a saved one has every
option it was saved with, or the chat's own when it was saved without.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from backends.base import GenerationOptions
from desktop_app.core.store.records import StoredPreset

__all__ = ["BUILTIN_PRESETS", "Preset", "apply_preset", "preset_from_stored"]


@dataclass(frozen=True, slots=True)
class Preset:
    """A preset as the composer offers it.

    ``key``: ``builtin:<name>`` or ``saved:<id>``.  ``name``: the English name of a built-in
    (the window shows it translated, by key) or the person's name for theirs.
    ``options``: the options a saved preset sets (None: the chat's stay); ``temperature``: the
    one option a built-in sets.
    """

    key: str
    name: str
    system_prompt: str | None
    prompt: str | None = None
    options: GenerationOptions | None = None
    temperature: float | None = None

    @property
    def builtin(self) -> bool:
        return self.key.startswith("builtin:")

    @property
    def saved_id(self) -> int | None:
        """The store's id of a saved preset; None for a built-in one."""
        return None if self.builtin else int(self.key.removeprefix("saved:"))


#: The built-in presets.  Their system prompts are for the model, so they are English
#: (small models follow English instructions best), but they never make the answer English:
#: each asks for the language of the person's message (issue 19: a person writing Chinese
#: gets Chinese), except the translator, whose target is its point.  Their names and their
#: ``prompt`` (put in the message box, so it is the person's words) are translated by the
#: window (``desktop_app/qt/chat/chat_tools.py``).
BUILTIN_PRESETS: Final[tuple[Preset, ...]] = (
    Preset(
        key="builtin:alt-text",
        name="Describe for alt text",
        system_prompt=(
            "You write alt text for images on web pages. Answer with the alt text only: one "
            "or two plain sentences, under 150 characters, saying what matters in the image. "
            "Do not start with 'Image of' or 'Picture of'. If the image contains important "
            "text, include it. Write in the language of the user's message."
        ),
        prompt="Write alt text for this image.",
        temperature=0.2,
    ),
    Preset(
        key="builtin:read-text",
        name="Read the text in this image",
        system_prompt=(
            "You transcribe the text in images. Write out all the text you can see, exactly "
            "as written, in reading order, keeping line breaks. Do not describe the image or "
            "add anything. If there is no text, say so in one short sentence in the "
            "language of the user's message."
        ),
        prompt="Read the text in this image.",
        temperature=0.0,
    ),
    Preset(
        key="builtin:translate-zh",
        name="Translate to 中文",
        system_prompt=(
            "You are a translator. Translate the user's message, or the text in the image "
            "they send, into Simplified Chinese (中文). Answer with the translation only."
        ),
        temperature=0.2,
    ),
)


def preset_from_stored(stored: StoredPreset) -> Preset:
    return Preset(
        key=f"saved:{stored.id}",
        name=stored.name,
        system_prompt=stored.system_prompt,
        prompt=stored.prompt,
        options=stored.options,
    )


def apply_preset(
    preset: Preset, current: GenerationOptions
) -> tuple[str | None, GenerationOptions]:
    """The system prompt and options a chat has after ``preset`` is applied to it.

    ``current``: the options the chat answers with now (its own, or the app's defaults).
    """
    if preset.options is not None:
        options = preset.options
    elif preset.temperature is not None:
        options = dataclasses.replace(current, temperature=preset.temperature)
    else:
        options = current
    return preset.system_prompt, options
