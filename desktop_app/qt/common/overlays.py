"""Small windows and overlays: the drop highlight, the image viewer, the shortcut list."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QMargins, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, error_text, translator

#: (keys, what they do); marked for lupdate, translated where shown (``tr`` at use).
SHORTCUTS = (
    ("Enter", QT_TRANSLATE_NOOP("Overlays", "Send the message")),
    ("Shift+Enter", QT_TRANSLATE_NOOP("Overlays", "New line in the message")),
    ("Esc", QT_TRANSLATE_NOOP("Overlays", "Stop the answer / cancel editing")),
    (
        QT_TRANSLATE_NOOP("Overlays", "Up (in an empty message box)"),
        QT_TRANSLATE_NOOP("Overlays", "Edit your last message"),
    ),
    ("Ctrl+N", QT_TRANSLATE_NOOP("Overlays", "New chat")),
    ("Ctrl+K", QT_TRANSLATE_NOOP("Overlays", "Choose the model")),
    ("Ctrl+Shift+M", QT_TRANSLATE_NOOP("Overlays", "Manage models: download, remove, Ollama")),
    ("Ctrl+F", QT_TRANSLATE_NOOP("Overlays", "Search chats")),
    ("Ctrl+O", QT_TRANSLATE_NOOP("Overlays", "Attach images")),
    ("Ctrl+Shift+D", QT_TRANSLATE_NOOP("Overlays", "Describe many images, one by one")),
    ("Ctrl+V", QT_TRANSLATE_NOOP("Overlays", "Paste an image or copied files")),
    ("Ctrl+Shift+C", QT_TRANSLATE_NOOP("Overlays", "Copy the last answer")),
    ("Ctrl+R", QT_TRANSLATE_NOOP("Overlays", "Regenerate the last answer")),
    (
        "Ctrl+Shift+E",
        QT_TRANSLATE_NOOP("Overlays", "Export the chat (Markdown with images, or JSON)"),
    ),
    ("Ctrl+,", QT_TRANSLATE_NOOP("Overlays", "Settings")),
    ("Ctrl+= / Ctrl+-", QT_TRANSLATE_NOOP("Overlays", "Larger / smaller text in the conversation")),
    ("Ctrl+0", QT_TRANSLATE_NOOP("Overlays", "Usual text size")),
    ("F1", QT_TRANSLATE_NOOP("Overlays", "This list")),
)


tr = translator("Overlays")

#: Space above and below a shortcut's text in its row, so the list does not look cramped.
ROW_PADDING = 10


class DropOverlay(QFrame):
    """Covers the window while files are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("DropOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        layout = QVBoxLayout(self)
        self.label = QLabel(tr("Drop images to attach"), self)
        self.label.setObjectName("DropOverlayText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.label)
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect().adjusted(12, 12, -12, -12))
        self.raise_()
        self.show()


class ImageViewer(QDialog):
    """The images the model saw, large: fit to the window or at 100 %, and ← / → through
    the chat's images (issue 17: it had neither).  Esc closes.

    ``load(key)`` returns ``(data, width, height)`` for one of ``keys`` (the chat's images
    in order, each once), or raises ``LookupError``/``OSError`` when it is gone; images are
    loaded one at a time, as they are shown.
    """

    def __init__(
        self,
        load: Callable[[str], tuple[bytes, int, int]],
        keys: Sequence[str],
        index: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._keys = list(keys) or [""]
        self._index = min(max(index, 0), len(self._keys) - 1)
        self._pixmap = QPixmap()
        self.fit = True
        layout = QVBoxLayout(self)
        self.area = QScrollArea(self)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setWidgetResizable(False)
        self.image_label = QLabel(self.area)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setWidget(self.image_label)
        layout.addWidget(self.area, 1)

        row = QHBoxLayout()
        self.previous_button = QPushButton(tr("‹ Previous"), self)
        self.previous_button.setToolTip(tr("The chat's previous image (←)"))
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton(tr("Next ›"), self)
        self.next_button.setToolTip(tr("The chat's next image (→)"))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.position_label = QLabel(self)
        self.position_label.setObjectName("Muted")
        self.fit_button = QPushButton(self)
        self.fit_button.setToolTip(tr("Switch between fitting the window and actual size (F)"))
        self.fit_button.clicked.connect(self.toggle_fit)
        close = QPushButton(tr("Close"), self)
        close.clicked.connect(self.reject)
        for button in (self.previous_button, self.next_button, self.fit_button, close):
            button.setAutoDefault(False)  # Enter must not close or step by surprise
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        row.addWidget(self.position_label, 1, Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.fit_button)
        row.addWidget(close)
        layout.addLayout(row)

        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen else QRect(0, 0, 1024, 600)
        self.resize(
            max(min(int(available.width() * 0.8), 1200), 360),
            max(min(int(available.height() * 0.85), 900), 280),
        )
        self._show_current()

    @property
    def index(self) -> int:
        return self._index

    @property
    def count(self) -> int:
        return len(self._keys)

    def step(self, delta: int) -> None:
        """Show the previous (-1) or next (+1) image; stays at the first and the last."""
        index = min(max(self._index + delta, 0), len(self._keys) - 1)
        if index != self._index:
            self._index = index
            self._show_current()

    def toggle_fit(self) -> None:
        self.fit = not self.fit
        self._place()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Left:
            self.step(-1)
        elif key == Qt.Key.Key_Right:
            self.step(1)
        elif key == Qt.Key.Key_F:
            self.toggle_fit()
        else:
            super().keyPressEvent(event)  # Esc closes (QDialog)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit:
            self._place()

    def _show_current(self) -> None:
        key = self._keys[self._index]
        self._pixmap = QPixmap()
        size = ""
        try:
            data, width, height = self._load(key)
        except (LookupError, OSError, ValueError) as error:
            self.image_label.setTextFormat(Qt.TextFormat.PlainText)  # store errors: data
            self.image_label.setText(error_text(error))
        else:
            self._pixmap.loadFromData(data)
            size = f"{width}×{height}"
        position = tr("{number} of {count}", number=self._index + 1, count=len(self._keys))
        self.position_label.setText(f"{position} · {size}" if size else position)
        self.setWindowTitle(size or tr("Image"))
        self.image_label.setAccessibleName(tr("Image {position}", position=position))
        self.previous_button.setEnabled(self._index > 0)
        self.next_button.setEnabled(self._index < len(self._keys) - 1)
        many = len(self._keys) > 1
        self.previous_button.setVisible(many)
        self.next_button.setVisible(many)
        self._place()

    def _place(self) -> None:
        """The pixmap at the current zoom: fit (shrunk to the visible area, never enlarged)
        or actual size (scroll bars when larger)."""
        self.fit_button.setText(tr("Actual size (100 %)") if self.fit else tr("Fit to window"))
        if self._pixmap.isNull():
            self.image_label.adjustSize()
            return
        shown = self._pixmap
        if self.fit:
            room = self.area.maximumViewportSize()
            if shown.width() > room.width() or shown.height() > room.height():
                shown = shown.scaled(
                    room,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
        self.image_label.setPixmap(shown)
        self.image_label.resize(shown.size())

    @property
    def shown_size(self) -> QSize:
        """The size the image is drawn at now."""
        return self.image_label.size()


class ShortcutsDialog(QDialog):
    """The F1 list: every row readable at once, one scroll bar only if the screen is short.

    Issue 17: a fixed 460×460 table scrolled both ways (the keys column pushed the actions
    past the right edge).  Now the actions wrap, there is never a horizontal scroll bar,
    and the dialog is as tall as its rows, up to the screen's free height.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setHorizontalHeaderLabels([tr("Keys"), tr("Action")])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setWordWrap(True)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(tr(keys)))
            table.setItem(row, 1, QTableWidgetItem(tr(action)))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setAccessibleName(tr("Keyboard shortcuts"))
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.table, self.buttons = table, buttons
        table.setCurrentCell(-1, -1)  # no cell looks chosen: nothing here is chosen
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.fit_to(screen.availableGeometry() if screen else QRect(0, 0, 1024, 600))

    def fit_to(self, available: QRect) -> None:
        """Wide enough that no action wraps, as tall as the rows; within ``available``
        (less room for the window frame).  On a narrow screen the actions wrap instead.

        Row heights are worked out from the font, not asked of the table: before the
        dialog is laid out, the table measures its rows against columns of a guessed width.
        """
        table = self.table
        metrics = table.fontMetrics()
        padding = 24  # a cell's margins on both sides, and the grid line
        keys = max(metrics.horizontalAdvance(tr(keys)) for keys, _ in SHORTCUTS) + padding
        advances = [metrics.horizontalAdvance(tr(a)) + padding for _, a in SHORTCUTS]
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else QMargins()
        sides = margins.left() + margins.right() + 2 * table.frameWidth()
        scroll_bar = table.verticalScrollBar().sizeHint().width()
        width = min(keys + max(advances) + sides + scroll_bar, available.width() - 40)
        column = max(width - sides - scroll_bar - keys, 1)
        line = metrics.lineSpacing()
        heights = [line * -(-advance // column) + ROW_PADDING for advance in advances]
        for row, height in enumerate(heights):
            table.setRowHeight(row, height)
        content = sum(heights) + table.horizontalHeader().sizeHint().height()
        content += 2 * table.frameWidth()
        spacing = layout.spacing() if layout is not None else 0
        chrome = margins.top() + margins.bottom() + spacing + self.buttons.sizeHint().height()
        frame = 40  # the title bar, which the window system adds around the dialog
        self.resize(width, min(content + chrome, available.height() - frame))
