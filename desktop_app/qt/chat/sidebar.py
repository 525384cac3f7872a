"""The conversation list: newest first, search, new / rename / delete.

Delete asks first (a conversation is someone's work); search uses the store's full-text
index, so it finds words inside answers, not only titles, and says so when nothing matches
(an empty list alone looks like every chat is gone).  Delete and F2 on the selected chat do
what the right-click menu does, for people who use the keyboard.

Pinned chats come first, with a pin beside their title (Pin / Unpin in the right-click menu);
the chat that is answering is marked wherever it is in the list.  A search hit carries the
id of the message that matched, so choosing it opens the chat *at* that message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QKeySequence, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.qt.common.i18n import shown, translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.signals import emit

ID_ROLE = Qt.ItemDataRole.UserRole
#: A search hit's matching message id (None for a plain row).
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
#: Whether the row's chat is pinned.
PINNED_ROLE = Qt.ItemDataRole.UserRole + 2


#: Put before the title of the chat that is answering.
ANSWERING_MARK = "●"


tr = translator("Sidebar")


def pin_icon(color: QColor, size: int = 16) -> QIcon:
    """A small drawn pushpin (no emoji font is needed): a round head on a short needle."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = painter.pen()
    pen.setColor(color)
    pen.setWidthF(size / 10)
    painter.setPen(pen)
    painter.drawLine(int(size * 0.5), int(size * 0.5), int(size * 0.5), int(size * 0.95))
    painter.setBrush(color)
    painter.drawEllipse(int(size * 0.22), int(size * 0.08), int(size * 0.56), int(size * 0.5))
    painter.end()
    return QIcon(pixmap)


class Sidebar(QWidget):
    """Signals intent; the main window talks to the store."""

    new_requested = Signal()
    conversation_selected = Signal(int)
    rename_requested = Signal(int)
    delete_requested = Signal(int)
    search_changed = Signal(str)
    pin_requested = Signal(int, bool)  # conversation id, pin (True) or unpin
    #: A search hit was chosen: its chat and the message that matched.
    search_hit_selected = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)

        top = QHBoxLayout()
        self.new_button = QPushButton(tr("+  New chat"), self)
        self.new_button.setToolTip(tr("Start a new conversation (Ctrl+N)"))
        self.new_button.setAccessibleName(tr("New chat"))
        self.new_button.clicked.connect(self.new_requested)
        top.addWidget(self.new_button)
        layout.addLayout(top)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(tr("Search chats (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(tr("Search conversations"))
        self.search.setToolTip(tr("Find words in any message"))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(lambda: emit(self.search_changed, self.search.text()))
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        layout.addWidget(self.search)

        self.list = QListWidget(self)
        self.list.setObjectName("ConversationList")
        self.list.setAccessibleName(tr("Conversations"))
        self.list.setToolTip(
            tr(
                "Your conversations, newest first. F2 renames the selected chat, Delete "
                "deletes it; right-click for both."
            )
        )
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._on_current)
        # Clicking the hit of the chat already open moves no selection: still show the match.
        self.list.itemClicked.connect(self._reveal_hit)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
        self.list.installEventFilter(self)
        self.no_match = QLabel(self)
        self.no_match.setObjectName("NoChatsMatch")
        self.no_match.setTextFormat(Qt.TextFormat.PlainText)  # what was typed, as typed
        self.no_match.setWordWrap(True)
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = self.no_match.sizePolicy()  # never widens the sidebar: wraps in its width
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.no_match.setSizePolicy(policy)
        self.no_match.hide()
        layout.addWidget(self.no_match)
        layout.addWidget(self.list, 1)
        self._updating = False
        self._no_match_query = ""

    def set_conversations(
        self, rows: list[Any], current_id: int | None, answering_id: int | None = None
    ) -> None:
        """``rows`` are ``ConversationSummary``s or ``SearchHit``s (both have a title);
        the chat ``answering_id`` is marked as answering (so it can be found and stopped)."""
        self._updating = True
        try:
            self.list.clear()
            for row in rows:
                conversation_id = getattr(row, "conversation_id", None) or row.id
                title = shown(row.title) or tr("New chat")
                item = QListWidgetItem(title)
                snippet = getattr(row, "snippet", None)
                item.setToolTip(literal_html(snippet or title))  # chat text: plain.py
                if snippet:
                    item.setText(f"{title}\n{snippet}")
                if conversation_id == answering_id:
                    item.setText(f"{ANSWERING_MARK} {item.text()}")
                    item.setToolTip(tr("Answering now — Esc or Chat → Stop stops it"))
                    item.setData(
                        Qt.ItemDataRole.AccessibleTextRole,
                        tr("{title}, answering now", title=title),
                    )
                item.setData(ID_ROLE, conversation_id)
                item.setData(MESSAGE_ROLE, getattr(row, "message_id", None))
                pinned = bool(getattr(row, "pinned", False))
                item.setData(PINNED_ROLE, pinned)
                if pinned:
                    item.setIcon(self._pin_icon())
                    if conversation_id != answering_id:
                        item.setData(
                            Qt.ItemDataRole.AccessibleTextRole, tr("{title}, pinned", title=title)
                        )
                self.list.addItem(item)
                if conversation_id == current_id:
                    self.list.setCurrentItem(item)
        finally:
            self._updating = False
        self._show_no_match(not rows)

    def _show_no_match(self, empty: bool) -> None:
        """Say that the search found nothing, in the list's place; the rows come from the
        search box's text (the controller searches for it), so that text is what is quoted."""
        query = self.search.text().strip()
        self._no_match_query = query if empty else ""
        self.no_match.setVisible(bool(self._no_match_query))
        self._fit_no_match()

    def _fit_no_match(self) -> None:
        """Quote the search cut to one line of the sidebar's width: one long word cannot
        wrap and would otherwise widen the sidebar (the whole text is in the box above)."""
        query = self._no_match_query
        if not query:
            return
        metrics = self.no_match.fontMetrics()
        layout = self.layout()
        assert layout is not None  # made in __init__
        margins = layout.contentsMargins()
        room = self.width() - margins.left() - margins.right() - metrics.horizontalAdvance("“”.")
        shown = metrics.elidedText(
            query, Qt.TextElideMode.ElideRight, max(room, metrics.averageCharWidth() * 4)
        )
        self.no_match.setText(tr("No chats match “{query}”.", query=shown))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_no_match()

    def mark_current(self, conversation_id: int) -> None:
        """Select the row of the chat opened elsewhere (Describe, a script), without
        opening it again; in search results the hit's row stays as it is."""
        if self.search.text().strip():
            return
        self._updating = True
        try:
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(ID_ROLE) == conversation_id:
                    self.list.setCurrentItem(item)
                    break
        finally:
            self._updating = False

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(ID_ROLE))

    def _pin_icon(self) -> QIcon:
        return pin_icon(self.palette().color(self.foregroundRole()))

    def _on_current(self, item: QListWidgetItem | None, _previous: Any) -> None:
        if item is not None and not self._updating:
            emit(self.conversation_selected, int(item.data(ID_ROLE)))
            self._reveal_hit(item)

    def _reveal_hit(self, item: QListWidgetItem | None) -> None:
        if item is None or self._updating:
            return
        message_id = item.data(MESSAGE_ROLE)
        if message_id is not None:
            emit(self.search_hit_selected, int(item.data(ID_ROLE)), int(message_id))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete and F2 in the chat list act on the selected chat, as the menu does.

        A filter on the list alone, so the same keys in the search box still edit its text.
        """
        if watched is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            signal = self._key_signal(event)
            conversation_id = self.current_id()
            if signal is not None and conversation_id is not None:
                emit(signal, conversation_id)
                return True
        return super().eventFilter(watched, event)

    def _key_signal(self, event: QKeyEvent) -> SignalInstance | None:
        """The request a key press in the list makes, or None for any other key."""
        if event.matches(QKeySequence.StandardKey.Delete):
            return self.delete_requested
        if event.key() == Qt.Key.Key_F2 and not event.modifiers():
            return self.rename_requested
        return None

    def _menu(self, position: QPoint) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        self.menu_for(item).exec(self.list.viewport().mapToGlobal(position))

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """The right-click menu of a row: Rename, Delete, Pin or Unpin."""
        conversation_id = int(item.data(ID_ROLE))
        menu = QMenu(self)
        rename = menu.addAction(tr("Rename…"), lambda: emit(self.rename_requested, conversation_id))
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))  # shown in the menu: the key exists
        delete = menu.addAction(tr("Delete…"), lambda: emit(self.delete_requested, conversation_id))
        delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        pinned = bool(item.data(PINNED_ROLE))
        menu.addAction(
            tr("Unpin") if pinned else tr("Pin to the top"),
            lambda: emit(self.pin_requested, conversation_id, not pinned),
        )
        return menu
