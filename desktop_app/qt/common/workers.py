"""Work that must never run on the GUI thread: generations, image normalising, model listing.

Each job runs on a plain Python thread and reports back through a QObject that lives on the
GUI thread; Qt delivers signals emitted from another thread as queued calls, so slots always
run on the GUI thread.  Token deltas are buffered here and painted at most every 40 ms, so
a fast model never floods the event loop (napari's slicer does the same).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from backends.base import BackendError
from desktop_app.core.images import ImageError, ImagePolicy, normalize_image
from desktop_app.qt.common.i18n import error_text, shown, translator
from desktop_app.qt.common.signals import emit, emit_from_worker

COALESCE_MS = 40

tr = translator("Workers")


def unexpected(error: BaseException) -> str:
    """The sentence for an error no backend meant (a bug, a disk error): its kind and what
    it says, in the window's language as far as it can be."""
    return tr(
        "Something went wrong: {kind}: {error}", kind=type(error).__name__, error=error_text(error)
    )


class GenerationRunner(QObject):
    """Runs one session operation on a worker thread and relays its callbacks as signals.

    ``delta_ready`` carries coalesced text, never more often than every ``COALESCE_MS``.
    """

    user_message = Signal(object)
    assistant_started = Signal(object)
    delta_ready = Signal(str)
    finished = Signal(object)
    failed = Signal(str)
    stage_changed = Signal(str)
    notice = Signal(str)  # Done.notice: how the answer came about (e.g. a CPU-mode switch)
    _raw_delta = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._buffer: list[str] = []
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._flush)
        self._raw_delta.connect(self._buffer_delta)
        self.started_at = 0.0
        self.first_token_at: float | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_interval(self, milliseconds: int) -> None:
        """How often buffered text is painted; the window slows it for long answers."""
        self._timer.setInterval(milliseconds)

    def start(
        self, operation: Callable[[Any], object], callbacks_factory: Callable[..., Any]
    ) -> None:
        """Run ``operation(callbacks)`` on a worker thread; callbacks emit this object's signals."""
        if self.busy:
            raise RuntimeError("a generation is already running")
        self._buffer.clear()
        self._timer.setInterval(COALESCE_MS)
        self.started_at = time.monotonic()
        self.first_token_at = None
        callbacks = callbacks_factory(
            on_user_message=self.user_message.emit,
            on_assistant_started=self._on_started,
            on_delta=self._raw_delta.emit,
            on_finished=self._on_finished,
            # Done.notice may be a backend's ``message``: translated before the signal
            # turns it into a plain ``str``.
            on_notice=lambda text: self.notice.emit(shown(text)),
        )

        def work() -> None:
            try:
                operation(callbacks)
            except BackendError as error:
                emit_from_worker(self.failed, error_text(error))
            except Exception as error:  # the window must survive anything a backend does
                emit_from_worker(self.failed, unexpected(error))

        self._timer.start()
        self._thread = threading.Thread(target=work, name="localsight-generation", daemon=True)
        self._thread.start()

    def _on_started(self, message: object) -> None:
        # The stage stays what the window chose (loading / reading image / thinking) until
        # the first token arrives.
        emit(self.assistant_started, message)

    def _on_finished(self, message: object) -> None:
        emit(self._raw_delta, "")  # flushes anything buffered before the final row is shown
        emit(self.finished, message)

    def _buffer_delta(self, text: str) -> None:
        if text:
            if self.first_token_at is None:
                self.first_token_at = time.monotonic()
                emit(self.stage_changed, "writing")
            self._buffer.append(text)
        else:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            text = "".join(self._buffer)
            self._buffer.clear()
            emit(self.delta_ready, text)
        if not self.busy and not self._buffer:
            self._timer.stop()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class ImageJob(QObject):
    """Normalises dropped or pasted images off the GUI thread (a 48 MP photo takes a while)."""

    ready = Signal(object, str)  # ImageInput, label
    rejected = Signal(str)  # a sentence naming the file and the reason

    def normalise(
        self,
        sources: Sequence[Path | bytes],
        policy: ImagePolicy,
        labels: Sequence[str] | None = None,
    ) -> None:
        names = (
            list(labels)
            if labels
            else [s.name if isinstance(s, Path) else tr("pasted image") for s in sources]
        )

        def work() -> None:
            for source, name in zip(sources, names, strict=False):
                try:
                    image = normalize_image(source, policy=policy, name=name)
                except ImageError as error:
                    emit_from_worker(self.rejected, error_text(error))
                except Exception as error:
                    emit_from_worker(
                        self.rejected,
                        tr(
                            "{name} could not be opened: {error}",
                            name=name,
                            error=error_text(error),
                        ),
                    )
                else:
                    emit_from_worker(self.ready, image, name)

        threading.Thread(target=work, name="localsight-images", daemon=True).start()


class BackgroundCall(QObject):
    """Runs a blocking call (list models, load a model) and returns its result by signal.

    One call per object, which deletes itself once its result has been delivered (connect
    ``done``/``failed`` before ``run``): calls made again and again (a model listing per
    settings change) leave nothing behind.

    Before it deletes itself it lets go of the slots connected to it, with its owner (its
    parent) held until the event loop is back in control.  A slot such as ``lambda error:
    self._show(error)`` holds its owner; when nothing else does (a dialog the caller no longer
    keeps, a window closed while its model listing ran), dropping that lambda destroys the
    owner.  Left to ``~QObject``, the drop happened in the middle of this object's destruction,
    and the dying owner deleted this object, still its child, a second time: a double free
    that glibc reported later, anywhere ("malloc_consolidate(): unaligned fastbin chunk", or
    a SIGSEGV in ``~QObject``).
    """

    done = Signal(object)
    failed = Signal(str)

    def run(self, call: Callable[[], object]) -> None:
        # Connected last, so it runs after the slots connected before ``run``.
        self.done.connect(self._finish)
        self.failed.connect(self._finish)

        def work() -> None:
            try:
                result = call()
            except BackendError as error:
                emit_from_worker(self.failed, error_text(error))
            except Exception as error:
                emit_from_worker(self.failed, f"{type(error).__name__}: {error_text(error)}")
            else:
                emit_from_worker(self.done, result)

        threading.Thread(target=work, name="localsight-call", daemon=True).start()

    def _finish(self, _result: object = None) -> None:
        """After the caller's slots: drop them while this object is whole, then delete it."""
        owner = self.parent()
        _held.append(owner)  # whatever the slots kept alive dies after this, not inside it
        QTimer.singleShot(0, _release_held)
        for signal in (self.done, self.failed):
            signal.disconnect()
        self.deleteLater()


#: Owners of finished calls, let go of from the event loop (``BackgroundCall._finish``).
_held: list[QObject | None] = []


def _release_held() -> None:
    _held.clear()
