"""The main window's chat: the conversations in the sidebar, sending, and the streamed answer.

Part of ``MainWindow`` (a mixin; ``window_part`` says why).  ``ChatSession`` does the work
on ``GenerationRunner``'s worker thread; this part starts it and paints what it reports
(the user's message, the answer as it grows, the stage: loading, reading, thinking,
writing) on the GUI thread.  One generation at a time, and none while the Describe window
is describing with the same model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox

from backends.base import Backend, GenerationOptions, ImageInput, ModelInfo
from desktop_app.core.session import ChatSession, SessionCallbacks
from desktop_app.core.settings import Settings
from desktop_app.core.store import Store, StoreError
from desktop_app.qt.chat_view import ChatView
from desktop_app.qt.composer import Composer
from desktop_app.qt.first_run_panel import FirstRunPanel
from desktop_app.qt.model_picker import ModelPicker
from desktop_app.qt.sidebar import Sidebar
from desktop_app.qt.window_part import WindowPart, tr
from desktop_app.qt.workers import GenerationRunner

STAGE_TEXT = {
    "loading": "Loading model…",
    "reading": "Reading image…",
    "thinking": "Thinking…",
    "writing": "Writing…",
}


class ChatMixin(WindowPart):
    """Open, rename and delete chats; send, edit, regenerate and stop; show the answer live."""

    # The window's state this part reads and writes (set up in ``MainWindow.__init__``).
    settings: Settings
    store: Store
    models: list[ModelInfo]
    model: ModelInfo | None
    conversation_id: int | None
    session: ChatSession | None
    generating_conversation: int | None
    loaded_model_id: str | None
    _stage: str
    _streaming_widget: Any
    _pending_notice: str
    _elapsed_timer: QTimer
    runner: GenerationRunner
    sidebar: Sidebar
    picker: ModelPicker
    chat: ChatView
    composer: Composer
    first_run: FirstRunPanel
    stage_label: QLabel
    # From the models part, the images part and the window itself.
    _update_model_hint: Callable[[], None]
    _describing: Callable[[], bool]
    _set_status: Callable[[str], None]

    if TYPE_CHECKING:  # read-only, from the models part; not defined here, so never shadowed

        @property
        def backend(self) -> Backend: ...

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

    def _on_notice(self, text: str) -> None:
        """Kept until the answer's card is final, then shown under it (``_on_finished``)."""
        self._pending_notice = text

    def _on_finished(self, message: Any) -> None:
        ttft = None
        if self.runner.first_token_at is not None:
            ttft = self.runner.first_token_at - self.runner.started_at
        notice, self._pending_notice = self._pending_notice, ""
        if self._visible():
            widget = self.chat.widget_for(message.id)
            if widget is None:
                widget = self.chat.add_message(message)
            widget.set_message(message, ttft)
            if notice and message.state == "complete":
                widget.show_status(notice)
        # After a failure (an engine crash, a load error) the next answer may load again.
        ok = message.state != "error" and self.model is not None
        self.loaded_model_id = self.model.id if ok and self.model is not None else None
        self._end_generation()
        labels = {"interrupted": tr("Stopped"), "error": tr("The answer failed")}
        self._set_status(notice or labels.get(message.state, tr("Ready")))

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
