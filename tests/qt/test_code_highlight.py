"""Syntax colours in answers' code blocks (issue 17: "syntax highlighting in code blocks").

The HTML goes through the same allowlist checks as every answer (``assert_safe_html``), and
a real ``QTextDocument`` (what a rich-text ``QLabel`` lays out) is asked which colour each
word got, so the style sheet's class rules are known to reach Qt.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextDocument

from desktop_app.qt.chat.highlight import MAX_HIGHLIGHT_CHARS, highlight
from desktop_app.qt.chat.markdown import MarkdownTheme, render_markdown
from desktop_app.qt.common.theme import MIN_TEXT_CONTRAST, contrast_ratio
from tests.qt.test_markdown import assert_safe_html, text_of

THEMES = pytest.mark.parametrize(
    "theme", [MarkdownTheme.light(), MarkdownTheme.dark()], ids=["light", "dark"]
)
PYTHON = 'def greet(name):\n    # say hello\n    return "hi " + name * 2\n'


def colours_of(html: str) -> dict[str, str]:
    """Each text fragment Qt lays out, stripped, mapped to its foreground colour."""
    document = QTextDocument()
    document.setHtml(html)
    found: dict[str, str] = {}
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.isValid():
                brush = fragment.charFormat().foreground()
                colour = brush.color().name() if brush.style().value else ""
                for word in fragment.text().split():
                    found.setdefault(word, colour)
            iterator += 1
        block = block.next()
    return found


@THEMES
def test_a_labelled_block_is_coloured_by_qt(qapp: object, theme: MarkdownTheme) -> None:
    rendered = render_markdown(f"```python\n{PYTHON}```\n", theme)
    assert PYTHON.rstrip("\n") in text_of(rendered.html)  # the text is exactly the code
    colours = colours_of(rendered.html)
    assert colours["def"] == theme.syntax_keyword
    assert colours["return"] == theme.syntax_keyword
    assert colours["greet"] == theme.syntax_function
    assert colours['"hi'] == theme.syntax_string
    assert colours["hello"] == theme.syntax_comment
    assert colours["2"] == theme.syntax_number
    assert colours["name"] != theme.syntax_keyword  # plain names keep the text colour


@pytest.mark.parametrize("label", ["", "no-such-language", "x" * 200, "<script>"])
def test_no_label_or_an_unknown_one_is_plain(label: str) -> None:
    rendered = render_markdown(f"```{label}\n{PYTHON}```\n")
    assert 'class="h' not in rendered.html
    assert PYTHON.rstrip("\n") in text_of(rendered.html)


@pytest.mark.parametrize("language", ["html", "python", "js", "markdown", "diff", "bash"])
def test_hostile_code_stays_text(language: str) -> None:
    hostile = (
        '</pre></td></tr></table><img src="http://127.0.0.1:9/x" onerror=alert(1)>\n'
        "<script>alert('x')</script> <a href=\"javascript:alert(1)\">x</a>\n"
        "'\"><style>@import url(http://127.0.0.1:9/)</style>&amp; &lt;\n"
        "+ added\n- removed\n"
    )
    rendered = render_markdown(f"```{language}\n{hostile}```\n")
    assert_safe_html(rendered.html)
    assert hostile.rstrip("\n") in text_of(rendered.html)
    assert rendered.code_blocks == (hostile.rstrip("\n"),)


def test_aliases_and_diff_colours(qapp: object) -> None:
    theme = MarkdownTheme.light()
    assert highlight("x = 1", "py") is not None and highlight("x = 1", "Python") is not None
    rendered = render_markdown("```diff\n+ kept\n- gone\n```\n", theme)
    colours = colours_of(rendered.html)
    assert colours["kept"] == theme.syntax_inserted
    assert colours["gone"] == theme.syntax_deleted


def test_a_huge_block_is_shown_plain_not_lexed() -> None:
    line = "value = compute(1, 'two')  # note\n"
    code = line * (MAX_HIGHLIGHT_CHARS // len(line) + 1)
    assert highlight(code, "python") is None
    rendered = render_markdown(f"```python\n{code}```\n")
    assert 'class="h' not in rendered.html
    small = render_markdown(f"```python\n{line * 10}```\n")
    assert 'class="hk"' not in small.html and 'class="hc"' in small.html


@THEMES
def test_syntax_colours_read_on_the_code_background(theme: MarkdownTheme) -> None:
    for name in (
        "syntax_keyword",
        "syntax_string",
        "syntax_comment",
        "syntax_number",
        "syntax_function",
        "syntax_type",
        "syntax_inserted",
        "syntax_deleted",
    ):
        ratio = contrast_ratio(getattr(theme, name), theme.code_background)
        assert ratio >= MIN_TEXT_CONTRAST, (name, ratio)
