"""The settings dialog: applies without a restart and persists (Settings.save is atomic)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop_app.core.settings import Settings


def tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` returns the new ones on accept."""

    def __init__(
        self, settings: Settings, system_prompt: str, models_dir: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Settings"))
        self._settings = settings
        form = QFormLayout(self)

        self.ollama_host = QLineEdit(settings.ollama_host or "", self)
        self.ollama_host.setPlaceholderText("http://127.0.0.1:11434")
        self._add(
            form,
            tr("Ollama address"),
            self.ollama_host,
            tr(
                "Where Ollama listens. Keep it on this machine (127.0.0.1) unless you "
                "trust the network."
            ),
        )

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

        self.system_prompt = QPlainTextEdit(system_prompt, self)
        self.system_prompt.setFixedHeight(70)
        self.system_prompt.setTabChangesFocus(True)
        self._add(
            form,
            tr("System prompt"),
            self.system_prompt,
            tr("Instructions given to the model before every new conversation."),
        )

        folder_row = QWidget(self)
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        extra = settings.extra_model_paths[0] if settings.extra_model_paths else ""
        self.models_folder = QLineEdit(extra, folder_row)
        self.models_folder.setPlaceholderText(models_dir)
        browse = QPushButton(tr("Browse…"), folder_row)
        browse.setToolTip(tr("Choose a folder with .gguf models"))
        browse.setAccessibleName(tr("Browse for a models folder"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.models_folder, 1)
        row.addWidget(browse)
        self._add(
            form,
            tr("Extra models folder"),
            folder_row,
            tr(
                "Another folder to look for .gguf models in (the app's own models folder "
                "is always used)."
            ),
        )
        self.models_folder.setAccessibleName(tr("Extra models folder"))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

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
        updated = dataclasses.replace(
            self._settings,
            ollama_host=self.ollama_host.text().strip() or None,
            threads=self.threads.value() or None,
            num_ctx=self.num_ctx.value(),
            temperature=round(self.temperature.value(), 2),
            max_tokens=self.max_tokens.value(),
            image_long_edge=self.long_edge.value(),
            extra_model_paths=[folder] if folder else [],
        )
        return updated, self.system_prompt.toPlainText().strip()
