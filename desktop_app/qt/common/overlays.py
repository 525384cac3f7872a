"""Small windows and overlays: the drop highlight, the large image view, the shortcut list."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.common.i18n import translator

SHORTCUTS = (
    ("Enter", "Send the message"),
    ("Shift+Enter", "New line in the message"),
    ("Esc", "Stop the answer / cancel editing"),
    ("Up (in an empty message box)", "Edit your last message"),
    ("Ctrl+N", "New chat"),
    ("Ctrl+K", "Choose the model"),
    ("Ctrl+Shift+M", "Manage models: download, remove, Ollama"),
    ("Ctrl+F", "Search chats"),
    ("Ctrl+O", "Attach images"),
    ("Ctrl+Shift+D", "Describe many images, one by one"),
    ("Ctrl+V", "Paste an image or copied files"),
    ("Ctrl+Shift+C", "Copy the last answer"),
    ("Ctrl+R", "Regenerate the last answer"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+= / Ctrl+-", "Larger / smaller text in the conversation"),
    ("Ctrl+0", "Usual text size"),
    ("F1", "This list"),
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
    """The image the model saw, large, scrollable."""

    def __init__(self, data: bytes, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        area = QScrollArea(self)
        area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label = QLabel(area)
        pixmap = QPixmap()
        pixmap.loadFromData(data)
        label.setPixmap(pixmap)
        label.setAccessibleName(title)
        area.setWidget(label)
        layout.addWidget(area)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        screen = self.screen().availableGeometry() if self.screen() else None
        width = min(pixmap.width() + 40, screen.width() - 80 if screen else 1000)
        height = min(pixmap.height() + 80, screen.height() - 80 if screen else 800)
        self.resize(max(width, 320), max(height, 240))


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
            table.setItem(row, 0, QTableWidgetItem(keys))
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
        keys = max(metrics.horizontalAdvance(keys) for keys, _ in SHORTCUTS) + padding
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
