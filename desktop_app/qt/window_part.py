"""The main window's ``tr``: one translation context for the window and its controllers."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

__all__ = ["tr"]


def tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)
