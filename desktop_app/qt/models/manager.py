"""Model → Manage models…: the model files on this computer, the catalog with fit badges,
downloads, removal, a search over both, and Ollama.

Everything slow happens on worker threads: reading what is on disk (``ModelLibrary``
stats files and the Hugging Face cache), each download (``DownloadJob``), Ollama's list,
pulls and deletes.  The dialog owns its transfers: closing it cancels them (the partial
files are kept and the row offers Resume next time), which is said under the list, so
nobody closes it expecting a download to go on unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.core.models.fit import GIB, Resources
from desktop_app.core.models.library import CatalogStatus, InstalledPair, ModelLibrary
from desktop_app.core.models.local import LocalModel, remove_model_file
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import ask
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.models.catalog_row import CatalogRow
from desktop_app.qt.models.catalog_text import good_for
from desktop_app.qt.models.local_section import LocalModelsSection
from desktop_app.qt.models.ollama_section import OllamaSection
from desktop_app.qt.models.transfers import DownloadJob, JobRegistry, format_bytes

tr = translator("ModelManager")


def machine_line(resources: Resources) -> str:
    """'This computer: 7.6 GB memory, 4.1 GB free now · 120 GB free disk for models'."""
    parts = []
    if resources.total_memory is not None and resources.available_memory is not None:
        parts.append(
            tr(
                "This computer: {total} GB memory, {free} GB free now",
                total=f"{resources.total_memory / GIB:.1f}",
                free=f"{resources.available_memory / GIB:.1f}",
            )
        )
    if resources.free_disk is not None:
        parts.append(tr("{free} free disk for models", free=format_bytes(resources.free_disk)))
    return " · ".join(parts)


#: What the window knows about the model files (``ModelsController.local_models``): given
#: the catalog's downloads (model id → entry id), the files the manager lists.
LocalModels = Callable[[Mapping[str, str]], list[LocalModel]]


class ModelManager(QDialog):
    """``on_changed()`` refreshes the window's picker; ``on_use(model_id, backend)`` selects.

    ``local_models`` lists the files on this computer and ``forget(model_id)`` takes an
    added file off the list; without them (older callers) the section stays empty.
    """

    def __init__(
        self,
        library: ModelLibrary,
        ollama: Any | None,
        registry: JobRegistry,
        on_changed: Callable[[], None],
        on_use: Callable[[str, str], None],
        *,
        local_models: LocalModels | None = None,
        forget: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Models"))
        self.setAccessibleName(tr("Models"))
        self.library = library
        self.registry = registry
        self.on_changed = on_changed
        self.on_use = on_use
        self.rows: dict[str, CatalogRow] = {}
        self.jobs: dict[str, DownloadJob] = {}
        self.loaded = False
        self._local_models = local_models
        self._forget = forget
        self._catalog_downloads: dict[str, str] = {}  # model id → catalog entry id

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 10)
        heading = QLabel(tr("Vision models for this computer"), self)
        heading.setObjectName("SectionTitle")
        layout.addWidget(heading)
        self.machine = QLabel(tr("Checking memory and disk…"), self)
        self.machine.setTextFormat(
            Qt.TextFormat.PlainText
        )  # or the error reading them: common/plain.py
        self.machine.setObjectName("Muted")
        layout.addWidget(self.machine)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(tr("Search models: name, language, what it is good for"))
        self.search.setAccessibleName(tr("Search models"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        layout.addWidget(self.search)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self.scroll_area)
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(0, 4, 6, 4)
        self.column.setSpacing(8)
        self.local = LocalModelsSection(
            lambda model_id: self._use(model_id, "llama-cpp"), self.remove_local, body
        )
        self.column.addWidget(self.local)
        self.column.addSpacing(8)
        catalog_title = QLabel(tr("Download"), body)
        catalog_title.setObjectName("SectionTitle")
        self.column.addWidget(catalog_title)
        self.no_match = QLabel(body)
        self.no_match.setTextFormat(Qt.TextFormat.PlainText)  # the query is the person's
        self.no_match.setObjectName("Muted")
        self.no_match.hide()
        self.column.addWidget(self.no_match)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(8)
        self.column.addLayout(self.rows_box)
        self.column.addSpacing(8)
        tags = [e.ollama_tag for e in library.catalog if e.ollama_tag]
        self.ollama = OllamaSection(
            ollama,
            registry,
            tags,
            on_changed,
            lambda model_id: self._use(model_id, "ollama"),
            parent=body,
        )
        self.column.addWidget(self.ollama)
        self.column.addStretch(1)
        self.column.addSpacing(6)
        self.scroll_area.setWidget(body)
        layout.addWidget(self.scroll_area, 1)

        note = QLabel(
            tr(
                "Closing this window stops downloads; what arrived is kept, and Resume "
                "continues from there."
            ),
            self,
        )
        note.setObjectName("Muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip(tr("Close (Esc)"))
        close.setAccessibleName(tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # Fits a 1024×600 screen (a Raspberry Pi's 7" display) with room for the title bar.
        screen = self.screen().availableGeometry()
        self.resize(min(860, screen.width() - 40), min(620, screen.height() - 40))
        self.refresh()
        self.ollama.refresh()

    def reopen(self) -> None:
        """Show again after a close: what is on disk and in Ollama may have changed."""
        self.refresh()
        self.ollama.refresh()
        self.show()

    # -- what is here ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the catalog's state from disk (off the GUI thread) and update the rows."""
        library = self.library

        def read() -> tuple[Resources, list[CatalogStatus], CatalogEntry | None]:
            resources = Resources.probe(library.paths.models_dir)
            return resources, library.statuses(resources), library.recommend(resources)

        call = BackgroundCall(self)
        call.done.connect(self._show)
        call.failed.connect(self.machine.setText)
        call.run(read)
        self._refresh_call = call

    def _show(self, result: tuple[Resources, list[CatalogStatus], CatalogEntry | None]) -> None:
        resources, statuses, recommended = result
        self.machine.setText(machine_line(resources))
        for status in statuses:
            row = self.rows.get(status.entry.id)
            if row is None:
                is_recommended = recommended is not None and recommended.id == status.entry.id
                row = CatalogRow(status, is_recommended, self)
                row.download_requested.connect(self.download)
                row.cancel_requested.connect(self.cancel)
                row.remove_requested.connect(self.remove)
                row.use_requested.connect(self._use_entry)
                self.rows_box.addWidget(row)
                self.rows[status.entry.id] = row
            else:
                row.set_status(status)
        self._catalog_downloads = {
            s.installed.model_id: s.entry.id for s in statuses if s.installed is not None
        }
        self.refresh_local()
        self.loaded = True

    def refresh_local(self) -> None:
        """List the model files again (after a download, a removal, a new listing)."""
        if self._local_models is not None:
            self.local.set_models(self._local_models(self._catalog_downloads))
        self.filter(self.search.text())

    # -- search ---------------------------------------------------------------------------

    def filter(self, query: str) -> None:
        """Show the catalog rows and files matching every word of ``query`` (any case), in
        the name, the id, the Ollama tag or what the model is good for (in English and in
        the window's language)."""
        words = query.casefold().split()
        shown = 0
        for row in self.rows.values():
            entry = row.entry
            haystack = " ".join(
                (entry.name, entry.id, entry.good_for, good_for(entry), entry.ollama_tag or "")
            ).casefold()
            visible = all(w in haystack for w in words)
            row.setVisible(visible)
            shown += visible
        self.local.filter(query)
        self.no_match.setText(
            tr("No catalog model matches “{query}”.", query=query.strip())
            if words and not shown and self.rows
            else ""
        )
        self.no_match.setVisible(bool(self.no_match.text()))

    # -- actions --------------------------------------------------------------------------

    def download(self, entry_id: str) -> None:
        if entry_id in self.jobs and self.jobs[entry_id].running:
            return
        row = self.rows[entry_id]
        job = DownloadJob(self.library, entry_id, self)
        job.progress.connect(row.show_progress)
        job.finished.connect(lambda pair: self._downloaded(entry_id, pair))
        job.failed.connect(lambda message, cancelled: self._failed(entry_id, message, cancelled))
        self.jobs[entry_id] = job
        self.registry.add(job)
        row.start_busy()
        job.start()

    def cancel(self, entry_id: str) -> None:
        job = self.jobs.get(entry_id)
        if job is not None:
            job.cancel()
            self.rows[entry_id].progress_label.setText(tr("Cancelling…"))

    def _downloaded(self, entry_id: str, pair: InstalledPair) -> None:
        self.rows[entry_id].finish(
            tr("Downloaded and checked ({size}).", size=format_bytes(pair.size))
        )
        self.refresh()
        self.on_changed()

    def _failed(self, entry_id: str, message: str, cancelled: bool) -> None:
        row = self.rows[entry_id]
        if cancelled:
            row.finish(note=message)
        else:
            row.finish(error=message)
        self.refresh()

    def remove(self, entry_id: str) -> None:
        row = self.rows[entry_id]
        installed = row.status.installed
        size = format_bytes(installed.size) if installed is not None else ""
        if not ask(
            self,
            tr("Remove model"),
            tr(
                "Delete {name} ({size}) from this computer? You can download it again later.",
                name=row.entry.name,
                size=size,
            ),
        ):
            return
        call = BackgroundCall(self)
        call.done.connect(lambda freed: self._removed(entry_id, freed))
        call.failed.connect(lambda message: self.rows[entry_id].finish(error=message))
        library = self.library
        call.run(lambda: library.remove(entry_id))
        self._remove_call = call

    def _removed(self, entry_id: str, freed: int) -> None:
        self.rows[entry_id].finish(tr("Removed; {size} freed.", size=format_bytes(freed)))
        self.refresh()
        self.on_changed()

    def remove_local(self, model: LocalModel) -> None:
        """Remove as the kind says: forget an added file (it stays on disk); delete a catalog
        download or a file in LocalSight's models folder, after asking."""
        if model.kind == "added" and self._forget is not None:
            self._forget(model.model_id)
            return
        if model.kind == "downloaded" and model.catalog_id in self.rows:
            self.remove(model.catalog_id)
            return
        if model.kind != "models-folder":
            return
        size = format_bytes(model.size) if model.size else ""
        if not ask(
            self,
            tr("Remove model"),
            tr(
                "Delete {name} ({file}, {size}) from LocalSight's models folder? This "
                "deletes the file from this computer.",
                name=model.name,
                file=model.path.name if model.path is not None else "",
                size=size,
            ),
        ):
            return
        call = BackgroundCall(self)
        call.done.connect(lambda _freed: self._local_removed())
        call.failed.connect(self.machine.setText)
        call.run(lambda: remove_model_file(model))
        self._remove_local_call = call

    def _local_removed(self) -> None:
        self.refresh()
        self.on_changed()

    def _use_entry(self, entry_id: str) -> None:
        installed = self.rows[entry_id].status.installed
        if installed is not None:
            self._use(installed.model_id, "llama-cpp")

    def _use(self, model_id: str, backend: str) -> None:
        self.on_use(model_id, backend)
        if not self.running_jobs():
            self.accept()

    def running_jobs(self) -> list[Any]:
        jobs: list[Any] = [j for j in self.jobs.values() if j.running]
        if self.ollama.job is not None and self.ollama.job.running:
            jobs.append(self.ollama.job)
        return jobs

    # -- closing --------------------------------------------------------------------------

    def stop_transfers(self, wait_s: float = 5.0) -> None:
        """Cancel this dialog's downloads and pulls and let their threads finish."""
        import time

        jobs = self.running_jobs()
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + wait_s
        for job in jobs:
            job.wait(max(deadline - time.monotonic(), 0.0))

    def done(self, result: int) -> None:
        self.stop_transfers()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_transfers()
        super().closeEvent(event)
