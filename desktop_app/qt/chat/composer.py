"""Where a person writes: the text box, pending image thumbnails, attach / send / stop.

Enter sends, Shift+Enter adds a line, Esc stops a generation (or cancels an edit), Up in an
empty box edits the last message.  Pasting image data or copied files attaches them.

Editing a message puts its text *and its images* in the composer: the images are chips like
any other, so the person sees what will be sent again, can remove one, and anything pasted,
dropped or attached meanwhile joins the edited message (issue 17: such images used to be
silently dropped).  Cancelling the edit takes the message's own images away again but keeps
what the person added: it is theirs, and nothing they gave is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from backends.base import ImageInput
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.signals import emit

PENDING_THUMB_PX = 64

#: What the eager prefill (issue 20) says of an attached image: the model is reading it
#: now, or has read it (Enter then evaluates only the typed words); "" says nothing.
READING = "reading"
READ = "read"

#: What a notice above the message box is about, so each goes when it stops being true
#: (issue 17: "SmolLM2 cannot see images" outlived the switch to a vision model).  A note of
#: one kind never hides or clears another: each kind is kept apart, shown one after another.
#: ``NOTICE_GENERAL``: the settings, models skipped, attachments -- kept until replaced.
NOTICE_GENERAL = "general"
#: About the model chosen ("… cannot see images"): cleared when the model changes.
NOTICE_MODEL = "model"
#: About the chat on screen ("… is still answering", a failed send): cleared when another
#: chat, or a new one, is shown.
NOTICE_CHAT = "chat"


tr = translator("Composer")


def image_to_png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes, Qt a str
    buffer.close()
    return bytes(data.data())


def local_files(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class ComposerEdit(QPlainTextEdit):
    """Multi-line input with chat keyboard rules."""

    submit = Signal()
    escape = Signal()
    edit_last = Signal()
    files_pasted = Signal(list)
    image_pasted = Signal(bytes)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            modifiers & Qt.KeyboardModifier.ShiftModifier
        ):
            emit(self.submit)
            return
        if key == Qt.Key.Key_Escape:
            emit(self.escape)
            return
        if key == Qt.Key.Key_Up and not self.toPlainText():
            emit(self.edit_last)
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return (
            source.hasImage() or bool(local_files(source)) or super().canInsertFromMimeData(source)
        )

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = local_files(source)
        if files:
            emit(self.files_pasted, files)
            return
        if source.hasImage():
            image = source.imageData()
            if isinstance(image, QImage) and not image.isNull():
                emit(self.image_pasted, image_to_png(image))
                return
        super().insertFromMimeData(source)


class PendingImage(QFrame):
    """A thumbnail waiting to be sent, with a remove button, and a small caption over its
    bottom edge while the model reads it ahead of Send ("Reading…", then "Ready")."""

    removed = Signal(object)

    def __init__(
        self,
        image: ImageInput,
        label: str,
        parent: QWidget | None = None,
        *,
        from_message: bool = False,
    ) -> None:
        """``from_message``: the image belongs to the message being edited (it leaves with
        the edit when the edit is cancelled), rather than being added by the person."""
        super().__init__(parent)
        self.image = image
        self.label = label
        self.from_message = from_message
        self.read_state = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        preview = QLabel(self)
        pixmap = QPixmap()
        pixmap.loadFromData(image.data)
        scaled = pixmap.scaled(
            QSize(PENDING_THUMB_PX, PENDING_THUMB_PX),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        preview.setPixmap(scaled)
        if not scaled.isNull():
            preview.setFixedSize(scaled.size())  # the caption is placed on the picture
        self.preview = preview
        layout.addWidget(preview)
        # Over the picture, not under it: the strip keeps its height whatever the state.
        self.caption = QLabel(preview)
        self.caption.setObjectName("ReadState")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.hide()
        remove = QToolButton(self)
        remove.setText("×")
        remove.setToolTip(literal_html(tr("Remove {name}", name=label)))
        remove.setAccessibleName(tr("Remove {name}", name=label))
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda: emit(self.removed, self))
        layout.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        self.remove_button = remove
        self._describe()

    def set_read_state(self, state: str) -> None:
        """``READING``, ``READ`` or "" (nothing to say: not read ahead, cancelled, failed)."""
        if state == self.read_state:
            return
        self.read_state = state
        self._describe()

    def _describe(self) -> None:
        """The caption, tooltip and accessible name for the state."""
        label, image = self.label, self.image
        # The label is a file name: data, and a tooltip guesses HTML (common/plain.py).
        tip = f"{label} — {image.width}×{image.height}"
        name = tr("Attached image {name}", name=label)
        if self.read_state == READING:
            words, glyph = tr("Reading…"), "…"
            detail = tr("The model is reading it now, so the answer can start sooner.")
            name = tr("Attached image {name}, being read", name=label)
        elif self.read_state == READ:
            words, glyph = "✓ " + tr("Ready"), "✓"
            detail = tr("Read — Enter answers at once.")
            name = tr("Attached image {name}, read", name=label)
        else:
            words = glyph = detail = ""
        self.preview.setToolTip(literal_html(f"{tip}\n{detail}" if detail else tip))
        self.preview.setAccessibleName(name)
        self.preview.setAccessibleDescription(detail)
        self.caption.setProperty("state", self.read_state)
        self.caption.setVisible(bool(words))
        if words:
            self._place_caption(words, glyph)

    def _place_caption(self, words: str, glyph: str) -> None:
        """Along the picture's bottom edge; on a picture too small for the words (a tall
        narrow or a long flat one), just the glyph, in its corner."""
        caption, area = self.caption, self.preview.size()
        caption.style().unpolish(caption)  # the state's colour (theme: ReadState[state])
        caption.style().polish(caption)
        caption.ensurePolished()
        caption.setText(words)
        hint = caption.sizeHint()
        if hint.width() <= area.width() and hint.height() * 2 <= area.height():
            caption.setGeometry(0, area.height() - hint.height(), area.width(), hint.height())
        else:
            caption.setText(glyph)
            hint = caption.sizeHint()
            side = min(max(hint.width(), hint.height()), area.width(), area.height())
            caption.setGeometry(area.width() - side, area.height() - side, side, side)
        caption.raise_()


@dataclass(frozen=True)
class Draft:
    """The message box's content: text, (image, label, from the edited message) each, and
    the id of the message being edited (None: a new message)."""

    text: str
    images: tuple[tuple[ImageInput, str, bool], ...] = ()
    editing_message_id: int | None = None


class Composer(QFrame):
    """The bottom panel. Emits ``send_requested(text, images)``; never talks to a backend."""

    send_requested = Signal(str, list)
    stop_requested = Signal()
    attach_requested = Signal()
    files_pasted = Signal(list)
    image_pasted = Signal(bytes)
    edit_last_requested = Signal()
    edit_cancelled = Signal()
    #: The button beside a notice was clicked; its notice's NOTICE_* key.
    notice_action = Signal(str)
    #: An image was attached or removed (the eager prefill reads the new set).
    images_changed = Signal()
    #: An edit of a sent message started or ended (no prefill while editing).
    editing_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self.pending: list[PendingImage] = []
        self._notices: dict[str, str] = {}  # by NOTICE_* key, shown in the order first set
        self._actions: dict[str, str] = {}  # a notice's button label, by the same key
        self.editing_message_id: int | None = None
        self._busy = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(6)

        self.edit_banner = QLabel(self)
        self.edit_banner.setObjectName("Muted")
        self.edit_banner.hide()
        outer.addWidget(self.edit_banner)

        self.notice = QLabel(self)
        self.notice.setObjectName("Notice")
        # Settings problems, file names, server errors: data, never HTML (common/plain.py).
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()
        notice_row = QHBoxLayout()
        notice_row.setSpacing(8)
        notice_row.addWidget(self.notice, 1)
        # What a notice offers to do about it ("Switch back to …"), beside it.
        self.notice_button = QPushButton(self)
        self.notice_button.setObjectName("NoticeAction")
        self.notice_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.notice_button.clicked.connect(self._notice_action_clicked)
        self.notice_button.hide()
        notice_row.addWidget(self.notice_button, 0, Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(notice_row)

        self.strip = QFrame(self)
        self.strip.setObjectName("AttachmentStrip")
        self.strip_layout = QHBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.strip_layout.addStretch(1)
        self.strip.hide()
        outer.addWidget(self.strip)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.attach_button = QToolButton(self)
        self.attach_button.setText(tr("Attach"))
        self.attach_button.setObjectName("AttachButton")
        self.attach_button.setToolTip(tr("Attach images (Ctrl+O)"))
        self.attach_button.setAccessibleName(tr("Attach images"))
        self.attach_button.clicked.connect(self.attach_requested)

        self.edit = ComposerEdit(self)
        self.edit.setObjectName("ComposerEdit")
        self.edit.setPlaceholderText(
            tr("Ask about an image, or anything… (Enter sends, Shift+Enter for a new line)")
        )
        self.edit.setAccessibleName(tr("Message"))
        self.edit.setToolTip(tr("Your message. Enter sends, Shift+Enter adds a line."))
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(64)
        self.edit.textChanged.connect(self._update_buttons)
        self.edit.submit.connect(self._submit)
        self.edit.escape.connect(self._escape)
        self.edit.edit_last.connect(self.edit_last_requested)
        self.edit.files_pasted.connect(self.files_pasted)
        self.edit.image_pasted.connect(self.image_pasted)
        row.addWidget(self.edit, 1)
        # Attach right of the text, beside Send: on its left it pushed the text ~85 px in
        # (issue 17); the text now starts at the composer's own margin.
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.send_button = QPushButton(tr("Send"), self)
        self.send_button.setObjectName("SendButton")
        self.send_button.setToolTip(tr("Send (Enter)"))
        self.send_button.setAccessibleName(tr("Send"))
        self.send_button.clicked.connect(self._submit)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.stop_button = QPushButton(tr("Stop"), self)
        self.stop_button.setObjectName("StopButton")
        self.stop_button.setToolTip(tr("Stop the answer (Esc)"))
        self.stop_button.setAccessibleName(tr("Stop"))
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        outer.addLayout(row)
        self._update_buttons()

    # -- attachments --------------------------------------------------------------------

    def add_image(self, image: ImageInput, label: str, *, from_message: bool = False) -> None:
        if any(p.image.sha256 == image.sha256 for p in self.pending):
            return
        item = PendingImage(image, label, self.strip, from_message=from_message)
        item.removed.connect(self._remove_pending)
        self.strip_layout.insertWidget(self.strip_layout.count() - 1, item)
        self.pending.append(item)
        self.strip.show()
        self._update_buttons()
        emit(self.images_changed)

    def _remove_pending(self, item: PendingImage) -> None:
        self._discard_pending([item])
        self.edit.setFocus()

    def _discard_pending(self, items: list[PendingImage]) -> None:
        for item in items:
            self.pending.remove(item)
            self.strip_layout.removeWidget(item)
            item.deleteLater()
        self.strip.setVisible(bool(self.pending))
        self._update_buttons()
        if items:
            emit(self.images_changed)

    def images(self) -> list[ImageInput]:
        return [p.image for p in self.pending]

    def set_read_states(self, states: Mapping[str, str]) -> None:
        """What the eager prefill says of each image, by sha256 (absent: nothing)."""
        for item in self.pending:
            item.set_read_state(states.get(item.image.sha256, ""))

    def show_notice(self, text: str, key: str = NOTICE_GENERAL, *, action: str = "") -> None:
        """Show ``text`` as the notice of its ``key`` (``""`` clears that one only).

        ``action``: the label of a button beside the notice (``notice_action`` says when it
        is clicked); it goes with its notice.
        """
        if text:
            self._notices[key] = text
        else:
            self._notices.pop(key, None)
        if text and action:
            self._actions[key] = action
        else:
            self._actions.pop(key, None)
        shown = "\n".join(self._notices.values())
        self.notice.setText(shown)
        self.notice.setVisible(bool(shown))
        label = next(reversed(self._actions.values()), "")
        self.notice_button.setText(label.replace("&", "&&"))  # a model's name: no mnemonic
        self.notice_button.setToolTip(label)
        self.notice_button.setAccessibleName(label)
        self.notice_button.setVisible(bool(label))

    def _notice_action_clicked(self) -> None:
        if self._actions:
            emit(self.notice_action, next(reversed(self._actions)))

    def add_notice(self, text: str, key: str = NOTICE_GENERAL) -> None:
        """Show ``text`` after the notice of ``key`` already showing, if any, not over it.

        For notes that arrive on their own time (a model listing ends after the start-up
        notes about the settings were shown): neither must hide the other.
        """
        shown = self._notices.get(key, "")
        self.show_notice(f"{shown}\n{text}" if shown else text, key)

    def notice_text(self, key: str) -> str:
        """The notice of ``key`` now shown ("" when none)."""
        return self._notices.get(key, "")

    # -- sending ------------------------------------------------------------------------

    def has_content(self) -> bool:
        return bool(self.edit.toPlainText().strip()) or bool(self.pending)

    def _update_buttons(self) -> None:
        self.send_button.setEnabled(self.has_content() and not self._busy)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self._update_buttons()

    def _submit(self) -> None:
        if self._busy or not self.has_content():
            return
        emit(self.send_requested, self.edit.toPlainText().strip(), self.images())

    def clear_after_send(self) -> None:
        self.edit.clear()
        self._discard_pending(list(self.pending))
        for key in list(self._notices):  # sent: what held the message back is past
            self.show_notice("", key)
        self.stop_editing()
        self._update_buttons()
        self.edit.setFocus()

    def _escape(self) -> None:
        if self.editing_message_id is not None and not self._busy:
            self.stop_editing()
            self.edit.clear()
            emit(self.edit_cancelled)
        else:
            # Stops an answer whichever chat it belongs to (nothing when none is running).
            emit(self.stop_requested)

    # -- editing ------------------------------------------------------------------------

    def start_editing(self, message_id: int, text: str, images: Sequence[ImageInput] = ()) -> None:
        """Edit a sent message: its text and its ``images`` (shown as removable chips, sent
        again with whatever else is attached before Enter)."""
        self._discard_pending([p for p in self.pending if p.from_message])  # an earlier edit's
        self.editing_message_id = message_id
        self.edit.setPlainText(text)
        for number, image in enumerate(images, 1):
            label = tr("image {number} of the message", number=number)
            self.add_image(image, label, from_message=True)
        self.edit_banner.setText(
            tr("Editing a message — Enter resends it and replaces what came after; Esc cancels.")
        )
        self.edit_banner.show()
        self.edit.setFocus()
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)
        emit(self.editing_changed)

    def stop_editing(self) -> None:
        """Leave the edit; the edited message's own images leave with it."""
        editing, self.editing_message_id = self.editing_message_id, None
        self.edit_banner.hide()
        self._discard_pending([p for p in self.pending if p.from_message])
        if editing is not None:
            emit(self.editing_changed)

    def draft(self) -> Draft:
        """What is typed and attached, and the message being edited, to carry elsewhere."""
        images = tuple((p.image, p.label, p.from_message) for p in self.pending)
        return Draft(self.edit.toPlainText(), images, self.editing_message_id)

    def restore_draft(self, draft: Draft) -> None:
        """Take over a ``draft()`` (the window rebuilt in another language)."""
        if draft.editing_message_id is not None:
            self.editing_message_id = draft.editing_message_id
            self.edit_banner.setText(
                tr(
                    "Editing a message — Enter resends it and replaces what came after; "
                    "Esc cancels."
                )
            )
            self.edit_banner.show()
            emit(self.editing_changed)
        for image, label, from_message in draft.images:
            self.add_image(image, label, from_message=from_message)
        self.edit.setPlainText(draft.text)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.setFocus()

    def focus(self) -> None:
        self.edit.setFocus()
