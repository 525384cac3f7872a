"""What the first-run screen offers, decided from what is already on this machine.

The order, and why: a person who already has a vision model should be chatting about
images in one click, without a download.  So: (1) a vision model LocalSight can run
in-process now (models folder, Hugging Face cache, or pulled with Ollama: it runs from
Ollama's blobs even when Ollama is not running); (2) a vision model on a running Ollama
server; (3) otherwise the built-in text model works at once, and one click downloads the
catalog model recommended for this machine's memory (``ModelLibrary.recommend``).

Pure function over lists the window gathers on worker threads, so it is trivially tested
and never blocks the GUI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backends.base import ModelInfo
from desktop_app.core.models.catalog import CatalogEntry

Offer = Literal["local-vision", "ollama-vision", "download"]


@dataclass(frozen=True, slots=True)
class FirstRunPlan:
    """``offer`` picks the screen's main button; ``text_model_id`` always works right now."""

    offer: Offer
    backend: str | None
    model: ModelInfo | None
    download: CatalogEntry | None
    text_model_id: str | None


def plan_first_run(
    local_models: Sequence[ModelInfo],
    ollama_models: Sequence[ModelInfo] | None,
    recommended: CatalogEntry | None,
    default_text_model_id: str | None,
) -> FirstRunPlan:
    """``ollama_models`` is ``None`` when Ollama is not running (or not installed)."""
    smallest_first = sorted(local_models, key=lambda m: m.size or 0)
    local_vision = next((m for m in smallest_first if m.capabilities.vision), None)
    if local_vision is not None:
        return FirstRunPlan("local-vision", "llama-cpp", local_vision, None, default_text_model_id)
    remote_vision = next((m for m in ollama_models or () if m.capabilities.vision), None)
    if remote_vision is not None:
        return FirstRunPlan("ollama-vision", "ollama", remote_vision, None, default_text_model_id)
    return FirstRunPlan("download", None, None, recommended, default_text_model_id)
