"""What the main window's parts share: a typed base for the mixins and the window's ``tr``.

``MainWindow`` is put together from focused mixins (``window_models``, ``window_images``,
``window_chat``), one job each.  Mixins rather than controller objects because the parts
share one state that the rest of the app reads off the window itself (the selected model,
the open conversation, the settings: ``window.model``, ``window.session``, the describe
panel's host), and because Qt delivers drag, drop and close events as methods of the window.
So the state stays on the window, set up in one place (``MainWindow.__init__``), and each
mixin declares at its top what it uses from the window and from the other parts.

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
