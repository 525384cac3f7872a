"""Help → About: what LocalSight is, and the facts a bug report needs, ready to copy.

The facts are ``desktop_app.core.diagnostics`` (the same as ``localsight doctor``), plus the
Qt platform plugin this window really runs on.  Collecting them may probe the CPU variants
on a machine's first launch (a second or two), so it happens on a thread and the dialog
fills in when it is done.
"""

from __future__ import annotations

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

from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.workers import BackgroundCall

tr = translator("AboutDialog")


def _report(platform: str) -> str:
    from desktop_app.core.diagnostics import collect

    return collect(qt_platform=platform).text()


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
        platform = QGuiApplication.platformName()
        call = BackgroundCall(self)
        call.done.connect(self._show)
        call.failed.connect(  # the dialog must show something, whatever failed
            lambda error: self._show(tr("Could not collect the details: {error}", error=error))
        )
        call.run(lambda: _report(platform))

    def _show(self, text: object) -> None:
        self.report.setPlainText(str(text))
        self.copy_button.setEnabled(True)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.report.toPlainText())
        self.copy_button.setText(tr("Copied"))
