"""Choosing the model: name, size, a vision badge and whether it fits this machine's memory.

Text-only models are marked so nobody drops a photo on one and waits for nothing. The list
is fetched off the GUI thread (scanning folders validates every GGUF header).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from backends.base import ModelInfo
from desktop_app.core.models.fit import ram_fit
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.signals import emit
from desktop_app.qt.models.fit_text import fit_reason

INFO_ROLE = Qt.ItemDataRole.UserRole


tr = translator("ModelPicker")


BACKEND_LABELS = {
    "llama-cpp": "",
    "ollama": "Ollama",
    "openai": QT_TRANSLATE_NOOP("ModelPicker", "server"),
}
#: The memory verdict's badge text by level, marked so lupdate extracts each (core is Qt-free).
FIT_LABELS = {
    "fits": QT_TRANSLATE_NOOP("ModelPicker", "fits"),
    "tight": QT_TRANSLATE_NOOP("ModelPicker", "tight"),
    "too-big": QT_TRANSLATE_NOOP("ModelPicker", "too big"),
}


def describe(info: ModelInfo, backend: str = "llama-cpp") -> str:
    """One line: 'SmolLM2 135M · text only · 98 MB · fits' (plus 'Ollama' for its models)."""
    parts = [info.name]
    if BACKEND_LABELS.get(backend):
        parts.append(tr(BACKEND_LABELS[backend]))
    parts.append(tr("sees images") if info.capabilities.vision else tr("text only"))
    if info.size:
        size = info.size / 1e9
        parts.append(f"{size:.1f} GB" if size >= 1 else f"{info.size / 1e6:.0f} MB")
    fit = FIT_LABELS.get(ram_fit(info.size).level)
    if fit:
        parts.append(tr(fit))
    return " · ".join(parts)


class ModelPicker(QWidget):
    """Emits ``model_chosen(ModelInfo)`` when the person picks a model."""

    model_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        label = QLabel(tr("Model:"), self)
        layout.addWidget(label)
        self.combo = QComboBox(self)
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setToolTip(tr("The model that answers (Ctrl+K)"))
        self.combo.setAccessibleName(tr("Model"))
        label.setBuddy(self.combo)
        self.combo.activated.connect(self._on_activated)
        layout.addWidget(self.combo, 1)
        self.badge = QLabel(self)
        self.badge.setObjectName("TextBadge")
        layout.addWidget(self.badge)
        self.combo.addItem(tr("Looking for models…"))
        self.combo.setEnabled(False)

    def set_models(
        self,
        models: list[ModelInfo],
        current_id: str | None,
        backends: dict[str, str] | None = None,
    ) -> None:
        self.combo.clear()
        for info in models:
            self.combo.addItem(describe(info, (backends or {}).get(info.id, "llama-cpp")), info)
            index = self.combo.count() - 1
            fit = ram_fit(info.size)
            tip = info.id
            reason = fit_reason(fit)
            if reason:
                tip += "\n" + reason
            # A model's path or name is data; a tooltip guesses HTML (common/plain.py).
            self.combo.setItemData(index, literal_html(tip), Qt.ItemDataRole.ToolTipRole)
        self.combo.setEnabled(bool(models))
        if not models:
            self.combo.addItem(tr("No models found — add a .gguf in Settings"))
        self.select(current_id)

    def select(self, model_id: str | None) -> None:
        for index in range(self.combo.count()):
            info = self.combo.itemData(index, INFO_ROLE)
            if isinstance(info, ModelInfo) and info.id == model_id:
                self.combo.setCurrentIndex(index)
                self._show_badge(info)
                return

    def current(self) -> ModelInfo | None:
        info = self.combo.currentData(INFO_ROLE)
        return info if isinstance(info, ModelInfo) else None

    def _on_activated(self, index: int) -> None:
        info: Any = self.combo.itemData(index, INFO_ROLE)
        if isinstance(info, ModelInfo):
            self._show_badge(info)
            emit(self.model_chosen, info)

    def _show_badge(self, info: ModelInfo) -> None:
        vision = info.capabilities.vision
        self.badge.setText(tr("vision") if vision else tr("text only"))
        self.badge.setObjectName("VisionBadge" if vision else "TextBadge")
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self.badge.setToolTip(
            tr("This model can see images")
            if info.capabilities.vision
            else tr(
                "This model cannot see images: pick a vision model (one with an mmproj "
                "file) to ask about pictures"
            )
        )

    def open_popup(self) -> None:
        self.combo.setFocus()
        self.combo.showPopup()
