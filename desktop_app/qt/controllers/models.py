"""Models and servers: list models across backends, choose one, add a GGUF, apply settings.

Every backend is asked for its models on a worker thread; the picker shows them all and the
state remembers which backend serves which model, so ``AppState.backend`` is always the one
answering for the selected model.  Listings are numbered: when two overlap (a settings change
while the first listing still runs), only the newest one's result is used.  The model
manager and the first-run card get models onto the disk and call back ``use_model``.  A
settings change reconnects the Ollama or OpenAI-compatible server whose address changed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from backends.base import (
    Backend,
    BackendError,
    ModelInfo,
    SupportsDefaultModel,
    SupportsRegister,
    backend_problems,
)
from desktop_app.core.models.catalog import Catalog, load_catalog
from desktop_app.core.models.factory import make_backend
from desktop_app.core.models.image_cache import (
    ImageCache,
    conversation_cache_folder,
    image_cache_folder,
)
from desktop_app.core.models.local import LocalModel, local_models
from desktop_app.core.settings import AppPaths, Settings
from desktop_app.core.store.database import StoreError
from desktop_app.qt.chat.chat_view import ChatView
from desktop_app.qt.chat.composer import Composer
from desktop_app.qt.common.i18n import error_text, shown, translator
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.models.first_run_panel import FirstRunPanel
from desktop_app.qt.models.picker import ModelPicker
from desktop_app.qt.models.transfers import JobRegistry
from desktop_app.qt.settings.dialog import SettingsDialog
from desktop_app.qt.state import AppState

#: At most this many skipped entries are told by name at once; a folder holding hundreds
#: would push the message box off the window.  The rest are counted, and
#: ``localsight models`` lists every one.
SKIPPED_SHOWN = 5


class Listing(NamedTuple):
    """What ``list_models`` found, for the GUI thread."""

    found: list[tuple[str, ModelInfo]]  # (backend name, model)
    default: str | None  # the llama.cpp backend's default model
    notes: list[str]  # one short note per server that did not answer
    skipped: list[str]  # one sentence per entry a backend skipped (``backend_problems``)


tr = translator("MainWindow")


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


def first_sentence(text: str) -> str:
    """The first sentence of ``text``, English or Chinese (the status line is one line)."""
    ends = [(text.find(stop), stop) for stop in (". ", "。") if stop in text]
    if not ends:
        return text
    at, stop = min(ends)
    return text[:at] + ("。" if stop == "。" else "")


def list_models(backends: dict[str, Backend], catalog: Catalog | None, models_dir: Path) -> Listing:
    """Every backend's models (blocking: a worker thread's job), the llama.cpp backend's
    default model, a short note per server that did not answer, and what the backends
    skipped (a link loop, a named pipe, an unreadable file in a models folder)."""
    found: list[tuple[str, ModelInfo]] = []
    notes: list[str] = []
    skipped: list[str] = []
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
            notes.append(first_sentence(error_text(error)))  # "Ollama is not running at …"
        else:
            # Translated here: a backend's ``message`` would be plain English once sent on.
            skipped.extend(shown(problem) for problem in backend_problems(backend))
        if name == "llama-cpp" and isinstance(backend, SupportsDefaultModel):
            default = backend.default_model_id()
    return Listing(found, default, notes, skipped)


@dataclasses.dataclass(frozen=True)
class ModelViews:
    """The widgets the models part drives (built by the window)."""

    picker: ModelPicker
    chat: ChatView
    composer: Composer
    first_run: FirstRunPanel


class ModelsController(QObject):
    """Which models there are, which one is selected, and the backends that serve them."""

    status = Signal(str)
    #: (old, new) settings after ``apply_settings``: the window restyles when the
    #: appearance changed (theme, text size).
    settings_applied = Signal(object, object)

    def __init__(
        self,
        state: AppState,
        paths: AppPaths,
        views: ModelViews,
        jobs: JobRegistry,
        *,
        catalog: Catalog | None,
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.state = state
        self.paths = paths
        self.views = views
        self.jobs = jobs
        self.catalog = catalog  # None: the shipped catalog.json
        self._dialog_parent = dialog_parent
        self.model_manager: Any = None
        self._use_after_load: str | None = None
        self._listing = 0  # the newest listing's number; older results are dropped
        self._told_skipped: set[str] = set()  # each skipped entry is told once a session
        self._default_model: str | None = None  # the built-in model, from the last listing
        # Added files taken off the list in the model manager: the running backend still
        # knows them until the next start, so listings leave them out meanwhile.
        self._forgotten: set[str] = set()

    # -- models -------------------------------------------------------------------------

    def load_models(self) -> None:
        self._listing += 1
        number = self._listing
        call = BackgroundCall(self)
        call.done.connect(lambda result: self._models_loaded(number, result))
        call.failed.connect(lambda message: self._listing_failed(number, message))
        self.status.emit(tr("Looking for models…"))
        backends = dict(self.state.backends)
        catalog, models_dir = self.catalog, self.paths.models_dir
        call.run(lambda: list_models(backends, catalog, models_dir))

    def _listing_failed(self, number: int, message: str) -> None:
        if number == self._listing:
            self.status.emit(message)

    def _models_loaded(self, number: int, result: Listing) -> None:
        if number != self._listing:
            return  # a newer listing (other settings, another server) is on its way
        state, views = self.state, self.views
        found, default, notes, skipped = result
        found = [(name, info) for name, info in found if info.id not in self._forgotten]
        self._default_model = default
        state.models = [info for _, info in found]
        state.model_backend.clear()
        state.model_backend.update({info.id: name for name, info in found})
        wanted = state.settings.model or default
        model = next((m for m in state.models if m.id == wanted), None)
        if model is None and state.models:
            model = state.models[0]
        state.model = model
        views.picker.set_models(state.models, model.id if model else None, state.model_backend)
        self.update_model_hint()
        pending, self._use_after_load = self._use_after_load, None
        chosen = next((m for m in state.models if m.id == pending), None)
        if chosen is not None:
            self.choose_model(chosen)
        if not state.settings.first_run_dismissed and self._no_conversations():
            views.first_run.offer(found, default, state.model)
        status = (
            tr("Ready")
            if state.model
            else tr("No model found: add one with Model → Add a model file…")
        )
        self.status.emit(" — ".join([status, *notes]))
        self._tell_skipped(skipped)
        if self.model_manager is not None:
            self.model_manager.refresh_local()

    def _tell_skipped(self, skipped: list[str]) -> None:
        """Say, above the message box, which entries the listing skipped and why.

        Without it a model file missing from the picker had no reason anywhere in the
        window.  Once per distinct sentence: every listing (settings change, download,
        server reconnect) finds the same ones again, and telling them each time would be
        noise the person learns to ignore.
        """
        new = [text for text in dict.fromkeys(skipped) if text not in self._told_skipped]
        if not new:
            return
        self._told_skipped.update(new)
        shown = new[:SKIPPED_SHOWN]
        # One line each: a paragraph of paths is unreadable (seen on screen).
        text = "\n".join([tr("Skipped while looking for models:"), *(f"• {s}" for s in shown)])
        if len(new) > len(shown):
            more = tr(
                "Skipped %n more; “localsight models” lists every one.",
                n=len(new) - len(shown),
            )
            text = f"{text}\n{more}"
        self.views.composer.add_notice(text)

    def choose_model(self, info: ModelInfo) -> None:
        state = self.state
        state.model = info
        self.views.picker.select(info.id)
        state.settings = dataclasses.replace(
            state.settings, model=info.id, backend=state.model_backend.get(info.id, "llama-cpp")
        )
        self.save_settings()
        self.update_model_hint()
        if state.conversation_id is not None:
            state.store.update_conversation(
                state.conversation_id, model=info.id, backend=state.backend.name
            )
        self.views.composer.focus()

    def select_without_saving(self, info: ModelInfo) -> None:
        """Opening a chat selects the model it was held with (the settings stay as they are)."""
        self.state.model = info
        self.views.picker.select(info.id)
        self.update_model_hint()

    # -- getting models (desktop_app/qt/models/manager.py, first_run_panel.py) ------------

    def model_library(self) -> Any:
        """A fresh ``ModelLibrary``: it reads the disk on every call, on worker threads."""
        from desktop_app.core.models.library import ModelLibrary

        return ModelLibrary(self.paths, self.catalog)

    def open_model_manager(self) -> None:
        from desktop_app.qt.models.manager import ModelManager

        if self.model_manager is not None:  # one dialog, re-read when it opens again
            if not self.model_manager.isVisible():
                self.model_manager.reopen()
            self.model_manager.raise_()
            self.model_manager.activateWindow()
            return
        self.model_manager = ModelManager(
            self.model_library(),
            self.state.backends.get("ollama"),
            self.jobs,
            self.load_models,
            self.use_model,
            local_models=self.local_models,
            forget=self.forget_model_file,
            parent=self._dialog_parent,
        )
        self.model_manager.show()

    def local_models(self, downloaded: Mapping[str, str]) -> list[LocalModel]:
        """The llama.cpp models of the last listing, sorted into kinds for the manager."""
        return local_models(
            self.state.models,
            self.state.model_backend,
            added=self.state.settings.extra_model_paths,
            models_dir=self.paths.models_dir,
            builtin_id=self._default_model,
            downloaded=downloaded,
        )

    def forget_model_file(self, model_id: str) -> None:
        """Take an added model file off the list (Remove in the manager); the file stays."""
        real = os.path.realpath(model_id)
        settings = self.state.settings
        kept = [p for p in settings.extra_model_paths if os.path.realpath(p) != real]
        self._forgotten.add(model_id)
        self.apply_settings(dataclasses.replace(settings, extra_model_paths=kept))
        self.status.emit(tr("Removed from the list; the file is still on this computer."))

    def use_model(self, model_id: str, backend: str) -> None:
        """Select a model that may not be in the picker yet (just downloaded or pulled)."""
        match = next((m for m in self.state.models if m.id == model_id), None)
        if match is not None and self.state.model_backend.get(model_id) == backend:
            self.choose_model(match)
            return
        self._use_after_load = model_id
        self.load_models()

    def _no_conversations(self) -> bool:
        try:
            return not self.state.store.list_conversations()
        except StoreError:  # closed (the window is closing) or unreadable: no first-run card
            return False

    def dismiss_first_run(self) -> None:
        self.state.settings = dataclasses.replace(self.state.settings, first_run_dismissed=True)
        self.save_settings()
        self.views.composer.focus()

    def update_model_hint(self) -> None:
        model = self.state.model
        vision = bool(model and model.capabilities.vision)
        self.views.chat.empty_state.set_model(model.name if model else None, vision)

    def add_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._dialog_parent, tr("Add a model"), str(Path.home()), tr("GGUF models (*.gguf)")
        )
        if path:
            self.add_model_path(Path(path))

    def add_model_path(self, path: Path) -> None:
        backend = self.state.backends["llama-cpp"]
        if not isinstance(backend, SupportsRegister):
            return
        call = BackgroundCall(self)
        call.done.connect(self._model_added)
        call.failed.connect(self.views.composer.show_notice)
        call.run(lambda: backend.register(path))

    def _model_added(self, info: ModelInfo) -> None:
        state = self.state
        self._forgotten.discard(info.id)
        saved = state.settings.extra_model_paths
        # Saved once: the model is found again (with the projector beside it) at every start.
        if info.id not in saved:
            extra = [*saved, info.id]
            state.settings = dataclasses.replace(state.settings, extra_model_paths=extra)
        state.models = [m for m in state.models if m.id != info.id] + [info]
        state.model_backend[info.id] = "llama-cpp"
        self.views.picker.set_models(state.models, info.id, state.model_backend)
        self.choose_model(info)

    def memory(self) -> tuple[set[str], set[str], str | None]:
        """What this part learnt this session: the added files taken off the list, the
        skipped entries already told, the built-in model (for ``adopt``)."""
        return set(self._forgotten), set(self._told_skipped), self._default_model

    def adopt(self, old: ModelsController) -> None:
        """Take over from the models part of the window this one replaces (a language
        change): what it learnt this session, and the models it listed, shown at once
        (the listing this window starts confirms them)."""
        self._forgotten, self._told_skipped, self._default_model = old.memory()
        state = self.state
        if state.models:
            model = state.model.id if state.model else None
            self.views.picker.set_models(state.models, model, state.model_backend)
            self.update_model_hint()

    # -- settings and servers -----------------------------------------------------------

    def open_settings(self) -> None:
        settings = self.state.settings
        # Clear empties the engine's memory too; each backend decides whether it has one.
        images = ImageCache(
            image_cache_folder(self.paths),
            tuple(self.state.backends.values()),
            conversation_cache_folder(self.paths),
        )
        dialog = SettingsDialog(
            settings,
            settings.system_prompt,
            str(self.paths.models_dir),
            self._dialog_parent,
            image_cache=images,
        )
        if dialog.exec():
            updated, system_prompt = dialog.result_settings()
            self.apply_settings(dataclasses.replace(updated, system_prompt=system_prompt))

    def apply_settings(self, updated: Settings) -> None:
        """Use new settings now: reconnect servers whose address changed, re-list models."""
        state = self.state
        old = state.settings
        state.settings = updated
        self.save_settings()
        reload = updated.extra_model_paths != old.extra_model_paths
        if updated.ollama_host != old.ollama_host and "ollama" in state.backends:
            self._replace_backend("ollama", make_backend("ollama", updated, self.paths))
            reload = True
        if _server_config(updated) != _server_config(old):
            self.connect_server(updated)
            reload = True
        if reload:
            self.load_models()
        self.settings_applied.emit(old, updated)

    def connect_server(self, settings: Settings) -> None:
        """The OpenAI-compatible server of the settings, if the user chose one."""
        self._replace_backend("openai", None)
        if not (settings.openai_preset or settings.openai_base_url):
            return
        try:
            backend = make_backend("openai", settings, self.paths)
        except BackendError as error:  # a bad address, or the key's variable is not set
            self.views.composer.show_notice(error_text(error))
            return
        self._replace_backend("openai", backend)

    def _replace_backend(self, name: str, backend: Backend | None) -> None:
        backends = self.state.backends
        old = backends.pop(name, None)
        if backend is not None:
            backends[name] = backend
        if old is not None and old is not backend:
            # A generation may still be reading from it; closing a client is safe to do
            # from here (the worker sees a closed connection and reports it).
            old.close()

    def save_settings(self) -> None:
        try:
            self.state.settings.save(self.paths.settings_path)
        except OSError as error:
            self.status.emit(tr("Could not save settings: {e}", e=error_text(error)))


__all__ = ["Listing", "ModelViews", "ModelsController", "list_models"]
