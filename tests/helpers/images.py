"""Real image files for tests, made with Pillow in memory: no binary fixture is committed."""

from __future__ import annotations

import io


def png_bytes(
    color: tuple[int, int, int] = (200, 30, 30),
    size: tuple[int, int] = (64, 64),
    noise: bool = False,
) -> bytes:
    """A PNG of one ``color``, or of seeded random pixels (``noise``), ``size`` pixels."""
    from PIL import Image

    if noise:
        import random

        rng = random.Random(7)
        image = Image.new("RGB", size)
        image.putdata(
            [tuple(rng.randrange(256) for _ in range(3)) for _ in range(size[0] * size[1])]
        )
    else:
        image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
