"""The main window: sidebar, conversation, composer, model picker, status bar.

It owns no logic beyond wiring: the store keeps chats, ``ChatSession`` runs generations on
a worker thread, the backend answers.  The GUI thread only paints and never waits on a
model, a download or a disk write of an image.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from backends.base import Backend, BackendError, GenerationOptions, ImageInput, ModelInfo
from desktop_app.core.backend_factory import make_backend
from desktop_app.core.catalog import Catalog
from desktop_app.core.images import ImagePolicy, looks_like_image_path
from desktop_app.core.markdown import MarkdownTheme
from desktop_app.core.session import ChatSession, SessionCallbacks
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.core.store import Store, StoreError
from desktop_app.qt.chat_view import ChatView
from desktop_app.qt.composer import Composer
from desktop_app.qt.describe_offer import MAX_ATTACH, DescribeOffer, should_offer
from desktop_app.qt.describe_panel import DescribePanel
from desktop_app.qt.first_run_panel import FirstRunHooks, FirstRunPanel
from desktop_app.qt.model_picker import ModelPicker
from desktop_app.qt.overlays import DropOverlay, ImageViewer, ShortcutsDialog
from desktop_app.qt.settings_dialog import SettingsDialog
from desktop_app.qt.sidebar import Sidebar
from desktop_app.qt.theme import Colors
from desktop_app.qt.transfers import JobRegistry
from desktop_app.qt.workers import BackgroundCall, GenerationRunner, ImageJob

STAGE_TEXT = {
    "loading": "Loading model…",
    "reading": "Reading image…",
    "thinking": "Thinking…",
    "writing": "Writing…",
}


def tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def _server_config(settings: Settings) -> tuple[object, ...]:
    """What decides the OpenAI-compatible backend: a change means reconnecting."""
    return (
        settings.openai_preset,
        settings.openai_base_url,
        settings.openai_api_key_env,
        tuple(settings.openai_vision_models),
    )


class MainWindow(QMainWindow):
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

    # -- models -------------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        """The backend serving the selected model."""
        name = self.model_backend.get(self.model.id, "llama-cpp") if self.model else "llama-cpp"
        return self.backends.get(name, self.backends["llama-cpp"])

    def load_models(self) -> None:
        call = BackgroundCall(self)
        call.done.connect(self._models_loaded)
        call.failed.connect(self._set_status)
        self._set_status(tr("Looking for models…"))
        backends = dict(self.backends)

        def find() -> tuple[list[tuple[str, ModelInfo]], str | None, list[str]]:
            found: list[tuple[str, ModelInfo]] = []
            notes: list[str] = []
            default = None
            for name, backend in backends.items():
                try:
                    found.extend((name, info) for info in backend.list_models())
                except BackendError as error:
                    if name == "llama-cpp":
                        raise
                    notes.append(str(error).split(". ")[0])  # "Ollama is not running at …"
                if name == "llama-cpp":
                    default = getattr(backend, "default_model_id", lambda: None)()
            return found, default, notes

        call.run(find)
        self._model_call = call

    def _models_loaded(
        self, result: tuple[list[tuple[str, ModelInfo]], str | None, list[str]]
    ) -> None:
        found, default, notes = result
        self.models = [info for _, info in found]
        self.model_backend = {info.id: name for name, info in found}
        wanted = self.settings.model or default
        self.model = next((m for m in self.models if m.id == wanted), None)
        if self.model is None and self.models:
            self.model = self.models[0]
        self.picker.set_models(
            self.models, self.model.id if self.model else None, self.model_backend
        )
        self._update_model_hint()
        pending, self._use_after_load = self._use_after_load, None
        chosen = next((m for m in self.models if m.id == pending), None)
        if chosen is not None:
            self.choose_model(chosen)
        if not self.settings.first_run_dismissed and self._no_conversations():
            self.first_run.offer(found, default, self.model)
        status = (
            tr("Ready")
            if self.model
            else tr("No model found: add one with Model → Add a model file…")
        )
        self._set_status(" — ".join([status, *notes]))

    def choose_model(self, info: ModelInfo) -> None:
        self.model = info
        self.picker.select(info.id)
        self.settings = dataclasses.replace(
            self.settings, model=info.id, backend=self.model_backend.get(info.id, "llama-cpp")
        )
        self._save_settings()
        self._update_model_hint()
        if self.conversation_id is not None:
            self.store.update_conversation(
                self.conversation_id, model=info.id, backend=self.backend.name
            )
        self.session = None
        self.composer.focus()

    # -- getting models (desktop_app/qt/model_manager.py, first_run_panel.py) ------------

    def model_library(self) -> Any:
        """A fresh ``ModelLibrary``: it reads the disk on every call, on worker threads."""
        from desktop_app.core.model_library import ModelLibrary

        return ModelLibrary(self.paths, self.catalog)

    def open_model_manager(self) -> None:
        from desktop_app.qt.model_manager import ModelManager

        if self.model_manager is not None:  # one dialog, re-read when it opens again
            if not self.model_manager.isVisible():
                self.model_manager.reopen()
            self.model_manager.raise_()
            self.model_manager.activateWindow()
            return
        self.model_manager = ModelManager(
            self.model_library(),
            self.backends.get("ollama"),
            self.jobs,
            self.load_models,
            self.use_model,
            parent=self,
        )
        self.model_manager.show()

    def use_model(self, model_id: str, backend: str) -> None:
        """Select a model that may not be in the picker yet (just downloaded or pulled)."""
        match = next((m for m in self.models if m.id == model_id), None)
        if match is not None and self.model_backend.get(model_id) == backend:
            self.choose_model(match)
            return
        self._use_after_load = model_id
        self.load_models()

    def _no_conversations(self) -> bool:
        try:
            return not self.store.list_conversations()
        except StoreError:  # closed (the window is closing) or unreadable: no first-run card
            return False

    def _dismiss_first_run(self) -> None:
        self.settings = dataclasses.replace(self.settings, first_run_dismissed=True)
        self._save_settings()
        self.composer.focus()

    def _update_model_hint(self) -> None:
        vision = bool(self.model and self.model.capabilities.vision)
        self.chat.empty_state.set_model(self.model.name if self.model else None, vision)

    def add_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Add a model"), str(Path.home()), tr("GGUF models (*.gguf)")
        )
        if path:
            self.add_model_path(Path(path))

    def add_model_path(self, path: Path) -> None:
        register = getattr(self.backends["llama-cpp"], "register", None)
        if register is None:
            return
        call = BackgroundCall(self)
        call.done.connect(self._model_added)
        call.failed.connect(self.composer.show_notice)
        call.run(lambda: register(path))
        self._add_call = call

    def _model_added(self, info: ModelInfo) -> None:
        extra = [*self.settings.extra_model_paths, info.id]
        self.settings = dataclasses.replace(self.settings, extra_model_paths=extra)
        self.models = [m for m in self.models if m.id != info.id] + [info]
        self.model_backend[info.id] = "llama-cpp"
        self.picker.set_models(self.models, info.id, self.model_backend)
        self.choose_model(info)

    # -- conversations ------------------------------------------------------------------

    def refresh_conversations(self, query: str | None = None) -> None:
        query = self.sidebar.search.text().strip() if query is None else query.strip()
        rows: list[Any] = self.store.search(query) if query else self.store.list_conversations()
        self.sidebar.set_conversations(rows, self.conversation_id)

    def new_chat(self) -> None:
        self.conversation_id = None
        self.session = None
        self.chat.clear()
        self.composer.stop_editing()
        self.setWindowTitle("LocalSight")
        self.sidebar.list.clearSelection()
        self.sidebar.list.setCurrentRow(-1)
        self.composer.focus()

    def open_conversation(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id:
            return
        try:
            summary = self.store.conversation(conversation_id)
            messages = self.store.messages(conversation_id)
        except StoreError as error:
            self._set_status(str(error))
            return
        self.conversation_id = conversation_id
        self.session = None
        self.chat.set_messages(messages)
        self.chat.set_busy(self.runner.busy)
        self.setWindowTitle(f"LocalSight — {summary.title or tr('New chat')}")
        if summary.model:
            match = next((m for m in self.models if m.id == summary.model), None)
            if match is not None:
                self.model = match
                self.picker.select(match.id)
                self._update_model_hint()
        self.composer.focus()

    def rename_conversation(self, conversation_id: int) -> None:
        current = self.store.conversation(conversation_id).title
        title, ok = QInputDialog.getText(self, tr("Rename chat"), tr("Title:"), text=current)
        if ok and title.strip():
            self.store.rename_conversation(conversation_id, title.strip())
            self.refresh_conversations()
            if conversation_id == self.conversation_id:
                self.setWindowTitle(f"LocalSight — {title.strip()}")

    def delete_conversation(self, conversation_id: int) -> None:
        title = self.store.conversation(conversation_id).title or tr("this chat")
        answer = QMessageBox.question(
            self,
            tr("Delete chat"),
            tr("Delete “{title}” and its images? This cannot be undone.").replace("{title}", title),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self.runner.busy and self.generating_conversation == conversation_id:
            self.stop()
            self.runner.wait(5)
        self.store.delete_conversation(conversation_id)
        if conversation_id == self.conversation_id:
            self.new_chat()
        self.refresh_conversations()

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
            self.describe_panel = DescribePanel(self, self)
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

    # -- sending ------------------------------------------------------------------------

    def options(self) -> GenerationOptions:
        s = self.settings
        return GenerationOptions(
            temperature=s.temperature, max_tokens=s.max_tokens, num_ctx=s.num_ctx, threads=s.threads
        )

    def _session(self) -> ChatSession:
        assert self.model is not None
        if self.conversation_id is None:
            self.conversation_id = self.store.create_conversation(
                model=self.model.id,
                backend=self.backend.name,
                system_prompt=self.settings.system_prompt or None,
                options=self.options(),
            )
        if self.session is None:
            system_prompt, _ = self.store.conversation_settings(self.conversation_id)
            self.session = ChatSession(
                self.store,
                self.backend,
                self.conversation_id,
                model=self.model.id,
                options=self.options(),
                system_prompt=system_prompt,
            )
        return self.session

    def _can_send(self, images: list[ImageInput]) -> bool:
        if self.runner.busy or self._describing():
            return False
        if self.model is None:
            self.composer.show_notice(
                tr("No model is selected. Add a .gguf model with Model → Add a model file…")
            )
            return False
        if images and not self.model.capabilities.vision:
            self.composer.show_notice(
                tr(
                    "{name} cannot see images. Pick a model marked “vision” (Ctrl+K), or remove "
                    "the images to ask in text."
                ).replace("{name}", self.model.name)
            )
            return False
        return True

    def send(self, text: str, images: list[ImageInput]) -> None:
        if not self._can_send(images):
            return
        editing = self.composer.editing_message_id
        try:
            session = self._session()
        except StoreError as error:
            self.composer.show_notice(str(error))
            return
        if editing is not None:
            self.chat.remove_from(editing)
            self._run(
                lambda cb: session.edit_and_resend(editing, text, cb), has_images=bool(images)
            )
            self.composer.clear_after_send()
        else:
            self._run(lambda cb: session.send(text, images, cb), has_images=bool(images))

    def regenerate(self) -> None:
        if self.runner.busy or self.conversation_id is None or self.model is None:
            return
        if self._describing():
            return
        last = next((w for w in reversed(self.chat.widgets) if not w.is_user), None)
        if last is None:
            return
        session = self._session()
        self.chat.remove_from(last.message.id)
        self._run(session.regenerate, has_images=False)

    def start_edit(self, message_id: int) -> None:
        if self.runner.busy:
            return
        widget = self.chat.widget_for(message_id)
        if widget is not None:
            self.composer.start_editing(message_id, widget.text)

    def edit_last(self) -> None:
        last_user = next((w for w in reversed(self.chat.widgets) if w.is_user), None)
        if last_user is not None:
            self.start_edit(last_user.message.id)

    def _run(self, operation: Any, *, has_images: bool) -> None:
        self.generating_conversation = self.conversation_id
        loading = self.loaded_model_id != (self.model.id if self.model else None)
        self._set_stage("loading" if loading else ("reading" if has_images else "thinking"))
        self.composer.set_busy(True)
        self.chat.set_busy(True)
        self._elapsed_timer.start()
        self.runner.start(operation, SessionCallbacks)

    def stop(self) -> None:
        if self.session is not None and self.runner.busy:
            self.session.stop()
            self._set_status(tr("Stopping…"))

    # -- generation events (GUI thread) ---------------------------------------------------

    def _visible(self) -> bool:
        return self.generating_conversation == self.conversation_id

    def _on_user_message(self, message: Any) -> None:
        self.composer.clear_after_send()
        if not self.first_run.downloading:  # chatting now: a new chat shows the examples
            self.first_run.hide()
        if self._visible():
            widget = self.chat.widget_for(message.id)
            if widget is None:
                self.chat.add_message(message)
            else:
                widget.set_message(message)
            self.chat.scroll_to_bottom()
        self.refresh_conversations()
        title = self.store.conversation(message.conversation_id).title
        if self._visible():
            self.setWindowTitle(f"LocalSight — {title}")

    def _on_assistant_started(self, message: Any) -> None:
        self._streaming_widget = self.chat.add_message(message) if self._visible() else None
        self._show_stage()

    def _on_delta(self, text: str) -> None:
        if self._streaming_widget is not None and self._visible():
            started = time.perf_counter()
            self._streaming_widget.append_text(text)
            self._streaming_widget.status.hide()
            # Re-rendering grows with the answer; repaint less often as it gets costly so the
            # GUI thread keeps most of its time for input (40 ms floor, 250 ms ceiling).
            cost_ms = (time.perf_counter() - started) * 1000
            self.runner.set_interval(int(min(max(cost_ms * 4, 40), 250)))

    def _on_finished(self, message: Any) -> None:
        ttft = None
        if self.runner.first_token_at is not None:
            ttft = self.runner.first_token_at - self.runner.started_at
        if self._visible():
            widget = self.chat.widget_for(message.id)
            if widget is None:
                widget = self.chat.add_message(message)
            widget.set_message(message, ttft)
        # After a failure (an engine crash, a load error) the next answer may load again.
        ok = message.state != "error" and self.model is not None
        self.loaded_model_id = self.model.id if ok and self.model is not None else None
        self._end_generation()
        labels = {"interrupted": tr("Stopped"), "error": tr("The answer failed")}
        self._set_status(labels.get(message.state, tr("Ready")))

    def _on_failed(self, message: str) -> None:
        """A failure before any answer row existed (e.g. the message could not be saved)."""
        self._end_generation()
        self.composer.show_notice(message)
        self._set_status(tr("Not sent"))

    def _end_generation(self) -> None:
        self._streaming_widget = None
        self._elapsed_timer.stop()
        self._stage = ""
        self.composer.set_busy(False)
        self.chat.set_busy(False)
        self.refresh_conversations()
        self.composer.focus()

    def _set_stage(self, stage: str) -> None:
        self._stage = stage
        self._show_stage()

    def _show_stage(self) -> None:
        if not self._stage:
            return
        elapsed = time.monotonic() - self.runner.started_at if self.runner.busy else 0.0
        text = tr(STAGE_TEXT.get(self._stage, self._stage))
        self._set_status(f"{text} {elapsed:.0f} s" if elapsed >= 1 else text)
        if self._streaming_widget is not None and self._stage != "writing":
            self._streaming_widget.show_status(self.stage_label.text())

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

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings, self.settings.system_prompt, str(self.paths.models_dir), self
        )
        if dialog.exec():
            updated, system_prompt = dialog.result_settings()
            self.apply_settings(dataclasses.replace(updated, system_prompt=system_prompt))

    def apply_settings(self, updated: Settings) -> None:
        """Use new settings now: reconnect servers whose address changed, re-list models."""
        old = self.settings
        self.settings = updated
        self._save_settings()
        self.session = None  # the next message uses the new options
        reload = updated.extra_model_paths != old.extra_model_paths
        if updated.ollama_host != old.ollama_host and "ollama" in self.backends:
            self._replace_backend("ollama", make_backend("ollama", updated, self.paths))
            reload = True
        if _server_config(updated) != _server_config(old):
            self._connect_server(updated)
            reload = True
        if reload:
            self.load_models()

    def _connect_server(self, settings: Settings) -> None:
        """The OpenAI-compatible server of the settings, if the user chose one."""
        self._replace_backend("openai", None)
        if not (settings.openai_preset or settings.openai_base_url):
            return
        try:
            backend = make_backend("openai", settings, self.paths)
        except BackendError as error:  # a bad address, or the key's variable is not set
            self.composer.show_notice(str(error))
            return
        self._replace_backend("openai", backend)

    def _replace_backend(self, name: str, backend: Backend | None) -> None:
        old = self.backends.pop(name, None)
        if backend is not None:
            self.backends[name] = backend
        if old is not None and old is not backend:
            # A generation may still be reading from it; closing a client is safe to do
            # from here (the worker sees a closed connection and reports it).
            old.close()

    def _save_settings(self) -> None:
        try:
            self.settings.save(self.paths.settings_path)
        except OSError as error:
            self._set_status(tr("Could not save settings: {e}").replace("{e}", str(error)))

    def _about(self) -> None:
        QMessageBox.about(
            self,
            tr("About LocalSight"),
            tr("LocalSight — chat with vision-language models, fully offline."),
        )

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
