"""What the window's remaining mixins share: a typed base and the window's ``tr``.

The chat became a controller around one state (``controllers.chat``, ``state.AppState``):
mixins shared ~20 attributes on the window, and a Stop needed the session of whichever chat
was on screen.  ``window_models`` and ``window_images`` are still mixins on their way to
controllers of their own; each declares at its top what it uses from the window (the state
through the window's properties) and from the other parts.

At run time a part derives from ``object`` (Qt is mixed in once, by ``MainWindow``); the
type checker sees a ``QMainWindow`` so the parts' widget calls are checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow as WindowPart
else:
    WindowPart = object

__all__ = ["WindowPart", "tr"]


def tr(text: str) -> str:
    """One translation context for the whole window, whichever part says it."""
    return QCoreApplication.translate("MainWindow", text)
