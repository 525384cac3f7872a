"""The "describe each" window: one model, one prompt, every image its own answer, exportable.

It is the window's face of ``localsight describe``: the same default prompt, the same
``DescribeJob``, the same per-image rules (a broken image is an error row, never a stop),
the same ``RowWriter`` behind Export.  It uses the model selected in the main window and
that model's backend, so nothing is loaded twice.

One generation at a time: the llama.cpp backends serve one answer at a time and refuse a
second one with "still answering" (which would turn every image into an error row, or the
chat's answer into an error).  So a run takes the window's ``BackendLease`` when it starts
(Start waits for a running chat answer to end) and gives it back when it ends; meanwhile
the chat holds its sends back.

The run is the pool engine of ``localsight describe --concurrency`` with one endpoint, the
window's backend: on Ollama or an OpenAI-compatible server up to the setting
``describe_concurrency`` images are in flight (each further one on its own backend
object); the built-in llama.cpp reads one at a time.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QWidget,
)

from backends.base import Backend, GenerationOptions, ModelInfo
from desktop_app.core.describe.output import DescribeRow, export_rows, format_for
from desktop_app.core.describe.run import (
    DescribeError,
    DescribeJob,
    DescribeSummary,
    find_images,
    sidecar_path,
    write_sidecar,
)
from desktop_app.core.images import ImagePolicy
from desktop_app.core.models.factory import make_backend
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, error_text, fill, shown, translator
from desktop_app.qt.common.plain import ask
from desktop_app.qt.common.signals import emit
from desktop_app.qt.common.theme import Colors
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.controllers.lease import BackendLease
from desktop_app.qt.describe.layout import DescribePanelLayout, duration
from desktop_app.qt.describe.worker import DescribeRunner, window_endpoint

IMAGE_FILTER = QT_TRANSLATE_NOOP(  # for lupdate; tr at use
    "DescribePanel", "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)"
)
#: The export dialog's filters (for lupdate; tr at use) and the file type each one means.
EXPORT_FILTERS = {
    QT_TRANSLATE_NOOP("DescribePanel", "JSON Lines (*.jsonl)"): "jsonl",
    QT_TRANSLATE_NOOP("DescribePanel", "CSV, for spreadsheets (*.csv)"): "csv",
}


tr = translator("DescribePanel")


class DescribeHost(Protocol):
    """What the panel needs from the main window (which satisfies this as it is)."""

    colors: Colors

    @property
    def model(self) -> ModelInfo | None: ...

    @property
    def lease(self) -> BackendLease: ...

    @property
    def backend(self) -> Backend: ...

    @property
    def settings(self) -> Settings: ...

    paths: AppPaths

    def image_policy(self) -> ImagePolicy: ...

    def options(self) -> GenerationOptions: ...


class DescribePanel(DescribePanelLayout):
    """Lists images, describes each with the window's model, shows and exports the results."""

    status_changed = Signal(str)  # a one-line summary for the main window's status bar
    run_ended = Signal()  # the worker has ended: the backend is free for the chat again

    def __init__(self, host: DescribeHost, parent: QWidget | None = None) -> None:
        super().__init__(host.colors, parent)
        self.host = host
        self.runner = DescribeRunner(self)
        self.runner.planned.connect(self._on_planned)
        self.runner.row_ready.connect(self._on_row)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self._queue: list[Path] = []
        self._run_total = 0
        self._run_done = 0
        self._before = 0  # results the list already had when this run started (a resume)
        self._model_notice = ""  # the notice _update_model showed, so it can take it back
        self._started_at = 0.0
        self._in_flight = 1  # images a run describes at once (the "Describing…" rows)
        self._file_call: BackgroundCall | None = None
        self._connect()
        self._update_model()
        self._update_buttons()

    # -- wiring -----------------------------------------------------------------------

    def _connect(self) -> None:
        self.add_images_button.clicked.connect(self.pick_images)
        self.add_folder_button.clicked.connect(self.pick_folder)
        self.clear_button.clicked.connect(self.clear)
        self.prompt_edit.textChanged.connect(self._update_buttons)
        self.prompt_edit.returnPressed.connect(self.start)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.copy_shortcut.activated.connect(self.copy_selected)
        self.copy_button.clicked.connect(self.copy_selected)
        self.sidecar_button.clicked.connect(self.write_sidecars)
        self.export_button.clicked.connect(self.choose_export)
        self.close_button.clicked.connect(self.close)

    # -- the list -----------------------------------------------------------------------

    def add_files(self, files: list[Path]) -> None:
        added = self.table.add_paths(files)
        if added:
            self.show_notice("")
        self._update_model()
        self._show_counts()
        self._update_buttons()

    def pick_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, tr("Images to describe"), str(Path.home()), tr(IMAGE_FILTER)
        )
        if files:
            self.add_files([Path(f) for f in files])

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Folder to describe"), str(Path.home()))
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        try:
            images = find_images([folder], recursive=False)
        except (DescribeError, OSError) as error:
            self.show_notice(error_text(error))
            return
        if not images:
            self.show_notice(tr("{folder} has no images.", folder=folder.name))
            return
        self.add_files(images)

    def clear(self) -> None:
        if self.runner.busy:
            return
        self.table.clear_rows()
        self.show_notice("")
        self._show_counts()
        self._update_buttons()

    # -- running ------------------------------------------------------------------------

    def model_changed(self) -> None:
        """The main window's model changed: show the new one (issue 17: Describe kept showing
        the old model).  A run keeps the model it started with; the label follows when it
        ends."""
        if not self.runner.busy:
            self._update_model()

    def _update_model(self) -> None:
        """Show the model; say plainly when it cannot do this job (and Start stays off).

        The refusal is taken back when the model changes to one that can do the job; any
        other notice stays."""
        model = self.host.model
        if model is None:
            self.model_label.setText(tr("No model is selected."))
        elif model.capabilities.vision:
            self.model_label.setText(tr("Model: {name} (sees images)", name=model.name))
        else:
            self.model_label.setText(tr("Model: {name} (text only)", name=model.name))
        refusal = self._refusal()
        if refusal:
            self.show_notice(refusal)
        elif self._model_notice and self.notice.text() == self._model_notice:
            self.show_notice("")
        self._model_notice = refusal
        self._update_buttons()

    def _refusal(self) -> str:
        model = self.host.model
        if model is None:
            return tr(
                "No model is selected. Add a vision model in the main window "
                "(Model → Add a model file…)."
            )
        if not model.capabilities.vision:
            return tr(
                "{name} cannot see images. Pick a model marked “vision” in the main window "
                "(Ctrl+K), then press Start.",
                name=model.name,
            )
        return ""

    def start(self) -> None:
        if self.runner.busy:
            return
        self._update_model()
        refusal = self._refusal()
        files = self.table.pending()
        prompt = self.prompt_edit.text().strip()
        if not refusal and not self.host.lease.free_for("describe"):
            refusal = tr(
                "The model is answering in the chat. Wait for the answer (or stop it), "
                "then press Start: it answers one request at a time."
            )
        if not refusal and not files:
            refusal = tr("Every image in the list has a result. Add more images first.")
        if not refusal and not prompt:
            refusal = tr("Write a prompt first.")
        if refusal or self.host.model is None:
            self.show_notice(refusal)
            return
        self.host.lease.acquire("describe")
        job = DescribeJob(
            model=self.host.model.id,
            prompt=prompt,
            options=self.host.options(),
            policy=self.host.image_policy(),
        )
        self.show_notice("")
        self._queue = list(files)
        # The whole job, not this run: a resume of 11 with 6 done counts to 11 (issue 17).
        self._before = max(len(self.table.paths) - len(files), 0)
        self._run_total = self._before + len(files)
        self._run_done = 0
        self._started_at = time.monotonic()
        self.progress.setRange(0, self._run_total)
        self.progress.setValue(self._before)
        for path in files:
            self.table.set_state(path, tr("Waiting"))
        self.table.set_state(files[0], tr("Checking files…"))
        settings, paths = self.host.settings, self.host.paths
        one_shot = dataclasses.replace(settings, conversation_cache_mb=0)

        def slot_backend(name: str) -> Backend:
            """One more backend per further image in flight (made on the run's thread),
            from the settings like the window's own, keeping no conversation state."""
            return make_backend(name, one_shot, paths)

        endpoint, policy = window_endpoint(
            self.host.backend, settings.describe_concurrency, slot_backend
        )
        self._in_flight = endpoint.limit
        self.runner.start(endpoint, files, job, policy=policy)
        self._show_progress()
        self._update_buttons()

    def stop(self) -> None:
        if self.runner.busy:
            self.runner.stop()
            self.progress_label.setText(tr("Stopping…"))
            emit(self.status_changed, tr("Stopping the description run…"))
            self._update_buttons()

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def shutdown(self, timeout: float) -> None:
        """The main window closes: stop the run and give it ``timeout`` s to end."""
        self.runner.stop()
        self.runner.wait(timeout)

    def _on_planned(self, count: int) -> None:
        self._mark_describing()

    def _mark_describing(self) -> None:
        """The first rows still waiting, as many as the run describes at once."""
        if not self.runner.stopping:
            for path in self._queue[: self._in_flight]:
                self.table.set_state(path, tr("Describing…"))

    def _on_row(self, row: DescribeRow, thumbnail: object) -> None:
        self.table.set_result(row, thumbnail if isinstance(thumbnail, bytes) else None)
        path = Path(row.path).absolute()
        if path in self._queue:
            self._queue.remove(path)
        self._run_done += 1
        self._mark_describing()
        self._show_progress()
        self._update_buttons()

    def _on_finished(self, summary: DescribeSummary) -> None:
        self._end_run(interrupted=summary.interrupted)
        errors = sum(1 for r in self.table.finished_rows() if r.error)
        spent = duration(time.monotonic() - self._started_at)
        if summary.interrupted and self._before:
            text = tr("Stopped: {done} of {total} done ({before} from before)")
        elif summary.interrupted:
            text = tr("Stopped: {done} of {total} done")
        elif self._before:
            text = tr("Done: {done} of {total} ({before} from before) in {time}")
        else:
            text = tr("Done: {done} of {total} in {time}")
        done = self._before + self._run_done
        text = fill(text, done=done, total=self._run_total, before=self._before, time=spent)
        if errors:
            text += " · " + tr("%n could not be described", n=errors)
        if summary.interrupted:
            text += " · " + tr("Start continues with the rest")
        self.progress_label.setText(text)
        emit(self.status_changed, text)

    def _on_failed(self, message: str) -> None:
        """An error that would repeat for every image ended the run; finished rows stay."""
        self._end_run(interrupted=True)
        self.show_notice(message)
        self.progress_label.setText(tr("The run stopped: see the message above."))
        emit(self.status_changed, tr("Describing stopped: {m}", m=message))

    def _end_run(self, *, interrupted: bool) -> None:
        for path in self._queue:
            self.table.set_state(
                path, tr("Not described (stopped)") if interrupted else tr("Waiting")
            )
        self._queue = []
        self._update_buttons()
        self.host.lease.release("describe")
        emit(self.run_ended)
        self._update_model()  # the model may have changed during the run

    def _show_progress(self) -> None:
        done, total = self._before + self._run_done, self._run_total
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started_at
        parts = [tr("{done} of {total}", done=done, total=total)]
        if self._run_done:
            per_image = elapsed / self._run_done  # this run's pace: earlier rows took none
            if per_image >= 1:
                parts.append(tr("{s} s per image", s=f"{per_image:.1f}"))
            else:
                parts.append(tr("{rate} images/s", rate=f"{1 / max(per_image, 1e-3):.1f}"))
            if done < total:
                parts.append(tr("about {t} left", t=duration(per_image * (total - done))))
        text = " · ".join(parts)
        self.progress_label.setText(text)
        emit(self.status_changed, tr("Describing images: {p}", p=text))

    def _show_counts(self) -> None:
        if self.runner.busy:
            return
        total = len(self.table.paths)
        waiting = len(self.table.pending())
        text = tr("%n image(s)", n=total)
        if waiting != total:
            text += " · " + tr("%n to describe", n=waiting)
        self.progress_label.setText(text if total else tr("Add images or a folder to begin."))

    def _update_buttons(self) -> None:
        busy = self.runner.busy
        self.start_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self.stop_button.setEnabled(busy and not self.runner.stopping)
        self.start_button.setEnabled(
            not self._refusal() and bool(self.table.pending()) and bool(self.prompt_edit.text())
        )
        self.prompt_edit.setEnabled(not busy)
        self.clear_button.setEnabled(not busy and bool(self.table.paths))
        has_rows = bool(self.table.results)
        self.export_button.setEnabled(has_rows)
        self.sidecar_button.setEnabled(has_rows)
        self.copy_button.setEnabled(bool(self.table.selected_rows()))

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- results ------------------------------------------------------------------------

    def copy_selected(self) -> None:
        rows = self.table.selected_rows()
        if rows:
            QGuiApplication.clipboard().setText("\n\n".join(r.text or shown(r.error) for r in rows))
            self.progress_label.setText(tr("Copied"))

    def choose_export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            tr("Export descriptions"),
            str(Path.home() / "descriptions.jsonl"),
            ";;".join(tr(text) for text in EXPORT_FILTERS),
        )
        if path:
            wanted = next(
                (kind for text, kind in EXPORT_FILTERS.items() if tr(text) == chosen), None
            )
            target = Path(path)
            if not target.suffix and wanted:
                target = target.with_suffix("." + wanted)
            self.export_to(target, format_for(target, None if target.suffix else wanted))

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the finished rows to ``path`` off the GUI thread (replacing the file)."""
        rows = self.table.finished_rows()
        resolved = format_for(path, fmt)
        call = BackgroundCall(self)
        call.done.connect(
            lambda count: self._file_done(
                tr("Exported %n row(s) to {file}", n=count, file=path.name)
            )
        )
        call.failed.connect(lambda error: self.show_notice(tr("Could not export: {e}", e=error)))
        call.run(lambda: export_rows(rows, path, resolved))
        self._file_call = call

    def write_sidecars(self) -> None:
        """Save each description as ``PHOTO.jpg.txt``; asks before replacing existing ones."""
        rows = [r for r in self.table.finished_rows() if not r.error]
        existing = sum(1 for r in rows if sidecar_path(Path(r.path)).exists())
        if existing and not ask(
            self,
            tr("Replace text files?"),
            tr(
                "A .txt file is already beside %n image(s). Replace the existing file(s)?",
                n=existing,
            ),
        ):
            return

        def write() -> int:
            for row in rows:
                write_sidecar(Path(row.path), row.text)
            return len(rows)

        call = BackgroundCall(self)
        call.done.connect(
            lambda count: self._file_done(tr("Wrote %n .txt file(s) beside the images", n=count))
        )
        call.failed.connect(
            lambda error: self.show_notice(tr("Could not write the .txt files: {e}", e=error))
        )
        call.run(write)
        self._file_call = call

    def _file_done(self, message: str) -> None:
        self.show_notice("")
        self.progress_label.setText(message)
        emit(self.status_changed, message)

    # -- window -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_model()  # the person may have switched models in the main window

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """More images or folders dropped here join the list (the offer is not asked again)."""
        dropped = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not dropped:
            return
        event.acceptProposedAction()
        try:
            self.add_files(find_images(dropped, recursive=False))
        except (DescribeError, OSError) as error:
            self.show_notice(error_text(error))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()  # never waits: the worker ends by itself within the engine's hard stop
        super().closeEvent(event)

    def reject(self) -> None:
        """Esc closes like the Close button (QDialog's reject skips closeEvent)."""
        self.stop()
        super().reject()
