"""The image conversations the issue-20 tests answer, on the models they run.

Shared by the image-embedding cache, eager prefill and kept-conversation tests, which all
check that an answer read another way is token for token the answer of a single fresh read,
on the same shapes of conversation.
"""

from __future__ import annotations

from pathlib import Path

from backends.base import GenerationOptions, ImageInput

GREEDY = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=4096, seed=1, threads=2)

Conversation = list[tuple[str, tuple[ImageInput, ...]]]  # the user's turns

#: The models: the tiny synthetic vision model, and the Gemma 3 stand-in (the real Gemma 3
#: 270M with a synthetic projector of its width).
MODELS = ["tiny", "gemma3"]


def photos() -> tuple[ImageInput, ImageInput]:
    """Two normalised photos: a flat colour and noise."""
    from desktop_app.core.images import normalize_image
    from tests.helpers.images import png_bytes

    return (
        normalize_image(png_bytes((30, 120, 200), size=(800, 600))),
        normalize_image(png_bytes(noise=True, size=(640, 480))),
    )


def model_pair(name: str, tiny_vlm: tuple[Path, Path]) -> tuple[Path, Path]:
    """(model, projector) of one of ``MODELS``."""
    if name == "tiny":
        return tiny_vlm
    from tests.helpers.family_models import cached_family

    return cached_family(name)


def conversations(pictures: tuple[ImageInput, ImageInput]) -> dict[str, Conversation]:
    """One image, two images in one message, images in two turns."""
    a, b = pictures
    return {
        "one image": [("What is in this picture?", (a,))],
        "two images in one message": [("What differs between these two?", (a, b))],
        "images in two turns": [("What is in this picture?", (a,)), ("And in this one?", (b,))],
    }
