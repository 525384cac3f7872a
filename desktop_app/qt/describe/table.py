"""The results table of "describe each": one row per image, filled in as each one finishes.

Rows exist from the moment images are added (file name, "Waiting"), so a person sees what is
left; a finished row gets its thumbnail, description and seconds, a broken image its error
in the theme's error colour.  The table keeps the ``DescribeRow`` of every finished image:
that list, in table order, is what Export writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop_app.core.describe.output import DescribeRow
from desktop_app.qt.common.i18n import shown, translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.theme import Colors
from desktop_app.qt.describe.worker import THUMB_PX

COL_PREVIEW, COL_FILE, COL_TEXT, COL_SECONDS = range(4)
ROW_MIN_PX = THUMB_PX + 10
# A rambling answer (up to max_tokens of it) must not make one row fill the table: about six
# lines show, the tooltip and Copy have the whole text.
ROW_MAX_PX = 110


tr = translator("DescribeTable")


class ResultsTable(QTableWidget):
    """Images in the order they will be described; finished rows keep their result."""

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.colors = colors
        self.paths: list[Path] = []
        self.results: dict[Path, DescribeRow] = {}
        self._index: dict[Path, int] = {}
        self.setHorizontalHeaderLabels(["", tr("File"), tr("Description"), tr("Time")])
        preview_header = QTableWidgetItem("")
        preview_header.setToolTip(tr("Preview"))
        self.setHorizontalHeaderItem(COL_PREVIEW, preview_header)
        self.setObjectName("DescribeResults")
        self.setAccessibleName(tr("Descriptions"))
        self.setToolTip(tr("One row per image. Ctrl+C copies the selected descriptions."))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.setWordWrap(True)
        self.setAlternatingRowColors(False)
        self.verticalHeader().hide()
        self.verticalHeader().setMinimumSectionSize(ROW_MIN_PX)
        self.verticalHeader().setDefaultSectionSize(ROW_MIN_PX)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_PREVIEW, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_SECONDS, QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnWidth(COL_PREVIEW, THUMB_PX + 12)
        self.setColumnWidth(COL_FILE, 170)
        # Wrapped descriptions change height when the column does; re-measure once the
        # person has stopped dragging rather than on every pixel.
        self._rewrap = QTimer(self)
        self._rewrap.setSingleShot(True)
        self._rewrap.setInterval(120)
        self._rewrap.timeout.connect(self.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._rewrap.start())

    # -- rows ---------------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path]) -> int:
        """Append images not listed yet (by absolute path); returns how many were new."""
        added = 0
        for raw in paths:
            path = Path(raw).absolute()
            if path in self._index:
                continue
            row = self.rowCount()
            self.insertRow(row)
            self._index[path] = row
            self.paths.append(path)
            name = QTableWidgetItem(path.name)
            name.setToolTip(literal_html(str(path)))  # a tooltip guesses HTML: plain.py
            self.setItem(row, COL_PREVIEW, QTableWidgetItem())
            self.setItem(row, COL_FILE, name)
            self.setItem(row, COL_TEXT, QTableWidgetItem())
            self.setItem(row, COL_SECONDS, QTableWidgetItem())
            self.set_state(path, tr("Waiting"))
            added += 1
        return added

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self.paths.clear()
        self.results.clear()
        self._index.clear()

    def pending(self) -> list[Path]:
        """Images without a result yet, in table order (what Start describes)."""
        return [p for p in self.paths if p not in self.results]

    def finished_rows(self) -> list[DescribeRow]:
        """Every result, in table order (what Export writes)."""
        return [self.results[p] for p in self.paths if p in self.results]

    def set_state(self, path: Path, text: str) -> None:
        """A muted note in the description cell of an image without a result."""
        row = self._index.get(Path(path).absolute())
        if row is None or Path(path).absolute() in self.results:
            return
        item = self._cell(row, COL_TEXT)
        item.setText(text)
        item.setToolTip("")
        item.setForeground(QBrush(QColor(self.colors.muted)))

    def set_result(self, row_data: DescribeRow, thumbnail: bytes | None) -> int:
        """Fill the image's row; returns the row index (added at the end if unknown)."""
        path = Path(row_data.path).absolute()
        if path not in self._index:
            self.add_paths([path])
        row = self._index[path]
        self.results[path] = row_data
        if thumbnail:
            pixmap = QPixmap()
            pixmap.loadFromData(thumbnail)
            self._cell(row, COL_PREVIEW).setIcon(pixmap)
        text = self._cell(row, COL_TEXT)
        seconds = self._cell(row, COL_SECONDS)
        if row_data.error:
            text.setText(tr("Could not describe: {error}", error=shown(row_data.error)))
            text.setForeground(QBrush(QColor(self.colors.error_text)))
            seconds.setText("—")
        else:
            text.setText(row_data.text)
            text.setForeground(QBrush(QColor(self.colors.text)))
            seconds.setText(tr("{s} s", s=f"{row_data.seconds:.1f}"))
        text.setToolTip(literal_html(text.text()))  # the model's answer is data
        seconds.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.resizeRowToContents(row)
        return row

    def selected_rows(self) -> list[DescribeRow]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [self.results[self.paths[r]] for r in rows if self.paths[r] in self.results]

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.item(row, column)
        if item is None:  # every cell is created in add_paths
            item = QTableWidgetItem()
            self.setItem(row, column, item)
        return item

    def sizeHintForRow(self, row: int) -> int:
        return min(max(super().sizeHintForRow(row), ROW_MIN_PX), ROW_MAX_PX)
