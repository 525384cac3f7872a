"""What each catalog model is good for, and its chat format note, in the window's language
(issue 19).

``core/models/catalog.json`` is Qt-free data with English texts; the window translates at
its edge.  lupdate extracts only literals, so each entry's ``good_for`` and ``chat_format`` (the
model manager's tooltip: its template tokens, image tiles and token costs) is written out here
under the entry's id (its stable identifier), marked for the translators.  A sentence is
translated only while it is still the catalog's: when the catalog's text changes and this
table does not, the window shows the catalog's new English rather than a stale translation
(``tests/qt/test_chinese_window.py`` checks the table is the catalog's).
"""

from __future__ import annotations

from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, translator

__all__ = ["CHAT_FORMAT", "GOOD_FOR", "chat_format", "good_for"]

tr = translator("Catalog")

#: ``CatalogEntry.good_for`` by entry id, as the shipped catalog has them.
GOOD_FOR = {
    "smolvlm-500m": QT_TRANSLATE_NOOP(
        "Catalog", "Raspberry Pi 5 and 4 GB machines: fast captions and simple questions."
    ),
    "smolvlm2-2.2b": QT_TRANSLATE_NOOP(
        "Catalog", "8 GB laptops when speed matters more than detail."
    ),
    "gemma3-4b": QT_TRANSLATE_NOOP(
        "Catalog", "8 GB laptops: the best answers of the list that still fit."
    ),
    "qwen2.5-vl-3b": QT_TRANSLATE_NOOP(
        "Catalog",
        "Reading text in images (OCR, documents, screenshots); not for commercial use.",
    ),
    "qwen3-vl-2b": QT_TRANSLATE_NOOP(
        "Catalog",
        "8 GB laptops and the Pi 5: reading screenshots and documents, Chinese and English.",
    ),
    "lfm2-vl-1.6b": QT_TRANSLATE_NOOP(
        "Catalog",
        "Raspberry Pi 4 and 5: quick captions; a hybrid convolution model built for small devices.",
    ),
    "gemma4-e2b": QT_TRANSLATE_NOOP(
        "Catalog",
        "8 GB laptops: Google's newest small model, better answers than Gemma 3 4B at a "
        "similar speed.",
    ),
    "moondream2": QT_TRANSLATE_NOOP(
        "Catalog",
        "Short, literal descriptions; F16 weights, so larger than its 1.9B parameters suggest.",
    ),
    "llava-1.5-7b": QT_TRANSLATE_NOOP(
        "Catalog", "The classic; 16 GB machines. Newer small models usually answer better."
    ),
}


def good_for(entry: CatalogEntry) -> str:
    """``entry.good_for`` translated, or as it is when this table does not have it (an
    entry added to the catalog, or a text changed there since)."""
    marked = GOOD_FOR.get(entry.id)
    return tr(marked) if marked == entry.good_for else entry.good_for


#: ``CatalogEntry.chat_format`` by entry id, as the shipped catalog has them.  The template
#: tokens (``<end_of_turn>``, ``<|im_start|>``) are what the model reads: a translation keeps
#: them as they are.
CHAT_FORMAT = {
    "smolvlm-500m": QT_TRANSLATE_NOOP(
        "Catalog",
        "The GGUF carries its own chat template (User:/Assistant: with <end_of_utterance>); "
        "images are cut into 512 px tiles, so more pixels mean more tokens.",
    ),
    "smolvlm2-2.2b": QT_TRANSLATE_NOOP(
        "Catalog",
        "The GGUF carries its own chat template (User:/Assistant: with <end_of_utterance>); "
        "384 px SigLIP tiles.",
    ),
    "gemma3-4b": QT_TRANSLATE_NOOP(
        "Catalog",
        "Gemma turns (<start_of_turn>user … <end_of_turn>) from the GGUF's template; a system "
        "prompt is folded into the first user turn. Every image is resized to 896×896 and "
        "costs 256 tokens.",
    ),
    "qwen2.5-vl-3b": QT_TRANSLATE_NOOP(
        "Catalog",
        "ChatML (<|im_start|>) from the GGUF's template. Dynamic resolution: one token per "
        "28×28 pixels, so a 1024 px image costs about 1000 tokens; keep images small on CPU, "
        "raise the long edge for documents.",
    ),
    "qwen3-vl-2b": QT_TRANSLATE_NOOP(
        "Catalog",
        "ChatML (<|im_start|>) from the GGUF's template. Dynamic resolution: one token per "
        "32×32 pixels (an 800×600 photo: 475), so keep images small on CPU; strong on text in "
        "images and on Chinese.",
    ),
    "lfm2-vl-1.6b": QT_TRANSLATE_NOOP(
        "Catalog",
        "ChatML-like (<|im_start|>) after <|startoftext|>, from the GGUF's template. An image "
        "that fits 256 tokens (an 800×600 photo: 234) is read whole; bigger ones are cut into "
        "512 px tiles plus a thumbnail (1024×768: 7 pieces, 1800 tokens).",
    ),
    "gemma4-e2b": QT_TRANSLATE_NOOP(
        "Catalog",
        "Gemma 4 turns (<|turn>user … <turn|>) from the GGUF's template, thinking off. Images "
        "keep their shape: 70 to 1120 tokens (an 800×600 photo: 221). Per-layer embeddings "
        "make the file larger than its 2B effective parameters suggest.",
    ),
    "moondream2": QT_TRANSLATE_NOOP(
        "Catalog",
        "Vicuna-style template in this conversion; moondream answers short questions best "
        '("Describe the image.", "What does the sign say?"). 378 px SigLIP crops.',
    ),
    "llava-1.5-7b": QT_TRANSLATE_NOOP(
        "Catalog",
        "An early conversion without a chat template: LocalSight uses the LLaVA 1.5 format "
        "(USER: <image>\\n… ASSISTANT:). The encoder sees 336×336 (576 tokens) whatever the "
        "input size.",
    ),
}


def chat_format(entry: CatalogEntry) -> str:
    """``entry.chat_format`` translated, or as it is when this table does not have it (the
    same rule as ``good_for``)."""
    marked = CHAT_FORMAT.get(entry.id)
    return tr(marked) if marked == entry.chat_format else entry.chat_format
