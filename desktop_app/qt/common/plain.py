"""Text that is not ours is shown as text, never as HTML.

A QLabel or QMessageBox left at Qt's default, ``AutoText``, renders its text as HTML whenever
``Qt.mightBeRichText`` guesses so, and it guesses yes for anything with a tag near the start.
Much of what the window shows comes from outside: model and file names, a server's error,
a chat's title, a refused settings value (``{"<img src=x>": 1}``, issue 16).  Taken as HTML,
such text can restyle the window, hide what it says, or pull in a local image
(``<img src=file:///…>``).  So every label that shows such text is set to ``PlainText``
where it is built (only an answer's bubble is ``RichText``: our own Markdown renderer made
it), and every question goes through :func:`ask`.
"""

from __future__ import annotations

from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["ask", "literal_html"]


def literal_html(text: str) -> str:
    """``text`` as HTML that displays exactly ``text`` (escaped, line breaks kept)."""
    return GuiQt.convertFromPlainText(text, GuiQt.WhiteSpaceMode.WhiteSpaceNormal)


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """Yes/No, like ``QMessageBox.question``, with ``text`` shown as it is.

    Still through ``QMessageBox.question`` (a static call, so tests answer it by replacing
    that one function); the text is handed over as HTML that displays literally, because the
    static call has no way to set ``PlainText``.
    """
    answer = QMessageBox.question(parent, title, literal_html(text))
    return answer == QMessageBox.StandardButton.Yes
