"""What each catalog model is good for, in the window's language (issue 19).

``core/models/catalog.json`` is Qt-free data with English texts; the window translates at
its edge.  lupdate extracts only literals, so each entry's ``good_for`` is written out here
under the entry's id (its stable identifier), marked for the translators.  A sentence is
translated only while it is still the catalog's: when the catalog's text changes and this
table does not, the window shows the catalog's new English rather than a stale translation
(``tests/qt/test_chinese_window.py`` checks the table is the catalog's).
"""

from __future__ import annotations

from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, translator

__all__ = ["GOOD_FOR", "good_for"]

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
