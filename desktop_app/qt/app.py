"""The composition root: the Qt application, the settings, the store, the backends, the window.

Everything the window uses is built here and handed in, so the window carries no switches
of its own.  The keyword arguments of :func:`create_window` are how a test (or a benchmark)
puts the app together on its own backend, catalog or store.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from desktop_app.core.settings import AppPaths
from desktop_app.qt.common.i18n import error_text, shown

if TYPE_CHECKING:
    from backends.base import Backend
    from desktop_app.core.models.catalog import Catalog
    from desktop_app.core.store.database import Store
    from desktop_app.qt.main_window import MainWindow


def create_window(
    paths: AppPaths,
    *,
    backend: Backend | None = None,
    extra_backends: dict[str, Backend] | None = None,
    catalog: Catalog | None = None,
    store: Store | None = None,
) -> MainWindow:
    """The application object (created once) and a main window on ``paths``.

    ``backend``: the llama.cpp backend (default: llama.cpp in its engine process).
    ``extra_backends``: the other backends; ``None`` means the real set -- Ollama, and the
    OpenAI-compatible server the settings name, if any.
    """
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from backends.base import BackendError
    from desktop_app.core.models.factory import make_backend
    from desktop_app.core.settings import Settings
    from desktop_app.core.store.database import Store
    from desktop_app.qt.common.language import apply_language
    from desktop_app.qt.common.theme import apply_theme
    from desktop_app.qt.main_window import MainWindow
    from desktop_app.qt.state import AppState

    app = QApplication.instance() or QApplication(sys.argv)
    from desktop_app.qt.common import gui_gc

    gui_gc.install()  # a closed window is never destroyed by a worker thread's collection
    QCoreApplication.setApplicationName("LocalSight")
    QCoreApplication.setOrganizationName("LocalSight")
    loaded = Settings.load_with_problems(paths.settings_path)
    settings = loaded.settings
    colors = apply_theme(app, settings.theme)  # type: ignore[arg-type]
    # Before anything is built: every widget sets its texts in its constructor.
    apply_language(app, settings.language)
    # Shown once, above the composer; translated now (a problem may be a ``message``).
    notices: list[str] = [shown(problem) for problem in loaded.problems]
    backends: dict[str, Backend] = {
        "llama-cpp": backend or make_backend("llama-cpp", settings, paths, isolated=True),
    }
    if extra_backends is not None:
        backends.update(extra_backends)
    else:
        backends["ollama"] = make_backend("ollama", settings, paths)
        if settings.openai_preset or settings.openai_base_url:
            try:
                backends["openai"] = make_backend("openai", settings, paths)
            except BackendError as error:  # a bad address, or the key's variable is not set
                notices.append(error_text(error))
    state = AppState(settings, store or Store.open(paths.database_path), backends)
    return MainWindow(state, paths, colors, catalog=catalog, notices=tuple(notices))


def run(paths: AppPaths) -> int:
    from PySide6.QtWidgets import QApplication

    window = create_window(paths)
    window.show()
    app = QApplication.instance()
    assert app is not None
    return int(app.exec())
