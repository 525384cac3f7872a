"""``PrefillingBackend``: the scripted backend that also reads ahead (``SupportsPrefill``).

Each ``prefill`` is a :class:`PrefillCall` that blocks until the test releases it (or it is
cancelled, which it honours at once, as the engine does between batches), so "Reading…"
lasts exactly as long as a test wants and nothing is timed.  It does not coordinate with
``stream_chat`` (the real backend makes an answer wait for, or cancel, a running prefill):
a Send while a prefill is blocked here shows that the window itself never waits for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from backends.base import BackendError, CancelToken, ChatRequest, PrefillReport
from tests.helpers.fake_backend import ScriptedBackend


@dataclass(eq=False)
class PrefillCall:
    """One ``prefill``: what it was given, and the test's handle on it."""

    request: ChatRequest
    cancel: CancelToken
    #: When set, the call ends: with a report, or by raising ``fail`` if given.
    released: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    fail: BackendError | None = None
    report: PrefillReport | None = None

    def release(
        self, fail: BackendError | None = None, report: PrefillReport | None = None
    ) -> None:
        """End the call: with ``report`` (default: every token and image read), or by
        raising ``fail``."""
        self.fail = fail
        self.report = report
        self.released.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel.cancelled


class PrefillingBackend(ScriptedBackend):
    """A ``ScriptedBackend`` (gates open unless asked) whose ``prefill`` the test releases."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("gated", False)
        super().__init__(**kwargs)
        self.prefills: list[PrefillCall] = []

    def prefill(self, request: ChatRequest, cancel: CancelToken | None = None) -> PrefillReport:
        call = PrefillCall(request, cancel or CancelToken())
        with self._lock:
            self.prefills.append(call)
            self._lock.notify_all()
        try:
            while not call.released.wait(0.002):
                if call.cancel.cancelled:
                    call.report = PrefillReport(cancelled=True)
                    return call.report
            if call.fail is not None:
                raise call.fail
            if call.report is not None:
                return call.report
            tokens = sum(len(m.text.split()) + 64 * len(m.images) for m in request.messages)
            call.report = PrefillReport(tokens=tokens, images=len(request.images))
            return call.report
        finally:
            call.ended.set()

    def release_all(self) -> None:
        """Let every prefill end (a test's teardown: no thread left blocked)."""
        for call in list(self.prefills):
            call.cancel.cancel()
            call.released.set()
