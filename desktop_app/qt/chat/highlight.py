"""Syntax colours for the code blocks of answers, by Pygments (issue 17).

A fenced block's language label (```` ```python ````) picks a Pygments lexer; its tokens
become ``<span class="…">`` runs inside the block's ``<pre>``, coloured by the answer's
style sheet (``desktop_app/qt/chat/markdown.py``) from :class:`MarkdownTheme`'s syntax
colours, so light and dark each have theirs.

Why it is built this way:

* **Only a label picks a lexer.** No guessing from the text: Pygments' ``guess_lexer``
  runs every lexer's ``analyse_text`` (slow, and often wrong on a few lines, so a shell
  snippet would be coloured as something else).  An unknown label, or none, is plain text.
* **Text stays text.** Every token's text is escaped, and the only markup written is
  ``<span class="X">`` with ``X`` from :data:`_CLASSES`: the code can hold ``</pre>``,
  ``<script>`` or ``"><img src=…>`` and it shows as written.  The lexer keeps leading and
  trailing blank lines (``stripnl`` off); the final line break it adds (line-based lexers
  such as diff's need one) is taken off again, so the tokens put back together are the
  block exactly (checked: otherwise the block is plain).
* **Bounded cost.** Blocks longer than :data:`MAX_HIGHLIGHT_CHARS` are shown plain, and
  results are memoised, so while an answer streams only the block still growing is lexed
  again; the caller also checks its layout budget against the spans written.  Adjacent
  tokens of one colour are merged into one span.

Qt-free (like markdown.py): the Qt layer only sees the HTML.
"""

from __future__ import annotations

import functools
import html
from typing import Any

MAX_HIGHLIGHT_CHARS = 6_000
"""Longer code blocks are shown without colours.

Measured: Pygments' Python lexer plus the spans cost about 7 µs per character (19 000
characters: 135 ms), and a streamed answer is re-rendered every few tens of milliseconds,
so the block still growing is lexed again each time; 6 000 characters keep that near 40 ms.
Finished blocks come from the cache (:func:`highlight` is memoised).
"""

# Most specific first: the first token type the token is within decides its class.
_CLASS_ORDER: tuple[tuple[str, str], ...] = (
    ("Comment", "hc"),
    ("Literal.String", "hs"),
    ("Literal.Number", "hn"),
    ("Keyword.Type", "ht"),
    ("Keyword", "hk"),
    ("Operator.Word", "hk"),
    ("Name.Builtin", "hb"),
    ("Name.Function", "hf"),
    ("Name.Class", "ht"),
    ("Name.Decorator", "hf"),
    ("Name.Tag", "hk"),
    ("Name.Attribute", "hf"),
    ("Generic.Inserted", "hi"),
    ("Generic.Deleted", "hd"),
    ("Generic.Heading", "hk"),
    ("Generic.Subheading", "hk"),
)

_CLASSES = frozenset(name for _, name in _CLASS_ORDER)
"""Every class a span may carry; the style sheet has a rule for each."""


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Any | None:
    """The Pygments lexer for a fence label (``py``, ``Python``, ``c++``), or None."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    name = language.strip().lower()
    if not name or len(name) > 32:
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True, stripall=False)
    except (ClassNotFound, ValueError):
        return None


@functools.lru_cache(maxsize=512)
def _class_of(token_type: Any) -> str:
    """The span class for a Pygments token type, "" for text left in the usual colour."""
    from pygments.token import string_to_tokentype

    for name, css_class in _CLASS_ORDER:
        if token_type in string_to_tokentype(name):
            return css_class
    return ""


@functools.lru_cache(maxsize=32)
def highlight(code: str, language: str) -> tuple[str, int] | None:
    """``code`` as escaped HTML with colour spans, and the number of spans; None when it
    is shown plain (no or unknown label, or longer than :data:`MAX_HIGHLIGHT_CHARS`)."""
    if len(code) > MAX_HIGHLIGHT_CHARS:
        return None
    lexer = _lexer(language)
    if lexer is None:
        return None
    runs: list[tuple[str, str]] = []  # (class, text), neighbours of one class merged
    for token_type, value in lexer.get_tokens(code):
        if not value:
            continue
        css_class = _class_of(token_type) if not value.isspace() else ""
        if runs and (runs[-1][0] == css_class or value.isspace()):
            runs[-1] = (runs[-1][0], runs[-1][1] + value)
        else:
            runs.append((css_class, value))
    joined = "".join(text for _, text in runs)
    if runs and joined == code + "\n":  # the line break ``ensurenl`` added
        last_class, last_text = runs[-1]
        runs[-1] = (last_class, last_text[:-1])
        joined = joined[:-1]
    if joined != code:
        return None  # a lexer that changed the text (it should not): show it as written
    parts: list[str] = []
    spans = 0
    for css_class, text in runs:
        if not text:
            continue
        escaped = html.escape(text, quote=False)
        if css_class in _CLASSES:
            parts.append(f'<span class="{css_class}">{escaped}</span>')
            spans += 1
        else:
            parts.append(escaped)
    return "".join(parts), spans
