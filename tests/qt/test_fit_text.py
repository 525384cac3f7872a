"""The window's fit sentences (``desktop_app/qt/models/fit_text.py``) are the core's, shown in the
window's language: in English they read exactly as ``Fit.reason`` and ``PairFit.label`` do;
in Chinese they are Chinese (issue 19)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication

from desktop_app.core.models.fit import Fit, FitLevel, PairFit
from desktop_app.qt.common.language import apply_language
from desktop_app.qt.models.fit_text import fit_label, fit_reason, pair_reason

GIB = 1024**3
LEVELS: list[FitLevel] = ["fits", "tight", "too-big", "unknown"]


def fits() -> Iterator[Fit]:
    """Every verdict the core can give: each level, memory and disk, known or not."""
    for level, resource, available, total in itertools.product(
        LEVELS, ("memory", "disk"), (None, 3 * GIB), (None, 8 * GIB)
    ):
        yield Fit(level, 5 * GIB, available, total, resource)  # type: ignore[arg-type]


def test_in_english_each_sentence_is_the_cores() -> None:
    for fit in fits():
        assert fit_reason(fit) == fit.reason, fit
    memory = [f for f in fits() if f.resource == "memory"]
    disk = [f for f in fits() if f.resource == "disk"]
    for pair in (PairFit(m, d) for m, d in itertools.product(memory, disk)):
        assert pair_reason(pair) == pair.reason, pair
        assert fit_label(pair) == pair.label, pair


@pytest.fixture
def chinese(qapp: Any) -> Iterator[None]:
    app = QCoreApplication.instance()
    assert app is not None
    assert apply_language(app, "zh_CN") == "zh_CN"
    yield
    apply_language(app, "system")  # conftest sets LANGUAGE=en: English, the system locale


def test_in_chinese_no_sentence_is_english(chinese: None) -> None:
    memory = [f for f in fits() if f.resource == "memory"]
    disk = [f for f in fits() if f.resource == "disk"]
    texts = [fit_reason(f) for f in fits()]
    texts += [fit_label(PairFit(m, d)) for m, d in itertools.product(memory, disk)]
    texts += [pair_reason(PairFit(m, d)) for m, d in itertools.product(memory, disk)]
    english = [t for t in texts if re.search(r"[A-Za-z]{3,}", t.replace("GB", ""))]
    assert english == []
    assert fit_reason(Fit("fits", 5 * GIB, 3 * GIB, 8 * GIB)) == "约需 5.0 GB 内存，可用 3.0 GB"
