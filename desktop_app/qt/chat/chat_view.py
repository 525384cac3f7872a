"""The scrolling conversation: message widgets, the empty state, and "jump to latest".

The view follows a streaming answer only while the person is at the bottom; once they
scroll up to read, it stays put and a "Jump to latest" button appears instead of yanking
the view away from what they are reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
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
    """Message widgets in a column; follows the newest text unless the user scrolled up."""

    copy_requested = Signal(str)
    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    retry_requested = Signal(int)
    version_requested = Signal(int)
    continue_requested = Signal(int)
    image_clicked = Signal(str)

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
        self.widgets: list[MessageWidget] = []
        self._follow = True

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

        self.jump_button = QPushButton(tr("↓ Jump to latest"), self)
        self.jump_button.setObjectName("JumpButton")
        self.jump_button.setToolTip(tr("Scroll to the newest message (End)"))
        self.jump_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump_button.clicked.connect(self.scroll_to_bottom)
        self.jump_button.hide()

    # -- content ------------------------------------------------------------------------

    def clear(self) -> None:
        for widget in self.widgets:
            self._discard(widget)
        self.widgets.clear()
        self.empty_state.show()
        self._follow = True
        self.jump_button.hide()

    def set_messages(self, messages: list[Any]) -> None:
        self.clear()
        for message in messages:
            self.add_message(message)
        self._refresh_actions()
        QTimer.singleShot(0, self.scroll_to_bottom)

    def add_message(self, message: Any) -> MessageWidget:
        self.empty_state.hide()
        widget = MessageWidget(message, self._thumbnail, self._theme, self._column)
        widget.copy_requested.connect(self.copy_requested)
        widget.edit_requested.connect(self.edit_requested)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.retry_requested.connect(self.retry_requested)
        widget.version_requested.connect(self.version_requested)
        widget.continue_requested.connect(self.continue_requested)
        widget.image_clicked.connect(self.image_clicked)
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self.widgets.append(widget)
        self._refresh_actions()
        return widget

    def _discard(self, widget: QWidget) -> None:
        # Hidden at once: deleteLater only runs when control returns to the event loop.
        self._layout.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self.widgets if w.message.id == message_id), None)

    def remove_from(self, message_id: int) -> None:
        """Drop the widget for ``message_id`` and everything after it (regenerate / edit)."""
        index = next((i for i, w in enumerate(self.widgets) if w.message.id == message_id), None)
        if index is None:
            return
        for widget in self.widgets[index:]:
            self._discard(widget)
        del self.widgets[index:]
        if not self.widgets:
            self.empty_state.show()
        self._refresh_actions()

    def _refresh_actions(self) -> None:
        """Only the last answer can be regenerated."""
        last_assistant = next((w for w in reversed(self.widgets) if not w.is_user), None)
        for widget in self.widgets:
            widget.set_can_regenerate(widget is last_assistant)

    def set_theme(self, theme: MarkdownTheme) -> None:
        self._theme = theme
        for widget in self.widgets:
            widget.set_theme(theme)

    def set_busy(self, busy: bool) -> None:
        for widget in self.widgets:
            for key in ("edit", "regenerate", "retry"):
                if key in widget.action_buttons:
                    widget.action_buttons[key].setEnabled(not busy)
        if not busy:
            self._refresh_actions()

    # -- following ----------------------------------------------------------------------

    @property
    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 24

    def _on_scrolled(self, _value: int) -> None:
        self._follow = self.at_bottom
        if self._follow:
            self.jump_button.hide()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
        elif self.widgets:
            self._place_jump_button()
            self.jump_button.show()

    def scroll_to_bottom(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.jump_button.hide()

    def _place_jump_button(self) -> None:
        self.jump_button.adjustSize()
        x = (self.viewport().width() - self.jump_button.width()) // 2
        y = self.viewport().height() - self.jump_button.height() - 12
        self.jump_button.move(max(x, 0), max(y, 0))
        self.jump_button.raise_()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_jump_button()
