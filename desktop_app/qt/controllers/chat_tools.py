"""A chat's own settings, presets, the context meter, and export / import of chats.

Issue 17's "what users of the peers reach for", around the chat on screen:

* **Chat settings…** (the row above the message box) edits the chat's own system prompt,
  temperature, context size and answer length; "Use the defaults" makes it follow Settings
  again.  ``ChatController.chat_settings`` is what every answer of the chat is generated with.
* **Presets**: three built in, and the person's own (saved from a chat's settings, renamed,
  deleted; kept in the chat history's database: migration 3).  Choosing one gives the chat
  its instructions and options and, when the message box is empty, fills in its prompt.
* **The context meter**: the tokens the chat's next request holds of the context it gets,
  estimated from the text (``core.chat.context``); refreshed when a message is saved, an
  answer ends, another chat or model is chosen, or the settings change.
* **Chat → Export chat… / Import chat…**: Markdown with images or JSON
  (``core.chat.export``); JSON exports come back with ``core.chat.import_chat``, which
  checks everything first, so a broken or hostile file changes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop_app.core.chat.context import ContextUse, context_size, estimate_use
from desktop_app.core.chat.export import IMAGES_DIR, export_json, export_markdown
from desktop_app.core.chat.import_chat import ImportFailed, import_json
from desktop_app.core.chat.presets import BUILTIN_PRESETS, Preset, apply_preset, preset_from_stored
from desktop_app.core.store.database import StoreError
from desktop_app.qt.chat.chat_tools import (
    ChatSettingsDialog,
    ChatToolsBar,
    TextDialog,
    builtin_prompt,
    preset_label,
    short_count,
)
from desktop_app.qt.chat.composer import Composer
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, error_text, shown, translator
from desktop_app.qt.common.plain import ask
from desktop_app.qt.common.workers import BackgroundCall
from desktop_app.qt.controllers.chat import ChatController
from desktop_app.qt.state import AppState

tr = translator("ChatTools")

MARKDOWN_FILTER = QT_TRANSLATE_NOOP("ChatTools", "Markdown with images (*.md)")
JSON_FILTER = QT_TRANSLATE_NOOP("ChatTools", "JSON (*.json)")


class ChatToolsController(QObject):
    """Drives ``ChatToolsBar`` and the Chat menu's Export / Import for the chat on screen."""

    status = Signal(str)

    def __init__(
        self,
        state: AppState,
        chats: ChatController,
        bar: ChatToolsBar,
        composer: Composer,
        *,
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.state = state
        self.chats = chats
        self.bar = bar
        self.composer = composer
        self._dialog_parent = dialog_parent
        self.settings_dialog: ChatSettingsDialog | None = None
        self.warning: QMessageBox | None = None
        bar.settings_requested.connect(self.open_chat_settings)
        bar.preset_chosen.connect(self.apply_preset)
        bar.save_preset_requested.connect(self.save_preset)
        bar.rename_preset_requested.connect(self.rename_preset)
        bar.delete_preset_requested.connect(self.delete_preset)
        for signal in (
            state.conversation_changed,
            state.model_changed,
            state.settings_changed,
            state.answering_changed,  # an answer ended (or began)
        ):
            signal.connect(self.refresh_soon)
        chats.runner.user_message.connect(self.refresh_soon)
        chats.runner.finished.connect(self.refresh_soon)
        chats.branch_changed.connect(self.refresh_soon)
        # One refresh for the burst of signals around an answer (four of them): each reads
        # the whole chat from the store.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.reload_presets()
        self.refresh()

    def refresh_soon(self, *_args: object) -> None:
        """Refresh once control is back in the event loop, however many ask before."""
        self._refresh_timer.start()

    # -- the meter and the summary ----------------------------------------------------------

    def refresh(self) -> None:
        """The meter and the summary for the chat on screen, as it is now."""
        system_prompt, options = self.chats.chat_settings()
        model = self.state.model
        size = context_size(options, model.context_length if model else None)
        messages = []
        if self.state.conversation_id is not None:
            try:
                messages = self.state.store.messages(self.state.conversation_id)
            except StoreError:
                messages = []
        use = estimate_use(messages, system_prompt, size)
        self.bar.meter.set_use(use, self._explain(use, options.max_tokens))
        own_prompt, own_options = self.chats.own_settings()
        if own_prompt is None and own_options is None:
            self.bar.set_summary("")
        else:
            self.bar.set_summary(
                tr("This chat's own settings (temperature {t})", t=f"{options.temperature:g}")
            )

    def context_use(self) -> ContextUse | None:
        return self.bar.meter.use

    def _explain(self, use: ContextUse, max_tokens: int | None) -> str:
        """The meter's tooltip: what the numbers are, and what happens when it fills."""
        backend = self.state.backend.name if self.state.model else ""
        lines = [
            tr(
                "About {used} of the {size} tokens of context this chat gets are in use: "
                "the system prompt, every message and each image (estimated from the text, "
                "about 4 characters a token and 256 per image; the model's own count "
                "differs a little).",
                used=short_count(use.used),
                size=short_count(use.size),
            ),
            tr(
                "Each answer needs room too (up to {limit} tokens, this chat's longest answer).",
                limit=max_tokens or "?",
            ),
        ]
        if backend == "ollama":
            lines.append(
                tr(
                    "When it is full, Ollama leaves the oldest messages out of what the model "
                    "reads (the chat keeps them): the model forgets how the chat began."
                )
            )
        elif backend == "openai":
            lines.append(
                tr(
                    "When it is full, the server decides: most refuse the message with an "
                    "error saying the conversation is longer than the model's context."
                )
            )
        else:
            lines.append(
                tr(
                    "When it is full, nothing is left out on its own: a message that no longer "
                    "fits is not answered (the answer fails: “The conversation is longer than "
                    "the model's context window”), and an answer that reaches the end stops "
                    "there, as at the length limit. Start a new chat, remove images, or raise "
                    "the context size in Chat settings…."
                )
            )
        return "\n\n".join(lines)

    # -- the chat's own settings --------------------------------------------------------

    def open_chat_settings(self) -> None:
        """Chat settings…: edit the chat's own settings, or make it follow Settings."""
        own_prompt, own_options = self.chats.own_settings()
        defaults = (self.state.settings.system_prompt, self.chats.options())
        if self.settings_dialog is not None:  # one at a time: the last one is not kept
            self.settings_dialog.deleteLater()
        dialog = ChatSettingsDialog(own_prompt, own_options, defaults, self._dialog_parent)
        self.settings_dialog = dialog
        dialog.accepted.connect(lambda: self._settings_chosen(dialog))
        dialog.open()

    def _settings_chosen(self, dialog: ChatSettingsDialog) -> None:
        _prompt, current = self.chats.chat_settings()
        system_prompt, options = dialog.values(current)
        try:
            self.chats.set_own_settings(system_prompt, options)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        self.status.emit(
            tr("This chat follows the default settings again.")
            if options is None
            else tr("This chat's settings are saved.")
        )
        self.refresh()

    # -- presets --------------------------------------------------------------------------

    def presets(self) -> list[Preset]:
        try:
            saved = [preset_from_stored(p) for p in self.state.store.presets()]
        except StoreError:
            saved = []
        return [*BUILTIN_PRESETS, *saved]

    def reload_presets(self) -> None:
        self.bar.set_presets(self.presets())

    def apply_preset(self, key: str) -> None:
        """Give the chat on screen the preset's instructions and options (and its prompt,
        when the message box is empty)."""
        preset = next((p for p in self.presets() if p.key == key), None)
        if preset is None:
            return
        _prompt, current = self.chats.chat_settings()
        system_prompt, options = apply_preset(preset, current)
        try:
            self.chats.set_own_settings(system_prompt or "", options)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        prompt = builtin_prompt(preset)
        if prompt and not self.composer.text().strip():
            self.composer.set_text(prompt)
        self.status.emit(tr("Preset “{name}” is this chat's now.", name=preset_label(preset)))
        self.refresh()

    def save_preset(self) -> None:
        """Save the chat's settings as a preset, under a name the person gives."""
        name = TextDialog.ask(
            self._dialog_parent, tr("Save as a preset"), tr("Name of the preset:"), ""
        )
        if name is None:
            return
        system_prompt, options = self.chats.chat_settings()
        try:
            self.state.store.add_preset(
                name, system_prompt=system_prompt or "", options=options, prompt=None
            )
        except (ValueError, StoreError) as error:
            self._warn(tr("Save as a preset"), error_text(error))
            return
        self.reload_presets()
        self.status.emit(tr("Preset “{name}” saved.", name=name))

    def rename_preset(self, preset_id: int) -> None:
        current = next((p for p in self.presets() if p.saved_id == preset_id), None)
        if current is None:
            return
        name = TextDialog.ask(
            self._dialog_parent, tr("Rename preset"), tr("Name of the preset:"), current.name
        )
        if name is None:
            return
        try:
            self.state.store.rename_preset(preset_id, name)
        except (ValueError, StoreError) as error:
            self._warn(tr("Rename preset"), error_text(error))
            return
        self.reload_presets()

    def delete_preset(self, preset_id: int) -> None:
        current = next((p for p in self.presets() if p.saved_id == preset_id), None)
        if current is None:
            return
        if not ask(
            self._dialog_parent,
            tr("Delete preset"),
            tr(
                "Delete the preset “{name}”? Chats that use it keep their settings.",
                name=current.name,
            ),
        ):
            return
        try:
            self.state.store.delete_preset(preset_id)
        except StoreError as error:
            self._warn(tr("Delete preset"), error_text(error))
            return
        self.reload_presets()

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self._dialog_parent)
        box.setTextFormat(
            Qt.TextFormat.PlainText
        )  # the person's names, file names: data (plain.py)
        box.open()
        self.warning = box

    # -- export and import --------------------------------------------------------------

    def export_chat(self) -> None:
        """Chat → Export chat…: the chat on screen as Markdown with images, or JSON."""
        conversation_id = self.state.conversation_id
        if conversation_id is None:
            self.status.emit(tr("Open a chat to export it."))
            return
        try:
            title = shown(self.state.store.conversation(conversation_id).title)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        suggested = str(Path.home() / f"{_file_stem(title)}.md")
        path, chosen = QFileDialog.getSaveFileName(
            self._dialog_parent,
            tr("Export chat"),
            suggested,
            f"{tr(MARKDOWN_FILTER)};;{tr(JSON_FILTER)}",
        )
        if not path:
            return
        target = Path(path)
        as_json = chosen == tr(JSON_FILTER) or target.suffix.lower() == ".json"
        if not target.suffix:
            target = target.with_suffix(".json" if as_json else ".md")
        store = self.state.store

        def write(folder: Path) -> Path:
            if as_json:
                return export_json(store, [conversation_id], folder)
            return export_markdown(store, [conversation_id], folder)[0]

        def work() -> object:
            try:
                export_chat_to(target, write)
            except (OSError, StoreError) as error:
                return error
            return target

        self.status.emit(tr("Exporting…"))
        self._in_background(work, self._exported)

    def _exported(self, result: object) -> None:
        if isinstance(result, Path):
            self.status.emit(tr("Exported to {path}", path=result))
            return
        self.status.emit(tr("Not exported"))
        error = error_text(result) if isinstance(result, BaseException) else shown(result)
        self._warn(tr("Export chat"), tr("The chat was not exported: {error}", error=error))

    def import_chat(self) -> None:
        """Chat → Import chat…: the chats of a JSON export, each checked before any is added."""
        path, _chosen = QFileDialog.getOpenFileName(
            self._dialog_parent, tr("Import chat"), str(Path.home()), tr(JSON_FILTER)
        )
        if not path:
            return
        self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Import the export at ``path`` off the GUI thread (its images are checked by
        decoding them); then open the first chat imported.  Nothing changes when the file
        is refused (a message box says why)."""
        store = self.state.store

        def work() -> object:
            try:
                return import_json(store, path)
            except (ImportFailed, StoreError) as error:
                return error

        self.status.emit(tr("Importing…"))
        self._in_background(work, self._imported)

    def _imported(self, result: object) -> None:
        if not isinstance(result, list):
            self.status.emit(tr("Nothing was imported"))
            reason = error_text(result) if isinstance(result, BaseException) else shown(result)
            self._warn(tr("Import chat"), tr("Nothing was imported. {reason}", reason=reason))
            return
        if result:
            self.chats.open_conversation(result[0])
        self.chats.refresh_conversations()  # lists it, selected
        self.status.emit(tr("%n chat(s) imported.", n=len(result)))

    def _in_background(self, work: Callable[[], object], then: Callable[[object], None]) -> None:
        """Run ``work`` on a thread (files and images are no work for the GUI thread); its
        result, or a failure's sentence, goes to ``then`` on the GUI thread."""
        call = BackgroundCall(self)  # owned by this controller until its result is in
        call.done.connect(then)
        call.failed.connect(then)
        call.run(work)


def _file_stem(title: str) -> str:
    """A file name from a chat's title: no path separators or characters file systems refuse."""
    stem = "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in title).strip(" .-")
    return stem[:60] or "chat"


def export_chat_to(target: Path, write: Callable[[Path], Path]) -> None:
    """Export into a folder of its own beside ``target``, then move the document to
    ``target`` and its images into ``images/`` beside it (named by content, so one already
    there holds the same bytes and stays).  The document refers to ``images/…``, so it reads
    the same from its new name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".localsight-export-", dir=target.parent))
    try:
        document = write(scratch)
        images = scratch / IMAGES_DIR
        if images.is_dir():
            destination = target.parent / IMAGES_DIR
            destination.mkdir(exist_ok=True)
            for image in images.iterdir():
                if not (destination / image.name).exists():
                    shutil.move(str(image), destination / image.name)
        document.replace(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
