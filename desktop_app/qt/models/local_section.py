"""The model manager's "On this computer" part: the model files LocalSight can run now.

Issue 17: the manager listed only the catalog and Ollama, so a file added by path, a GGUF
copied into the models folder and the built-in model could be neither found nor removed
there.  Each line has Use, Show in folder, and Remove where it means something
(``desktop_app/core/models/local.py`` says what it means for each kind: forget a file
the person added, or, after asking, delete one in LocalSight's own folder).  Names and
paths are data: plain text (``common/plain.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.core.models.local import LocalModel
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.models.catalog_row import badge, button
from desktop_app.qt.models.transfers import format_bytes

tr = translator("ModelManager")


def kind_text(model: LocalModel) -> str:
    return {
        "builtin": tr("Built in"),
        "added": tr("Added file"),
        "downloaded": tr("Downloaded"),
        "models-folder": tr("In the models folder"),
        "elsewhere": tr("In another folder"),
    }[model.kind]


def show_in_folder(path: Path) -> bool:
    """Open the file manager at the folder holding ``path``."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class LocalModelsSection(QWidget):
    """``on_use(model_id)`` selects; ``on_remove(model)`` removes (the dialog asks first when
    a file would be deleted)."""

    def __init__(
        self,
        on_use: Callable[[str], None],
        on_remove: Callable[[LocalModel], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.on_use = on_use
        self.on_remove = on_remove
        self.models: list[LocalModel] = []
        self.lines: dict[str, QFrame] = {}
        self._query = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        title = QLabel(tr("On this computer"), self)
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        self.empty = QLabel(tr("No model files yet: download one below."), self)
        self.empty.setObjectName("Muted")
        layout.addWidget(self.empty)
        self.box = QVBoxLayout()
        self.box.setSpacing(6)
        layout.addLayout(self.box)

    def set_models(self, models: Sequence[LocalModel]) -> None:
        for line in self.lines.values():
            self.box.removeWidget(line)
            line.hide()
            line.deleteLater()
        self.lines = {}
        self.models = list(models)
        for model in self.models:
            line = self._line(model)
            self.box.addWidget(line)
            self.lines[model.model_id] = line
        self.filter(self._query)

    def filter(self, query: str) -> int:
        """Show the lines whose name contains ``query`` (any case); returns how many."""
        self._query = query
        words = query.casefold().split()
        shown = 0
        for model in self.models:
            visible = all(w in model.name.casefold() for w in words)
            self.lines[model.model_id].setVisible(visible)
            shown += visible
        self.empty.setVisible(not self.models)
        return shown

    def _line(self, model: LocalModel) -> QFrame:
        line = QFrame(self)
        line.setObjectName("CatalogRow")
        line.setAccessibleName(model.name)
        row = QHBoxLayout(line)
        row.setContentsMargins(10, 6, 10, 6)
        text = QVBoxLayout()
        name = QLabel(model.name, line)
        name.setTextFormat(Qt.TextFormat.PlainText)
        name.setObjectName("RowTitle")
        text.addWidget(name)
        details = [kind_text(model)]
        if model.size:
            details.append(format_bytes(model.size))
        details.append(tr("sees images") if model.vision else tr("text only"))
        where = QLabel(" · ".join(details), line)
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setObjectName("Muted")
        if model.path is not None:
            where.setToolTip(literal_html(str(model.path)))
        text.addWidget(where)
        row.addLayout(text, 1)
        if model.vision:
            row.addWidget(badge(tr("vision"), "VisionBadge", line))
        use = button(tr("Use"), literal_html(tr("Chat with {name}", name=model.name)), line)
        use.clicked.connect(lambda: self.on_use(model.model_id))
        row.addWidget(use)
        if model.path is not None:
            folder = button(
                tr("Show in folder"),
                literal_html(tr("Open the folder holding {path}", path=str(model.path))),
                line,
            )
            path = model.path
            folder.clicked.connect(lambda: show_in_folder(path))
            row.addWidget(folder)
        if model.removable:
            tip = (
                tr("Delete {name} from this computer (asks first)", name=model.name)
                if model.deletes_file
                else tr("Take {name} off the list; the file stays where it is", name=model.name)
            )
            remove = button(tr("Remove"), literal_html(tip), line)
            remove.clicked.connect(lambda: self.on_remove(model))
            row.addWidget(remove)
        line.setProperty("model_id", model.model_id)
        return line
