"""The row above the message box: this chat's settings, presets, and how full its context is.

Issue 17 (what users of LM Studio and ChatGPT reach for): a system prompt, temperature and
context per conversation, presets chosen where one writes, and a meter saying how much of the
model's context the chat takes and what happens when it is full.  The widgets only show and
ask; ``controllers.chat_tools`` reads and writes the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from backends.base import GenerationOptions
from desktop_app.core.chat.context import ContextUse
from desktop_app.core.chat.presets import Preset
from desktop_app.qt.common.i18n import translator
from desktop_app.qt.common.plain import literal_html
from desktop_app.qt.common.signals import emit

tr = translator("ChatTools")

#: The meter's width: room for "≈ 12.3k / 128k" without pushing the buttons around.
METER_WIDTH = 120
#: The least a title box shows: issue 17 found the rename box too narrow for a title.
TITLE_CHARS = 48


def builtin_name(preset: Preset) -> str:
    """A built-in preset's name in the person's language (its key decides; literal ``tr``
    calls so lupdate finds them)."""
    names = {
        "builtin:alt-text": tr("Describe for alt text"),
        "builtin:read-text": tr("Read the text in this image"),
        "builtin:translate-zh": tr("Translate to 中文"),
    }
    return names.get(preset.key, preset.name)


def builtin_prompt(preset: Preset) -> str | None:
    """The message a preset puts in the message box, in the person's language: it is sent
    as theirs, and the model answers in the language it is asked in (issue 19)."""
    prompts = {
        "builtin:alt-text": tr("Write alt text for this image."),
        "builtin:read-text": tr("Read the text in this image."),
    }
    return prompts.get(preset.key, preset.prompt) if preset.builtin else preset.prompt


def _emitter(signal: object, value: int) -> Callable[[], None]:
    """A slot taking nothing (a menu passes ``checked``) that emits ``signal(value)``."""
    return lambda: emit(signal, value)


def preset_label(preset: Preset) -> str:
    return builtin_name(preset) if preset.builtin else preset.name


def short_count(tokens: int) -> str:
    """1234 → "1.2k", 4096 → "4k" (context sizes are powers of two: k = 1024 there)."""
    if tokens < 1000:
        return str(tokens)
    if tokens % 1024 == 0:
        return f"{tokens // 1024}k"
    text = f"{tokens / 1000:.1f}".rstrip("0").rstrip(".")
    return f"{text}k"


class ContextMeter(QWidget):
    """A thin bar and "≈1.2k / 4k": the tokens the chat's next request holds of the context."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ContextMeter")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("ContextBar")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(4)
        self.bar.setFixedWidth(METER_WIDTH)
        self.label = QLabel(self)
        self.label.setObjectName("Muted")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label)
        self.use: ContextUse | None = None

    def set_use(self, use: ContextUse, explanation: str) -> None:
        """Show ``use``; ``explanation`` (plain text) is the tooltip."""
        self.use = use
        self.bar.setValue(int(use.fraction * 1000))
        mark = "≈" if use.estimated else ""
        self.label.setText(f"{mark}{short_count(use.used)} / {short_count(use.size)}")
        full = use.fraction >= 0.9
        if self.bar.property("full") != full:  # a nearly full bar is drawn in the warning colour
            self.bar.setProperty("full", full)
            self.bar.style().unpolish(self.bar)
            self.bar.style().polish(self.bar)
        self.setToolTip(literal_html(explanation))
        self.setAccessibleName(
            tr("Context: about {used} of {size} tokens", used=use.used, size=use.size)
        )


class ChatToolsBar(QWidget):
    """Chat settings…, Presets, and the context meter, in one row above the message box."""

    settings_requested = Signal()
    preset_chosen = Signal(str)  # Preset.key
    save_preset_requested = Signal()
    rename_preset_requested = Signal(int)
    delete_preset_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatTools")
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(8)
        self.settings_button = QToolButton(self)
        self.settings_button.setText(tr("Chat settings…"))
        self.settings_button.setToolTip(
            tr("This chat's system prompt, temperature, context size and answer length")
        )
        self.settings_button.setAccessibleName(tr("Chat settings"))
        self.settings_button.setAutoRaise(True)
        self.settings_button.clicked.connect(self.settings_requested)
        row.addWidget(self.settings_button)

        self.presets_button = QToolButton(self)
        self.presets_button.setText(tr("Presets"))
        self.presets_button.setToolTip(tr("Give this chat a preset's instructions and settings"))
        self.presets_button.setAccessibleName(tr("Presets"))
        self.presets_button.setAutoRaise(True)
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.presets_menu = QMenu(self.presets_button)
        self.presets_button.setMenu(self.presets_menu)
        row.addWidget(self.presets_button)

        self.summary = QLabel(self)
        self.summary.setObjectName("Muted")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # a preset's name is the person's
        row.addWidget(self.summary, 1)

        self.meter = ContextMeter(self)
        row.addWidget(self.meter)
        self.presets: list[Preset] = []
        self.set_presets([])

    def set_presets(self, presets: Sequence[Preset]) -> None:
        """The menu: the presets (built-in first), then save, then rename/delete the person's."""
        self.presets = list(presets)
        menu = self.presets_menu
        menu.clear()
        for preset in self.presets:
            action = menu.addAction(preset_label(preset))
            action.setData(preset.key)
            action.triggered.connect(lambda _c=False, key=preset.key: emit(self.preset_chosen, key))
        menu.addSeparator()
        menu.addAction(
            tr("Save this chat's settings as a preset…"), lambda: emit(self.save_preset_requested)
        )
        own = [p for p in self.presets if p.saved_id is not None]
        if own:
            manage = menu.addMenu(tr("Rename or delete a preset"))
            for preset in own:
                preset_id = preset.saved_id
                assert preset_id is not None
                manage.addAction(
                    tr("Rename “{name}”…", name=preset.name),
                    _emitter(self.rename_preset_requested, preset_id),
                )
                manage.addAction(
                    tr("Delete “{name}”…", name=preset.name),
                    _emitter(self.delete_preset_requested, preset_id),
                )

    def set_summary(self, text: str) -> None:
        """What the chat's settings are, in a few words ("Own settings", a preset's name)."""
        self.summary.setText(text)


class ChatSettingsDialog(QDialog):
    """This chat's system prompt, temperature, context size and answer length.

    "Use the defaults" puts the app's settings (Settings…) in the fields and makes the chat
    follow them, also when they change later; editing a field after it makes the values the
    chat's own again.
    """

    def __init__(
        self,
        system_prompt: str | None,
        options: GenerationOptions | None,
        defaults: tuple[str, GenerationOptions],
        parent: QWidget | None = None,
    ) -> None:
        """``system_prompt`` / ``options``: the chat's own (None: it follows the defaults)."""
        super().__init__(parent)
        self.setWindowTitle(tr("Chat settings"))
        self.defaults = defaults
        self.follows_defaults = system_prompt is None and options is None
        layout = QVBoxLayout(self)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("Muted")
        self.state_label.setWordWrap(True)
        layout.addWidget(self.state_label)
        form = QFormLayout()
        layout.addLayout(form)

        self.system_prompt = QPlainTextEdit(self)
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setMinimumWidth(self.fontMetrics().averageCharWidth() * 56)
        self.system_prompt.setFixedHeight(96)
        self.system_prompt.setPlaceholderText(tr("No system prompt"))
        self.system_prompt.setToolTip(tr("Instructions the model reads before this chat"))
        form.addRow(tr("System prompt"), self.system_prompt)

        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setToolTip(
            tr("0 gives the same answer every time; higher is more varied.")
        )
        form.addRow(tr("Temperature"), self.temperature)

        self.num_ctx = QSpinBox(self)
        self.num_ctx.setRange(512, 131072)
        self.num_ctx.setSingleStep(1024)
        self.num_ctx.setToolTip(
            tr("How much of the conversation the model keeps in mind. More uses more memory.")
        )
        form.addRow(tr("Context size (tokens)"), self.num_ctx)

        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(16, 32768)
        self.max_tokens.setToolTip(tr("Answers stop after this many tokens."))
        form.addRow(tr("Longest answer (tokens)"), self.max_tokens)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.defaults_button = QPushButton(tr("Use the defaults"), self)
        self.defaults_button.setToolTip(
            tr("Follow the settings in Settings… (Ctrl+,), also when they change")
        )
        buttons.addButton(self.defaults_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.defaults_button.clicked.connect(self.use_defaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        shown_prompt = defaults[0] if system_prompt is None else system_prompt
        self._fill(shown_prompt, options or defaults[1])
        for signal in (
            self.system_prompt.textChanged,
            self.temperature.valueChanged,
            self.num_ctx.valueChanged,
            self.max_tokens.valueChanged,
        ):
            signal.connect(self._edited)
        self._show_state()

    def _fill(self, system_prompt: str, options: GenerationOptions) -> None:
        self._filling = True
        try:
            self.system_prompt.setPlainText(system_prompt)
            self.temperature.setValue(options.temperature)
            self.num_ctx.setValue(options.num_ctx)
            self.max_tokens.setValue(options.max_tokens or self.defaults[1].max_tokens or 1024)
        finally:
            self._filling = False

    def use_defaults(self) -> None:
        self._fill(*self.defaults)
        self.follows_defaults = True
        self._show_state()

    def _edited(self, *_args: object) -> None:
        if not self._filling:
            self.follows_defaults = False
            self._show_state()

    def _show_state(self) -> None:
        self.state_label.setText(
            tr("This chat follows the defaults in Settings….")
            if self.follows_defaults
            else tr("These settings are this chat's own.")
        )
        self.defaults_button.setEnabled(not self.follows_defaults)

    def values(self, base: GenerationOptions) -> tuple[str | None, GenerationOptions | None]:
        """The chat's own system prompt and options as chosen; (None, None): the defaults.

        ``base``: the options the fields do not show are kept from it."""
        if self.follows_defaults:
            return None, None
        from dataclasses import replace

        return self.system_prompt.toPlainText().strip(), replace(
            base,
            temperature=round(self.temperature.value(), 2),
            num_ctx=self.num_ctx.value(),
            max_tokens=self.max_tokens.value(),
        )


class TextDialog(QDialog):
    """One line of text (a chat's title, a preset's name) in a box wide enough to read it.

    Issue 17: the rename box (``QInputDialog``) showed ~20 characters of a 50-character
    title; this one shows at least :data:`TITLE_CHARS` and grows with the text.
    """

    def __init__(self, title: str, label: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        caption = QLabel(label, self)
        layout.addWidget(caption)
        self.edit = QLineEdit(text, self)
        self.edit.selectAll()
        metrics = self.edit.fontMetrics()
        wanted = max(metrics.averageCharWidth() * TITLE_CHARS, metrics.horizontalAdvance(text) + 24)
        self.edit.setMinimumWidth(min(wanted, metrics.averageCharWidth() * 100))
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, label: str, text: str) -> str | None:
        """The text entered, stripped; None when cancelled or left empty."""
        dialog = cls(title, label, text, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.edit.text().strip() or None
