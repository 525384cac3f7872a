"""Eager prefill (issue 20): the model reads an attached image while the person types.

When an image is attached and the selected model sees images through a backend that can
read ahead (``SupportsPrefill``: the in-process llama.cpp engine), the backend is handed
the request Send would make now (``draft_request``: the conversation so far and the new
turn with its images) on a worker thread.  Enter then evaluates only the typed words.

The work is tied to what it read: removing or adding an image, another model, another chat
(or a new one), an edit of an earlier message, a change of Settings or of the chat's own
prompt and options, Describe taking the model, or the window closing cancel it
(``CancelToken``), and it starts again when there is still something to read.  Send does
not cancel it: the backend makes the answer wait for it (same conversation) or cancels it
(another), so Send never waits longer than without it, and Stop stops both; the window only
stops listening.
Errors are logged, never shown: Send reads everything again and reports what fails.

Each attached image says what is happening, subtly: "Reading…", then "Ready"
(``Composer.set_read_states``); nothing when cancelled, failed or not applicable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer

from backends.base import (
    CancelToken,
    GenerationOptions,
    ImageInput,
    PrefillReport,
    SupportsPrefill,
)
from desktop_app.core.chat.session import draft_request
from desktop_app.qt.chat.composer import READ, READING
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.controllers.chat import ChatController
from desktop_app.qt.controllers.lease import BackendLease
from desktop_app.qt.state import AppState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a prefill's work depends on besides its images: when it changes, the work no
    longer matches what Send would ask."""

    backend: int  # id() of the backend object: one per backend for the window's life
    model: str
    conversation_id: int | None
    system_prompt: str
    options: GenerationOptions
    image_long_edge: int
    #: Counts changes of the chat's visible history (an answer ended, another branch shown).
    history: int


@dataclass(eq=False)
class Job:
    """One prefill: what it reads, its cancel token, and how it ended."""

    context: Context
    images: tuple[str, ...]  # sha256 of each image, in the composer's order
    cancel: CancelToken = field(default_factory=CancelToken)
    ended: threading.Event = field(default_factory=threading.Event)
    #: None while it runs; then its report (``cancelled`` too) or, on failure, None with
    #: ``failed`` set.
    report: PrefillReport | None = None
    failed: bool = False
    #: An answer started meanwhile (Send): the backend deals with the work; the window no
    #: longer shows what becomes of it.
    handed_over: bool = False

    @property
    def read(self) -> bool:
        """It ended having read the images (a backend that had nothing to do, say a model
        without its fast path, reports no images: nothing is claimed then)."""
        report = self.report
        return report is not None and not report.cancelled and report.images > 0

    @property
    def settled(self) -> bool:
        """Running, or ended in a way that trying again for the same draft cannot change.

        A prefill the backend declined (``cancelled`` though the window did not cancel it:
        an answer or a Describe run had the model) is tried again at the next change."""
        report = self.report
        if self.failed or report is None:
            return True
        return not report.cancelled or self.cancel.cancelled


class PrefillController(QObject):
    """Starts, restarts and cancels the eager prefill of the composer's images."""

    def __init__(self, state: AppState, chat: ChatController, lease: BackendLease) -> None:
        super().__init__(chat)
        self.state = state
        self.chat = chat
        self.lease = lease
        self.composer = chat.views.composer
        #: The prefill of the images now in the composer (running or ended), if any.
        self.job: Job | None = None
        self._running: list[Job] = []  # every job not ended yet, handed over ones too
        self._history = 0
        self._closed = False
        # Every change is looked at once the event loop is back: several in a row (Send
        # sets the chat and starts the answer) are one decision, made on the final state.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update)
        composer = self.composer
        composer.images_changed.connect(self.schedule)
        composer.editing_changed.connect(self.schedule)
        state.model_changed.connect(self.schedule)
        state.conversation_changed.connect(self.schedule)
        state.settings_changed.connect(self.schedule)
        state.answering_changed.connect(self._answering_changed)
        lease.changed.connect(self.schedule)
        chat.branch_changed.connect(self._history_changed)
        chat.own_settings_changed.connect(self.schedule)

    # -- deciding ---------------------------------------------------------------------------

    def schedule(self, *_args: object) -> None:
        if not self._closed:
            self._timer.start()

    def _history_changed(self) -> None:
        self._history += 1
        self.schedule()

    def _answering_changed(self, answering: object) -> None:
        """An answer starts: the prefill is the backend's now (Send must not cancel it);
        one ends: the chat's history has grown, so what is attached is read again."""
        if answering is not None and self.job is not None:
            self.job.handed_over = True
            self.job = None
            self.composer.set_read_states({})
        self._history_changed()

    def wanted(self) -> tuple[Context, list[ImageInput]] | None:
        """What should be read ahead now, or None (nothing to read, or not now)."""
        composer, state, chat = self.composer, self.state, self.chat
        images = composer.images()
        model = state.model
        if self._closed or not images or composer.editing_message_id is not None:
            return None
        if model is None or not model.capabilities.vision:
            return None
        backend = state.backend
        if not isinstance(backend, SupportsPrefill):
            return None
        if chat.generation is not None or chat.runner.busy or not self.lease.free_for("chat"):
            return None
        system_prompt, options = chat.session_settings()
        context = Context(
            id(backend),
            model.id,
            state.conversation_id,
            system_prompt,
            options,
            state.settings.image_long_edge,
            self._history,
        )
        return context, images

    def update(self) -> None:
        """Start, keep, or cancel and restart the prefill for what is attached now."""
        wanted = self.wanted()
        job = self.job
        shas = tuple(image.sha256 for image in wanted[1]) if wanted is not None else ()
        if (
            wanted is not None
            and job is not None
            and job.settled
            and (job.context, job.images) == (wanted[0], shas)
        ):
            return  # still reading, or read (or failed: not tried again for the same)
        if job is not None:
            job.cancel.cancel()
            self.job = None
        if wanted is None:
            self.composer.set_read_states({})
            return
        context, images = wanted
        # Images already read with the same history stay "Ready" when nothing before them
        # changed: the backend finds them in its cache at once.
        kept = 0
        if job is not None and job.read and job.context == context:
            while kept < min(len(job.images), len(shas)) and job.images[kept] == shas[kept]:
                kept += 1
        self.composer.set_read_states(
            {sha: READ if number < kept else READING for number, sha in enumerate(shas)}
        )
        self._start(Job(context, shas), images)

    # -- running ----------------------------------------------------------------------------

    def _start(self, job: Job, images: Sequence[ImageInput]) -> None:
        state = self.state
        backend, store = state.backend, state.store
        assert isinstance(backend, SupportsPrefill)
        context = job.context
        text = self.composer.text().strip()
        self.job = job
        self._running.append(job)

        def work() -> PrefillReport:
            try:
                if job.cancel.cancelled:
                    return PrefillReport(cancelled=True)
                request = draft_request(
                    store,
                    context.conversation_id,
                    model=context.model,
                    options=context.options,
                    system_prompt=context.system_prompt,
                    text=text,
                    images=images,
                )
                return backend.prefill(request, job.cancel)
            finally:
                job.ended.set()

        call = BackgroundCall(self)
        call.done.connect(lambda report: self._finished(job, report))
        call.failed.connect(lambda error: self._failed(job, error))
        call.run(work)

    def _finished(self, job: Job, report: object) -> None:
        self._forget(job)
        job.report = report if isinstance(report, PrefillReport) else PrefillReport()
        log.debug("Eager prefill ended: %s (handed over: %s)", job.report, job.handed_over)
        if job is self.job and not job.handed_over:
            state = READ if job.read else ""
            self.composer.set_read_states(dict.fromkeys(job.images, state))

    def _failed(self, job: Job, error: str) -> None:
        self._forget(job)
        job.failed = True
        log.warning("Reading the attached images ahead failed (Send reads them again): %s", error)
        if job is self.job and not job.handed_over:
            self.composer.set_read_states({})

    def _forget(self, job: Job) -> None:
        if job in self._running:
            self._running.remove(job)

    # -- the end ----------------------------------------------------------------------------

    def shutdown(self, timeout: float = 0.0) -> None:
        """The window closes: cancel every prefill (handed over ones too) and wait up to
        ``timeout`` seconds for them to end, so the backends are closed idle."""
        self._closed = True
        self._timer.stop()
        running = list(self._running)
        for job in running:
            job.cancel.cancel()
        deadline = time.monotonic() + timeout
        for job in running:
            if not job.ended.wait(max(0.0, deadline - time.monotonic())):
                log.warning("An eager prefill had not ended %.0f s after its cancel", timeout)
                return
