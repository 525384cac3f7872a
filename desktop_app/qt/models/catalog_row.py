"""One catalog model in the model manager: what it is, whether it fits, and what to do.

A row says everything in words (the fit badge's colour only repeats its text, and the
reason is written under it when the answer is not a plain "fits"), so a person can decide
before a multi-GB download: name, download size, memory, licence, what it is good for.
While downloading, the buttons give way to a bar with bytes, speed and time left, and a
Cancel; an error stays on the row with the downloader's own sentence and a retry button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.models.fit import GIB
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.signals import emit
from desktop_app.qt.models.catalog_text import chat_format, good_for
from desktop_app.qt.models.fit_text import fit_label, fit_reason, pair_reason
from desktop_app.qt.models.transfers import format_bytes, progress_text

if TYPE_CHECKING:  # httpx and the GGUF readers load when the model manager opens
    from desktop_app.core.downloads.fetch import Progress
    from desktop_app.core.models.library import CatalogStatus


tr = translator("ModelManager")


def badge(text: str, name: str, parent: QWidget, tip: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setToolTip(tip)
    label.setAccessibleName(text)
    label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return label


def restyle(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property changed (the fit level)."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def fit_badge_text(status: CatalogStatus) -> str:
    # One literal per badge, so each is extracted for translators.
    level = status.fit.level
    if level == "fits":
        return tr("fits")
    if level == "tight":
        return tr("tight")
    if level == "too-big":
        return tr("will not fit")
    return "?"


def button(text: str, tip: str, parent: QWidget, primary: bool = False) -> QPushButton:
    widget = QPushButton(text, parent)
    widget.setToolTip(tip)
    widget.setAccessibleName(text)
    if primary:
        widget.setObjectName("PrimaryButton")
    return widget


class ProgressLine:
    """A transfer's bar with its Cancel button, the line under it and an error line.

    The catalog rows, the first-run card and the Ollama section all show a download the
    same way; the bar is busy until the size is known, then counts in thousandths.
    """

    def __init__(self, layout: QBoxLayout, parent: QWidget, *, name: str, cancel_tip: str):
        line = QHBoxLayout()
        self.bar = QProgressBar(parent)
        # Styled in theme.py: Fusion paints a busy bar as a full one (issue 17: "Contacting
        # the server…" over a full bar); the style sheet's busy bar is a moving segment.
        self.bar.setObjectName("TransferBar")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(10)
        self.bar.setAccessibleName(name)
        line.addWidget(self.bar, 1)
        self.cancel_button = button(tr("Cancel"), cancel_tip, parent)
        line.addWidget(self.cancel_button)
        layout.addLayout(line)
        # Server errors and file names: data, never HTML (common/plain.py).
        self.label = QLabel(parent)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setObjectName("Muted")
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.error = QLabel(parent)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setObjectName("ErrorText")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.error)

    def busy(self, text: str) -> None:
        """Waiting for the server: an indeterminate bar and what is happening."""
        self.bar.setRange(0, 0)
        self.label.setText(text)

    def show_fraction(self, fraction: float | None) -> None:
        if fraction is not None:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))


class CatalogRow(QFrame):
    """Signals carry the catalog id; the dialog does the work."""

    download_requested = Signal(str)
    cancel_requested = Signal(str)
    remove_requested = Signal(str)
    use_requested = Signal(str)

    def __init__(self, status: CatalogStatus, recommended: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("CatalogRow")
        self.entry = status.entry
        self.status = status
        self.busy = False
        self.has_error = False
        entry = status.entry
        self.setAccessibleName(entry.name)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        outer.setSpacing(4)

        top = QHBoxLayout()
        top.setSpacing(6)
        # The catalog's words are data too (common/plain.py).
        self.title = QLabel(entry.name, self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setObjectName("RowTitle")
        top.addWidget(self.title)
        top.addWidget(badge(tr("vision"), "VisionBadge", self, tr("This model can see images")))
        self.fit_badge = badge("", "FitBadge", self)
        top.addWidget(self.fit_badge)
        if recommended:
            top.addWidget(
                badge(
                    tr("recommended"),
                    "RecommendedBadge",
                    self,
                    tr("The best model of the list that this computer's memory can hold"),
                )
            )
        top.addStretch(1)
        self.use_button = button(tr("Use"), tr("Chat with this model"), self, primary=True)
        self.remove_button = button(tr("Remove"), tr("Delete the downloaded files"), self)
        self.download_button = button(tr("Download"), "", self, primary=True)
        for widget in (self.use_button, self.remove_button, self.download_button):
            top.addWidget(widget)
        outer.addLayout(top)

        self.details = QLabel(self)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setObjectName("Muted")
        self.details.setWordWrap(True)
        outer.addWidget(self.details)
        self.state_line = QLabel(self)
        self.state_line.setTextFormat(Qt.TextFormat.PlainText)
        self.state_line.setWordWrap(True)
        outer.addWidget(self.state_line)

        self.progress = ProgressLine(
            outer,
            self,
            name=tr("Download progress of {name}", name=entry.name),
            cancel_tip=tr("Stop the download; what arrived is kept to resume later"),
        )
        self.bar, self.cancel_button = self.progress.bar, self.progress.cancel_button
        self.progress_label, self.error = self.progress.label, self.progress.error

        self.use_button.clicked.connect(lambda: emit(self.use_requested, entry.id))
        self.remove_button.clicked.connect(lambda: emit(self.remove_requested, entry.id))
        self.download_button.clicked.connect(lambda: emit(self.download_requested, entry.id))
        self.cancel_button.clicked.connect(lambda: emit(self.cancel_requested, entry.id))
        self.set_status(status)

    # -- state ----------------------------------------------------------------------------

    def set_status(self, status: CatalogStatus) -> None:
        """What is on disk now (after a download, a cancel, a removal)."""
        self.status = status
        entry, fit = status.entry, status.fit
        self.fit_badge.setText(fit_badge_text(status))
        self.fit_badge.setProperty("level", fit.level)
        self.fit_badge.setToolTip(pair_reason(fit) or tr("Not enough is known about this computer"))
        self.fit_badge.setAccessibleName(tr("Fit: {label}", label=fit_label(fit)))
        restyle(self.fit_badge)
        self.details.setText(
            " · ".join(
                [
                    tr(
                        "{model} + {mmproj} download",
                        model=format_bytes(entry.model_file.size),
                        mmproj=format_bytes(entry.mmproj_file.size),
                    ),
                    tr("about {ram} GB of memory", ram=f"{fit.memory.needed / GIB:.1f}"),
                    entry.licence,
                ]
            )
            + "\n"
            + good_for(entry)
        )
        self.details.setToolTip(literal_html(chat_format(entry)))
        self.state_line.setText(self._state_text())
        self._sync()

    def _state_text(self, downloading: bool = False) -> str:
        status = self.status
        if downloading:
            text = tr("State: downloading")
        elif status.installed is not None:
            where = (
                tr("downloaded")
                if status.installed.location == "models folder"
                else tr("found in the Hugging Face cache (used where it is)")
            )
            text = tr("State: {where}", where=where)
        elif status.partial_bytes:
            text = tr(
                "State: partly downloaded ({kept} kept): Resume continues from there",
                kept=format_bytes(status.partial_bytes),
            )
        else:
            text = tr("State: not downloaded")
            if status.ollama_name:
                text += tr(
                    " (Ollama already has {name}: it is in the model list)", name=status.ollama_name
                )
        # Only what is not plainly fine: "memory is tight" without "disk: plenty free".
        reasons = [fit_reason(f) for f in (status.fit.memory, status.fit.disk) if f.level != "fits"]
        reasons = [r for r in reasons if r]
        if reasons:
            text += "\n" + fit_badge_text(status).capitalize() + ": " + "; ".join(reasons) + "."
        return text

    def _sync(self) -> None:
        installed = self.status.installed is not None
        self.use_button.setVisible(installed and not self.busy)
        self.remove_button.setVisible(
            installed
            and not self.busy
            and self.status.installed is not None
            and self.status.installed.location == "models folder"
        )
        action = self.status.action
        self.download_button.setVisible(not installed and not self.busy)
        too_big = self.status.fit.level == "too-big"
        if action == "resume":
            text, tip = tr("Resume"), tr("Continue the download where it stopped")
        elif self.has_error:
            text, tip = tr("Try again"), tr("Download both files again")
        else:
            text = tr("Download")
            tip = tr(
                "Download the model and its vision projector ({size})",
                size=format_bytes(self.status.entry.download_bytes),
            )
        self.download_button.setText(text)
        self.download_button.setAccessibleName(text)
        self.download_button.setToolTip(tip if not too_big else pair_reason(self.status.fit))
        self.download_button.setEnabled(not too_big)
        self.bar.setVisible(self.busy)
        self.cancel_button.setVisible(self.busy)
        self.progress_label.setVisible(self.busy or bool(self.progress_label.text()))
        self.error.setVisible(self.has_error)

    def start_busy(self) -> None:
        self.busy = True
        self.has_error = False
        self.error.clear()
        self.progress.busy(tr("Contacting the server…"))
        self.state_line.setText(self._state_text(downloading=True))
        self._sync()

    def show_progress(self, progress: Progress) -> None:
        self.progress.show_fraction(progress.fraction)
        self.progress_label.setText(progress_text(progress))

    def finish(self, note: str = "", error: str = "") -> None:
        """The download ended: ``note`` (paused, done) in muted text, ``error`` in red."""
        self.busy = False
        self.has_error = bool(error)
        self.error.setText(error)
        self.progress_label.setText(note)
        self.state_line.setText(self._state_text())
        self._sync()
