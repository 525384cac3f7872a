"""The scrolling conversation: message widgets, the empty state, and "jump to latest".

The view follows a streaming answer only while the person is at the bottom; once they
scroll up to read, it stays put and a "Jump to latest" button appears instead of yanking
the view away from what they are reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.chat.markdown import MarkdownTheme
from desktop_app.qt.chat.message_widget import MessageWidget
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.signals import emit

tr = translator("ChatView")


def example_prompts(vision: bool) -> tuple[str, ...]:
    """What the empty chat offers to start with, for what the model can do.

    Why two sets: image prompts offered to a text-only model only lead to "… cannot see
    images" (issue 17).  Literal ``tr("…")`` calls, so lupdate finds every sentence.
    """
    if vision:
        return (
            tr("Describe this image in detail."),
            tr("What text is in this screenshot?"),
            tr("Write a short alt text for this photo."),
        )
    return (
        tr("Explain how vaccines work, in simple words."),
        tr("Summarize the text I paste next in three points."),
        tr("Write a friendly email asking to move a meeting."),
    )


class EmptyState(QWidget):
    """What a new chat shows: the model, whether it can see, and what to do."""

    example_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.setSpacing(10)
        self.title = QLabel(tr("What would you like to look at?"), self)
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_line = QLabel(self)
        self.model_line.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a model's name is data: common/plain.py
        self.model_line.setObjectName("Muted")
        self.model_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_line.setWordWrap(True)
        self.hint = QLabel(tr("Drop images here or paste with Ctrl+V — or just type."), self)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.model_line)
        layout.addWidget(self.hint)
        layout.addSpacing(8)
        self.examples: list[QPushButton] = []
        for _ in example_prompts(vision=True):
            button = QPushButton(self)
            button.setObjectName("ExamplePrompt")
            button.setToolTip(tr("Put this prompt in the message box"))
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, b=button: emit(self.example_chosen, b.text()))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
            self.examples.append(button)
        self._set_examples(vision=True)

    def _set_examples(self, *, vision: bool) -> None:
        for button, prompt in zip(self.examples, example_prompts(vision), strict=True):
            button.setText(prompt)
            button.setAccessibleName(prompt)

    def set_model(self, name: str | None, vision: bool) -> None:
        """Say which model answers, and offer examples it can do (updated on every change)."""
        self._set_examples(vision=vision)
        if not name:
            self.model_line.setText(tr("No model selected yet."))
        elif vision:
            self.model_line.setText(tr("Model: {name} — can see images", name=name))
        else:
            self.model_line.setText(
                tr("Model: {name} — text only: pick a vision model to ask about images", name=name)
            )


class ChatView(QScrollArea):
    """The conversation: every message's row is kept, only those near the viewport are widgets.

    Why (issue 17, defect 1): one Markdown widget per message froze a 400-message chat for
    ~16 s and made the column taller than the window system draws (blank, out-of-order pages).
    Now the view holds the store rows of the whole chat (``_rows``) and builds widgets for a
    contiguous window of them (``widgets``, rows ``_start`` … ``_start + len(widgets)``): the
    last ``OPEN_COUNT`` when a chat opens, a page more when the person scrolls near either
    edge of the window (what they are reading keeps its place on screen), and widgets far out
    of view are dropped, so the widget count and the column's height stay bounded whatever the
    chat's length.  The scroll bar therefore spans the built window, not the whole chat, like
    the infinite scroll of a web chat.

    ``widgets`` lists the built widgets in order; what is about the whole chat (the last
    answer, a message's text) is asked with :meth:`last_message`, :meth:`message_for` and
    :meth:`text_of`.
    """

    copy_requested = Signal(str)
    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    retry_requested = Signal(int)
    version_requested = Signal(int)
    continue_requested = Signal(int)
    image_clicked = Signal(str)

    #: Messages built when a chat opens (its end) and around a revealed message.
    OPEN_COUNT = 24
    #: Messages built at a time when the person scrolls near an edge of the window.
    PAGE = 6
    #: How long a revealed message stays highlighted.
    HIGHLIGHT_MS = 1600

    def __init__(
        self,
        thumbnail: Callable[[str], bytes | None],
        theme: MarkdownTheme,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._thumbnail = thumbnail
        self._theme = theme
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName(tr("Conversation"))
        self._column = QWidget(self)
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(8, 12, 8, 12)
        self._layout.setSpacing(4)
        self.empty_state = EmptyState(self._column)
        self._layout.addWidget(self.empty_state, 1)
        self._layout.addStretch(0)
        self.setWidget(self._column)
        #: The built widgets, in message order: rows ``_start`` … ``_start + len(widgets) - 1``.
        self.widgets: list[MessageWidget] = []
        self._rows: list[Any] = []
        self._index: dict[int, int] = {}  # message id -> position in _rows
        self._texts: dict[int, str] = {}  # text a dropped widget showed beyond its row's
        self._start = 0
        self._follow = True
        self._busy = False
        self._adjusting = False
        self._highlighted: MessageWidget | None = None
        self._highlight_timer = QTimer(self)
        self._highlight_timer.setSingleShot(True)
        self._highlight_timer.timeout.connect(self._clear_highlight)
        # Builds one widget at a time while the event loop is idle, ahead of the scrolling,
        # so a scroll step seldom has to build anything itself.
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(0)
        self._prefetch_timer.timeout.connect(self._prefetch)

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)
        bar.sliderReleased.connect(self._update_window)

        self.jump_button = QPushButton(tr("↓ Jump to latest"), self)
        self.jump_button.setObjectName("JumpButton")
        self.jump_button.setToolTip(tr("Scroll to the newest message (End)"))
        self.jump_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump_button.clicked.connect(self.scroll_to_bottom)
        self.jump_button.hide()

    # -- the whole chat -------------------------------------------------------------------

    @property
    def message_count(self) -> int:
        """How many messages the chat shown has (built or not)."""
        return len(self._rows)

    @property
    def window_range(self) -> tuple[int, int]:
        """Positions in the chat of the built widgets: ``range(*window_range)``."""
        return self._start, self._start + len(self.widgets)

    def _row(self, index: int) -> Any:
        """The freshest row at ``index``: a built widget's message is newer than ``_rows``."""
        position = index - self._start
        if 0 <= position < len(self.widgets):
            return self.widgets[position].message
        return self._rows[index]

    def message_for(self, message_id: int) -> Any | None:
        """The row of a message of this chat, built or not."""
        index = self._index.get(message_id)
        return None if index is None else self._row(index)

    def text_of(self, message_id: int) -> str | None:
        """What the message says now (a streaming answer's text so far included)."""
        widget = self.widget_for(message_id)
        if widget is not None:
            return widget.text
        row = self.message_for(message_id)
        if row is None:
            return None
        text: str = self._texts.get(message_id, row.text)
        return text

    def last_message(self, *, user: bool) -> Any | None:
        """The chat's last question (``user``) or answer, built or not."""
        role_is_user = user
        for index in range(len(self._rows) - 1, -1, -1):
            row = self._rows[index]
            if (row.role == "user") == role_is_user:
                return self._row(index)
        return None

    # -- content ------------------------------------------------------------------------

    def clear(self) -> None:
        self._discard_all()
        self._rows = []
        self._index = {}
        self._texts = {}
        self._start = 0
        self.empty_state.show()
        self._follow = True
        self.jump_button.hide()

    def set_messages(self, messages: list[Any]) -> None:
        """Show a chat: its last ``OPEN_COUNT`` messages are built, at the bottom."""
        self.clear()
        self._rows = list(messages)
        self._index = {row.id: i for i, row in enumerate(self._rows)}
        if self._rows:
            self.empty_state.hide()
        self._build_range(len(self._rows) - self.OPEN_COUNT, len(self._rows))
        self.scroll_to_bottom()
        QTimer.singleShot(0, self._scroll_to_bottom_if_following)

    def add_message(self, message: Any) -> MessageWidget | None:
        """Append a message (or update it, when this chat already has its id).

        Returns its widget, or None when it is not built: the person reads far above the
        end, so it is built when they scroll down (or jump to the latest).
        """
        self.empty_state.hide()
        index = self._index.get(message.id)
        if index is not None:
            self._texts.pop(message.id, None)
            widget = self.widget_for(message.id)
            if widget is not None:
                widget.set_message(message)
            else:
                self._rows[index] = message
            return widget
        at_end = self._start + len(self.widgets) == len(self._rows)
        self._index[message.id] = len(self._rows)
        self._rows.append(message)
        if not at_end:
            self._refresh_actions()
            return None
        widget = self._make_widget(message)
        self._layout.insertWidget(self._layout.count() - 1, widget)
        widget.show()
        self.widgets.append(widget)
        self._refresh_actions()
        return widget

    def _make_widget(self, message: Any) -> MessageWidget:
        widget = MessageWidget(message, self._thumbnail, self._theme, self._column)
        override = self._texts.pop(message.id, None)
        if override is not None:
            widget.set_text(override)
        widget.copy_requested.connect(self.copy_requested)
        widget.edit_requested.connect(self.edit_requested)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.retry_requested.connect(self.retry_requested)
        widget.version_requested.connect(self.version_requested)
        widget.continue_requested.connect(self.continue_requested)
        widget.image_clicked.connect(self.image_clicked)
        if self._busy:
            self._set_widget_busy(widget, True)
        return widget

    def _discard(self, widget: MessageWidget) -> None:
        """Drop a widget, keeping what it knew (its row, a streamed text) for a rebuild."""
        index = self._index.get(widget.message.id)
        if index is not None:
            self._rows[index] = widget.message
            if widget.text != widget.message.text:
                self._texts[widget.message.id] = widget.text
        if widget is self._highlighted:
            self._highlighted = None
        # Hidden at once: deleteLater only runs when control returns to the event loop.
        self._layout.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def _discard_all(self) -> None:
        for widget in self.widgets:
            self._discard(widget)
        self.widgets = []

    def _build_range(self, first: int, last: int) -> None:
        """Replace the built widgets by those of rows ``first`` … ``last - 1`` (clamped)."""
        self._discard_all()
        first = max(0, first)
        last = min(len(self._rows), last)
        self._start = first
        for index in range(first, last):
            widget = self._make_widget(self._rows[index])
            self._layout.insertWidget(self._layout.count() - 1, widget)
            widget.show()
            self.widgets.append(widget)
        self._refresh_actions()

    def widget_for(self, message_id: int) -> MessageWidget | None:
        """The built widget of a message (None when it is not built now)."""
        return next((w for w in self.widgets if w.message.id == message_id), None)

    def remove_from(self, message_id: int) -> None:
        """Drop ``message_id`` and everything after it (regenerate / edit), built or not."""
        index = self._index.get(message_id)
        if index is None:
            return
        keep = max(0, index - self._start)
        for widget in self.widgets[keep:]:
            self._discard(widget)
        del self.widgets[keep:]
        for row in self._rows[index:]:
            self._texts.pop(row.id, None)
            self._index.pop(row.id, None)
        del self._rows[index:]
        if not self._rows:
            self._start = 0
            self.empty_state.show()
        elif not self.widgets:  # everything built was removed: show the new end
            self._build_range(len(self._rows) - self.OPEN_COUNT, len(self._rows))
            self.scroll_to_bottom()
        self._refresh_actions()

    def _refresh_actions(self) -> None:
        """Only the last answer of the chat can be regenerated."""
        last = self.last_message(user=False)
        last_id = None if last is None else last.id
        for widget in self.widgets:
            widget.set_can_regenerate(widget.message.id == last_id)

    def set_theme(self, theme: MarkdownTheme) -> None:
        self._theme = theme
        for widget in self.widgets:
            widget.set_theme(theme)

    @staticmethod
    def _set_widget_busy(widget: MessageWidget, busy: bool) -> None:
        widget.set_busy(busy)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in self.widgets:
            self._set_widget_busy(widget, busy)
        if not busy:
            self._refresh_actions()

    # -- the window of built widgets --------------------------------------------------------

    def _settle(self) -> None:
        """Lay the column out now, so positions and the scroll range are current.

        Widgets are shown explicitly when inserted (a layout otherwise shows them later, from
        the event loop), so one pass of the posted layout requests is enough.
        """
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _margins(self) -> tuple[int, int]:
        """(load, keep): build a page at once when less than ``load`` px are left beyond the
        viewport on a side; drop widgets lying more than ``keep`` px beyond it.  Between the
        two, widgets are built ahead while idle, up to half of ``keep``."""
        height = max(self.viewport().height(), 300)
        return height // 2, max(3 * height, 1500)

    def _wanted_side(self) -> int:
        """-1 / +1 when the idle builder should add above / below, 0 when it has enough."""
        bar = self.verticalScrollBar()
        _load, keep = self._margins()
        ahead = keep // 2
        above, below = bar.value(), bar.maximum() - bar.value()
        more_above = self._start > 0 and above < ahead
        more_below = self._start + len(self.widgets) < len(self._rows) and below < ahead
        if more_above and (not more_below or above <= below):
            return -1
        return 1 if more_below else 0

    def _prefetch(self) -> None:
        """Build one widget where the viewport is heading, then come back if more is wanted."""
        if self._adjusting or not self.widgets or not self.isVisible():
            return
        if self.verticalScrollBar().isSliderDown():
            return
        side = self._wanted_side()
        if side == 0:
            return
        following = self._follow
        self._adjusting = True
        try:
            if side < 0:
                self._prepend(1)
            else:
                self._append(1)
            self._refresh_actions()
        finally:
            self._adjusting = False
        if following and self._start + len(self.widgets) == len(self._rows):
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        self._prefetch_timer.start()

    def _prepend(self, count: int) -> None:
        """Build ``count`` earlier messages above, keeping what is on screen in place."""
        bar = self.verticalScrollBar()
        anchor = self.widgets[0]
        offset = anchor.y() - bar.value()
        first = max(0, self._start - count)
        for index in range(self._start - 1, first - 1, -1):
            widget = self._make_widget(self._rows[index])
            self._layout.insertWidget(1, widget)  # after the (hidden) empty state
            widget.show()
            self.widgets.insert(0, widget)
        self._start = first
        self._settle()
        bar.setValue(anchor.y() - offset)

    def _append(self, count: int) -> None:
        """Build ``count`` later messages below (nothing on screen moves)."""
        end = self._start + len(self.widgets)
        for index in range(end, min(len(self._rows), end + count)):
            widget = self._make_widget(self._rows[index])
            self._layout.insertWidget(self._layout.count() - 1, widget)
            widget.show()
            self.widgets.append(widget)
        self._settle()

    def _trim(self, keep: int) -> None:
        """Drop widgets lying more than ``keep`` px beyond the viewport, on both sides."""
        bar = self.verticalScrollBar()
        top = bar.value() - keep
        drop = 0
        while drop < len(self.widgets) - 1 and self.widgets[drop].geometry().bottom() < top:
            drop += 1
        if drop:
            anchor = self.widgets[drop]
            offset = anchor.y() - bar.value()
            for widget in self.widgets[:drop]:
                self._discard(widget)
            del self.widgets[:drop]
            self._start += drop
            self._settle()
            bar.setValue(anchor.y() - offset)
        bottom = bar.value() + self.viewport().height() + keep
        while len(self.widgets) > 1 and self.widgets[-1].y() > bottom:
            self._discard(self.widgets.pop())

    def _update_window(self) -> None:
        """Build pages near the edges the viewport approaches, drop what is far from it."""
        bar = self.verticalScrollBar()
        if self._adjusting or not self.widgets or not self.isVisible() or bar.isSliderDown():
            return
        following = self._follow
        self._adjusting = True
        try:
            load, keep = self._margins()
            changed = False
            for _ in range(6):  # a few pages at most per step: a jump to an edge
                if bar.value() < load and self._start > 0:
                    self._prepend(self.PAGE)
                elif bar.maximum() - bar.value() < load and self._start + len(self.widgets) < len(
                    self._rows
                ):
                    self._append(self.PAGE)
                else:
                    break
                changed = True
            self._trim(keep)
            if changed:
                self._refresh_actions()
        finally:
            self._adjusting = False
        if following and self._start + len(self.widgets) == len(self._rows):
            # Following is the person's choice, made by scrolling: what moved while the
            # window changed (a page laid out, a card re-rendered) does not unmake it.
            bar.setValue(bar.maximum())
        if self._wanted_side() != 0:
            self._prefetch_timer.start()

    # -- following ----------------------------------------------------------------------

    def _at_end(self) -> bool:
        return self.at_bottom and self._start + len(self.widgets) == len(self._rows)

    @property
    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 24

    def _on_scrolled(self, _value: int) -> None:
        if self._adjusting:
            return
        self._follow = self._at_end()  # first: the window's update keeps it
        self._update_window()
        if self._follow:
            self.jump_button.hide()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._adjusting:
            return
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
        elif self.widgets:
            self._place_jump_button()
            self.jump_button.show()

    def scroll_to_bottom(self) -> None:
        """Show the chat's real end (building its last messages if they are not built)."""
        if self._start + len(self.widgets) < len(self._rows):
            self._adjusting = True
            try:
                self._build_range(len(self._rows) - self.OPEN_COUNT, len(self._rows))
            finally:
                self._adjusting = False
        self._follow = True
        self._settle()
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.jump_button.hide()

    def _scroll_to_bottom_if_following(self) -> None:
        if self._follow:
            self.scroll_to_bottom()

    def scroll_to_top(self) -> None:
        """Show the chat's first message (building its first messages)."""
        if not self._rows:
            return
        self._follow = False  # before any layout: a following view would go to the end
        if self._start > 0:
            self._adjusting = True
            try:
                self._build_range(0, self.OPEN_COUNT)
            finally:
                self._adjusting = False
            self._settle()
        self.verticalScrollBar().setValue(0)
        self._update_window()

    def reveal_message(self, message_id: int) -> bool:
        """Bring a message on screen and highlight it briefly (search's "jump to match").

        Builds the window around the message when it is not built, scrolls it near the top
        of the viewport and marks its bubble for ``HIGHLIGHT_MS``.  False when this chat
        has no such message.
        """
        index = self._index.get(message_id)
        if index is None:
            return False
        self._follow = False  # before any layout: a following view would go to the end
        widget = self.widget_for(message_id)
        if widget is None:
            self._adjusting = True
            try:
                half = self.OPEN_COUNT // 2
                self._build_range(index - half, index + half)
            finally:
                self._adjusting = False
            widget = self.widget_for(message_id)
        assert widget is not None
        self._settle()
        bar = self.verticalScrollBar()
        bar.setValue(max(0, widget.y() - self.viewport().height() // 6))
        self._update_window()
        self._highlight(widget)
        if not self._follow and self.widgets:
            self._place_jump_button()
            self.jump_button.show()
        return True

    def _highlight(self, widget: MessageWidget) -> None:
        self._clear_highlight()
        widget.set_highlighted(True)
        self._highlighted = widget
        self._highlight_timer.start(self.HIGHLIGHT_MS)

    def _clear_highlight(self) -> None:
        if self._highlighted is not None:
            self._highlighted.set_highlighted(False)
            self._highlighted = None

    def keyPressEvent(self, event: Any) -> None:
        """Home and End go to the chat's real start and end, not the built window's."""
        if event.key() == Qt.Key.Key_End and not event.modifiers():
            self.scroll_to_bottom()
        elif event.key() == Qt.Key.Key_Home and not event.modifiers():
            self.scroll_to_top()
        else:
            super().keyPressEvent(event)

    def _place_jump_button(self) -> None:
        self.jump_button.adjustSize()
        x = (self.viewport().width() - self.jump_button.width()) // 2
        y = self.viewport().height() - self.jump_button.height() - 12
        self.jump_button.move(max(x, 0), max(y, 0))
        self.jump_button.raise_()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_jump_button()
