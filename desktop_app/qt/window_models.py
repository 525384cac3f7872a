"""The main window's models and servers: list models across backends, choose one, add a GGUF.

Part of ``MainWindow`` (a mixin; ``window_part`` says why).  Every backend is asked for its
models on a worker thread; the picker shows them all and remembers which backend serves
which model, so ``backend`` is always the one answering for the selected model.  The model
manager and the first-run card get models onto the disk and call back ``use_model``.  A
settings change reconnects the Ollama or OpenAI-compatible server whose address changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from backends.base import Backend, BackendError, ModelInfo
from desktop_app.core.backend_factory import make_backend
from desktop_app.core.catalog import Catalog, load_catalog
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.core.store import Store, StoreError
from desktop_app.qt.chat_view import ChatView
from desktop_app.qt.composer import Composer
from desktop_app.qt.first_run_panel import FirstRunPanel
from desktop_app.qt.model_picker import ModelPicker
from desktop_app.qt.settings_dialog import SettingsDialog
from desktop_app.qt.transfers import JobRegistry
from desktop_app.qt.window_part import WindowPart, tr
from desktop_app.qt.workers import BackgroundCall


def _catalog_named(info: ModelInfo, names: dict[str, str]) -> ModelInfo:
    """A model downloaded from the catalog shows the catalog's name."""
    name = names.get(info.id)
    return dataclasses.replace(info, name=name) if name else info


def _server_config(settings: Settings) -> tuple[object, ...]:
    """What decides the OpenAI-compatible backend: a change means reconnecting."""
    return (
        settings.openai_preset,
        settings.openai_base_url,
        settings.openai_api_key_env,
        tuple(settings.openai_vision_models),
    )


class ModelsMixin(WindowPart):
    """Which models there are, which one is selected, and the backends that serve them."""

    # The window's state this part reads and writes (set up in ``MainWindow.__init__``).
    paths: AppPaths
    catalog: Catalog | None
    jobs: JobRegistry
    settings: Settings
    store: Store
    backends: dict[str, Backend]
    model_backend: dict[str, str]
    models: list[ModelInfo]
    model: ModelInfo | None
    model_manager: Any
    _use_after_load: str | None
    conversation_id: int | None
    picker: ModelPicker
    chat: ChatView
    composer: Composer
    first_run: FirstRunPanel
    # From the window itself.
    _set_status: Callable[[str], None]

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
        catalog, models_dir = self.catalog, self.paths.models_dir

        def find() -> tuple[list[tuple[str, ModelInfo]], str | None, list[str]]:
            found: list[tuple[str, ModelInfo]] = []
            notes: list[str] = []
            default = None
            names = (catalog or load_catalog()).installed_names(models_dir)
            for name, backend in backends.items():
                try:
                    found.extend(
                        (name, _catalog_named(info, names) if name == "llama-cpp" else info)
                        for info in backend.list_models()
                    )
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

    # -- settings and servers -----------------------------------------------------------

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
