"""The "describe each" window, made on first use and kept (it keeps its results).

The panel describes with the model selected in the main window and that model's backend
(``DescribeHost``), and takes the window's ``BackendLease`` for its runs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop_app.qt.describe.panel import DescribeHost, DescribePanel


class DescribeController(QObject):
    """Opens the one Describe window and relays its status line."""

    status = Signal(str)

    def __init__(self, host: DescribeHost, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self._host = host
        self._dialog_parent = dialog_parent
        self.panel: DescribePanel | None = None

    def open_describe(self, images: list[Path]) -> None:
        if self.panel is None:
            self.panel = DescribePanel(self._host, self._dialog_parent)
            self.panel.status_changed.connect(self.status)
        self.panel.add_files(images)
        self.panel.show()
        self.panel.raise_()
        self.panel.activateWindow()

    def model_changed(self, *_model: object) -> None:
        """The main window's model changed: the open Describe window shows the new one."""
        if self.panel is not None:
            self.panel.model_changed()

    def shutdown(self, timeout: float) -> None:
        """The window closes: stop a run and give it ``timeout`` s to end."""
        if self.panel is not None:
            self.panel.shutdown(timeout)
