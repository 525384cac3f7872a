"""Who may generate now: the chat or the Describe window.

The llama.cpp backends answer one request at a time and refuse a second with "still
answering" (every image of a describe run would become an error row, or the chat's answer
an error).  Before, the rule lived in two places (the chat asked the Describe window whether
it was busy, the Describe window asked the chat's runner).  Now both ask this one object.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, Signal

Holder = Literal["chat", "describe"]


class BackendLease(QObject):
    """One holder at a time; ``changed`` says who holds it now (None: free)."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.holder: Holder | None = None

    def free_for(self, who: Holder) -> bool:
        return self.holder in (None, who)

    def acquire(self, who: Holder) -> bool:
        """Take the backend for ``who``; False (and nothing changes) when another has it."""
        if not self.free_for(who):
            return False
        if self.holder != who:
            self.holder = who
            self.changed.emit(who)
        return True

    def release(self, who: Holder) -> None:
        if self.holder == who:
            self.holder = None
            self.changed.emit(None)
