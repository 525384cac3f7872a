"""The first-run card in the empty chat: the quickest way from install to a vision model.

``plan_first_run`` decides (Qt-free, tested on its own); this card shows the decision:

* Ollama is running with a vision model → "Use <model> (Ollama)", one click.
* a vision model is already on this computer but not selected → "Use <model>".
* otherwise the built-in SmolLM2 answers text right now ("Start chatting"), and one button
  downloads the catalog model recommended for this computer's memory, with progress
  inline; when it is done it is selected.

The card is shown only while there are no conversations and the person has not chosen or
closed it (``Settings.first_run_dismissed``).  Everything it needs that touches the disk
(memory and disk probe, the recommended model's state) is read on a worker thread; the
model lists come from the window's own background listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from backends.base import ModelInfo
from desktop_app.core.models.first_run import FirstRunPlan, plan_first_run
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.models.catalog_row import ProgressLine, button
from desktop_app.qt.models.catalog_text import good_for
from desktop_app.qt.models.fit_text import pair_reason
from desktop_app.qt.models.transfers import DownloadJob, JobRegistry, format_bytes, progress_text

if TYPE_CHECKING:  # the library pulls httpx: imported by the window when the card asks
    from desktop_app.core.models.library import CatalogStatus, InstalledPair, ModelLibrary


CARD_WIDTH = 560


tr = translator("FirstRun")


@dataclass(frozen=True, slots=True)
class FirstRunHooks:
    """What the card asks of the window."""

    library: Callable[[], ModelLibrary]
    use: Callable[[str, str], None]  # model id, backend name
    dismiss: Callable[[], None]
    open_manager: Callable[[], None]
    status: Callable[[str], None]


class FirstRunPanel(QFrame):
    """A card placed in the chat's empty state; hidden until ``offer`` has a plan."""

    def __init__(
        self, hooks: FirstRunHooks, registry: JobRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("FirstRunCard")
        self.setAccessibleName(tr("Getting started"))
        self.setMinimumWidth(360)
        self.setMaximumWidth(CARD_WIDTH)
        # Never squashed below its text (a short window scrolls instead of clipping it).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hooks = hooks
        self.registry = registry
        self.plan: FirstRunPlan | None = None
        self.recommended: CatalogStatus | None = None
        self.job: DownloadJob | None = None
        self.dismissed = False  # a plan still being read must not bring the card back
        self._text_name = "SmolLM2"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 12, 14)
        layout.setSpacing(8)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("FirstRunTitle")
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.close_button = QToolButton(self)
        self.close_button.setText(tr("Not now"))
        self.close_button.setObjectName("MessageAction")
        self.close_button.setToolTip(tr("Hide this; Model → Manage models… has everything"))
        self.close_button.setAccessibleName(tr("Not now"))
        self.close_button.clicked.connect(self._dismiss)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.body = QLabel(self)
        self.body.setTextFormat(Qt.TextFormat.PlainText)  # model names: common/plain.py
        self.body.setWordWrap(True)
        layout.addWidget(self.body)
        buttons = QHBoxLayout()
        self.primary = button("", "", self, primary=True)
        self.primary.clicked.connect(self._primary)
        self.secondary = button("", "", self)
        self.secondary.clicked.connect(self._secondary)
        buttons.addWidget(self.primary)
        buttons.addWidget(self.secondary)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.progress = ProgressLine(
            layout,
            self,
            name=tr("Download progress"),
            cancel_tip=tr("Stop the download; what arrived is kept to resume later"),
        )
        self.bar, self.cancel_button = self.progress.bar, self.progress.cancel_button
        self.progress_label, self.error = self.progress.label, self.progress.error
        self.cancel_button.clicked.connect(self.cancel)
        # A link, not a third button: it leads elsewhere and must not compete with the
        # card's choice; accent colour and the hand cursor say it can be clicked.
        self.more = QPushButton(tr("See all models…"), self)
        self.more.setObjectName("LinkButton")
        self.more.setFlat(True)
        self.more.setToolTip(tr("Every recommended model, with whether it fits (Ctrl+Shift+M)"))
        self.more.setAccessibleName(tr("See all models"))
        self.more.setCursor(Qt.CursorShape.PointingHandCursor)
        self.more.clicked.connect(hooks.open_manager)
        layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignLeft)
        self._set_downloading(False)
        self.error.hide()
        self.progress_label.hide()
        self.hide()

    def sizeHint(self) -> QSize:
        """As wide as a comfortable paragraph, and tall enough for its text at that width:
        the empty state centres its column at the preferred sizes, and wrapped labels
        guess their own width, which clipped the text of a narrower card."""
        layout = self.layout()
        hint = super().sizeHint()
        if layout is None or not layout.hasHeightForWidth():
            return QSize(CARD_WIDTH, hint.height())
        return QSize(CARD_WIDTH, max(layout.heightForWidth(CARD_WIDTH), hint.height()))

    def resizeEvent(self, event: Any) -> None:
        """Narrower than preferred (a small window): claim the height the wrapped text needs
        at this width, so the chat column scrolls instead of clipping the card."""
        super().resizeEvent(event)
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            needed = layout.heightForWidth(self.width())
            if needed != self.minimumHeight():
                self.setMinimumHeight(needed)

    def setVisible(self, visible: bool) -> None:
        """The card replaces the example prompts while it shows: they are about images,
        which the first run cannot answer yet, and a 600 px window has no room for both."""
        super().setVisible(visible)
        for example in getattr(self.parentWidget(), "examples", ()):
            example.setVisible(not visible)

    # -- deciding -------------------------------------------------------------------------

    @property
    def downloading(self) -> bool:
        return self.job is not None and self.job.running

    def offer(
        self,
        found: Sequence[tuple[str, ModelInfo]],
        default_id: str | None,
        current: ModelInfo | None,
    ) -> None:
        """Plan from the window's model list; the recommendation is read off the GUI thread."""
        if self.downloading:
            return
        local = [info for name, info in found if name == "llama-cpp"]
        ollama = [info for name, info in found if name == "ollama"]
        text = next((m for m in local if m.id == default_id), None)
        self._text_name = text.name if text is not None else "SmolLM2"
        library_factory = self.hooks.library

        def decide() -> tuple[FirstRunPlan, CatalogStatus | None]:
            library = library_factory()
            recommended = library.recommend()
            plan = plan_first_run(local, ollama, recommended, default_id)
            status = library.status(recommended.id) if recommended is not None else None
            return plan, status

        call = BackgroundCall(self)
        call.done.connect(lambda result: self._show_plan(result[0], result[1], current))
        call.failed.connect(lambda _message: self.hide())
        call.run(decide)
        self._plan_call = call

    def _show_plan(
        self, plan: FirstRunPlan, recommended: CatalogStatus | None, current: ModelInfo | None
    ) -> None:
        if self.dismissed:
            return
        self.plan = plan
        self.recommended = recommended
        name = self._text_name
        has_text = plan.text_model_id is not None
        self.secondary.setVisible(has_text)
        self._label(
            self.secondary,
            tr("Start chatting"),
            tr("Chat with {name} now (text only)", name=name),
        )
        model = plan.model
        if plan.offer == "local-vision" and model is not None:
            if current is not None and current.capabilities.vision:
                self.hide()  # a vision model is already selected: nothing to offer
                return
            self.title.setText(tr("A vision model is ready"))
            self.body.setText(
                tr("{model} is already on this computer and can see images.", model=model.name)
            )
            self._label(
                self.primary,
                tr("Use {model}", model=model.name),
                tr("Chat with {model}; it can see images", model=model.name),
            )
        elif plan.offer == "ollama-vision" and model is not None:
            self.title.setText(tr("Ollama has a vision model"))
            self.body.setText(
                tr(
                    "Ollama is running and has {model}, which can see images: use it to ask "
                    "about photos, screenshots and documents. {text} (built in) answers text.",
                    model=model.name,
                    text=name,
                )
            )
            self._label(
                self.primary,
                tr("Use {model} (Ollama)", model=model.name),
                tr("Chat with {model} through Ollama", model=model.name),
            )
        else:
            self._show_download_offer(recommended)
        self.show()

    def _show_download_offer(self, recommended: CatalogStatus | None) -> None:
        name = self._text_name
        self.recommended = recommended
        self.title.setText(tr("Welcome to LocalSight"))
        if recommended is None:
            self.body.setText(
                tr(
                    "{text} is built in and ready: it answers text right now, offline. This "
                    "computer's memory is too small for the vision models of the catalog; "
                    "see all models for what would fit with more memory.",
                    text=name,
                )
            )
            self.primary.hide()
            return
        entry = recommended.entry
        left = max(entry.download_bytes - recommended.partial_bytes, 0)
        self.body.setText(
            tr(
                "{text} is built in: it answers text right now, offline, but it cannot see "
                "images. For photos and screenshots, download {model}, the best vision model "
                "for this computer's memory.",
                text=name,
                model=entry.name,
            )
        )
        verb = tr("Resume") if recommended.partial_bytes else tr("Download")
        self._label(
            self.primary,
            tr(
                "{verb} {model} ({size}) for images",
                verb=verb,
                model=entry.name,
                size=format_bytes(left),
            ),
            pair_reason(recommended.fit) or good_for(entry),
        )
        self.primary.show()

    @staticmethod
    def _label(widget: QPushButton, text: str, tip: str) -> None:
        widget.setText(text)
        widget.setAccessibleName(text)
        widget.setToolTip(literal_html(tip))  # model names are data: common/plain.py

    # -- choices --------------------------------------------------------------------------

    def _primary(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if plan.offer in ("local-vision", "ollama-vision") and plan.model is not None:
            self.hooks.use(plan.model.id, plan.backend or "llama-cpp")
            self._dismiss()
        elif self.recommended is not None:
            self.download()

    def _secondary(self) -> None:
        if self.plan is not None and self.plan.text_model_id is not None:
            self.hooks.use(self.plan.text_model_id, "llama-cpp")
        self._dismiss()

    def _dismiss(self) -> None:
        if self.downloading:
            return  # the card stays to show the download; Cancel first
        self.dismissed = True
        self.hide()
        self.hooks.dismiss()

    def download(self) -> None:
        if self.recommended is None or self.downloading:
            return
        entry = self.recommended.entry
        job = DownloadJob(self.hooks.library(), entry.id, self)
        job.progress.connect(self._progress)
        job.finished.connect(self._downloaded)
        job.failed.connect(self._failed)
        self.job = job
        self.registry.add(job)
        self.error.hide()
        self.primary.setText(tr("Downloading {model}…", model=entry.name))
        self.progress.busy(tr("Contacting the server…"))
        self.progress_label.show()
        self._set_downloading(True)
        job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText(tr("Cancelling…"))

    def _set_downloading(self, downloading: bool) -> None:
        self.primary.setEnabled(not downloading)
        self.close_button.setEnabled(not downloading)
        self.bar.setVisible(downloading)
        self.cancel_button.setVisible(downloading)

    def _progress(self, progress: Any) -> None:
        self.progress.show_fraction(progress.fraction)
        text = progress_text(progress)
        self.progress_label.setText(text)
        if self.recommended is not None:
            self.hooks.status(
                tr("Downloading {model}: {text}", model=self.recommended.entry.name, text=text)
            )

    def _downloaded(self, pair: InstalledPair) -> None:
        self._set_downloading(False)
        self.hooks.use(pair.model_id, "llama-cpp")
        self.hooks.status(tr("{model} is ready and selected", model=pair.entry.name))
        self.progress_label.hide()
        self._dismiss()

    def _failed(self, message: str, cancelled: bool) -> None:
        self._set_downloading(False)
        self.hooks.status("")
        if cancelled:
            self.progress_label.setText(message)
        else:
            self.progress_label.hide()
            self.error.setText(message)
            self.error.show()
        if self.recommended is not None:  # the button now says Resume (or Download again)
            self.offer_again()

    def offer_again(self) -> None:
        """Re-read the recommended model's state so the button says Resume or Download."""
        recommended = self.recommended
        if recommended is None:
            return
        library_factory = self.hooks.library
        call = BackgroundCall(self)
        call.done.connect(self._show_download_offer)
        call.run(lambda: library_factory().status(recommended.entry.id))
        self._status_call = call
