"""docs/failures.md, item 7: Markdown answers render safely, and in bounded time.

Every rendered output here is also checked structurally (:func:`assert_safe_html`): only
allowlisted tags and attributes, every ``href`` http(s) or ``copy:N``, nothing that makes Qt
load a resource. The Qt tests put rendered payloads into real widgets next to a loopback
canary server that counts every request it receives.
"""

from __future__ import annotations

import html
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from desktop_app.qt.chat.markdown import (
    MAX_RENDERED_CHARS,
    MAX_SHOWN_CHARS,
    MarkdownLabels,
    MarkdownTheme,
    RenderedMarkdown,
    code_blocks,
    plain_text_html,
    render_markdown,
)
from tests.helpers import REPO

ALLOWED_TAGS = {
    "html", "head", "style", "body", "p", "br", "div", "span", "a", "b", "i", "s", "code",
    "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "class", "style", "href", "align", "width", "cellspacing", "cellpadding", "border",
    "colspan", "start",
}  # fmt: skip
VOID_TAGS = {"br"}
SAFE_HREF = re.compile(r"(https?://[^\s\"'<>]+|copy:\d+)\Z", re.IGNORECASE)


class _Structure(HTMLParser):
    """Collects tags, attributes, text and nesting errors of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.markup: list[str] = []  # the start tags as written, and the style sheet
        self.text: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.markup.append(self.get_starttag_text() or "")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.markup.append(data)
        else:
            self.text.append(data)


def assert_safe_html(markup: str) -> _Structure:
    """Only allowlisted, balanced markup; no way for Qt to load anything."""
    parsed = _Structure()
    parsed.feed(markup)
    parsed.close()
    assert not parsed.errors, parsed.errors[:5]
    assert not parsed.stack, parsed.stack[-5:]
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (tag, attrs)
        if "href" in attrs:
            assert tag == "a"
            assert SAFE_HREF.match(attrs["href"] or ""), attrs["href"]
        assert "url(" not in (attrs.get("style") or "")
    tags = "".join(parsed.markup).lower()
    for needle in ("<img", "src=", "background=", "background-image", "url(", "@import", "on"):
        if needle == "on":
            assert not re.search(r"\son\w+=", tags)
        else:
            assert needle not in tags, needle
    assert "<img" not in markup.lower()
    return parsed


def hrefs(markup: str) -> list[str]:
    parsed = assert_safe_html(markup)
    return [attrs["href"] or "" for tag, attrs in parsed.tags if "href" in attrs]


def text_of(markup: str) -> str:
    return "".join(assert_safe_html(markup).text)


def render(text: str, **kwargs: Any) -> RenderedMarkdown:
    rendered = render_markdown(text, **kwargs)
    assert_safe_html(rendered.html)
    return rendered


# --- raw HTML, images, links ----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        '<iframe src="http://127.0.0.1:9/"></iframe>',
        '<p style="background-image:url(http://127.0.0.1:9/)">x</p>',
        "text <b onmouseover=alert(1)>inline</b> html",
        "<!-- comment --> &lt;already escaped&gt; <style>@import 'x'</style>",
        "<div>\n\nblock html\n\n</div>",
    ],
)
def test_raw_html_is_shown_as_escaped_text(payload: str) -> None:
    rendered = render(payload)
    visible = text_of(rendered.html)
    for line in payload.splitlines():
        # The literal text survives (entities written by the model are decoded once, as
        # CommonMark requires); the markup never becomes markup.
        assert html.unescape(line.strip()) in visible
    # Only a bare http(s) URL in the text may become a link (checked by assert_safe_html).
    assert all(href.startswith("http://127.0.0.1:9/") for href in hrefs(rendered.html))


def test_image_is_text_and_never_an_img() -> None:
    rendered = render("Look: ![x](http://127.0.0.1:9/canary.png) here")
    assert "<img" not in rendered.html and "src=" not in rendered.html
    assert "[image: x] http://127.0.0.1:9/canary.png" in text_of(rendered.html)
    assert hrefs(rendered.html) == []  # the URL is text, not a link


@pytest.mark.parametrize(
    "payload",
    [
        "![](http://127.0.0.1:9/?q=secret)",
        '![a](http://127.0.0.1:9/a.png "title")',
        "![ref][img]\n\n[img]: http://127.0.0.1:9/ref.png",
        "[![inside a link](http://127.0.0.1:9/i.png)](https://example.com/)",
        "![x](data:image/png;base64," + "A" * 5000 + ")",
        "![x](file:///etc/passwd)",
    ],
)
def test_images_of_every_shape_are_never_fetched(payload: str) -> None:
    rendered = render(payload)
    assert "<img" not in rendered.html and "src=" not in rendered.html
    assert all(not href.startswith("http://127.0.0.1:9") for href in hrefs(rendered.html))


def test_long_image_urls_are_elided() -> None:
    rendered = render("![x](data:image/png;base64," + "A" * 40_000 + ")")
    assert len(rendered.html) < 5_000
    assert "\u2026" in text_of(rendered.html)


def test_http_and_https_links_become_anchors() -> None:
    rendered = render(
        "[a](https://example.com/a?b=1&c=2) and [b](http://example.org) <https://q.r/s>"
    )
    assert hrefs(rendered.html) == [
        "https://example.com/a?b=1&c=2",
        "http://example.org",
        "https://q.r/s",
    ]
    assert 'href="https://example.com/a?b=1&amp;c=2"' in rendered.html


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("[x](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))"),
        ("[x](file:///etc/passwd)", "[x](file:///etc/passwd)"),
        ("[x](data:text/html,<script>alert(1)</script>)", "<script>alert(1)</script>"),
        ("[x](vbscript:msgbox)", "[x](vbscript:msgbox)"),
        ("[x](/relative/path)", "x (/relative/path)"),
        ("[x](relative.html)", "x (relative.html)"),
        ("[x](mailto:a@example.com)", "x (mailto:a@example.com)"),
        ("[x](ftp://example.com/)", "x (ftp://example.com/)"),
        ("[x](copy:0)", "x (copy:0)"),  # a model cannot forge the widget's copy links
        ("[x](http:no-host)", "x (http:no-host)"),
        ("[x](https://)", "x (https://)"),
        ("<mailto:a@example.com>", "mailto:a@example.com"),
        ("<file:///etc/passwd>", "<file:///etc/passwd>"),
        ("[x][r]\n\n[r]: javascript:alert(1)", "[x][r]"),
    ],
)
def test_other_links_are_plain_text(link: str, shown: str) -> None:
    rendered = render(link)
    assert hrefs(rendered.html) == []
    assert shown in text_of(rendered.html)


def test_bare_urls_are_linked_without_trailing_punctuation() -> None:
    rendered = render(
        "See https://example.com/a_(b). Or (HTTPS://EXAMPLE.ORG/x), not javascript://x or "
        "ftp://example.com; `https://in.code/` stays code."
    )
    assert hrefs(rendered.html) == ["https://example.com/a_(b)", "HTTPS://EXAMPLE.ORG/x"]
    assert "https://in.code/" in text_of(rendered.html)


def test_link_text_is_escaped_and_links_are_not_nested() -> None:
    rendered = render("[<b>x</b> https://inner.example/](https://outer.example/)")
    assert hrefs(rendered.html) == ["https://outer.example/"]
    assert "<b>x</b> https://inner.example/" in text_of(rendered.html)


def test_bare_www_links_and_trailing_punctuation() -> None:
    rendered = render(
        "Visit www.example.com/docs. Or WWW.EXAMPLE.ORG, (https://example.com/a)) and "
        "'https://q.example/x'. \"https://q.example/y\"! **https://example.com/bold**"
    )
    assert hrefs(rendered.html) == [
        "http://www.example.com/docs",
        "http://WWW.EXAMPLE.ORG",
        "https://example.com/a",
        "https://q.example/x",
        "https://q.example/y",
        "https://example.com/bold",
    ]
    assert '<a href="http://www.example.com/docs">www.example.com/docs</a>. ' in rendered.html
    assert '<b><a href="https://example.com/bold">https://example.com/bold</a></b>' in (
        rendered.html
    )


@pytest.mark.parametrize(
    "text",
    [
        "Run main.py, then open notes.md or example.com",  # host names without www. stay text
        "write to a@example.com or mailto:a@example.com",
        "javascript:alert(1) and javascript://www.example.com/%0aalert(1)",
        "ftp://www.example.com/ file:///etc/passwd //www.example.com/ data:text/html,x",
    ],
)
def test_bare_non_http_addresses_stay_text(text: str) -> None:
    rendered = render(text)
    assert hrefs(rendered.html) == []
    assert text in text_of(rendered.html)
    assert hrefs(plain_text_html(text)) == []


def test_link_text_is_the_url_as_written() -> None:
    # Decoding punycode for display would show "аpple.com" (Cyrillic а) for another host.
    text = "https://xn--pple-43d.com/%E2%82%AC <https://xn--pple-43d.com/>"
    rendered = render(text)
    assert hrefs(rendered.html) == [
        "https://xn--pple-43d.com/%E2%82%AC",
        "https://xn--pple-43d.com/",
    ]
    assert text_of(rendered.html) == text.replace("<", "").replace(">", "")


def test_image_inside_a_link_is_a_label_inside_the_anchor() -> None:
    rendered = render("[![logo](http://127.0.0.1:9/i.png)](https://example.com/)")
    assert hrefs(rendered.html) == ["https://example.com/"]
    assert (
        '<a href="https://example.com/"><span class="m">[image: logo] '
        "http://127.0.0.1:9/i.png</span></a>"
    ) in rendered.html


def test_bare_links_are_capped_by_the_layout_budget() -> None:
    rendered = render("https://a.example/c " * 3_000)
    links = len(hrefs(rendered.html))
    assert 100 < links < 4_000  # each link costs Qt ~0.1 ms: the budget stops linking
    assert text_of(rendered.html).count("https://a.example/c") == 3_000  # the rest is text
    assert len(hrefs(plain_text_html("https://a.example/c " * 1_500))) == 1_000


def test_raw_html_and_unknown_tokens_are_text_even_if_the_parser_made_them() -> None:
    """Defence in depth: the renderer's rules, not only ``html`` off, keep markup out."""
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    from desktop_app.qt.chat.markdown import _HtmlWriter

    source = "a <img src=http://127.0.0.1:9/x> <b onclick=x>b</b>\n\n<iframe src=x></iframe>\n"
    tokens = MarkdownIt("commonmark", {"html": True}).parse(source)
    assert {"html_inline", "html_block"} <= {t.type for t in tokens} | {
        c.type for t in tokens for c in t.children or ()
    }
    inline = next(t for t in tokens if t.type == "inline")
    assert inline.children is not None
    unknown = Token("sup_open", "iframe", 1, attrs={"src": "http://127.0.0.1:9/"}, content="up")
    inline.children.append(unknown)
    writer = _HtmlWriter(MarkdownTheme.light(), MarkdownLabels())
    writer.render(tokens, source, "")
    markup = writer.html()
    assert_safe_html(markup)
    visible = text_of(markup)
    assert "a <img src=http://127.0.0.1:9/x> <b onclick=x>b</b>up" in visible
    assert "<iframe src=x></iframe>" in visible


# --- code -------------------------------------------------------------------------------------


def test_code_block_has_label_copy_link_and_exact_code() -> None:
    code = 'if a < b:\n    print("<hi> & bye")'
    rendered = render(f"Before\n\n```python\n{code}\n```\n\nAfter")
    assert rendered.code_blocks == (code,)
    assert code_blocks(f"```python\n{code}\n```") == [code]
    assert hrefs(rendered.html) == ["copy:0"]
    assert ">python<" in rendered.html
    assert ">Copy</a>" in rendered.html
    # Escaped, whatever colour spans the highlighter puts around the tokens.
    assert "&lt;" in rendered.html and "&amp;" in rendered.html
    assert "<pre>" in rendered.html
    assert code in text_of(rendered.html)


def test_code_blocks_are_numbered_in_order() -> None:
    text = "```js\nfirst()\n```\n\n    indented\n    block\n\n~~~\nthird <x>\n~~~\n"
    rendered = render(text)
    assert rendered.code_blocks == ("first()", "indented\nblock", "third <x>")
    assert hrefs(rendered.html) == ["copy:0", "copy:1", "copy:2"]
    assert ">code<" in rendered.html  # blocks without a language get a generic label


def test_code_block_keeps_blank_lines_and_trailing_spaces() -> None:
    code = "a  \n\n\n  b\t"
    assert render(f"```\n{code}\n```").code_blocks == (code,)


def test_language_label_is_escaped_and_short() -> None:
    rendered = render("```<script>" + "x" * 100 + " attrs\ncode\n```")
    assert "&lt;script&gt;" in rendered.html
    assert "x" * 40 not in rendered.html


def test_inline_code_is_shaded_monospace_and_escaped() -> None:
    rendered = render("Use `a<b && c` here.")
    assert "<code>\u00a0a&lt;b &amp;&amp; c\u00a0</code>" in rendered.html
    assert "code{background-color:#f4f5f7" in rendered.html
    assert rendered.code_blocks == ()


# --- structure --------------------------------------------------------------------------------


def test_tables_become_bordered_tables() -> None:
    rendered = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | **2** | 3 |\n| 4 | 5 | 6 |")
    parsed = assert_safe_html(rendered.html)
    tables = [attrs for tag, attrs in parsed.tags if tag == "table"]
    assert len(tables) == 1
    assert tables[0]["border"] == "1" and tables[0]["cellspacing"] == "0"
    assert tables[0]["cellpadding"] == "5"
    cells = [(tag, attrs.get("align")) for tag, attrs in parsed.tags if tag in ("th", "td")]
    assert cells[:3] == [("th", "left"), ("th", "center"), ("th", "right")]
    assert len(cells) == 9
    assert "<b>2</b>" in rendered.html


def test_nested_lists() -> None:
    rendered = render("- one\n  - two\n    - three\n      1. four\n- five\n\n3. c\n4. d")
    parsed = assert_safe_html(rendered.html)
    lists = [(tag, attrs) for tag, attrs in parsed.tags if tag in ("ul", "ol")]
    assert [tag for tag, _ in lists] == ["ul", "ul", "ul", "ol", "ol"]
    assert [attrs.get("class") for _, attrs in lists] == [None, "n", "n", "n", None]
    styles = [attrs.get("style") for _, attrs in lists]
    assert styles[:3] == [
        "list-style-type:disc",
        "list-style-type:circle",
        "list-style-type:square",
    ]
    assert lists[4][1]["start"] == "3"
    assert re.search(r"<ul[^>]*>.*<ul[^>]*>.*<ul[^>]*>.*<ol[^>]*>.*four", rendered.html)
    assert text_of(rendered.html).count("five") == 1


def test_task_lists_show_check_boxes_instead_of_bullets() -> None:
    rendered = render("- [x] done\n- [ ] to do")
    assert "list-style-type:none" in rendered.html
    assert "\u2611\u00a0done" in rendered.html and "\u2610\u00a0to do" in rendered.html


def test_headings_quotes_rules_and_emphasis() -> None:
    rendered = render(
        "# Title\n\n## Sub\n\n###### Six\n\n> quoted *em*\n> > nested\n\n---\n\n"
        "**bold** *it* ~~gone~~ line  \nbreak"
    )
    markup = rendered.html
    for fragment in ('<h1 style="margin-top:0">Title</h1>', "<h2>Sub</h2>", "<h6>Six</h6>"):
        assert fragment in markup
    assert markup.count('<table class="q"') == 2  # quote bars
    assert '<td class="bar" width="3">' in markup
    assert '<table class="hr"' in markup
    assert "<b>bold</b> <i>it</i> <s>gone</s> line<br>" in markup
    assert "h1{font-size:x-large}" in markup  # modest sizes, relative to the widget font


def test_deep_quotes_stop_drawing_bars_but_keep_text() -> None:
    rendered = render("> " * 6 + "deep words")
    assert rendered.html.count('<table class="q"') == 2
    assert rendered.html.count('<div class="q"') == 4
    assert "deep words" in text_of(rendered.html)


def test_last_block_of_each_container_has_no_bottom_margin() -> None:
    rendered = render("para one\n\n> quote one\n>\n> quote two\n\nlast para")
    assert '<p style="margin-bottom:0">quote two</p>' in rendered.html
    assert '<p style="margin-bottom:0">last para</p>' in rendered.html
    assert "<p>para one</p>" in rendered.html


def test_themes() -> None:
    light, dark = MarkdownTheme.light(), MarkdownTheme.dark()
    assert light != dark
    text = "`x`\n\n```\ny\n```\n\n[l](https://e.x)"
    for theme in (light, dark):
        markup = render(text, theme=theme).html
        assert theme.code_background in markup and theme.link in markup
    with pytest.raises(ValueError, match="not a colour"):
        MarkdownTheme("red;}</style><img src=x>", "#fff", "#fff", "#fff", "#fff")


def test_labels_are_replaceable_for_translation() -> None:
    labels = MarkdownLabels(copy="Kopieren", code="Kode", image="Bild")
    rendered = render("```\nx\n```\n\n![a](http://h/x.png)", labels=labels)
    assert ">Kopieren</a>" in rendered.html and ">Kode<" in rendered.html
    assert "[Bild: a]" in text_of(rendered.html)


# --- user messages ----------------------------------------------------------------------------


def test_plain_text_html_escapes_keeps_lines_and_links_http() -> None:
    markup = plain_text_html(
        "<b>not bold</b> *not em*\n  two spaces\nhttps://example.com/x. javascript:alert(1)"
    )
    assert_safe_html(markup)
    assert "&lt;b&gt;not bold&lt;/b&gt; *not em*<br>  two spaces<br>" in markup
    assert "white-space:pre-wrap" in markup
    assert hrefs(markup) == ["https://example.com/x"]


def test_plain_text_html_is_capped() -> None:
    markup = plain_text_html("x" * (MAX_SHOWN_CHARS + 10))
    assert_safe_html(markup)
    assert len(markup) < MAX_SHOWN_CHARS + 1_000
    assert "[… 10]" in markup


# --- streaming --------------------------------------------------------------------------------

ANSWER = """Here is the plan:

1. Read the file
2. Count the words

```python
def count(path: str) -> int:
    with open(path) as f:
        return len(f.read().split())  # 3 < 4
```

| word | count |
|------|------:|
| the  | 12    |
| a    | 7     |

> Note: **large** files need streaming; see https://docs.python.org/3/.
"""


def test_every_prefix_of_a_streamed_answer_renders() -> None:
    for end in range(0, len(ANSWER) + 1, 3):
        render(ANSWER[:end])


def test_unterminated_fence_mid_stream_is_a_code_block() -> None:
    partial = ANSWER[: ANSWER.index("# 3 < 4")]
    rendered = render(partial)
    assert rendered.code_blocks == (
        "def count(path: str) -> int:\n    with open(path) as f:\n"
        "        return len(f.read().split())  ",
    )
    assert hrefs(rendered.html) == ["copy:0"]


def test_table_mid_stream() -> None:
    header_only = ANSWER[: ANSWER.index("|------")]
    assert '<table class="t"' not in render(header_only).html  # not a table yet: text
    partial = ANSWER[: ANSWER.index("| a ")]
    assert len(re.findall(r"<td(?: align=\"\w+\")?>", render(partial).html)) == 2


# --- hostile input: bounded time and output ---------------------------------------------------

HOSTILE: dict[str, Callable[[], str]] = {
    "1 MB of prose": lambda: ("Some *words*, `code` and [a link](https://x.y/z).\n\n" * 20_000)[
        :1_000_000
    ],
    "10 000 nested quotes": lambda: ">" * 10_000 + " deepest",
    "quotes nesting line by line": lambda: "\n".join(">" * i + " x" for i in range(1, 2_000)),
    "10 000 nested list levels": lambda: "- " * 10_000 + "deepest",
    "indented list levels": lambda: "".join("  " * i + "- x\n" for i in range(2_000)),
    "50 000 stars": lambda: "*" * 50_000,
    "stars and letters": lambda: "*a " * 50_000,
    "underscores": lambda: "_a" * 100_000,
    "open brackets": lambda: "[" * 200_000,
    "unclosed links": lambda: "[a](" * 50_000,
    "backticks": lambda: "`a``" * 50_000,
    "very long line": lambda: "x" * 1_000_000,
    "30 000 table rows": lambda: "|a|b|\n|-|-|\n" + "|x|y|\n" * 30_000,
    "empty table rows": lambda: "|a|b|\n|-|-|\n" + "|\n" * 100_000,
    "5000 table columns": lambda: "|" + "a|" * 5_000 + "\n|" + "-|" * 5_000 + "\n|x|\n",
    "20 000 code blocks": lambda: "```\nx\n```\n" * 20_000,
    "30 000 images": lambda: "![a](http://127.0.0.1:9/x.png) " * 30_000,
    "25 000 inline codes": lambda: "`a` " * 25_000,
    "entities": lambda: "&amp;&#x3C;" * 50_000,
    "NUL and CR": lambda: "a\0b\r\nc\r" * 50_000,
    "URL with 40 000 closing brackets": lambda: "see https://x.org/" + ")." * 20_000,
    "many bare URLs": lambda: "https://a.b/c " * 20_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_renders_in_bounded_time_and_size(name: str) -> None:
    text = HOSTILE[name]()
    started = time.perf_counter()
    rendered = render_markdown(text)
    elapsed = time.perf_counter() - started
    print(f"\n{name}: {len(text):,} chars -> {len(rendered.html):,} chars in {elapsed:.3f} s")
    assert elapsed < 10.0  # about 1 s at worst on a laptop; generous so it cannot flake
    assert len(rendered.html) <= 4 * min(len(text), MAX_SHOWN_CHARS) + 20_000
    visible = text_of(rendered.html)
    assert visible.count("shown as plain text") <= 1
    assert visible.count("more characters are not shown") <= 1


def test_text_past_the_limit_is_shown_plain_not_dropped() -> None:
    text = "# Head\n\n" + "word " * (MAX_RENDERED_CHARS // 5) + "\n\n**MARKER** after the limit"
    rendered = render(text)
    visible = text_of(rendered.html)
    assert "**MARKER** after the limit" in visible  # plain: the stars are not markup
    assert "shown as plain text" in visible
    assert rendered.html.startswith("<html><head><style>") and "<h1" in rendered.html


def test_text_past_what_can_be_shown_is_counted() -> None:
    rendered = render("y" * (MAX_SHOWN_CHARS + 12_345))
    assert "12,345 more characters are not shown" in text_of(rendered.html)


def test_too_deep_nesting_keeps_the_text_and_what_follows() -> None:
    # markdown-it itself silently drops everything past maxNesting.
    rendered = render("> " * 100 + "deep words\n\nafter **bold**")
    assert "deep words" in text_of(rendered.html)
    assert "<b>bold</b>" in rendered.html
    rendered = render("- " * 10_000 + "deepest\n\n# After")
    assert "deepest" in text_of(rendered.html)
    assert "After</h1>" in rendered.html


def test_huge_tables_degrade_to_text() -> None:
    rendered = render("|a|b|\n|-|-|\n" + "".join(f"|r{i}|v{i}|\n" for i in range(10_000)))
    rows_in_cells = re.findall(r"<td>r(\d+)</td>", rendered.html)
    assert 100 < len(rows_in_cells) < 1_500
    next_row = len(rows_in_cells)
    assert rows_in_cells[-1] == str(next_row - 1)
    visible = text_of(rendered.html)
    assert f"|r{next_row}|v{next_row}|" in visible  # the following rows are there, as text
    assert "more characters are not shown" in visible  # and the end is capped


def test_many_code_blocks_keep_their_copy_numbers() -> None:
    rendered = render("".join(f"```\nblock {i}\n```\n\n" for i in range(600)))
    assert len(rendered.code_blocks) <= 600
    for index, href in enumerate(hrefs(rendered.html)):
        assert href == f"copy:{index}"
        assert rendered.code_blocks[index] == f"block {index}"


def test_the_markdown_writer_does_not_load_qt() -> None:
    """It writes Qt's rich-text dialect but needs no Qt to do it (tests and benchmarks
    render answers without a display)."""
    code = (
        "import sys, desktop_app.qt.chat.markdown as m\n"
        "m.render_markdown('# x')\n"
        "print(','.join(sorted(n for n in sys.modules if n.startswith('PySide6'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


# --- Qt: nothing is fetched, and layout stays bounded -----------------------------------------


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def _hit(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = _hit

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Canary,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


def test_rendered_payloads_make_no_requests_in_qt_widgets(
    qtbot: Any, canary: tuple[int, list[str]]
) -> None:
    import urllib.request

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QTextBrowser

    port, hits = canary
    base = f"http://127.0.0.1:{port}"
    payload = (
        f"![]({base}/x)\n\n"
        f'<img src="{base}/y">\n\n'
        f"![alt]({base}/alt.png) and ![ref][r]\n\n"
        f'<p style="background-image:url({base}/css)">css</p>\n\n'
        f"A link is fetched only on a click: [link]({base}/z) <{base}/auto> {base}/bare\n\n"
        f"[r]: {base}/refdef\n"
    )
    markup = render(payload).html
    assert f"{base}/x" in text_of(markup) and f"{base}/y" in text_of(markup)

    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setText(markup)
    browser = QTextBrowser()
    browser.setHtml(markup)
    for widget in (label, browser):
        qtbot.addWidget(widget)
        widget.resize(500, 400)
        widget.show()
    qtbot.wait(600)
    label.grab()
    browser.viewport().grab()
    assert hits == []

    # Control: the canary does count a real request.
    with urllib.request.urlopen(f"{base}/control", timeout=5) as response:
        response.read()
    assert hits == ["/control"]


RICH_SAMPLE = """# Reading the photo

The image shows a **receipt** from a café, with *three* items and a total. You can check it \
with `parse_receipt()` or see [the docs](https://example.com/docs).

## Items

1. Flat white — 3.40
2. Croissant — 2.80
   - butter, *extra*
   - warmed
3. Water

- [x] read the total
- [ ] compare with the bank statement

| Item | Qty | Price |
|:-----|:---:|------:|
| Flat white | 1 | 3.40 |
| Croissant | 2 | 5.60 |

```python
def total(items: list[tuple[str, float]]) -> float:
    return sum(price for _, price in items if price > 0)  # <skip refunds>
```

> The handwriting at the bottom is hard to read;
> it may say "thank you".

---

![logo](http://127.0.0.1:9/logo.png) ~~old price~~ new price.
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rich_sample_lays_out_in_a_label(qtbot: Any, scheme: str) -> None:
    """Set LOCALSIGHT_SCREENSHOTS=/some/dir to save what it looks like, for review."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QLabel

    theme = MarkdownTheme.light() if scheme == "light" else MarkdownTheme.dark()
    label = QLabel()
    qtbot.addWidget(label)
    palette = label.palette()
    background, foreground = ("#ffffff", "#1d2026") if scheme == "light" else ("#24272c", "#e6e8eb")
    palette.setColor(QPalette.ColorRole.Window, QColor(background))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(foreground))
    label.setPalette(palette)
    label.setAutoFillBackground(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setContentsMargins(14, 12, 14, 12)
    rendered = render(RICH_SAMPLE, theme=theme)
    label.setText(rendered.html)
    label.resize(640, label.heightForWidth(640))
    label.show()
    qtbot.waitExposed(label)
    assert 300 < label.height() < 1_000
    assert rendered.code_blocks == (
        "def total(items: list[tuple[str, float]]) -> float:\n"
        "    return sum(price for _, price in items if price > 0)  # <skip refunds>",
    )
    shots = os.environ.get("LOCALSIGHT_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        assert label.grab().save(str(Path(shots) / f"markdown_{scheme}.png"))


@pytest.mark.parametrize(
    "name",
    [
        "1 MB of prose",
        "30 000 table rows",
        "empty table rows",
        "20 000 code blocks",
        "25 000 inline codes",
        "quotes nesting line by line",
        "very long line",
    ],
)
def test_hostile_output_lays_out_in_bounded_time(qtbot: Any, name: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    rendered = render_markdown(HOSTILE[name]())
    label = QLabel()
    qtbot.addWidget(label)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    started = time.perf_counter()
    label.setText(rendered.html)
    label.resize(600, label.heightForWidth(600))
    label.show()
    qtbot.waitExposed(label)
    elapsed = time.perf_counter() - started
    print(f"\nQt layout of {name}: {len(rendered.html):,} chars of HTML in {elapsed:.3f} s")
    assert elapsed < 15.0  # about 0.5 s at worst on a laptop; generous so it cannot flake
