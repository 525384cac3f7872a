"""Readable colours in both schemes: text painted on the accent, and the accent as text."""

from __future__ import annotations

import re

import pytest

from desktop_app.qt.common.theme import (
    DARK,
    LIGHT,
    MIN_TEXT_CONTRAST,
    Colors,
    contrast_ratio,
    stylesheet,
    text_on,
)

SCHEMES = pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def rules(colors: Colors) -> dict[str, dict[str, str]]:
    """The stylesheet as {selector: {property: value}} (one entry per comma-separated part)."""
    parsed: dict[str, dict[str, str]] = {}
    for selectors, body in _RULE.findall(stylesheet(colors)):
        props = dict(
            (key.strip(), value.strip())
            for key, _, value in (d.partition(":") for d in body.split(";"))
            if value.strip()
        )
        for selector in selectors.split(","):
            parsed.setdefault(selector.strip(), {}).update(props)
    return parsed


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#2f6fde", "#2f6fde") == pytest.approx(1.0)
    # WCAG's own example pair: #767676 on white is the lightest grey that passes AA.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_text_on_picks_the_ink_that_reads() -> None:
    assert text_on("#000000") == "#ffffff"
    assert text_on("#ffffff") != "#ffffff"


@SCHEMES
def test_text_on_the_accent_meets_aa(colors: Colors) -> None:
    sheet = rules(colors)
    on_accent = {
        selector: props
        for selector, props in sheet.items()
        if props.get("background") == colors.accent and "color" in props
    }
    # Not vacuous: the two surfaces people see all the time are among them.
    assert {"QLabel#VisionBadge", "QPushButton#SendButton"} <= set(on_accent)
    for selector, props in on_accent.items():
        ratio = contrast_ratio(props["color"], colors.accent)
        assert ratio >= MIN_TEXT_CONTRAST, f"{selector}: {ratio:.2f}:1"


@SCHEMES
def test_the_link_button_is_accent_coloured_and_readable(colors: Colors) -> None:
    link = rules(colors)["QPushButton#LinkButton"]
    assert link["color"] == colors.accent and link["border"] == "none"
    assert contrast_ratio(colors.accent, colors.surface) >= MIN_TEXT_CONTRAST
