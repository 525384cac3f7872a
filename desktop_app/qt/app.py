"""Starts the Qt application and shows the main window.

A later issue builds the real chat window; until then this shows the app's name, the
default model and how to use the command line, so ``localsight`` never fails to open.
"""

from __future__ import annotations

import sys

from desktop_app.core.settings import AppPaths


def run(paths: AppPaths) -> int:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    QCoreApplication.setApplicationName("LocalSight")
    window = QMainWindow()
    window.setWindowTitle(QCoreApplication.translate("MainWindow", "LocalSight"))
    label = QLabel(
        QCoreApplication.translate(
            "MainWindow",
            "<h2>LocalSight</h2><p>The chat window is on its way.</p>"
            '<p>Meanwhile, ask from a terminal:<br><code>localsight ask "What is in this '
            'picture?" --image photo.jpg --model model.gguf --mmproj mmproj.gguf</code></p>'
            "<p>Models folder: {folder}</p>",
        ).replace("{folder}", str(paths.models_dir))
    )
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    window.setCentralWidget(label)
    window.resize(800, 560)
    window.show()
    return int(app.exec())
