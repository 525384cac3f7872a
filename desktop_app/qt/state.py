"""The window's one state: what is selected, open and answering, with a signal per change.

Before, about twenty attributes lived on the window and every part of it read and wrote them
(the state bugs of issue 15 came from there: a Stop needed the session of whichever chat was
on screen).  Now each piece has one owner: this object holds what several parts read -- the
settings, the store, the backends, the models listed and the one selected, the open
conversation -- and says when it changes; the controllers (``desktop_app.qt.controllers``)
own the behaviour around it, and widgets only show it.
"""

from __future__ import annotations

import contextlib
import warnings

from PySide6.QtCore import QObject, Signal

from backends.base import Backend, ModelInfo
from desktop_app.core.settings import Settings
from desktop_app.core.store.database import Store


class AppState(QObject):
    """Settings, store, backends, models and the open conversation of one window."""

    model_changed = Signal(object)  # ModelInfo | None
    conversation_changed = Signal(object)  # int | None
    settings_changed = Signal(object)  # Settings
    #: The conversation answering now, or None when no generation runs.
    answering_changed = Signal(object)

    def __init__(
        self,
        settings: Settings,
        store: Store,
        backends: dict[str, Backend],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self.store = store
        #: Every backend by name ("llama-cpp" always; "ollama", "openai" when configured).
        self.backends = backends
        #: Which backend lists each model id.
        self.model_backend: dict[str, str] = {}
        self.models: list[ModelInfo] = []
        self._model: ModelInfo | None = None
        self._conversation_id: int | None = None
        self._answering: int | None = None
        #: The model the llama.cpp backend has loaded (None: the next answer loads one).
        self.loaded_model_id: str | None = None

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        if value != self._settings:
            self._settings = value
            self.settings_changed.emit(value)

    @property
    def model(self) -> ModelInfo | None:
        return self._model

    @model.setter
    def model(self, value: ModelInfo | None) -> None:
        if value != self._model:
            self._model = value
            self.model_changed.emit(value)

    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    @conversation_id.setter
    def conversation_id(self, value: int | None) -> None:
        if value != self._conversation_id:
            self._conversation_id = value
            self.conversation_changed.emit(value)

    @property
    def answering(self) -> int | None:
        """The conversation a generation is running for (whichever chat is on screen)."""
        return self._answering

    @answering.setter
    def answering(self, value: int | None) -> None:
        if value != self._answering:
            self._answering = value
            self.answering_changed.emit(value)

    @property
    def backend(self) -> Backend:
        """The backend serving the selected model."""
        name = self.model_backend.get(self._model.id, "llama-cpp") if self._model else "llama-cpp"
        return self.backends.get(name, self.backends["llama-cpp"])

    def disconnect_listeners(self) -> None:
        """Forget everyone listening, before the state is handed to a new window.

        The window's parts listen with lambdas too, which Qt cannot tie to the part: they
        would outlive the old window and reach its deleted widgets.
        """
        for signal in (
            self.model_changed,
            self.conversation_changed,
            self.settings_changed,
            self.answering_changed,
        ):
            with warnings.catch_warnings():  # PySide warns when nothing was connected
                warnings.simplefilter("ignore", RuntimeWarning)
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect()
