"""The main window's images: attach, paste and drop them, or offer to describe each.

Part of ``MainWindow`` (a mixin; ``window_part`` says why).  Images are normalised on a
worker (``ImageJob``) before the composer shows them, so a large photo never stalls the GUI
thread.  A dropped ``.gguf`` is a model, not an image: it goes to ``add_model_path``.  A
folder or many images at once is likely a batch, so the window asks whether to attach them
or describe each one in the Describe window; while that window describes, chat waits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from backends.base import ModelInfo
from desktop_app.core.images import ImagePolicy, looks_like_image_path
from desktop_app.core.settings import Settings
from desktop_app.core.store import Store, StoreError
from desktop_app.qt.composer import Composer
from desktop_app.qt.describe_offer import MAX_ATTACH, DescribeOffer, should_offer
from desktop_app.qt.describe_panel import DescribePanel
from desktop_app.qt.overlays import DropOverlay, ImageViewer
from desktop_app.qt.window_part import WindowPart, tr
from desktop_app.qt.workers import ImageJob

if TYPE_CHECKING:
    from desktop_app.qt.main_window import MainWindow


class ImagesMixin(WindowPart):
    """Images into the composer (or the Describe window), from a dialog, the clipboard or a drop."""

    # The window's state this part reads and writes (set up in ``MainWindow.__init__``).
    settings: Settings
    store: Store
    model: ModelInfo | None
    composer: Composer
    images: ImageJob
    overlay: DropOverlay
    describe_panel: DescribePanel | None
    # From the models part and the window itself.
    add_model_path: Callable[[Path], None]
    _set_status: Callable[[str], None]

    # -- images -------------------------------------------------------------------------

    def image_policy(self) -> ImagePolicy:
        return ImagePolicy(max_long_edge=self.settings.image_long_edge)

    def pick_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            tr("Attach images"),
            str(Path.home()),
            tr("Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)"),
        )
        if files:
            self.attach_files([Path(f) for f in files])

    def attach_files(self, files: list[Path]) -> None:
        models = [f for f in files if f.suffix.lower() == ".gguf"]
        for model_file in models:
            self.add_model_path(model_file)
        images = [f for f in files if f.suffix.lower() != ".gguf"]
        if images:
            self.composer.show_notice("")
            self.images.normalise(images, self.image_policy())

    def attach_or_offer(self, files: list[Path], *, from_folder: bool) -> None:
        """A folder or many images is likely a batch: ask "attach" or "describe each"."""
        images = [f for f in files if f.suffix.lower() != ".gguf"]
        if not should_offer(len(images), from_folder=from_folder):
            self.attach_files(files)
            return
        self.attach_files([f for f in files if f.suffix.lower() == ".gguf"])
        offer = DescribeOffer(
            len(images),
            from_folder=from_folder,
            model_name=self.model.name if self.model else None,
            parent=self,
        )
        offer.describe_chosen.connect(lambda: self.open_describe(images))
        offer.attach_chosen.connect(lambda: self._attach_capped(images))
        offer.finished.connect(offer.deleteLater)
        self.describe_offer = offer
        offer.open()

    def _attach_capped(self, images: list[Path]) -> None:
        self.attach_files(images[:MAX_ATTACH])
        if len(images) > MAX_ATTACH:
            self.composer.show_notice(
                tr(
                    "Attached the first {max} of {n} images: one message holds at most {max}. "
                    "Chat → Describe images… describes any number, one by one."
                )
                .replace("{max}", str(MAX_ATTACH))
                .replace("{n}", str(len(images)))
            )

    def open_describe(self, images: list[Path]) -> None:
        """The "describe each" window (one per main window; it keeps its results)."""
        if self.describe_panel is None:
            window = cast("MainWindow", self)  # the panel's host: the model, backend, options
            self.describe_panel = DescribePanel(window, window)
            self.describe_panel.status_changed.connect(self._set_status)
            self.describe_panel.run_ended.connect(self._describe_ended)
        self.describe_panel.add_files(images)
        self.describe_panel.show()
        self.describe_panel.raise_()
        self.describe_panel.activateWindow()

    def _describing(self) -> bool:
        """Chat waits while images are described: the model answers one request at a time."""
        if self.describe_panel is None or not self.describe_panel.busy:
            return False
        self.composer.show_notice(self._describing_notice())
        return True

    def _describing_notice(self) -> str:
        return tr(
            "The model is describing images. Chat continues when that run ends; "
            "stop it in the Describe window (Chat → Describe images…)."
        )

    def _describe_ended(self) -> None:
        if self.composer.notice.text() == self._describing_notice():
            self.composer.show_notice("")

    def attach_pasted(self, png: bytes) -> None:
        self.images.normalise([png], self.image_policy(), labels=[tr("pasted image")])

    def _image_rejected(self, message: str) -> None:
        self.composer.show_notice(message)

    def show_image(self, sha256: str) -> None:
        try:
            image = self.store.image(sha256)
        except StoreError as error:
            self._set_status(str(error))
            return
        ImageViewer(image.data, f"{image.width}×{image.height}", self).exec()

    # -- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            self.overlay.cover()

    def dragLeaveEvent(self, event: Any) -> None:
        self.overlay.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.overlay.hide()
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        folders = [f for f in files if f.is_dir()]
        unreadable: list[str] = []
        for folder in folders:
            try:
                files.extend(sorted(p for p in folder.iterdir() if looks_like_image_path(p)))
            except OSError as error:  # no permission, a vanished network share
                unreadable.append(f"{folder.name}: {error.strerror or error}")
        files = [f for f in files if not f.is_dir()]
        if files:
            event.acceptProposedAction()
            self.attach_or_offer(files, from_folder=bool(folders))
        elif folders:
            event.acceptProposedAction()
            names = ", ".join(f.name for f in folders)
            self.composer.show_notice(
                tr("Could not read {reason}.").replace("{reason}", "; ".join(unreadable))
                if unreadable
                else tr("No images in {names} (subfolders are not searched).").replace(
                    "{names}", names
                )
            )
        elif mime.hasImage():
            from desktop_app.qt.composer import image_to_png

            event.acceptProposedAction()
            self.attach_pasted(image_to_png(mime.imageData()))
        elif mime.hasUrls():
            self.composer.show_notice(
                tr(
                    "Only files on this computer can be attached; "
                    "save the image first, then drop the file."
                )
            )
