"""The main window's ``tr``: one translation context for the window and its controllers."""

from __future__ import annotations

from desktop_app.qt.i18n import translator

__all__ = ["tr"]


tr = translator("MainWindow")
