"""The question asked when a folder or many images are dropped: one message, or one each?

Why more than ``OFFER_ABOVE`` (4) images: a question about a few images at once ("which of
these is sharper?") is ordinary chat, and every image costs a vision model a few hundred
tokens of context (256–729 for common projectors) plus an image encode that takes tens of
seconds on a Raspberry Pi; five or more in one 4 096-token message rarely fit and rarely
are one question.  A folder is always a batch.  Attaching is capped at ``MAX_ATTACH`` for
the same reason (and that is what the composer's thumbnail strip shows at 1024 px).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.signals import emit

OFFER_ABOVE = 4
MAX_ATTACH = 8


tr = translator("DescribeOffer")


def should_offer(image_count: int, *, from_folder: bool) -> bool:
    return from_folder or image_count > OFFER_ABOVE


class DescribeOffer(QMessageBox):
    """Window-modal, non-blocking (``open()``); Enter describes, Esc cancels, Alt+A attaches."""

    describe_chosen = Signal()
    attach_chosen = Signal()

    def __init__(
        self, count: int, *, from_folder: bool, model_name: str | None, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setTextFormat(Qt.TextFormat.PlainText)  # the model's name is data: common/plain.py
        self.setWindowTitle(tr("Many images"))
        intro = (
            tr("The folder holds %n image(s).", n=count)
            if from_folder
            else tr("You dropped %n image(s).", n=count)
        )
        self.setText(intro + " " + tr("What should happen?"))
        self.setInformativeText(
            tr(
                "Describe each: {model} describes every image on its own, in a table you can "
                "export as JSONL or CSV.\n\nAttach to message: the images go into one chat "
                "message (at most {max}).",
                model=model_name or tr("the selected model"),
                max=MAX_ATTACH,
            )
        )
        self.describe_button = self.addButton(
            tr("&Describe each"), QMessageBox.ButtonRole.AcceptRole
        )
        self.attach_button = self.addButton(
            tr("&Attach to message"), QMessageBox.ButtonRole.ActionRole
        )
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        for button, tip in (
            (self.describe_button, tr("Describe every image separately")),
            (self.attach_button, tr("Attach the images to your next message")),
            (cancel, tr("Do nothing with these images")),
        ):
            button.setToolTip(tip)
            button.setAccessibleName(button.text().replace("&", ""))
        self.setDefaultButton(self.describe_button)
        self.setEscapeButton(cancel)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button: QAbstractButton) -> None:
        if button is self.describe_button:
            emit(self.describe_chosen)
        elif button is self.attach_button:
            emit(self.attach_chosen)
