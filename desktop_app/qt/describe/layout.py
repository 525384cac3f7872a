"""The widgets of the "describe each" window, laid out; ``DescribePanel`` adds the behaviour.

Kept apart so the panel module reads as what happens (start, stop, rows, export) rather
than as a page of layout code.  Every control gets a tooltip and an accessible name, and
mnemonics (Alt+letter) for keyboard use.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.describe.run import DEFAULT_PROMPT
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, translator
from desktop_app.qt.common.theme import Colors
from desktop_app.qt.describe.table import ResultsTable

tr = translator("DescribePanel")

#: The core's ``DEFAULT_PROMPT`` written out, so lupdate extracts it and the prompt box shows
#: it in the person's language (tests/qt/test_translations.py checks the two agree).
QT_TRANSLATE_NOOP("DescribePanel", "Describe this image in one or two sentences.")


def duration(seconds: float) -> str:
    """'42 s', '3 min 5 s', '2 h 10 min': short, for a progress line."""
    total = round(max(seconds, 0.0))
    if total < 60:
        return tr("{s} s", s=total)
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return tr("{m} min {s} s", m=minutes, s=secs)
    hours, minutes = divmod(minutes, 60)
    return tr("{h} h {m} min", h=hours, m=minutes)


def _button(
    text: str, tip: str, parent: QWidget, icon: QStyle.StandardPixmap | None = None
) -> QPushButton:
    button = QPushButton(text, parent)
    button.setToolTip(tip)
    button.setAccessibleName(text.replace("&", "").rstrip("…"))
    if icon is not None:
        button.setIcon(parent.style().standardIcon(icon))
    button.setAutoDefault(False)
    return button


class DescribePanelLayout(QDialog):
    """Model line and list buttons; prompt with Start/Stop; notice; progress; table; actions."""

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Describe each image"))
        self.setAcceptDrops(True)
        self.setMinimumSize(640, 420)
        # Fits a 1024x600 screen with its title bar and a panel.
        self.resize(900, 540)
        self._build(colors)

    def _build(self, colors: Colors) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        SP = QStyle.StandardPixmap

        top = QHBoxLayout()
        self.model_label = QLabel(self)
        self.model_label.setAccessibleName(tr("Model"))
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.model_label, 1)
        self.add_images_button = _button(
            tr("Add &images…"), tr("Add image files to the list"), self, SP.SP_FileIcon
        )
        top.addWidget(self.add_images_button)
        self.add_folder_button = _button(
            tr("Add &folder…"),
            tr("Add every image in a folder (not its subfolders)"),
            self,
            SP.SP_DirIcon,
        )
        top.addWidget(self.add_folder_button)
        self.clear_button = _button(
            tr("C&lear"),
            tr("Remove every image and result from the list"),
            self,
            SP.SP_DialogResetButton,
        )
        top.addWidget(self.clear_button)
        layout.addLayout(top)

        prompt_row = QHBoxLayout()
        prompt_label = QLabel(tr("&Prompt:"), self)
        self.prompt_edit = QLineEdit(tr(DEFAULT_PROMPT), self)
        self.prompt_edit.setAccessibleName(tr("Prompt"))
        self.prompt_edit.setToolTip(tr("What to ask about every image; Enter starts"))
        prompt_label.setBuddy(self.prompt_edit)
        prompt_row.addWidget(prompt_label)
        prompt_row.addWidget(self.prompt_edit, 1)
        self.start_button = _button(
            tr("&Start"), tr("Describe every image not described yet"), self
        )
        self.start_button.setObjectName("SendButton")
        prompt_row.addWidget(self.start_button)
        self.stop_button = _button(tr("S&top"), tr("Stop now; finished rows are kept"), self)
        self.stop_button.setObjectName("StopButton")
        self.stop_button.hide()
        prompt_row.addWidget(self.stop_button)
        layout.addLayout(prompt_row)

        self.notice = QLabel(self)
        self.notice.setObjectName("Notice")
        self.notice.setTextFormat(
            Qt.TextFormat.PlainText
        )  # file and folder names, errors: common/plain.py
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName(tr("Notice"))
        self.notice.hide()
        layout.addWidget(self.notice)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(tr("Progress"))
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        progress_row.addWidget(self.progress, 1)
        self.progress_label = QLabel(self)
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)  # "Exported … to <file name>"
        self.progress_label.setObjectName("Muted")
        self.progress_label.setAccessibleName(tr("Progress"))
        progress_row.addWidget(self.progress_label, 2)
        layout.addLayout(progress_row)

        self.table = ResultsTable(colors, self)
        self.copy_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.table)
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.copy_button = _button(
            tr("&Copy text"), tr("Copy the selected rows' descriptions (Ctrl+C)"), self
        )
        bottom.addWidget(self.copy_button)
        bottom.addStretch(1)
        self.sidecar_button = _button(
            tr("&Write .txt files"),
            tr("Save each description beside its image as PHOTO.jpg.txt"),
            self,
            SP.SP_DialogSaveButton,
        )
        bottom.addWidget(self.sidecar_button)
        self.export_button = _button(
            tr("&Export…"),
            tr("Save the results as JSON Lines or CSV"),
            self,
            SP.SP_DialogSaveButton,
        )
        bottom.addWidget(self.export_button)
        self.close_button = _button(
            tr("Close"),
            tr("Close this window (a run in progress is stopped)"),
            self,
        )
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)
