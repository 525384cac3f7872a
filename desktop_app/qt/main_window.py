"""The main window: sidebar, conversation, composer, model picker, status bar.

It owns no logic beyond wiring: the store keeps chats, ``ChatSession`` runs generations on
a worker thread, the backend answers.  The GUI thread only paints and never waits on a
model, a download or a disk write of an image.

This module builds the widgets, the menus and the window's state, and keeps the window
itself (status line, recovery notice, theme, geometry, closing).  The rest comes from one
mixin per job (``window_part`` says why mixins): ``window_models`` (models across backends,
adding a GGUF, servers on a settings change, the model manager and first-run card),
``window_images`` (attach, paste, drop, the describe-each offer) and ``window_chat``
(conversations, sending, the streamed answer).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from backends.base import Backend, ModelInfo
from desktop_app.core.backend_factory import make_backend
from desktop_app.core.catalog import Catalog
from desktop_app.core.markdown import MarkdownTheme
from desktop_app.core.session import ChatSession
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.core.store import Store
from desktop_app.qt.chat_view import ChatView
from desktop_app.qt.composer import Composer
from desktop_app.qt.describe_panel import DescribePanel
from desktop_app.qt.first_run_panel import FirstRunHooks, FirstRunPanel
from desktop_app.qt.model_picker import ModelPicker
from desktop_app.qt.overlays import DropOverlay, ShortcutsDialog
from desktop_app.qt.sidebar import Sidebar
from desktop_app.qt.theme import Colors
from desktop_app.qt.transfers import JobRegistry
from desktop_app.qt.window_chat import ChatMixin
from desktop_app.qt.window_images import ImagesMixin
from desktop_app.qt.window_models import ModelsMixin
from desktop_app.qt.window_part import tr
from desktop_app.qt.workers import GenerationRunner, ImageJob


class MainWindow(ModelsMixin, ImagesMixin, ChatMixin, QMainWindow):
    """LocalSight's one window; its state is set up here and shared by its parts."""

    def __init__(
        self,
        paths: AppPaths,
        colors: Colors,
        *,
        backend: Backend | None = None,
        store: Store | None = None,
        extra_backends: dict[str, Backend] | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.catalog = catalog  # None: the shipped catalog.json (tests pass a tiny one)
        self.jobs = JobRegistry()  # downloads and pulls, cancelled when the window closes
        self._use_after_load: str | None = None
        self.model_manager: Any = None
        self.settings = Settings.load(paths.settings_path)
        self.store = store or Store.open(paths.database_path)
        # In-process llama.cpp (in its engine process) always; Ollama when it answers.
        self.backends: dict[str, Backend] = {
            "llama-cpp": backend or make_backend("llama-cpp", self.settings, paths, isolated=True),
        }
        if extra_backends is not None:
            self.backends.update(extra_backends)
        else:
            self.backends["ollama"] = make_backend("ollama", self.settings, paths)
        self.model_backend: dict[str, str] = {}
        self.colors = colors
        self.theme = MarkdownTheme.dark() if colors.dark else MarkdownTheme.light()
        self.models: list[ModelInfo] = []
        self.model: ModelInfo | None = None
        self.conversation_id: int | None = None
        self.session: ChatSession | None = None
        self.generating_conversation: int | None = None
        self.loaded_model_id: str | None = None
        self._stage = ""
        self._streaming_widget: Any = None
        self._pending_notice = ""  # Done.notice of the answer streaming now
        self.about_dialog: QDialog | None = None
        self.describe_panel: DescribePanel | None = None  # "describe each", made on first use

        self.setWindowTitle("LocalSight")
        self.setMinimumSize(720, 480)
        self.setAcceptDrops(True)
        self._build()
        self._build_menus()
        if extra_backends is None:
            self._connect_server(self.settings)
        self.runner = GenerationRunner(self)
        self.runner.user_message.connect(self._on_user_message)
        self.runner.assistant_started.connect(self._on_assistant_started)
        self.runner.delta_ready.connect(self._on_delta)
        self.runner.finished.connect(self._on_finished)
        self.runner.notice.connect(self._on_notice)
        self.runner.failed.connect(self._on_failed)
        self.runner.stage_changed.connect(self._set_stage)
        self.images = ImageJob(self)
        self.images.ready.connect(self.composer.add_image)
        self.images.rejected.connect(self._image_rejected)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(500)
        self._elapsed_timer.timeout.connect(self._show_stage)
        self._restore_geometry()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._scheme_changed)
        self.refresh_conversations()
        self._tell_about_recovery()
        self.load_models()
        self.composer.focus()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(self)
        self.sidebar = Sidebar(splitter)
        self.sidebar.new_requested.connect(self.new_chat)
        self.sidebar.conversation_selected.connect(self.open_conversation)
        self.sidebar.rename_requested.connect(self.rename_conversation)
        self.sidebar.delete_requested.connect(self.delete_conversation)
        self.sidebar.search_changed.connect(self.refresh_conversations)

        right = QWidget(splitter)
        column = QVBoxLayout(right)
        column.setContentsMargins(12, 8, 12, 12)
        column.setSpacing(8)
        header = QHBoxLayout()
        self.picker = ModelPicker(right)
        self.picker.model_chosen.connect(self.choose_model)
        header.addWidget(self.picker, 1)
        self.settings_button = QPushButton(tr("Settings"), right)
        self.settings_button.setToolTip(tr("Settings (Ctrl+,)"))
        self.settings_button.setAccessibleName(tr("Settings"))
        self.settings_button.clicked.connect(self.open_settings)
        header.addWidget(self.settings_button)
        column.addLayout(header)

        self.chat = ChatView(self.store.thumbnail, self.theme, right)
        self.chat.copy_requested.connect(self._copy)
        self.chat.edit_requested.connect(self.start_edit)
        self.chat.regenerate_requested.connect(lambda _id: self.regenerate())
        self.chat.retry_requested.connect(lambda _id: self.regenerate())
        self.chat.image_clicked.connect(self.show_image)
        self.chat.empty_state.example_chosen.connect(self._use_example)
        self.first_run = FirstRunPanel(
            FirstRunHooks(
                self.model_library,
                self.use_model,
                self._dismiss_first_run,
                self.open_model_manager,
                lambda text: None if self.runner.busy else self._set_status(text),
            ),
            self.jobs,
            self.chat.empty_state,
        )
        empty_layout = self.chat.empty_state.layout()
        assert isinstance(empty_layout, QVBoxLayout)
        empty_layout.insertWidget(3, self.first_run, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.chat, 1)

        self.composer = Composer(right)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.composer.attach_requested.connect(self.pick_images)
        self.composer.files_pasted.connect(self.attach_files)
        self.composer.image_pasted.connect(self.attach_pasted)
        self.composer.edit_last_requested.connect(self.edit_last)
        column.addWidget(self.composer)

        splitter.addWidget(self.sidebar)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self.stage_label = QLabel(self)
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
            item = QAction(tr(text), self)
            if keys:
                item.setShortcut(QKeySequence(keys))
                item.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            item.triggered.connect(slot)
            menu.addAction(item)
            return item

        chat = self.menuBar().addMenu(tr("&Chat"))
        action(chat, "New chat", QKeySequence.StandardKey.New, self.new_chat)
        action(chat, "Attach images…", QKeySequence.StandardKey.Open, self.pick_images)
        action(chat, "Describe images…", "Ctrl+Shift+D", lambda: self.open_describe([]))
        action(chat, "Search chats", QKeySequence.StandardKey.Find, self.focus_search)
        chat.addSeparator()
        action(chat, "Copy last answer", "Ctrl+Shift+C", self.copy_last_answer)
        action(chat, "Regenerate last answer", "Ctrl+R", self.regenerate)
        action(chat, "Stop", None, self.stop)
        chat.addSeparator()
        action(chat, "Quit", QKeySequence.StandardKey.Quit, self.close)
        model = self.menuBar().addMenu(tr("&Model"))
        action(model, "Choose model…", "Ctrl+K", self.picker.open_popup)
        action(model, "Manage models…", "Ctrl+Shift+M", self.open_model_manager)
        action(model, "Add a model file…", None, self.add_model_file)
        action(model, "Settings…", "Ctrl+,", self.open_settings)
        help_menu = self.menuBar().addMenu(tr("&Help"))
        action(help_menu, "Keyboard shortcuts", "F1", lambda: ShortcutsDialog(self).exec())
        action(help_menu, "About LocalSight", None, self._about)

    def _set_status(self, text: str) -> None:
        self.stage_label.setText(text)

    # -- small actions --------------------------------------------------------------------

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._set_status(tr("Copied"))

    def copy_last_answer(self) -> None:
        last = next((w for w in reversed(self.chat.widgets) if not w.is_user), None)
        if last is not None:
            self._copy(last.text)

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def _use_example(self, prompt: str) -> None:
        self.composer.set_text(prompt)

    def _about(self) -> None:
        from desktop_app.qt.about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self)
        self.about_dialog.open()

    def _tell_about_recovery(self) -> None:
        notes = []
        recovered = getattr(self.store, "recovered_from", None)
        if recovered:
            notes.append(
                tr(
                    "The chat database was damaged; it was kept as {path} and a new one "
                    "was started."
                ).replace("{path}", str(recovered))
            )
        interrupted = getattr(self.store, "interrupted_count", 0)
        if interrupted:
            notes.append(
                tr(
                    "{n} answer(s) were cut off when the app last closed; their text is "
                    "kept and marked as stopped."
                ).replace("{n}", str(interrupted))
            )
        if notes:
            self.composer.show_notice(" ".join(notes))

    def _scheme_changed(self, *_args: Any) -> None:
        """The desktop switched light/dark: restyle and re-render the answers' Markdown."""
        from PySide6.QtWidgets import QApplication

        from desktop_app.qt.theme import apply_theme

        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        self.colors = apply_theme(app)
        self.theme = MarkdownTheme.dark() if self.colors.dark else MarkdownTheme.light()
        self.chat.set_theme(self.theme)

    # -- window state -------------------------------------------------------------------

    def _qsettings(self) -> QSettings:
        return QSettings(str(self.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._qsettings().value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.cover()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._qsettings().setValue("geometry", self.saveGeometry())
        self.jobs.cancel_all()  # partial downloads are kept; the threads end within seconds
        if self.runner.busy and self.session is not None:
            self.session.stop()
            self.runner.wait(5)
        if self.describe_panel is not None:
            self.describe_panel.shutdown(5)
        for backend in self.backends.values():
            backend.close()
        self.store.close()
        super().closeEvent(event)
