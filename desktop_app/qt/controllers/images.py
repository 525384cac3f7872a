"""Images into the composer (or the Describe window): from a dialog, the clipboard or a drop.

Images are normalised on a worker (``ImageJob``) before the composer shows them, so a large
photo never stalls the GUI thread.  A dropped ``.gguf`` is a model, not an image: it goes to
the models part.  A folder or many images at once is likely a batch, so the window asks
whether to attach them or describe each one in the Describe window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app.core.images import ImagePolicy, looks_like_image_path
from desktop_app.core.store.database import StoreError
from desktop_app.qt.chat.composer import Composer, image_to_png
from desktop_app.qt.common.i18n import error_text, translator
from desktop_app.qt.common.overlays import ImageViewer
from desktop_app.qt.common.workers import ImageJob
from desktop_app.qt.describe.offer import MAX_ATTACH, DescribeOffer, should_offer
from desktop_app.qt.state import AppState

tr = translator("MainWindow")


class ImagesController(QObject):
    """Attach, paste and drop images; offer "describe each" for a batch."""

    status = Signal(str)

    def __init__(
        self,
        state: AppState,
        composer: Composer,
        *,
        add_model_path: Callable[[Path], None],
        open_describe: Callable[[list[Path]], None],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.state = state
        self.composer = composer
        self._add_model_path = add_model_path
        self._open_describe = open_describe
        self._dialog_parent = dialog_parent
        self.describe_offer: DescribeOffer | None = None
        self.viewer: ImageViewer | None = None  # the last one opened (tests look at it)
        self.job = ImageJob(self)
        self.job.ready.connect(composer.add_image)
        self.job.rejected.connect(composer.show_notice)

    def image_policy(self) -> ImagePolicy:
        return ImagePolicy(max_long_edge=self.state.settings.image_long_edge)

    def pick_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self._dialog_parent,
            tr("Attach images"),
            str(Path.home()),
            tr("Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)"),
        )
        if files:
            self.attach_files([Path(f) for f in files])

    def attach_files(self, files: list[Path]) -> None:
        for model_file in (f for f in files if f.suffix.lower() == ".gguf"):
            self._add_model_path(model_file)
        images = [f for f in files if f.suffix.lower() != ".gguf"]
        if images:
            self.composer.show_notice("")
            self.job.normalise(images, self.image_policy())

    def attach_pasted(self, png: bytes) -> None:
        self.job.normalise([png], self.image_policy(), labels=[tr("pasted image")])

    def attach_or_offer(self, files: list[Path], *, from_folder: bool) -> None:
        """A folder or many images is likely a batch: ask "attach" or "describe each"."""
        images = [f for f in files if f.suffix.lower() != ".gguf"]
        if not should_offer(len(images), from_folder=from_folder):
            self.attach_files(files)
            return
        self.attach_files([f for f in files if f.suffix.lower() == ".gguf"])
        model = self.state.model
        offer = DescribeOffer(
            len(images),
            from_folder=from_folder,
            model_name=model.name if model else None,
            parent=self._dialog_parent,
        )
        offer.describe_chosen.connect(lambda: self._open_describe(images))
        offer.attach_chosen.connect(lambda: self._attach_capped(images))
        offer.finished.connect(offer.deleteLater)
        self.describe_offer = offer
        offer.open()

    def _attach_capped(self, images: list[Path]) -> None:
        self.attach_files(images[:MAX_ATTACH])
        if len(images) > MAX_ATTACH:
            self.composer.show_notice(
                tr(
                    "Attached the first {max} of {total} images: one message holds at most "
                    "{max}. Chat → Describe images… describes any number, one by one.",
                    max=MAX_ATTACH,
                    total=len(images),
                )
            )

    def show_image(self, sha256: str) -> None:
        """The clicked image, large, with ← / → through every image of the open chat."""
        store = self.state.store
        try:
            store.image(sha256)  # gone (a deleted chat): say so rather than open empty
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        keys = self._chat_images()
        if sha256 not in keys:
            keys = [sha256]

        def load(key: str) -> tuple[bytes, int, int]:
            try:
                image = store.image(key)
            except StoreError as error:
                raise LookupError(error_text(error)) from None
            return image.data, image.width, image.height

        self.viewer = ImageViewer(load, keys, keys.index(sha256), self._dialog_parent)
        self.viewer.exec()

    def _chat_images(self) -> list[str]:
        """The open chat's images in the order they were sent, each once."""
        conversation = self.state.conversation_id
        if conversation is None:
            return []
        try:
            messages = self.state.store.messages(conversation)
        except StoreError:
            return []
        seen: dict[str, None] = {}
        for message in messages:
            for image in message.images:
                seen.setdefault(image.sha256, None)
        return list(seen)

    def take_drop(self, mime: QMimeData) -> bool:
        """What was dropped on the window: files, folders of images, or image data.
        Returns whether the drop is accepted."""
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
            self.attach_or_offer(files, from_folder=bool(folders))
            return True
        if folders:
            names = ", ".join(f.name for f in folders)
            self.composer.show_notice(
                tr("Could not read {reason}.", reason="; ".join(unreadable))
                if unreadable
                else tr("No images in {names} (subfolders are not searched).", names=names)
            )
            return True
        if mime.hasImage():
            self.attach_pasted(image_to_png(mime.imageData()))
            return True
        if mime.hasUrls():
            self.composer.show_notice(
                tr(
                    "Only files on this computer can be attached; "
                    "save the image first, then drop the file."
                )
            )
        return False
