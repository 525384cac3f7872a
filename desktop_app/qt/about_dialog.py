"""Help → About: what LocalSight is, and the facts a bug report needs, ready to copy.

The facts are ``desktop_app.core.diagnostics`` (the same as ``localsight doctor``), plus the
Qt platform plugin this window really runs on.  Collecting them may probe the CPU variants
on a machine's first launch (a second or two), so it happens on a thread and the dialog
fills in when it is done.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.signals import emit


def tr(text: str) -> str:
    return QCoreApplication.translate("AboutDialog", text)


class _Collector(QObject):
    ready = Signal(str)


class AboutDialog(QDialog):
    """About LocalSight, with the diagnostics report and a Copy button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("About LocalSight"))
        self.resize(820, 440)
        layout = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "<b>LocalSight</b> — chat with vision-language models, fully offline.<br>"
                "If something goes wrong, copy this into your bug report:"
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.report = QPlainTextEdit(tr("Checking this computer…"))
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # columns stay aligned
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setAccessibleName(tr("Diagnostics"))
        layout.addWidget(self.report, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(tr("Copy"))
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._collector = _Collector(self)
        self._collector.ready.connect(self._show)
        platform = QGuiApplication.platformName()
        threading.Thread(
            target=self._collect, args=(platform,), name="localsight-about", daemon=True
        ).start()

    def _collect(self, platform: str) -> None:
        try:
            from desktop_app.core.diagnostics import collect

            text = collect(qt_platform=platform).text()
        except Exception as error:  # the dialog must show something, whatever failed
            text = f"Could not collect the details: {type(error).__name__}: {error}"
        with contextlib.suppress(RuntimeError):  # the dialog was closed (and deleted) meanwhile
            emit(self._collector.ready, text)

    def _show(self, text: str) -> None:
        self.report.setPlainText(text)
        self.copy_button.setEnabled(True)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.report.toPlainText())
        self.copy_button.setText(tr("Copied"))
