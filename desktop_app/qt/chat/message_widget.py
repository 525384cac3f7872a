"""One message in the chat: a bubble with thumbnails, Markdown text, stats and hover actions.

User and assistant messages look different (right-aligned tinted bubble vs a card); images
sit in the user's bubble as thumbnails that open a large view; actions appear on hover and
on keyboard focus (Tab reaches them, a ring shows which one has it).  Hidden actions keep
their place (drawn transparent), so hovering never moves the message (issue 17, item 10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCursor, QDesktopServices, QFont, QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.chat.markdown import (
    MarkdownLabels,
    MarkdownTheme,
    plain_text_html,
    render_markdown,
)
from desktop_app.qt.common.i18n import shown, translator
from desktop_app.qt.common.signals import emit

THUMBNAIL_PX = 112
#: How long a Copy button says "Copied ✓" after a click.
COPIED_MS = 1500


tr = translator("MessageWidget")


def markdown_labels() -> MarkdownLabels:
    """The renderer's visible words, translated."""
    return MarkdownLabels(
        copy=tr("Copy"),
        code=tr("code"),
        image=tr("image"),
        plain=tr("The rest of this message is shown as plain text."),
        hidden=tr("{count} more characters are not shown; copy the message to get all of it."),
    )


def format_stats(stats: Any, ttft_s: float | None = None) -> str:
    """'42 tokens · 18.3 tok/s · first token 1.2 s' — subtle, and only what is known."""
    if stats is None:
        return ""
    parts = []
    if stats.completion_tokens:
        parts.append(tr("%n token(s)", n=stats.completion_tokens))
    if stats.decode_tok_s:
        parts.append(tr("{r} tok/s", r=f"{stats.decode_tok_s:.1f}"))
    if ttft_s is not None:
        parts.append(tr("first token {s} s", s=f"{ttft_s:.1f}"))
    if stats.load_s >= 0.05:
        parts.append(tr("model loaded in {s} s", s=f"{stats.load_s:.1f}"))
    return " · ".join(parts)


class MessageWidget(QWidget):
    """A message row. ``message`` is a store row (``StoredMessage``) or a pending stand-in."""

    copy_requested = Signal(str)
    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    retry_requested = Signal(int)
    #: Show another version of this message (its id): ‹ and › on a message with versions.
    version_requested = Signal(int)
    #: Extend this answer (cut by the token limit, or stopped).
    continue_requested = Signal(int)
    image_clicked = Signal(str)

    def __init__(
        self,
        message: Any,
        thumbnail: Callable[[str], bytes | None],
        theme: MarkdownTheme,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.message = message
        self._theme = theme
        self._text: str = message.text
        self._code_blocks: tuple[str, ...] = ()
        self.is_user = message.role == "user"
        self.setAttribute(Qt.WidgetAttribute.WA_Hover, True)

        row = QHBoxLayout(self)
        row.setContentsMargins(12, 4, 12, 4)
        self.bubble = QFrame(self)
        self.bubble.setObjectName("Bubble")
        self.bubble.setProperty("role", message.role)
        self.bubble.setProperty("state", message.state)
        self.bubble.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        if self.is_user:
            row.addStretch(1)
            row.addWidget(self.bubble, 4)
        else:
            row.addWidget(self.bubble, 1)

        layout = QVBoxLayout(self.bubble)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(6)

        if message.images:
            strip = QHBoxLayout()
            strip.setSpacing(6)
            for image in message.images:
                strip.addWidget(self._thumbnail_button(image, thumbnail))
            strip.addStretch(1)
            layout.addLayout(strip)

        self.body = QLabel(self.bubble)
        self.body.setObjectName("MessageBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.body.setOpenExternalLinks(False)  # we decide which links open, and only on click
        self.body.linkActivated.connect(self._on_link)
        self.body.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.body.setAccessibleName(tr("Your message") if self.is_user else tr("Answer"))
        layout.addWidget(self.body)

        self.status = QLabel(self.bubble)
        self.status.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a backend's error text: common/plain.py
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(self.status)

        footer = QHBoxLayout()
        footer.setSpacing(2)
        self.stats = QLabel(self.bubble)
        self.stats.setObjectName("Muted")
        small = self.stats.font()
        small.setPointSizeF(max(small.pointSizeF() - 1.5, 7.0))
        self.stats.setFont(small)
        self.versions = self._version_switcher(footer, small)
        footer.addWidget(self.stats)
        footer.addStretch(1)
        self.action_buttons: dict[str, QToolButton] = {}
        self._can_regenerate = True
        self._add_action(
            footer, "copy", tr("Copy"), tr("Copy this message (Ctrl+Shift+C)"), self._copy
        )
        copy = self.action_buttons["copy"]
        # Wide enough for "Copied ✓" from the start: the confirmation moves nothing.
        copy.setText(tr("Copied ✓"))
        copy.setMinimumWidth(copy.sizeHint().width())
        copy.setText(tr("Copy"))
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(COPIED_MS)
        self._copied_timer.timeout.connect(lambda: copy.setText(tr("Copy")))
        if self.is_user:
            self._add_action(
                footer,
                "edit",
                tr("Edit"),
                tr("Edit and resend this message"),
                lambda: emit(self.edit_requested, self.message.id),
            )
        else:
            self._add_action(
                footer,
                "continue",
                tr("Continue"),
                tr("Let the model go on with this answer"),
                lambda: emit(self.continue_requested, self.message.id),
            )
            self._add_action(
                footer,
                "retry",
                tr("Retry"),
                tr("Ask again after this error"),
                lambda: emit(self.retry_requested, self.message.id),
            )
            self._add_action(
                footer,
                "regenerate",
                tr("Regenerate"),
                tr("Replace this answer with a new one"),
                lambda: emit(self.regenerate_requested, self.message.id),
            )
        layout.addLayout(footer)
        self.set_message(message)
        self._set_actions_visible(False)

    # -- building -----------------------------------------------------------------------

    def _thumbnail_button(
        self, image: Any, thumbnail: Callable[[str], bytes | None]
    ) -> QToolButton:
        button = QToolButton(self.bubble)
        button.setObjectName("Thumbnail")
        data = thumbnail(image.sha256)
        pixmap = QPixmap()
        if data:
            pixmap.loadFromData(data)
        if not pixmap.isNull():
            button.setIcon(QIcon(pixmap))
            scaled = pixmap.size().scaled(
                QSize(THUMBNAIL_PX, THUMBNAIL_PX), Qt.AspectRatioMode.KeepAspectRatio
            )
            button.setIconSize(scaled)
        else:
            button.setText(tr("image"))
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        size = f"{image.width}×{image.height}"
        button.setToolTip(tr("Open the image ({size})", size=size))
        button.setAccessibleName(tr("Attached image {size}", size=size))
        button.clicked.connect(lambda: emit(self.image_clicked, image.sha256))
        return button

    def _version_switcher(self, footer: QHBoxLayout, font: QFont) -> QWidget:
        """‹ 2/3 ›: which version of this message is shown, and the way to the others.

        Always visible on a message that has versions (Regenerate and Edit keep what they
        replace), not only on hover: it tells that there is more to see.
        """
        box = QWidget(self.bubble)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 6, 0)
        row.setSpacing(0)
        self.previous_version = QToolButton(box)
        self.previous_version.setObjectName("MessageAction")
        self.previous_version.setText("‹")
        self.previous_version.setToolTip(tr("Show the previous version"))
        self.previous_version.setAccessibleName(tr("Previous version"))
        self.previous_version.clicked.connect(lambda: self._step_version(-1))
        self.version_label = QLabel(box)
        self.version_label.setObjectName("Muted")
        self.version_label.setFont(font)
        self.next_version = QToolButton(box)
        self.next_version.setObjectName("MessageAction")
        self.next_version.setText("›")
        self.next_version.setToolTip(tr("Show the next version"))
        self.next_version.setAccessibleName(tr("Next version"))
        self.next_version.clicked.connect(lambda: self._step_version(1))
        for button in (self.previous_version, self.next_version):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        row.addWidget(self.previous_version)
        row.addWidget(self.version_label)
        row.addWidget(self.next_version)
        footer.addWidget(box)
        box.hide()
        return box

    def _step_version(self, step: int) -> None:
        versions: tuple[int, ...] = getattr(self.message, "versions", ())
        index = getattr(self.message, "version_index", 0) + step
        if 0 <= index < len(versions):
            emit(self.version_requested, versions[index])

    def _show_versions(self) -> None:
        versions: tuple[int, ...] = getattr(self.message, "versions", ())
        if len(versions) < 2:
            self.versions.hide()
            return
        index = getattr(self.message, "version_index", 0)
        self.version_label.setText(f"{index + 1}/{len(versions)}")
        self.version_label.setAccessibleName(
            tr("Version {number} of {count}", number=index + 1, count=len(versions))
        )
        self.previous_version.setEnabled(index > 0)
        self.next_version.setEnabled(index < len(versions) - 1)
        self.versions.show()

    def _add_action(
        self, layout: QHBoxLayout, key: str, label: str, tip: str, slot: Callable[[], None]
    ) -> None:
        button = QToolButton(self.bubble)
        button.setObjectName("MessageAction")
        button.setText(label)
        button.setToolTip(tip)
        button.setAccessibleName(label)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(slot)
        button.installEventFilter(self)  # focus shows the actions (eventFilter)
        layout.addWidget(button)
        self.action_buttons[key] = button

    # -- state --------------------------------------------------------------------------

    def set_message(self, message: Any, ttft_s: float | None = None) -> None:
        """Show a store row's final state: text, stats, interrupted / error notes."""
        self.message = message
        self.bubble.setProperty("state", message.state)
        self.bubble.style().unpolish(self.bubble)
        self.bubble.style().polish(self.bubble)
        self.set_text(message.text)
        stats_text = format_stats(getattr(message, "stats", None), ttft_s)
        self.stats.setText(stats_text)
        self.stats.setVisible(bool(stats_text))
        limit = getattr(message, "token_limit", None)
        if message.state == "interrupted":
            self.show_status(tr("Stopped — the answer above is incomplete."))
        elif getattr(message, "cut_by_limit", False):
            self.show_status(
                tr("Stopped at the {limit}-token limit.", limit=limit)
                if limit
                else tr("Stopped at the token limit.")
            )
        elif message.state == "error":
            # A ``message`` while the answer is the one just written (a stored row: as saved).
            reason = shown(message.error) if message.error else tr("The model failed to answer.")
            self.show_status(reason, error=True)
        elif message.state == "streaming":
            self.show_status(tr("Thinking…"))
        else:
            self.status.hide()
        if "retry" in self.action_buttons:
            self.action_buttons["retry"].setVisible(message.state in ("error", "interrupted"))
        self._show_versions()
        self._show_continue()

    @property
    def can_continue(self) -> bool:
        """An answer with text that was cut by the token limit or stopped: Continue goes on
        with it (only the last answer of the chat: the model continues the chat's end)."""
        message = self.message
        cut = getattr(message, "cut_by_limit", False) or message.state == "interrupted"
        return not self.is_user and cut and bool(message.text.strip()) and self._can_regenerate

    def _show_continue(self) -> None:
        button = self.action_buttons.get("continue")
        if button is not None:
            button.setVisible(self.can_continue)

    def set_text(self, text: str) -> None:
        self._text = text
        if self.is_user:
            self.body.setText(plain_text_html(text, self._theme))
            self.body.setVisible(bool(text))
            return
        rendered = render_markdown(text, self._theme, markdown_labels())
        self._code_blocks = rendered.code_blocks
        self.body.setText(rendered.html if text else "")
        self.body.setVisible(bool(text))

    def set_theme(self, theme: MarkdownTheme) -> None:
        self._theme = theme
        self.set_text(self._text)

    def append_text(self, delta: str) -> None:
        self.set_text(self._text + delta)

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setObjectName("ErrorText" if error else "Muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)
        self.status.show()

    @property
    def text(self) -> str:
        return self._text

    def set_busy(self, busy: bool) -> None:
        """While an answer runs, what would start another (or change the branch it belongs
        to) is greyed out: Edit, Regenerate, Retry, Continue and ‹ ›."""
        for key in ("edit", "regenerate", "retry", "continue"):
            if key in self.action_buttons:
                self.action_buttons[key].setEnabled(not busy)
        if busy:
            self.previous_version.setEnabled(False)
            self.next_version.setEnabled(False)
        else:
            self._show_versions()

    def set_can_regenerate(self, allowed: bool) -> None:
        """Only the last answer can be regenerated; the tooltip says why one cannot (its
        disabled look comes from the theme: ``QToolButton#MessageAction:disabled``)."""
        self._can_regenerate = allowed
        self._show_continue()
        button = self.action_buttons.get("regenerate")
        if button is not None:
            button.setEnabled(allowed)
            button.setToolTip(
                tr("Replace this answer with a new one")
                if allowed
                else tr("Only the last answer can be regenerated")
            )

    def set_highlighted(self, highlighted: bool) -> None:
        """Mark the bubble (``QFrame#Bubble[highlight="true"]`` in the theme): the message a
        search result jumped to, so the eye finds it."""
        self.bubble.setProperty("highlight", highlighted)
        self.bubble.style().unpolish(self.bubble)
        self.bubble.style().polish(self.bubble)

    # -- interaction --------------------------------------------------------------------

    def _copy(self) -> None:
        """Copy the message and say so on the button itself, where the eye is."""
        emit(self.copy_requested, self._text)
        self.action_buttons["copy"].setText(tr("Copied ✓"))
        self._copied_timer.start()

    def _on_link(self, href: str) -> None:
        if href.startswith("copy:"):
            index = int(href.split(":", 1)[1]) if href[5:].isdigit() else -1
            if 0 <= index < len(self._code_blocks):
                QGuiApplication.clipboard().setText(self._code_blocks[index])
                # The code block's Copy is a link in the text: the word shows at the pointer.
                QToolTip.showText(QCursor.pos(), tr("Copied ✓"), self.body)
            return
        url = QUrl(href)
        if url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    @property
    def actions_shown(self) -> bool:
        return bool(self.action_buttons["copy"].property("shown"))

    def _set_actions_visible(self, visible: bool) -> None:
        """Show or hide the hover actions without changing their size: a hidden one is drawn
        transparent (``QToolButton#MessageAction[shown="false"]``), so nothing moves.  Retry
        and Continue are not hover actions: they show whenever they apply."""
        for key, button in self.action_buttons.items():
            if key in ("retry", "continue") or button.property("shown") == visible:
                continue
            button.setProperty("shown", visible)
            button.style().unpolish(button)
            button.style().polish(button)

    def _focus_inside(self) -> bool:
        focused = QGuiApplication.focusObject()
        return isinstance(focused, QWidget) and self.isAncestorOf(focused)

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.HoverEnter, QEvent.Type.FocusIn):
            self._set_actions_visible(True)
        elif event.type() == QEvent.Type.HoverLeave and not self._focus_inside():
            self._set_actions_visible(False)
        return super().event(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """An action reached with Tab shows the actions; leaving them by keyboard hides them."""
        if event.type() == QEvent.Type.FocusIn:
            self._set_actions_visible(True)
        elif event.type() == QEvent.Type.FocusOut and not self.underMouse():
            QTimer.singleShot(0, self, self._hide_unless_focused)  # not after deletion
        return super().eventFilter(watched, event)

    def _hide_unless_focused(self) -> None:
        if not self._focus_inside() and not self.underMouse():
            self._set_actions_visible(False)
