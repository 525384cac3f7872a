"""Model downloads and Ollama pulls on worker threads, reported to the GUI thread by signals.

A download of a 3 GB model takes minutes and a pull as long; the GUI thread must keep
painting the whole time, and a Cancel must stop the transfer between chunks.  Each job
owns a ``CancelToken`` and a plain thread; signals emitted from the thread are delivered
to the GUI thread as queued calls.  ``JobRegistry`` remembers every running job so the
window can cancel them all when it closes and wait briefly for their threads: a closed
window must neither hang on a transfer nor leave a thread writing into a deleted widget
(``emit_from_worker`` drops signals whose receiver is gone).

What is shown is the ``Progress`` of ``desktop_app.core.downloads.fetch`` (bytes, speed, ETA);
Ollama's pull lines are summed over layers into the same shape here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from backends.base import BackendError, CancelToken
from desktop_app.core.downloads.errors import DownloadCancelled, DownloadError
from desktop_app.qt.common.i18n import error_text, shown, translator
from desktop_app.qt.common.signals import emit_from_worker

if TYPE_CHECKING:  # the downloader pulls httpx: imported when a transfer starts, not at launch
    from desktop_app.core.downloads.fetch import Progress
    from desktop_app.core.models.library import ModelLibrary


tr = translator("Transfers")


# -- words for numbers ------------------------------------------------------------------------


def format_bytes(value: int | None) -> str:
    """Decimal units, as the catalog and every download site state sizes."""
    if value is None:
        return "?"
    if value >= 1e9:
        return f"{value / 1e9:.1f} GB"
    if value >= 1e6:
        return f"{value / 1e6:.0f} MB"
    return f"{max(value, 0) / 1e3:.0f} KB"


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return tr("{seconds} s left", seconds=max(seconds, 1))
    if seconds < 3600:
        return tr("about {minutes} min left", minutes=round(seconds / 60))
    hours, rest = divmod(seconds, 3600)
    return tr("about {h} h {m} min left", h=hours, m=rest // 60)


def transfer_text(done: int, total: int | None, speed: float, eta_s: float | None) -> str:
    """'120 MB of 546 MB · 3.2 MB/s · about 2 min left'."""
    parts = [
        tr("{done} of {total}", done=format_bytes(done), total=format_bytes(total))
        if total
        else format_bytes(done)
    ]
    if speed > 0:
        parts.append(f"{speed / 1e6:.1f} MB/s")
    eta = format_eta(eta_s)
    if eta:
        parts.append(eta)
    return " · ".join(parts)


def progress_text(progress: Progress) -> str:
    """The line under a download's bar, from the downloader's own report."""
    if progress.phase == "verifying":
        return tr("Checking {name}…", name=progress.filename)
    if progress.phase == "checking" and progress.overall_done == 0:
        return tr("Contacting the server…")
    return transfer_text(
        progress.overall_done, progress.overall_total, progress.speed, progress.eta_s
    )


# -- jobs -------------------------------------------------------------------------------------


class _Job(QObject):
    """A cancellable call on a worker thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_token = CancelToken()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start(self, work: Callable[[], None], name: str) -> None:
        self._thread = threading.Thread(target=work, name=name, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class DownloadJob(_Job):
    """``ModelLibrary.download`` of one catalog entry.

    ``failed(message, cancelled)``: ``cancelled`` is True when the person pressed Cancel,
    so the row says "paused" instead of showing an error.
    """

    progress = Signal(object)  # Progress
    finished = Signal(object)  # InstalledPair
    failed = Signal(str, bool)

    def __init__(self, library: ModelLibrary, entry_id: str, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.entry_id = entry_id

    def start(self) -> None:
        def work() -> None:
            try:
                pair = self.library.download(
                    self.entry_id,
                    progress=lambda p: emit_from_worker(self.progress, p),
                    cancel=self.cancel_token,
                )
            except DownloadCancelled as error:
                emit_from_worker(self.failed, error_text(error), True)
            except DownloadError as error:
                emit_from_worker(self.failed, error_text(error), False)
            except Exception as error:  # a disk error, a bug: the window stays up
                emit_from_worker(self.failed, f"{type(error).__name__}: {error_text(error)}", False)
            else:
                emit_from_worker(self.finished, pair)

        self._start(work, f"localsight-download-{self.entry_id}")


@dataclass(frozen=True, slots=True)
class PullStatus:
    """Ollama's pull lines summed over the layers seen so far."""

    status: str
    done: int
    total: int | None
    speed: float
    eta_s: float | None

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None

    def text(self) -> str:
        if not self.total:
            return self.status
        return f"{self.status} · {transfer_text(self.done, self.total, self.speed, self.eta_s)}"


class PullJob(_Job):
    """``OllamaBackend.pull(tag)``: Ollama downloads; this relays its progress lines."""

    progress = Signal(object)  # PullStatus
    finished = Signal(str)  # the tag
    failed = Signal(str, bool)

    def __init__(self, backend: Any, tag: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.tag = tag

    def start(self) -> None:
        from desktop_app.core.downloads.fetch import SpeedMeter

        def work() -> None:
            layers: dict[str, tuple[int, int]] = {}
            meter = SpeedMeter()
            last_emit = 0.0
            succeeded = False
            try:
                for line in self.backend.pull(self.tag, self.cancel_token):
                    if line.digest and line.total:
                        layers[line.digest] = (line.completed or 0, line.total)
                    done = sum(d for d, _ in layers.values())
                    total = sum(t for _, t in layers.values()) or None
                    meter.add(done)
                    speed = meter.speed
                    eta = (total - done) / speed if total and speed > 0 else None
                    succeeded = succeeded or line.status == "success"
                    now = time.monotonic()
                    if now - last_emit >= 0.1 or not line.digest:
                        last_emit = now
                        # A step of the pull may be a backend's ``message``: translated
                        # here, before ``PullStatus.text`` writes it into a line.
                        step = shown(line.status)
                        emit_from_worker(self.progress, PullStatus(step, done, total, speed, eta))
            except BackendError as error:
                emit_from_worker(self.failed, error_text(error), False)
                return
            except Exception as error:
                emit_from_worker(self.failed, f"{type(error).__name__}: {error_text(error)}", False)
                return
            if self.cancel_token.cancelled:
                emit_from_worker(
                    self.failed, tr("The pull was cancelled; Ollama resumes it next time."), True
                )
            elif not succeeded:
                emit_from_worker(
                    self.failed, tr("Ollama ended the pull without saying it succeeded."), False
                )
            else:
                emit_from_worker(self.finished, self.tag)

        self._start(work, f"localsight-pull-{self.tag}")


class JobRegistry:
    """Every running transfer of the window, so closing it cancels them all."""

    def __init__(self) -> None:
        self._jobs: list[_Job] = []

    def add(self, job: _Job) -> None:
        self._jobs = [j for j in self._jobs if j.running]
        self._jobs.append(job)

    @property
    def running(self) -> list[_Job]:
        return [j for j in self._jobs if j.running]

    def cancel_all(self, wait_s: float = 5.0) -> None:
        """Cancel, then give the threads up to ``wait_s`` in all to notice and finish.

        The downloader checks the token between chunks, so this is normally milliseconds;
        a stalled network is bounded by the wait (the threads are daemons).
        """
        jobs = self.running
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + wait_s
        for job in jobs:
            job.wait(max(deadline - time.monotonic(), 0.0))
