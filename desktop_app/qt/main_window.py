"""The main window: sidebar, conversation, composer, model picker, status bar.

It builds the widgets and the menus and connects them to the controllers, which own the
behaviour around one ``AppState`` (``desktop_app/qt/state.py``): ``controllers.chat``
(conversations, sending, the streamed answer), ``controllers.models`` (models across
backends, settings, servers), ``controllers.images`` (attach, paste, drop, the
describe-each offer), ``controllers.prefill`` (attached images read ahead of Send) and
``controllers.describe`` (the Describe window); one ``BackendLease`` decides whether the
chat or the Describe window may generate.  The window
itself keeps what only a window has: the status line, the theme, its geometry, drag and
drop events, closing, and its rebuild in another language (``rebuild``: every text is set
where its widget is built, so a new window on the same state is how a language change
reaches every sentence).  ``app.create_window`` builds the settings, the store and the
backends and hands them in.

No part of the window waits on a model, a download or a disk write of an image.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QByteArray, QMargins, QPoint, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from backends.base import Backend, GenerationOptions, ModelInfo
from desktop_app.core.images import ImagePolicy
from desktop_app.core.models.catalog import Catalog
from desktop_app.core.settings import (
    TEXT_SIZE_DEFAULT,
    TEXT_SIZE_MAX,
    TEXT_SIZE_MIN,
    TEXT_SIZE_STEP,
    AppPaths,
    Settings,
)
from desktop_app.core.store.database import Store
from desktop_app.qt.chat.chat_tools import ChatToolsBar
from desktop_app.qt.chat.chat_view import ChatView
from desktop_app.qt.chat.composer import Composer
from desktop_app.qt.chat.markdown import MarkdownTheme
from desktop_app.qt.chat.sidebar import Sidebar
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.language import apply_language, language_in_effect
from desktop_app.qt.common.overlays import DropOverlay, ShortcutsDialog
from desktop_app.qt.common.theme import Colors
from desktop_app.qt.common.workers import GenerationRunner
from desktop_app.qt.controllers.chat import ChatController, ChatViews
from desktop_app.qt.controllers.chat_tools import ChatToolsController
from desktop_app.qt.controllers.describe import DescribeController
from desktop_app.qt.controllers.images import ImagesController
from desktop_app.qt.controllers.lease import BackendLease
from desktop_app.qt.controllers.models import ModelsController, ModelViews
from desktop_app.qt.controllers.prefill import PrefillController
from desktop_app.qt.describe.offer import DescribeOffer
from desktop_app.qt.describe.panel import DescribePanel
from desktop_app.qt.models.first_run_panel import FirstRunHooks, FirstRunPanel
from desktop_app.qt.models.picker import ModelPicker
from desktop_app.qt.models.transfers import JobRegistry
from desktop_app.qt.state import AppState

tr = translator("MainWindow")

#: The first window's size where the screen has room for it.
PREFERRED_WINDOW = QSize(1100, 720)
#: The smallest window that is still usable (the composer, the picker and the answers);
#: never more than the screen, though: a window larger than its screen hides its edges.
MIN_WINDOW = QSize(720, 480)
#: The share of the screen's available area the first window takes at most, so it looks
#: like a window (the desktop shows around it) rather than a maximised one.
SCREEN_SHARE = 0.9


def first_window_geometry(available: QRect) -> QRect:
    """The first window's geometry on a screen whose available area is ``available``.

    The usual size where it fits; otherwise ~90 % of the area, but not less than the usable
    minimum (nor more than the area itself); centred.  Issue 17: a fixed 1100×720 put the
    composer and Settings off a 1024×600 screen.
    """
    width = min(
        PREFERRED_WINDOW.width(),
        max(int(available.width() * SCREEN_SHARE), MIN_WINDOW.width()),
        available.width(),
    )
    height = min(
        PREFERRED_WINDOW.height(),
        max(int(available.height() * SCREEN_SHARE), MIN_WINDOW.height()),
        available.height(),
    )
    left = available.x() + (available.width() - width) // 2
    top = available.y() + (available.height() - height) // 2
    return QRect(left, top, width, height)


def clamp_to_available(rect: QRect, available: QRect) -> QRect:
    """``rect`` made to fit inside ``available``: shrunk to it if larger, then moved in.

    A remembered geometry may come from a bigger screen or from a monitor that is no longer
    connected; a window partly off screen hides the composer or the menus.
    """
    size = rect.size().boundedTo(available.size())
    right = available.x() + available.width() - size.width()
    bottom = available.y() + available.height() - size.height()
    left = min(max(rect.x(), available.x()), right)
    top = min(max(rect.y(), available.y()), bottom)
    return QRect(QPoint(left, top), size)


class MainWindow(QMainWindow):
    """LocalSight's one window: widgets and menus around one ``AppState`` and its controllers."""

    def __init__(
        self,
        state: AppState,
        paths: AppPaths,
        colors: Colors,
        *,
        catalog: Catalog | None = None,
        notices: tuple[str, ...] = (),
        first: bool = True,
    ) -> None:
        """``catalog``: None is the shipped catalog.json.  ``notices``: what went wrong while
        the app was put together (a server that could not be reached), shown once.
        ``first``: False for a window rebuilt in another language (``rebuild``), which does
        not tell again what the first one told (a recovered database)."""
        super().__init__()
        self.state = state
        state.setParent(self)
        self.paths = paths
        self.jobs = JobRegistry()  # downloads and pulls, cancelled when the window closes
        self.lease = BackendLease(self)
        self.colors = colors
        self.theme = MarkdownTheme.dark() if colors.dark else MarkdownTheme.light()
        self.about_dialog: QDialog | None = None
        self._handed_over = False  # closed by ``rebuild``: the app and its backends go on
        #: The window built in its place when the language changed (None: not rebuilt).
        self.successor: MainWindow | None = None
        self._language_wait = QTimer(self)  # polls until a rebuild loses nothing
        self._language_wait.setInterval(500)
        self._language_wait.timeout.connect(self._rebuild_when_free)
        self._waiting_notice = ""
        self._built_in = language_in_effect()  # the language of every text set below

        self.setWindowTitle("LocalSight")
        self.setMinimumSize(MIN_WINDOW.boundedTo(self._available_geometry().size()))
        self._placed_on_screen = False  # the first show checks the frame fits (showEvent)
        self.setAcceptDrops(True)
        self._build()
        self.models_controller = ModelsController(
            state,
            paths,
            ModelViews(self.picker, self.chat, self.composer, self.first_run),
            self.jobs,
            catalog=catalog,
            dialog_parent=self,
        )
        self.describe_controller = DescribeController(self, self)
        self.images_controller = ImagesController(
            state,
            self.composer,
            add_model_path=self.models_controller.add_model_path,
            open_describe=self.describe_controller.open_describe,
            dialog_parent=self,
        )
        self.chat_controller = ChatController(
            state,
            ChatViews(self.chat, self.composer, self.sidebar, self.first_run),
            self.lease,
            model_chosen_by_chat=self.models_controller.select_without_saving,
            dialog_parent=self,
        )
        self.prefill_controller = PrefillController(state, self.chat_controller, self.lease)
        self.chat_tools = ChatToolsController(
            state, self.chat_controller, self.tools_bar, self.composer, dialog_parent=self
        )
        self._base_fonts = (QFont(self.chat.font()), QFont(self.composer.edit.font()))
        self.apply_text_size(state.settings.text_size)
        self._connect()
        self._build_menus()
        self._restore_geometry()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._scheme_changed)
        self.chat_controller.refresh_conversations()
        if first:
            self._tell_about_recovery(notices)
        self.models_controller.load_models()
        self.composer.focus()

    def _connect(self) -> None:
        """Widgets' intents to the controllers that act on them."""
        chat, models, images = self.chat_controller, self.models_controller, self.images_controller
        for controller in (chat, models, images, self.describe_controller, self.chat_tools):
            controller.status.connect(self._set_status)
        chat.title_changed.connect(self.setWindowTitle)
        self.sidebar.new_requested.connect(chat.new_chat)
        self.sidebar.conversation_selected.connect(chat.open_conversation)
        self.sidebar.rename_requested.connect(chat.rename_conversation)
        self.sidebar.delete_requested.connect(chat.delete_conversation)
        self.sidebar.search_changed.connect(chat.refresh_conversations)
        self.sidebar.pin_requested.connect(chat.pin_conversation)
        self.sidebar.search_hit_selected.connect(chat.reveal_search_hit)
        self.picker.model_chosen.connect(models.choose_model)
        models.settings_applied.connect(self._settings_applied)
        self.state.model_changed.connect(self.describe_controller.model_changed)
        self.settings_button.clicked.connect(models.open_settings)
        self.chat.edit_requested.connect(chat.start_edit)
        self.chat.regenerate_requested.connect(lambda _id: chat.regenerate())
        self.chat.retry_requested.connect(lambda _id: chat.regenerate())
        self.chat.version_requested.connect(chat.show_version)
        self.chat.continue_requested.connect(chat.continue_answer)
        self.chat.image_clicked.connect(images.show_image)
        self.composer.send_requested.connect(chat.send)
        self.composer.stop_requested.connect(chat.stop)
        self.composer.edit_last_requested.connect(chat.edit_last)
        self.composer.attach_requested.connect(images.pick_images)
        self.composer.files_pasted.connect(images.attach_files)
        self.composer.image_pasted.connect(images.attach_pasted)

    # -- the window's public face: what the Describe window, menus and tests use ----------

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.state.settings = value

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def backends(self) -> dict[str, Backend]:
        return self.state.backends

    @property
    def backend(self) -> Backend:
        """The backend serving the selected model."""
        return self.state.backend

    @property
    def model_backend(self) -> dict[str, str]:
        return self.state.model_backend

    @property
    def models(self) -> list[ModelInfo]:
        return self.state.models

    @property
    def model(self) -> ModelInfo | None:
        return self.state.model

    @property
    def conversation_id(self) -> int | None:
        return self.state.conversation_id

    @property
    def runner(self) -> GenerationRunner:
        return self.chat_controller.runner

    @property
    def model_manager(self) -> Any:
        return self.models_controller.model_manager

    @property
    def describe_panel(self) -> DescribePanel | None:
        return self.describe_controller.panel

    @property
    def describe_offer(self) -> DescribeOffer | None:
        return self.images_controller.describe_offer

    def image_policy(self) -> ImagePolicy:
        return self.images_controller.image_policy()

    def options(self) -> GenerationOptions:
        return self.chat_controller.options()

    def new_chat(self) -> None:
        self.chat_controller.new_chat()

    def open_conversation(self, conversation_id: int) -> None:
        self.chat_controller.open_conversation(conversation_id)

    def refresh_conversations(self, query: str | None = None) -> None:
        self.chat_controller.refresh_conversations(query)

    def stop(self) -> None:
        self.chat_controller.stop()

    def choose_model(self, info: ModelInfo) -> None:
        self.models_controller.choose_model(info)

    def apply_settings(self, updated: Settings) -> None:
        self.models_controller.apply_settings(updated)

    def model_library(self) -> Any:
        return self.models_controller.model_library()

    def open_model_manager(self) -> None:
        self.models_controller.open_model_manager()

    def open_describe(self, images: list[Path]) -> None:
        self.describe_controller.open_describe(images)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(self)
        self.sidebar = Sidebar(splitter)

        right = QWidget(splitter)
        column = QVBoxLayout(right)
        column.setContentsMargins(12, 8, 12, 12)
        column.setSpacing(8)
        header = QHBoxLayout()
        self.picker = ModelPicker(right)
        header.addWidget(self.picker, 1)
        self.settings_button = QPushButton(tr("Settings"), right)
        self.settings_button.setToolTip(tr("Settings (Ctrl+,)"))
        self.settings_button.setAccessibleName(tr("Settings"))
        header.addWidget(self.settings_button)
        column.addLayout(header)

        self.chat = ChatView(self.store.thumbnail, self.theme, right)
        self.chat.copy_requested.connect(self._copy)
        self.chat.empty_state.example_chosen.connect(self._use_example)
        # Late-bound: the hooks reach the models controller, made once the widgets exist.
        self.first_run = FirstRunPanel(
            FirstRunHooks(
                lambda: self.models_controller.model_library(),  # noqa: PLW0108
                lambda model_id, backend: self.models_controller.use_model(model_id, backend),  # noqa: PLW0108
                lambda: self.models_controller.dismiss_first_run(),  # noqa: PLW0108
                lambda: self.models_controller.open_model_manager(),  # noqa: PLW0108
                lambda text: None if self.runner.busy else self._set_status(text),
            ),
            self.jobs,
            self.chat.empty_state,
        )
        empty_layout = self.chat.empty_state.layout()
        assert isinstance(empty_layout, QVBoxLayout)
        empty_layout.insertWidget(3, self.first_run, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.chat, 1)

        self.tools_bar = ChatToolsBar(right)  # chat settings, presets, the context meter
        column.addWidget(self.tools_bar)
        self.composer = Composer(right)
        column.addWidget(self.composer)

        splitter.addWidget(self.sidebar)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self.stage_label = QLabel(self)
        self.stage_label.setTextFormat(
            Qt.TextFormat.PlainText
        )  # server errors, file names: common/plain.py
        self.stage_label.setAccessibleName(tr("Status"))
        self.statusBar().addWidget(self.stage_label, 1)
        self.overlay = DropOverlay(self)

    def _build_menus(self) -> None:
        def action(
            menu: Any,
            text: str,
            keys: QKeySequence | QKeySequence.StandardKey | str | None,
            slot: Any,
        ) -> QAction:
            item = QAction(text, self)  # translated by the caller: lupdate sees a literal
            if keys:
                item.setShortcut(QKeySequence(keys))
                item.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            item.triggered.connect(slot)
            menu.addAction(item)
            return item

        chats, models = self.chat_controller, self.models_controller
        chat = self.menuBar().addMenu(tr("&Chat"))
        action(chat, tr("New chat"), QKeySequence.StandardKey.New, chats.new_chat)
        action(
            chat,
            tr("Attach images…"),
            QKeySequence.StandardKey.Open,
            self.images_controller.pick_images,
        )
        action(chat, tr("Describe images…"), "Ctrl+Shift+D", lambda: self.open_describe([]))
        action(chat, tr("Search chats"), QKeySequence.StandardKey.Find, self.focus_search)
        chat.addSeparator()
        action(chat, tr("Chat settings…"), None, self.chat_tools.open_chat_settings)
        action(chat, tr("Export chat…"), "Ctrl+Shift+E", self.chat_tools.export_chat)
        action(chat, tr("Import chat…"), None, self.chat_tools.import_chat)
        chat.addSeparator()
        action(chat, tr("Copy last answer"), "Ctrl+Shift+C", self.copy_last_answer)
        action(chat, tr("Regenerate last answer"), "Ctrl+R", chats.regenerate)
        action(chat, tr("Stop"), None, chats.stop)
        chat.addSeparator()
        action(chat, tr("Quit"), QKeySequence.StandardKey.Quit, self.close)
        model = self.menuBar().addMenu(tr("&Model"))
        action(model, tr("Choose model…"), "Ctrl+K", self.picker.open_popup)
        action(model, tr("Manage models…"), "Ctrl+Shift+M", models.open_model_manager)
        action(model, tr("Add a model file…"), None, models.add_model_file)
        action(model, tr("Settings…"), "Ctrl+,", models.open_settings)
        view = self.menuBar().addMenu(tr("&View"))
        larger = action(view, tr("Larger text"), "Ctrl+=", lambda: self.step_text_size(1))
        # Ctrl++ too: the "+" key (Shift+= on many layouts, its own key on a keypad).
        larger.setShortcuts([QKeySequence("Ctrl+="), QKeySequence(QKeySequence.StandardKey.ZoomIn)])
        action(
            view,
            tr("Smaller text"),
            QKeySequence.StandardKey.ZoomOut,
            lambda: self.step_text_size(-1),
        )
        action(view, tr("Usual text size"), "Ctrl+0", lambda: self.set_text_size(TEXT_SIZE_DEFAULT))
        help_menu = self.menuBar().addMenu(tr("&Help"))
        action(help_menu, tr("Keyboard shortcuts"), "F1", lambda: ShortcutsDialog(self).exec())
        action(help_menu, tr("About LocalSight"), None, self._about)

    def _set_status(self, text: str) -> None:
        self.stage_label.setText(text)

    # -- small actions --------------------------------------------------------------------

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._set_status(tr("Copied"))

    def copy_last_answer(self) -> None:
        last = self.chat.last_message(user=False)  # the chat's, built as a widget or not
        text = None if last is None else self.chat.text_of(last.id)
        if text is not None:
            self._copy(text)

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def _use_example(self, prompt: str) -> None:
        self.composer.set_text(prompt)

    def _about(self) -> None:
        from desktop_app.qt.common.about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self)
        self.about_dialog.open()

    def _tell_about_recovery(self, notices: tuple[str, ...]) -> None:
        notes = list(notices)
        recovered = self.store.recovered_from
        if recovered:
            notes.append(
                tr(
                    "The chat database was damaged; it was kept as {path} and a new one "
                    "was started.",
                    path=recovered,
                )
            )
        interrupted = self.store.interrupted_count
        if interrupted:
            notes.append(
                tr(
                    "%n answer(s) cut off when the app last closed: the text is kept and "
                    "marked as stopped.",
                    n=interrupted,
                )
            )
        if notes:
            self.composer.show_notice(" ".join(notes))

    def _scheme_changed(self, *_args: Any) -> None:
        """The desktop switched light/dark: follow it if the theme setting says "system"."""
        if self.settings.theme == "system":
            self.apply_appearance()

    def apply_appearance(self) -> None:
        """Restyle for the theme setting and re-render the answers' Markdown in its colours."""
        from PySide6.QtWidgets import QApplication

        from desktop_app.qt.common.theme import apply_theme

        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        self.colors = apply_theme(app, self.settings.theme)
        theme = MarkdownTheme.dark() if self.colors.dark else MarkdownTheme.light()
        if theme != self.theme:
            self.theme = theme
            self.chat.set_theme(theme)

    def _settings_applied(self, old: Settings, new: Settings) -> None:
        """Settings → OK: the appearance changes at once, without a restart."""
        if new.theme != old.theme:
            self.apply_appearance()
        if new.text_size != old.text_size:
            self.apply_text_size(new.text_size)
        if new.language != old.language:
            self.change_language()

    # -- language: the window is rebuilt in it, on the same state -------------------------

    #: Windows made by ``rebuild``: nothing else in Python holds them (the first window is
    #: held by ``app.run``), and a top-level widget Python lets go of is destroyed.
    rebuilt_windows: ClassVar[list[MainWindow]] = []

    def change_language(self) -> None:
        """Use the language of the settings: translators now, the window rebuilt in it.

        Every text is set where its widget is built, so a window rebuilt on the same state
        is how every sentence changes (see ``rebuild``).  The translators change at once,
        so a dialog opened meanwhile is already in the new language.  The rebuild waits
        while something would be lost by it: an answer being written, a Describe run,
        a download (see ``rebuild_blocked``); the message box says so meanwhile.
        """
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            apply_language(app, self.settings.language)
        if language_in_effect() == self._built_in:  # "system" is the language shown, or
            self._language_wait.stop()  # a change waiting was changed back meanwhile
            if self._waiting_notice:
                self.composer.show_notice("")
                self._waiting_notice = ""
            return
        self._rebuild_when_free()

    def rebuild_blocked(self) -> str:
        """Why the window cannot be rebuilt now ("" when it can)."""
        if self.chat_controller.generation is not None or self.runner.busy:
            return tr("The window changes language when the answer being written ends.")
        panel = self.describe_controller.panel
        if panel is not None and panel.busy:
            return tr("The window changes language when the Describe run ends.")
        if self.jobs.running:
            return tr("The window changes language when the downloads end.")
        return ""

    def _rebuild_when_free(self) -> None:
        if self._handed_over:
            return
        reason = self.rebuild_blocked()
        if reason:
            if reason != self._waiting_notice:
                self._waiting_notice = reason
                self.composer.show_notice(reason)
            self._language_wait.start()
            return
        from PySide6.QtWidgets import QApplication

        if QApplication.activeModalWidget() is not None:
            # A dialog's own event loop is running on top of this window (a question, a
            # file picker, Settings): deleting the window under it would delete the dialog
            # mid-exec (a QMessageBox aborts the process). Ask again once it has closed.
            self._language_wait.start()
            return
        self._language_wait.stop()
        # Not inside the slot that asked (Settings → OK runs in this window's controller).
        QTimer.singleShot(0, self.rebuild)

    def rebuild(self) -> MainWindow:
        """A new window in place of this one, on the same state, in the current language.

        The store, the backends, the engine process and the settings are the ones in use
        (nothing is restarted or reloaded); what the person sees is kept: size, place and
        maximised state, the splitter, the chat on screen scrolled to its end, the draft
        and its images (and an edit in progress), the chat list's search, the settings
        chosen for a new chat, an open Describe window with its results and an open model
        manager.  Then this window closes without quitting and is deleted.
        """
        if self.successor is not None:
            return self.successor
        state = self.state
        state.disconnect_listeners()  # this window's parts listen to it
        new = MainWindow(
            state, self.paths, self.colors, catalog=self.models_controller.catalog, first=False
        )
        MainWindow.rebuilt_windows.append(new)
        self.successor = new
        new.restoreGeometry(self.saveGeometry())  # the maximised or full-screen state
        if not self.isMaximized() and not self.isFullScreen():
            new.setGeometry(self.geometry())  # exactly (a restore may move it in)
        new.splitter.setSizes(self.splitter.sizes())
        new.models_controller.adopt(self.models_controller)
        new.chat_controller.pending_settings = self.chat_controller.pending_settings
        if state.conversation_id is not None:
            new.chat_controller.show_open_conversation()
        new.sidebar.search.setText(self.sidebar.search.text())
        new.composer.restore_draft(self.composer.draft())
        job = self.images_controller.job  # an image being read now lands in the new box
        job.setParent(new.images_controller)
        job.ready.connect(new.composer.add_image)
        job.rejected.connect(new.composer.show_notice)
        panel = self.describe_controller.panel
        # An open Describe window comes along with its list and results (it keeps its old
        # language until closed); a closed one goes with this window, so the next is built
        # in the new language.
        if panel is not None and panel.isVisible():
            panel.setParent(new, panel.windowFlags())  # reparenting hides it: shown again
            panel.host = new
            panel.status_changed.connect(new.describe_controller.status)
            new.describe_controller.panel = panel
            panel.show()
        manager_open = self.model_manager is not None and self.model_manager.isVisible()
        new.show()
        if self.isMaximized():
            new.showMaximized()
        new.chat.scroll_to_bottom()
        if manager_open:
            new.open_model_manager()
        self._handed_over = True
        self.close()
        self.deleteLater()
        return new

    # -- text size: the conversation and what is typed, Markdown and code included ---------

    def apply_text_size(self, percent: int) -> None:
        """Scale the conversation's and the composer's text to ``percent`` of the usual.

        The answers' Markdown sizes (headings ``large``, code, ``small`` labels) are relative
        to the label's font, so one font size scales all of it.  A style sheet rule for the
        message text, not ``setFont`` on the view: under the application's style sheet Qt
        does not hand a parent's font down to its children.  The view's own font is set too,
        for whatever paints text with it directly.
        """
        percent = min(max(percent, TEXT_SIZE_MIN), TEXT_SIZE_MAX)
        fonts = []
        for base in self._base_fonts:
            font = QFont(base)
            if base.pointSizeF() > 0:
                font.setPointSizeF(base.pointSizeF() * percent / 100)
            else:  # a font sized in pixels (some platform themes)
                font.setPixelSize(max(round(base.pixelSize() * percent / 100), 1))
            fonts.append(font)
        chat_font, edit_font = fonts
        self.chat.setFont(chat_font)
        size = (
            f"{chat_font.pointSizeF():.2f}pt"
            if chat_font.pointSizeF() > 0
            else f"{chat_font.pixelSize()}px"
        )
        # The view itself is in the rule too: polishing it (on show) would reset setFont.
        view = self.chat.metaObject().className()
        self.chat.setStyleSheet(f"{view}, QLabel#MessageBody {{ font-size: {size}; }}")
        self.composer.edit.setFont(edit_font)

    def set_text_size(self, percent: int) -> None:
        """Use and remember a text size (bounded), as Ctrl+= / Ctrl+- / Ctrl+0 do."""
        percent = min(max(percent, TEXT_SIZE_MIN), TEXT_SIZE_MAX)
        self.apply_text_size(percent)
        if percent != self.settings.text_size:
            self.settings = dataclasses.replace(self.settings, text_size=percent)
            self.models_controller.save_settings()
        self._set_status(tr("Text size {percent} %", percent=percent))

    def step_text_size(self, steps: int) -> None:
        self.set_text_size(self.settings.text_size + steps * TEXT_SIZE_STEP)

    # -- window state -------------------------------------------------------------------

    def _qsettings(self) -> QSettings:
        return QSettings(str(self.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)

    def _available_geometry(self) -> QRect:
        """The free area (less panels and docks) of the screen the window opens on."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:  # no screen at all: nothing to fit, use the usual size
            return QRect(QPoint(0, 0), PREFERRED_WINDOW)
        return screen.availableGeometry()

    def _frame_margins(self) -> QMargins:
        """The window frame around the client area: known once the window exists; before,
        a title bar's height as the style gives it, so the title bar is not placed above
        the screen's top."""
        frame, client = self.frameGeometry(), self.geometry()
        if frame != client:
            return QMargins(
                client.left() - frame.left(),
                client.top() - frame.top(),
                frame.right() - client.right(),
                frame.bottom() - client.bottom(),
            )
        title = self.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
        return QMargins(0, max(title, 0), 0, 0)

    def _restore_geometry(self) -> None:
        """The remembered geometry, clamped to the screen it opens on now, or a first
        window sized to that screen."""
        available = self._available_geometry()
        client_area = available.marginsRemoved(self._frame_margins())
        geometry = self._qsettings().value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            if not self.isMaximized() and not self.isFullScreen():
                self.setGeometry(clamp_to_available(self.geometry(), client_area))
        else:
            self.setGeometry(first_window_geometry(available).intersected(client_area))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._placed_on_screen:
            self._placed_on_screen = True
            # The frame's real size is known once shown (a window manager adds it later
            # still): move the whole frame inside the screen if it does not fit.
            QTimer.singleShot(0, self._keep_frame_on_screen)

    def _keep_frame_on_screen(self) -> None:
        if self.isMaximized() or self.isFullScreen():
            return
        available = self._available_geometry()
        if available.contains(self.frameGeometry()):
            return
        margins = self._frame_margins()
        frame = clamp_to_available(self.frameGeometry(), available)
        self.setGeometry(frame.marginsRemoved(margins))

    # -- drag and drop: Qt delivers them to the window; the images part decides ----------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            self.overlay.cover()

    def dragLeaveEvent(self, event: Any) -> None:
        self.overlay.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.overlay.hide()
        if self.images_controller.take_drop(event.mimeData()):
            event.acceptProposedAction()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.cover()

    def _let_go(self) -> None:
        if self in MainWindow.rebuilt_windows:
            MainWindow.rebuilt_windows.remove(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self in MainWindow.rebuilt_windows:  # let go once the close has been handled
            QTimer.singleShot(0, self._let_go)
        if self._handed_over:  # rebuilt in another language: everything goes on there
            self.prefill_controller.shutdown()  # the new window reads its draft again
            self.hide()
            super().closeEvent(event)
            return
        self._qsettings().setValue("geometry", self.saveGeometry())
        # Gone from the screen at once (issue 17: a frozen "Writing…" window for seconds);
        # the answer is still stopped and saved, and the history closed, before we return.
        self.hide()
        self.jobs.cancel_all()  # partial downloads are kept; the threads end within seconds
        self.prefill_controller.shutdown(5)  # the backends are closed below: idle first
        self.chat_controller.shutdown(5)
        self.describe_controller.shutdown(5)
        for backend in self.backends.values():
            backend.close()
        self.store.close()
        super().closeEvent(event)
