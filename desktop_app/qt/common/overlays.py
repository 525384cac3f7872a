"""Small windows and overlays: the drop highlight, the large image view, the shortcut list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
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
    ("Ctrl+Shift+E", "Export the chat (Markdown with images, or JSON)"),
    ("Ctrl+,", "Settings"),
    ("F1", "This list"),
)


tr = translator("Overlays")


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
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setHorizontalHeaderLabels([tr("Keys"), tr("Action")])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(tr(action)))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setAccessibleName(tr("Keyboard shortcuts"))
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(460, 460)
