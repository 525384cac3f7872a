"""Starts the Qt application and shows the main window."""

from __future__ import annotations

import sys

from desktop_app.core.settings import AppPaths


def create_window(paths: AppPaths, **kwargs: object) -> object:
    """The application object (created once) and a main window; used by ``run`` and tests."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from desktop_app.qt.main_window import MainWindow
    from desktop_app.qt.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv)
    QCoreApplication.setApplicationName("LocalSight")
    QCoreApplication.setOrganizationName("LocalSight")
    colors = apply_theme(app)  # type: ignore[arg-type]
    return MainWindow(paths, colors, **kwargs)  # type: ignore[arg-type]


def run(paths: AppPaths) -> int:
    from PySide6.QtWidgets import QApplication

    window = create_window(paths)
    window.show()  # type: ignore[attr-defined]
    app = QApplication.instance()
    assert app is not None
    return int(app.exec())
