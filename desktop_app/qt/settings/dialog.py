"""The settings dialog: applies without a restart and persists (Settings.save is atomic).

Three tabs so it fits a 1024×600 screen: "Chat" (how answers are made, and the image cache
that keeps images already read), "Models and servers" (where models come from: folders,
Ollama, an OpenAI-compatible server) and "Appearance" (light or dark, language, text size).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.models.image_cache import (
    ImageCache,
    Usage,
    conversation_cache_folder,
    image_cache_folder,
)
from desktop_app.core.models.openai_config import PRESETS
from desktop_app.core.settings import (
    LANGUAGE_CHOICES,
    MAXIMUM,
    MINIMUM,
    TEXT_SIZE_MAX,
    TEXT_SIZE_MIN,
    TEXT_SIZE_STEP,
    THEME_CHOICES,
    Settings,
    app_paths,
)
from desktop_app.qt.common.i18n import shown, translator
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.models.transfers import format_bytes

OFF = "off"
#: Each language by its own name, never translated (as every app lists them): a person who
#: cannot read the language shown must still find theirs.  "system" is translated.
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
CUSTOM = "custom"


tr = translator("SettingsDialog")


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` returns the new ones on accept."""

    def __init__(
        self,
        settings: Settings,
        system_prompt: str,
        models_dir: str,
        parent: QWidget | None = None,
        *,
        image_cache: ImageCache | None = None,
    ) -> None:
        """``image_cache``: the image cache's folder and the backends whose memory its Clear
        empties; by default the app folders' cache, with no backend to ask."""
        super().__init__(parent)
        self.setWindowTitle(tr("Settings"))
        self._settings = settings
        outer = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        outer.addWidget(self.tabs)
        chat_page = QWidget(self.tabs)
        form = QFormLayout(chat_page)
        self.tabs.addTab(chat_page, tr("Chat"))
        sources_page = QWidget(self.tabs)
        sources = QFormLayout(sources_page)
        self.tabs.addTab(sources_page, tr("Models and servers"))

        self.threads = QSpinBox(self)
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(tr("Automatic (free cores)"))
        self.threads.setValue(settings.threads or 0)
        self._add(
            form,
            tr("Threads"),
            self.threads,
            tr("CPU threads for llama.cpp. Automatic uses the cores that are free now."),
        )

        self.num_ctx = QSpinBox(self)
        self.num_ctx.setRange(512, 131072)
        self.num_ctx.setSingleStep(1024)
        self.num_ctx.setValue(settings.num_ctx)
        self._add(
            form,
            tr("Context size (tokens)"),
            self.num_ctx,
            tr("How much conversation the model keeps in mind. More uses more memory."),
        )

        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(settings.temperature)
        self._add(
            form,
            tr("Temperature"),
            self.temperature,
            tr("0 gives the same answer every time; higher is more varied."),
        )

        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(16, 32768)
        self.max_tokens.setValue(settings.max_tokens)
        self._add(
            form,
            tr("Longest answer (tokens)"),
            self.max_tokens,
            tr("Answers stop after this many tokens."),
        )

        self.long_edge = QSpinBox(self)
        self.long_edge.setRange(224, 4096)
        self.long_edge.setSingleStep(128)
        self.long_edge.setValue(settings.image_long_edge)
        self._add(
            form,
            tr("Image size (long edge, px)"),
            self.long_edge,
            tr(
                "Images are shrunk to this before the model sees them. Reading small text "
                "wants more; a Raspberry Pi is faster with less."
            ),
        )

        self.describe_concurrency = QSpinBox(self)
        self.describe_concurrency.setRange(1, 16)
        self.describe_concurrency.setValue(settings.describe_concurrency)
        self._add(
            form,
            tr("Images described at once"),
            self.describe_concurrency,
            tr(
                "For Describe each. Applies to Ollama and OpenAI-compatible servers that "
                "answer in parallel (OLLAMA_NUM_PARALLEL, llama-server -np); the built-in "
                "llama.cpp always reads one image at a time."
            ),
        )

        self.system_prompt = QPlainTextEdit(system_prompt, self)
        self.system_prompt.setFixedHeight(70)
        self.system_prompt.setTabChangesFocus(True)
        self._add(
            form,
            tr("System prompt"),
            self.system_prompt,
            tr("Instructions given to the model before every new conversation."),
        )
        self._build_image_cache(form, settings, image_cache)

        folder_row = QWidget(self)
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        saved = settings.extra_model_paths
        # The field edits one saved folder; added model files (Model → Add a model file…)
        # share the list and are kept as they are (issue 17: OK dropped all but the first).
        self._folder_index = next((i for i, p in enumerate(saved) if not _is_model_file(p)), None)
        extra = "" if self._folder_index is None else saved[self._folder_index]
        self.models_folder = QLineEdit(extra, folder_row)
        self.models_folder.setPlaceholderText(models_dir)
        browse = QPushButton(tr("Browse…"), folder_row)
        browse.setToolTip(tr("Choose a folder with .gguf models"))
        browse.setAccessibleName(tr("Browse for a models folder"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.models_folder, 1)
        row.addWidget(browse)
        self._add(
            sources,
            tr("Extra models folder"),
            folder_row,
            tr(
                "Another folder to look for .gguf models in (the app's own models folder "
                "is always used)."
            ),
        )
        self.models_folder.setAccessibleName(tr("Extra models folder"))

        self.ollama_host = QLineEdit(settings.ollama_host or "", self)
        self.ollama_host.setPlaceholderText("http://127.0.0.1:11434")
        self._add(
            sources,
            tr("Ollama address"),
            self.ollama_host,
            tr(
                "Where Ollama listens. Keep it on this machine (127.0.0.1) unless you "
                "trust the network."
            ),
        )
        self._build_server_rows(sources, settings)
        self._build_appearance_tab(settings)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def _build_image_cache(
        self, form: QFormLayout, settings: Settings, cache: ImageCache | None
    ) -> None:
        """The image cache: its disk budget, what it keeps now, and Clear."""
        paths = app_paths()
        self._image_cache = cache or ImageCache(
            image_cache_folder(paths), conversations=conversation_cache_folder(paths)
        )
        self._clearing = False
        group = QGroupBox(tr("Caches"), self)
        rows = QFormLayout(group)
        explained = tr(
            "LocalSight keeps what the model read from each image, so an image it has seen "
            "before (a reopened chat, the same screenshot again, describe run once more) is "
            "ready at once instead of being read again. Only these readings are kept, never "
            "the images or the chats; clearing is always safe: an image is simply read "
            "again the next time."
        )
        explained += " " + tr(
            "It also keeps what the model has read of recent chats, so a chat reopened "
            "after a restart answers without reading it all again."
        )
        group.setToolTip(explained)
        group.setWhatsThis(explained)
        bounds = {f.name: f.metadata for f in dataclasses.fields(Settings)}["image_cache_mb"]
        self.image_cache_mb = QSpinBox(group)
        self.image_cache_mb.setRange(int(bounds[MINIMUM]), int(bounds[MAXIMUM]))
        self.image_cache_mb.setSingleStep(256)
        self.image_cache_mb.setSuffix(" MB")
        self.image_cache_mb.setSpecialValueText(tr("Off"))
        self.image_cache_mb.setValue(settings.image_cache_mb)
        self._add(
            rows,
            tr("Images kept on disk"),
            self.image_cache_mb,
            tr(
                "The most the image cache keeps on disk; the least recently used images go "
                "first. 0 turns it off. A new size takes effect the next time LocalSight "
                "starts."
            ),
        )
        self.conversation_cache_mb = QSpinBox(group)
        bounds = {f.name: f.metadata for f in dataclasses.fields(Settings)}["conversation_cache_mb"]
        self.conversation_cache_mb.setRange(int(bounds[MINIMUM]), int(bounds[MAXIMUM]))
        self.conversation_cache_mb.setSingleStep(256)
        self.conversation_cache_mb.setSuffix(" MB")
        self.conversation_cache_mb.setSpecialValueText(tr("Off"))
        self.conversation_cache_mb.setValue(settings.conversation_cache_mb)
        self._add(
            rows,
            tr("Conversations kept on disk"),
            self.conversation_cache_mb,
            tr(
                "The most kept on disk of what the model read of recent chats; the least "
                "recently used go first. 0 turns it off. A new size takes effect the next "
                "time LocalSight starts."
            ),
        )
        line = QWidget(group)
        row = QHBoxLayout(line)
        row.setContentsMargins(0, 0, 0, 0)
        self.image_cache_usage = QLabel(line)
        self.image_cache_usage.setObjectName("Muted")
        self.image_cache_usage.setWordWrap(True)
        self.image_cache_clear = QPushButton(tr("Clear"), line)
        self.image_cache_clear.setAccessibleName(tr("Clear the image cache"))
        self.image_cache_clear.setToolTip(
            tr("Delete every kept image reading, on disk and in the running model. Always safe.")
        )
        self.image_cache_clear.clicked.connect(self._clear_image_cache)
        row.addWidget(self.image_cache_usage, 1)
        row.addWidget(self.image_cache_clear)
        rows.addRow(tr("Kept now"), line)
        self.image_cache_mb.valueChanged.connect(lambda _value: self._show_usage())
        self.conversation_cache_mb.valueChanged.connect(lambda _value: self._show_usage())
        form.addRow(group)
        self._usage = self._image_cache.usage()  # one scandir of a folder of ≤ ~1000 files
        self._show_usage()

    def _show_usage(self, notice: str = "") -> None:
        usage = self._usage
        if usage.files:
            text = tr("Using {size} in %n image(s).", n=usage.files, size=format_bytes(usage.bytes))
        else:
            text = tr("Empty.")
        if self.image_cache_mb.value() == 0:
            text = tr("{usage} The cache is off.", usage=text)
        if usage.conversations:
            text += " " + tr(
                "Conversations: {size} in %n file(s).",
                n=usage.conversations,
                size=format_bytes(usage.conversation_bytes),
            )
        if notice:
            text = f"{notice} {text}"
        self.image_cache_usage.setText(text)
        # Enabled when the folder is empty too: the engine's memory may still hold images.
        self.image_cache_clear.setEnabled(not self._clearing)

    def _clear_image_cache(self) -> None:
        """Empty the folder and the running engine's memory, on a worker (the engine is
        asked over its pipe and may be busy answering)."""
        if self._clearing:
            return
        self._clearing = True
        self.image_cache_usage.setText(tr("Clearing…"))
        self.image_cache_clear.setEnabled(False)
        before = self._usage
        call = BackgroundCall(self)
        call.done.connect(lambda usage: self._cleared(before, usage))
        call.failed.connect(self._clear_failed)
        call.run(self._image_cache.clear)

    def _cleared(self, before: Usage, after: object) -> None:
        self._clearing = False
        if isinstance(after, Usage):
            self._usage = after
        freed = max(0, before.total_bytes - self._usage.total_bytes)
        self._show_usage(tr("Cleared; {size} freed.", size=format_bytes(freed)))

    def _clear_failed(self, error: str) -> None:
        self._clearing = False
        self._usage = self._image_cache.usage()
        self._show_usage(tr("Could not clear the image cache: {error}", error=error))

    def _build_appearance_tab(self, settings: Settings) -> None:
        """Theme, language and text size; all apply at once (text size from the View menu
        too)."""
        page = QWidget(self.tabs)
        form = QFormLayout(page)
        self.tabs.addTab(page, tr("Appearance"))
        self.theme = QComboBox(self)
        names = {"system": tr("Same as the system"), "light": tr("Light"), "dark": tr("Dark")}
        for choice in THEME_CHOICES:
            self.theme.addItem(names[choice], choice)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self._add(
            form,
            tr("Theme"),
            self.theme,
            tr("Light or dark windows; “Same as the system” follows the desktop's choice."),
        )
        self.language = QComboBox(self)
        for choice in LANGUAGE_CHOICES:
            self.language.addItem(LANGUAGE_NAMES.get(choice) or tr("Same as the system"), choice)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self._add(
            form,
            tr("Language"),
            self.language,
            tr(
                "The language of the window. It changes at once; while an answer is being "
                "written, when it ends."
            ),
        )
        self.text_size = QSpinBox(self)
        self.text_size.setRange(TEXT_SIZE_MIN, TEXT_SIZE_MAX)
        self.text_size.setSingleStep(TEXT_SIZE_STEP)
        self.text_size.setSuffix(" %")
        self.text_size.setValue(settings.text_size)
        self._add(
            form,
            tr("Text size"),
            self.text_size,
            tr(
                "The size of the conversation's text, code included. Ctrl+= and Ctrl+- "
                "change it too; Ctrl+0 goes back to 100 %."
            ),
        )

    def _build_server_rows(self, form: QFormLayout, settings: Settings) -> None:
        """An OpenAI-compatible server: off, a preset (llamafile, LM Studio, ...) or any URL."""
        self.server = QComboBox(self)
        self.server.addItem(tr("Off"), OFF)
        for preset in PRESETS.values():
            self.server.addItem(f"{preset.label} ({preset.base_url})", preset.name)
        self.server.addItem(tr("Another address…"), CUSTOM)
        self._add(
            form,
            tr("OpenAI-compatible server"),
            self.server,
            tr(
                "Also list the models of a server that speaks the OpenAI API: llama-server, "
                "llamafile, LM Studio, vLLM, on this machine or another one."
            ),
        )
        self.server_url = QLineEdit(settings.openai_base_url or "", self)
        self.server_url.setPlaceholderText("http://192.168.1.20:8000/v1")
        self._add(
            form,
            tr("Server address"),
            self.server_url,
            tr("The server's base URL, ending in /v1. Use https for a machine on a network."),
        )
        self.server_key_env = QLineEdit(settings.openai_api_key_env or "", self)
        self.server_key_env.setPlaceholderText("LOCALSIGHT_OPENAI_API_KEY")
        self._add(
            form,
            tr("API key variable"),
            self.server_key_env,
            tr(
                "The name of an environment variable holding the server's key, if it wants "
                "one. The key itself is never saved in the chats."
            ),
        )
        self.server_vision = QLineEdit(", ".join(settings.openai_vision_models), self)
        self.server_vision.setPlaceholderText(tr("model names, separated by commas"))
        self._add(
            form,
            tr("Models that see images"),
            self.server_vision,
            tr(
                "For servers that do not say which models accept images (LM Studio, vLLM). "
                "llama-server reports it itself."
            ),
        )
        self.server_note = QLabel(self)
        self.server_note.setWordWrap(True)
        self.server_note.setObjectName("Muted")
        form.addRow("", self.server_note)
        if settings.openai_base_url:
            choice = CUSTOM
        elif settings.openai_preset in PRESETS:
            choice = settings.openai_preset
        else:
            choice = OFF
        self.server.setCurrentIndex(max(0, self.server.findData(choice)))
        self.server.currentIndexChanged.connect(self._server_changed)
        self._server_changed()

    def _server_changed(self, *_args: object) -> None:
        choice = self.server.currentData()
        enabled = choice != OFF
        self.server_url.setEnabled(choice == CUSTOM)
        self.server_key_env.setEnabled(enabled)
        self.server_vision.setEnabled(enabled)
        preset = PRESETS.get(str(choice))
        self.server_url.setPlaceholderText(
            preset.base_url if preset else "http://192.168.1.20:8000/v1"
        )
        # The note may be a ``message`` of the backend: translated before the backticks go.
        self.server_note.setText(shown(preset.note).replace("`", "") if preset else "")
        self.server_note.setVisible(preset is not None)

    @staticmethod
    def _add(form: QFormLayout, label: str, widget: QWidget, tip: str) -> None:
        widget.setToolTip(tip)
        widget.setAccessibleName(label)
        form.addRow(label, widget)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Models folder"))
        if folder:
            self.models_folder.setText(folder)

    def result_settings(self) -> tuple[Settings, str]:
        folder = self.models_folder.text().strip()
        choice = self.server.currentData()
        url = self.server_url.text().strip() if choice == CUSTOM else ""
        vision = [name.strip() for name in self.server_vision.text().split(",") if name.strip()]
        updated = dataclasses.replace(
            self._settings,
            ollama_host=self.ollama_host.text().strip() or None,
            openai_preset=str(choice) if choice in PRESETS else None,
            openai_base_url=url or None,
            openai_api_key_env=self.server_key_env.text().strip() or None,
            openai_vision_models=vision,
            threads=self.threads.value() or None,
            num_ctx=self.num_ctx.value(),
            temperature=round(self.temperature.value(), 2),
            max_tokens=self.max_tokens.value(),
            image_long_edge=self.long_edge.value(),
            describe_concurrency=self.describe_concurrency.value(),
            extra_model_paths=self._extra_model_paths(folder),
            theme=str(self.theme.currentData()),
            language=str(self.language.currentData()),
            text_size=self.text_size.value(),
            image_cache_mb=self.image_cache_mb.value(),
            conversation_cache_mb=self.conversation_cache_mb.value(),
        )
        return updated, self.system_prompt.toPlainText().strip()

    def _extra_model_paths(self, folder: str) -> list[str]:
        """The saved list with the shown folder replaced by ``folder`` (removed when empty),
        in its place, or added at the end when none was saved; every other entry is kept."""
        kept = list(self._settings.extra_model_paths)
        index = self._folder_index
        if index is None:
            return [*kept, folder] if folder else kept
        if folder:
            kept[index] = folder
        else:
            del kept[index]
        return kept


def _is_model_file(path: str) -> bool:
    """Whether a saved entry names a model file, not a folder: by its name, as the add flow
    only takes ``.gguf`` files (a folder that was deleted or is on a drive not mounted must
    still be shown as the folder it was)."""
    return path.lower().endswith(".gguf")
