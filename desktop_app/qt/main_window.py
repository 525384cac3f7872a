"""The main window: sidebar, conversation, composer, model picker, status bar.

It owns no logic beyond wiring: the store keeps chats, ``ChatSession`` runs generations on
a worker thread, the backend answers.  The GUI thread only paints and never waits on a
model, a download or a disk write of an image.

This module builds the widgets and the menus, the window's one state (``state.AppState``)
and its controllers, and keeps the window itself (status line, recovery notice, theme,
geometry, closing).  The chat -- conversations, sending, the streamed answer -- is
``controllers.chat.ChatController``, which owns the generation running.  Two jobs are
still mixins on the way to controllers of their own: ``window_models`` (models across
backends, adding a GGUF, servers on a settings change, the model manager and first-run
card) and ``window_images`` (attach, paste, drop, the describe-each offer); they read the
state through the window's properties below.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
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

from backends.base import Backend, GenerationOptions, ImageInput, ModelInfo
from desktop_app.core.backend_factory import make_backend
from desktop_app.core.catalog import Catalog
from desktop_app.core.markdown import MarkdownTheme
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.core.store import Store
from desktop_app.qt.chat_view import ChatView
from desktop_app.qt.composer import Composer
from desktop_app.qt.controllers.chat import ChatController, ChatViews
from desktop_app.qt.describe_panel import DescribePanel
from desktop_app.qt.first_run_panel import FirstRunHooks, FirstRunPanel
from desktop_app.qt.model_picker import ModelPicker
from desktop_app.qt.overlays import DropOverlay, ShortcutsDialog
from desktop_app.qt.sidebar import Sidebar
from desktop_app.qt.state import AppState
from desktop_app.qt.theme import Colors
from desktop_app.qt.transfers import JobRegistry
from desktop_app.qt.window_images import ImagesMixin
from desktop_app.qt.window_models import ModelsMixin
from desktop_app.qt.window_part import tr
from desktop_app.qt.workers import GenerationRunner, ImageJob


class MainWindow(ModelsMixin, ImagesMixin, QMainWindow):
    """LocalSight's one window: widgets and menus around one ``AppState`` and its controllers."""

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
        settings = Settings.load(paths.settings_path)
        # In-process llama.cpp (in its engine process) always; Ollama when it answers.
        backends: dict[str, Backend] = {
            "llama-cpp": backend or make_backend("llama-cpp", settings, paths, isolated=True),
        }
        if extra_backends is not None:
            backends.update(extra_backends)
        else:
            backends["ollama"] = make_backend("ollama", settings, paths)
        self.state = AppState(settings, store or Store.open(paths.database_path), backends, self)
        self.colors = colors
        self.theme = MarkdownTheme.dark() if colors.dark else MarkdownTheme.light()
        self.about_dialog: QDialog | None = None
        self.describe_panel: DescribePanel | None = None  # "describe each", made on first use

        self.setWindowTitle("LocalSight")
        self.setMinimumSize(720, 480)
        self.setAcceptDrops(True)
        self._build()
        self.chat_controller = ChatController(
            self.state,
            ChatViews(self.chat, self.composer, self.sidebar, self.first_run),
            describing=self._describing,
            model_chosen_by_chat=self._select_model_of_chat,
            dialog_parent=self,
        )
        self.chat_controller.status.connect(self._set_status)
        self.chat_controller.title_changed.connect(self.setWindowTitle)
        self.sidebar.rename_requested.connect(self.chat_controller.rename_conversation)
        self.sidebar.delete_requested.connect(self.chat_controller.delete_conversation)
        self.chat.edit_requested.connect(self.chat_controller.start_edit)
        self.composer.edit_last_requested.connect(self.chat_controller.edit_last)
        self._build_menus()
        if extra_backends is None:
            self._connect_server(self.settings)
        self.images = ImageJob(self)
        self.images.ready.connect(self.composer.add_image)
        self.images.rejected.connect(self._image_rejected)
        self._restore_geometry()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._scheme_changed)
        self.refresh_conversations()
        self._tell_about_recovery()
        self.load_models()
        self.composer.focus()

    # -- the state, as the window's parts read it ---------------------------------------

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.state.settings = value

    @property
    def store(self) -> Store:
        return self.state.store

    @store.setter
    def store(self, value: Store) -> None:
        self.state.store = value

    @property
    def backends(self) -> dict[str, Backend]:
        return self.state.backends

    @backends.setter
    def backends(self, value: dict[str, Backend]) -> None:
        self.state.backends = value

    @property
    def model_backend(self) -> dict[str, str]:
        return self.state.model_backend

    @model_backend.setter
    def model_backend(self, value: dict[str, str]) -> None:
        self.state.model_backend = value

    @property
    def models(self) -> list[ModelInfo]:
        return self.state.models

    @models.setter
    def models(self, value: list[ModelInfo]) -> None:
        self.state.models = value

    @property
    def model(self) -> ModelInfo | None:
        return self.state.model

    @model.setter
    def model(self, value: ModelInfo | None) -> None:
        self.state.model = value

    @property
    def conversation_id(self) -> int | None:
        return self.state.conversation_id

    @conversation_id.setter
    def conversation_id(self, value: int | None) -> None:
        self.state.conversation_id = value

    @property
    def loaded_model_id(self) -> str | None:
        return self.state.loaded_model_id

    @loaded_model_id.setter
    def loaded_model_id(self, value: str | None) -> None:
        self.state.loaded_model_id = value

    @property
    def runner(self) -> GenerationRunner:
        """The chat's generation runner (the Describe window waits while it is busy)."""
        return self.chat_controller.runner

    # -- the chat (``ChatController``), as menus, shortcuts and the other parts call it --

    def new_chat(self) -> None:
        self.chat_controller.new_chat()

    def open_conversation(self, conversation_id: int) -> None:
        self.chat_controller.open_conversation(conversation_id)

    def refresh_conversations(self, query: str | None = None) -> None:
        self.chat_controller.refresh_conversations(query)

    def send(self, text: str, images: list[ImageInput]) -> None:
        self.chat_controller.send(text, images)

    def regenerate(self) -> None:
        self.chat_controller.regenerate()

    def stop(self) -> None:
        self.chat_controller.stop()

    def options(self) -> GenerationOptions:
        return self.chat_controller.options()

    def _select_model_of_chat(self, model: ModelInfo) -> None:
        """Opening a chat selects the model it was held with, when it is listed."""
        self.model = model
        self.picker.select(model.id)
        self._update_model_hint()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(self)
        self.sidebar = Sidebar(splitter)
        self.sidebar.new_requested.connect(self.new_chat)
        self.sidebar.conversation_selected.connect(self.open_conversation)
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
        self.chat_controller.shutdown(5)
        if self.describe_panel is not None:
            self.describe_panel.shutdown(5)
        for backend in self.backends.values():
            backend.close()
        self.store.close()
        super().closeEvent(event)
