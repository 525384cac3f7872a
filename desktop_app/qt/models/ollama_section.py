"""The model manager's Ollama part: what Ollama has, pull a tag with progress, delete.

Ollama keeps its own models; LocalSight only asks it (``OllamaBackend``), so the same
models appear in Ollama's CLI and app.  When Ollama is not running this says so in one
plain sentence with what to do, instead of an empty list that looks like "no models".
Every call runs off the GUI thread: a stopped server can take the connect timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from backends.base import BackendUnavailable, HasHost, ModelInfo
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import ask, literal_html
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.models.catalog_row import ProgressLine, badge, button
from desktop_app.qt.models.transfers import JobRegistry, PullJob, PullStatus, format_bytes

tr = translator("ModelManager")


class OllamaSection(QWidget):
    """``on_changed()`` after a pull or delete (the window refreshes its picker);
    ``on_use(model_id)`` selects an Ollama model in the window."""

    def __init__(
        self,
        backend: Any | None,
        registry: JobRegistry,
        tags: Sequence[str],
        on_changed: Callable[[], None],
        on_use: Callable[[str], None],
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.registry = registry
        self.on_changed = on_changed
        self.on_use = on_use
        self.job: PullJob | None = None
        self.models: list[ModelInfo] = []
        self.running: bool | None = None  # None: not asked yet
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        heading = QHBoxLayout()
        title = QLabel(tr("Ollama"), self)
        title.setObjectName("SectionTitle")
        heading.addWidget(title)
        heading.addStretch(1)
        self.check_button = button(tr("Check again"), tr("Ask Ollama for its models again"), self)
        self.check_button.clicked.connect(self.refresh)
        heading.addWidget(self.check_button)
        layout.addLayout(heading)
        self.status = QLabel(tr("Asking Ollama for its models…"), self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # Ollama's own errors: common/plain.py
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.list_box = QVBoxLayout()
        self.list_box.setSpacing(4)
        layout.addLayout(self.list_box)

        pull_line = QHBoxLayout()
        self.pull_label = QLabel(tr("Pull a model:"), self)
        pull_line.addWidget(self.pull_label)
        self.tag = QComboBox(self)
        self.tag.setEditable(True)
        self.tag.addItems(list(tags))
        self.tag.setToolTip(
            tr("An Ollama model name, e.g. gemma3:4b (the catalog's vision models are listed)")
        )
        self.tag.setAccessibleName(tr("Ollama model to pull"))
        self.pull_label.setBuddy(self.tag)
        pull_line.addWidget(self.tag, 1)
        self.pull_button = button(tr("Pull"), tr("Download this model into Ollama"), self, True)
        self.pull_button.clicked.connect(self.pull)
        pull_line.addWidget(self.pull_button)
        layout.addLayout(pull_line)
        self.progress = ProgressLine(
            layout,
            self,
            name=tr("Pull progress"),
            cancel_tip=tr("Stop the pull; Ollama keeps what arrived and resumes later"),
        )
        self.bar, self.cancel_button = self.progress.bar, self.progress.cancel_button
        self.progress_label, self.error = self.progress.label, self.progress.error
        self.cancel_button.clicked.connect(self.cancel)
        self._set_pulling(False)
        self.error.hide()
        self.progress_label.hide()

    # -- listing --------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.backend is None:
            self._show_unavailable(tr("Ollama is not set up in LocalSight."))
            return
        self.check_button.setEnabled(False)
        call = BackgroundCall(self)
        call.done.connect(self._listed)
        call.failed.connect(self._list_failed)
        backend = self.backend
        call.run(lambda: self._list(backend))
        self._list_call = call

    @staticmethod
    def _list(backend: Any) -> list[ModelInfo] | str:
        try:
            return list(backend.list_models())
        except BackendUnavailable:
            return "unavailable"

    def _list_failed(self, message: str) -> None:
        self.check_button.setEnabled(True)
        self.running = False
        self.status.setText(message)
        self._fill([])

    def _listed(self, result: list[ModelInfo] | str) -> None:
        self.check_button.setEnabled(True)
        if isinstance(result, str):
            host = self.backend.host if isinstance(self.backend, HasHost) else ""
            self._show_unavailable(
                tr(
                    "Ollama is not running at {host}. Start it with “ollama serve” (or open the "
                    "Ollama app), then press Check again. LocalSight's own downloads above "
                    "do not need it.",
                    host=host,
                )
            )
            return
        self.running = True
        self.models = result
        if result:
            self.status.setText(tr("Models Ollama has ({count}):", count=len(result)))
        else:
            self.status.setText(tr("Ollama is running and has no models yet: pull one below."))
        self._fill(result)
        self._set_pulling(self.job is not None and self.job.running)

    def _show_unavailable(self, text: str) -> None:
        self.running = False
        self.status.setText(text)
        self._fill([])
        self._set_pulling(False)

    def _fill(self, models: list[ModelInfo]) -> None:
        while self.list_box.count():
            item = self.list_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for info in models:
            self.list_box.addWidget(self._model_line(info))

    def _model_line(self, info: ModelInfo) -> QWidget:
        line = QWidget(self)
        line.setObjectName("OllamaModel")
        line.setAccessibleName(info.name)
        row = QHBoxLayout(line)
        row.setContentsMargins(8, 2, 0, 2)
        name = QLabel(info.name, line)
        name.setTextFormat(Qt.TextFormat.PlainText)  # the name Ollama gives: common/plain.py
        name.setObjectName("RowTitle")
        row.addWidget(name)
        vision = info.capabilities.vision
        row.addWidget(
            badge(
                tr("vision") if vision else tr("text only"),
                "VisionBadge" if vision else "TextBadge",
                line,
                tr("This model can see images") if vision else tr("This model cannot see images"),
            )
        )
        if info.size:
            size = QLabel(format_bytes(info.size), line)
            size.setObjectName("Muted")
            row.addWidget(size)
        row.addStretch(1)
        use = button(tr("Use"), literal_html(tr("Chat with {name}", name=info.name)), line)
        use.clicked.connect(lambda: self.on_use(info.id))
        row.addWidget(use)
        delete_tip = literal_html(tr("Delete {name} from Ollama", name=info.name))
        delete = button(tr("Delete"), delete_tip, line)
        delete.clicked.connect(lambda: self.delete(info))
        row.addWidget(delete)
        return line

    # -- pull / delete --------------------------------------------------------------------

    def _set_pulling(self, pulling: bool) -> None:
        usable = self.running is True
        for widget in (self.pull_label, self.tag, self.pull_button):
            widget.setVisible(usable)
        self.pull_button.setEnabled(usable and not pulling)
        self.tag.setEnabled(not pulling)
        self.bar.setVisible(pulling)
        self.cancel_button.setVisible(pulling)

    def pull(self) -> None:
        tag = self.tag.currentText().strip()
        if not tag or self.backend is None or (self.job is not None and self.job.running):
            return
        self.error.hide()
        self.progress.busy(tr("Asking Ollama for {tag}…", tag=tag))
        self.progress_label.show()
        job = PullJob(self.backend, tag, self)
        job.progress.connect(self._pull_progress)
        job.finished.connect(self._pulled)
        job.failed.connect(self._pull_failed)
        self.job = job
        self.registry.add(job)
        self._set_pulling(True)
        job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText(tr("Cancelling…"))

    def _pull_progress(self, status: PullStatus) -> None:
        self.progress.show_fraction(status.fraction)
        self.progress_label.setText(status.text())

    def _pulled(self, tag: str) -> None:
        self._set_pulling(False)
        self.progress_label.setText(tr("{tag} is ready in Ollama.", tag=tag))
        self.refresh()
        self.on_changed()

    def _pull_failed(self, message: str, cancelled: bool) -> None:
        self._set_pulling(False)
        if cancelled:
            self.progress_label.setText(message)
        else:
            self.progress_label.hide()
            self.error.setText(message)
            self.error.show()

    def delete(self, info: ModelInfo) -> None:
        asked = ask(
            self,
            tr("Delete from Ollama"),
            tr("Delete {name} from Ollama? Pulling it again downloads it again.", name=info.name),
        )
        if not asked or self.backend is None:
            return
        call = BackgroundCall(self)
        call.done.connect(self._deleted)
        call.failed.connect(self._delete_failed)
        backend = self.backend
        call.run(lambda: backend.delete(info.id))
        self._delete_call = call

    def _deleted(self, _result: object) -> None:
        self.refresh()
        self.on_changed()

    def _delete_failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
