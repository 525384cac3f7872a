"""The chat: conversations in the sidebar, sending, and the streamed answer.

``ChatSession`` does the work on ``GenerationRunner``'s worker thread; this controller starts
it and paints what it reports (the user's message, the answer as it grows, the stage:
loading, reading, thinking, writing) on the GUI thread.

A generation belongs to its conversation, not to whichever chat is on screen
(:class:`Generation`): Stop and Esc stop it from any chat, the sidebar marks the chat that is
answering, going back to it shows the answer so far and keeps streaming into it, and a
message sent in another chat meanwhile is refused with a sentence, never dropped.  One
generation at a time, and none while the Describe window is describing with the same model
(``lease.BackendLease``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from backends.base import GenerationOptions, ImageInput
from desktop_app.core.chat.session import ChatSession, SessionCallbacks
from desktop_app.core.settings import generation_options
from desktop_app.core.store.database import StoredMessage, StoreError
from desktop_app.qt.chat.chat_tools import TextDialog
from desktop_app.qt.chat.chat_view import ChatView
from desktop_app.qt.chat.composer import NOTICE_CHAT, NOTICE_MODEL, Composer
from desktop_app.qt.chat.message_widget import MessageWidget
from desktop_app.qt.chat.sidebar import Sidebar
from desktop_app.qt.common.i18n import QT_TRANSLATE_NOOP, error_text, shown, translator
from desktop_app.qt.common.plain import ask
from desktop_app.qt.common.workers import GenerationRunner
from desktop_app.qt.controllers.lease import BackendLease
from desktop_app.qt.models.first_run_panel import FirstRunPanel
from desktop_app.qt.state import AppState

#: Marked for lupdate (``QT_TRANSLATE_NOOP`` returns the text as it is); ``tr`` at use.
STAGE_TEXT = {
    "loading": QT_TRANSLATE_NOOP("MainWindow", "Loading model…"),
    "reading": QT_TRANSLATE_NOOP("MainWindow", "Reading image…"),
    "thinking": QT_TRANSLATE_NOOP("MainWindow", "Thinking…"),
    "writing": QT_TRANSLATE_NOOP("MainWindow", "Writing…"),
}


tr = translator("MainWindow")


def describing_notice() -> str:
    return tr(
        "The model is describing images. Chat continues when that run ends; "
        "stop it in the Describe window (Chat → Describe images…)."
    )


@dataclass
class Generation:
    """The answer being generated: whose it is and what it has said so far."""

    conversation_id: int
    session: ChatSession
    assistant_id: int | None = None
    text: str = ""  # every delta so far: shown again when its chat is opened mid-answer
    stage: str = ""
    notice: str = ""  # Done.notice, shown under the card once it is final
    #: A text-only model answers a chat with images: they were left out (defect 5).
    images_left_out: bool = False


@dataclass(frozen=True)
class ChatViews:
    """The widgets the chat drives (built by the window)."""

    chat: ChatView
    composer: Composer
    sidebar: Sidebar
    first_run: FirstRunPanel


class ChatController(QObject):
    """Open, rename and delete chats; send, edit, regenerate and stop; show the answer live."""

    status = Signal(str)  # a line for the status bar
    title_changed = Signal(str)  # the window's title for the chat on screen
    branch_changed = Signal()  # another version (and the branch after it) is on screen
    own_settings_changed = Signal()  # the chat on screen's own prompt or options changed

    def __init__(
        self,
        state: AppState,
        views: ChatViews,
        lease: BackendLease,
        *,
        model_chosen_by_chat: Callable[[Any], None],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.state = state
        self.views = views
        self.lease = lease
        self._model_chosen_by_chat = model_chosen_by_chat
        self._dialog_parent = dialog_parent
        self.generation: Generation | None = None
        self._busy_notice = ""  # the "… is still answering" notice, while it is shown
        #: What the status bar was told when the last answer ended ("Stopped"): about that
        #: chat, so it is taken back when another chat is shown (issue 17).
        self._ended_status = ""
        #: The settings chosen for a new chat before its first message (it has no row yet):
        #: its own system prompt and options, or None to follow the app's settings.
        self.pending_settings: tuple[str | None, GenerationOptions | None] | None = None
        self.runner = GenerationRunner(self)
        self.runner.user_message.connect(self._on_user_message)
        self.runner.assistant_started.connect(self._on_assistant_started)
        self.runner.delta_ready.connect(self._on_delta)
        self.runner.finished.connect(self._on_finished)
        self.runner.notice.connect(self._on_notice)
        self.runner.failed.connect(self._on_failed)
        self.runner.stage_changed.connect(self._set_stage)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(500)
        self._elapsed_timer.timeout.connect(self._show_stage)
        state.answering_changed.connect(lambda _id: self.refresh_conversations())
        lease.changed.connect(self._lease_changed)
        # "… cannot see images" named the model chosen then; the next Send checks again.
        state.model_changed.connect(lambda _model: views.composer.show_notice("", NOTICE_MODEL))
        #: How many images the chat on screen holds (its visible branch), and the vision
        #: model chosen last: a text-only model in an image chat is told about, with the way
        #: back (defect 5).
        self._chat_images = 0
        self._images_notice = ""
        self._vision_model: Any = None
        state.model_changed.connect(self._model_changed)
        views.composer.notice_action.connect(self._notice_action)

    # -- conversations ------------------------------------------------------------------

    def refresh_conversations(self, query: str | None = None) -> None:
        sidebar, store = self.views.sidebar, self.state.store
        query = sidebar.search.text().strip() if query is None else query.strip()
        try:
            rows: list[Any] = store.search(query) if query else store.list_conversations()
        except StoreError:  # closed while the window closes, or unreadable
            return
        sidebar.set_conversations(rows, self.state.conversation_id, self.state.answering)

    # -- a text-only model in a chat with images (defect 5) -------------------------------

    def _model_changed(self, model: Any) -> None:
        if model is not None and model.capabilities.vision:
            self._vision_model = model
        self._show_images_notice()

    def _way_back(self) -> Any:
        """The vision model to offer: the one chosen last, else the first listed."""
        if self._vision_model is not None and self._vision_model in self.state.models:
            return self._vision_model
        return next((m for m in self.state.models if m.capabilities.vision), None)

    def images_left_out(self) -> bool:
        """The chat on screen has images and the model chosen cannot see them."""
        model = self.state.model
        return self._chat_images > 0 and model is not None and not model.capabilities.vision

    def _show_images_notice(self) -> None:
        """Say, before anything is sent, that a text-only model will not see this chat's
        images (it answers from the text, a note standing where each image was), and offer
        the vision model back."""
        composer, model = self.views.composer, self.state.model
        if not self.images_left_out() or model is None:
            if composer.notice_text(NOTICE_MODEL) == self._images_notice:
                composer.show_notice("", NOTICE_MODEL)
            return
        self._images_notice = tr(
            "{name} cannot see images: it answers from the text of this chat, without the "
            "images in it.",
            name=model.name,
        )
        back = self._way_back()
        action = tr("Switch to {name}", name=back.name) if back is not None else ""
        composer.show_notice(self._images_notice, NOTICE_MODEL, action=action)

    def _notice_action(self, key: str) -> None:
        back = self._way_back()
        if key == NOTICE_MODEL and back is not None and self.images_left_out():
            self._model_chosen_by_chat(back)

    def new_chat(self) -> None:
        self.pending_settings = None
        self.state.conversation_id = None
        self._show_conversation([])
        self.views.composer.stop_editing()
        self.title_changed.emit("LocalSight")
        self.views.sidebar.list.clearSelection()
        self.views.sidebar.list.setCurrentRow(-1)
        self.views.composer.focus()

    def open_conversation(self, conversation_id: int) -> None:
        if conversation_id == self.state.conversation_id:
            return
        try:
            summary = self.state.store.conversation(conversation_id)
            messages = self.state.store.messages(conversation_id)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        self.state.conversation_id = conversation_id
        self.views.sidebar.mark_current(conversation_id)
        self.views.composer.stop_editing()  # an edit belongs to the chat it was started in
        self._show_conversation(messages)
        title = shown(summary.title) or tr("New chat")  # not inside the f-string: lupdate reads it
        self.title_changed.emit(f"LocalSight — {title}")
        if summary.model:
            match = next((m for m in self.state.models if m.id == summary.model), None)
            if match is not None:
                self._model_chosen_by_chat(match)
        self.views.composer.focus()

    def show_open_conversation(self) -> None:
        """Show the state's open chat, as ``open_conversation`` does, though it is open
        already (a window rebuilt on the same state starts with an empty view)."""
        opened, self.state.conversation_id = self.state.conversation_id, None
        if opened is not None:
            self.open_conversation(opened)

    def _show_conversation(self, messages: list[Any]) -> None:
        """Show a chat; the one answering gets its answer so far and its stage back.

        What was said about the chat shown before (a refused send, "Stopped") is not
        about this one, so it goes; notes about the settings or the models stay.
        """
        chat = self.views.chat
        self.views.composer.show_notice("", NOTICE_CHAT)
        self._chat_images = sum(len(getattr(m, "images", ())) for m in messages)
        self._show_images_notice()
        if self._ended_status and self.generation is None:
            self._ended_status = ""
            self.status.emit(tr("Ready"))
        if messages:
            chat.set_messages(messages)
        else:
            chat.clear()
        here = self._answering_here()
        chat.set_busy(here)
        self.views.composer.set_busy(here)
        widget = self.streaming_widget()
        if widget is not None and self.generation is not None:
            widget.set_text(self.generation.text)
            if self.generation.stage == "writing":
                widget.status.hide()  # the stored row says "Thinking…"; it is writing
            else:
                widget.show_status(self._stage_line())

    def rename_conversation(self, conversation_id: int) -> None:
        current = shown(self.state.store.conversation(conversation_id).title)
        title = TextDialog.ask(self._dialog_parent, tr("Rename chat"), tr("Title:"), current)
        if title:
            self.state.store.rename_conversation(conversation_id, title)
            self.refresh_conversations()
            if conversation_id == self.state.conversation_id:
                self.title_changed.emit(f"LocalSight — {title}")

    def pin_conversation(self, conversation_id: int, pinned: bool) -> None:
        """Pin a chat to the top of the list, or unpin it."""
        try:
            self.state.store.set_pinned(conversation_id, pinned)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        self.refresh_conversations()

    def reveal_search_hit(self, conversation_id: int, message_id: int) -> None:
        """A search hit was chosen: open its chat and show the message that matched."""
        self.open_conversation(conversation_id)
        if self.state.conversation_id != conversation_id:
            return
        if self.views.chat.reveal_message(message_id) or self._answering_here():
            return
        # The match is in a hidden version (Regenerate and Edit keep what they replace):
        # show the branch through it, then the message.
        try:
            self.state.store.show_version(message_id)
            messages = self.state.store.messages(conversation_id)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        self.views.composer.stop_editing()  # an edit belongs to the branch it was started in
        self._show_conversation(messages)
        self.views.chat.reveal_message(message_id)
        self.branch_changed.emit()

    def delete_conversation(self, conversation_id: int) -> None:
        title = shown(self.state.store.conversation(conversation_id).title) or tr("this chat")
        if not ask(
            self._dialog_parent,
            tr("Delete chat"),
            tr("Delete “{title}” and its images? This cannot be undone.", title=title),
        ):
            return
        if self.state.answering == conversation_id:
            self.stop()
            self.runner.wait(5)
        try:
            self.state.store.delete_conversation(conversation_id)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        if conversation_id == self.state.conversation_id:
            self.new_chat()
        self.refresh_conversations()

    # -- sending ------------------------------------------------------------------------

    def options(self) -> GenerationOptions:
        """The app's default options (Settings…); a chat may have its own (``chat_settings``)."""
        return generation_options(self.state.settings)

    # -- per-chat settings ----------------------------------------------------------------

    def own_settings(self) -> tuple[str | None, GenerationOptions | None]:
        """The chat on screen's own system prompt and options (None: it follows Settings)."""
        conversation_id = self.state.conversation_id
        if conversation_id is None:
            return self.pending_settings or (None, None)
        try:
            return self.state.store.own_settings(conversation_id)
        except StoreError:
            return None, None

    def chat_settings(self) -> tuple[str | None, GenerationOptions]:
        """The system prompt and options the chat on screen answers with: its own, else the
        app's; the threads are always the app's (they are about this computer)."""
        own_prompt, own_options = self.own_settings()
        defaults = self.options()
        prompt = self.state.settings.system_prompt if own_prompt is None else own_prompt
        options = defaults
        if own_options is not None:
            options = dataclasses.replace(own_options, threads=defaults.threads)
        return (prompt or None), options

    def set_own_settings(
        self, system_prompt: str | None, options: GenerationOptions | None
    ) -> None:
        """Give the chat on screen its own settings ((None, None): follow Settings again)."""
        conversation_id = self.state.conversation_id
        if conversation_id is None:
            self.pending_settings = (
                None
                if options is None and system_prompt is None
                else (
                    system_prompt,
                    options,
                )
            )
        else:
            self.state.store.set_own_settings(conversation_id, system_prompt, options)
        self.own_settings_changed.emit()

    def _new_session(self) -> ChatSession:
        """A session for the chat on screen (created in the store on its first message),
        with the chat's settings as they are now (``chat_settings``)."""
        state = self.state
        assert state.model is not None
        if state.conversation_id is None:
            conversation_id = state.store.create_conversation(
                model=state.model.id, backend=state.backend.name
            )
            if self.pending_settings is not None:
                state.store.set_own_settings(conversation_id, *self.pending_settings)
            state.conversation_id = conversation_id
            self.pending_settings = None
        system_prompt, options = self.session_settings()
        return ChatSession(
            state.store,
            state.backend,
            state.conversation_id,
            model=state.model.id,
            options=options,
            system_prompt=system_prompt,
            # A text-only model goes on without the chat's images (the notice said so).
            images_seen=state.model.capabilities.vision,
        )

    def session_settings(self) -> tuple[str, GenerationOptions]:
        """The system prompt and options a session is made with now (the eager prefill's
        draft uses them too, so its request is the one Send makes).

        Recorded on the chat with the answer (what it was made with); whether they are the
        chat's own is ``own_settings``, which only Chat settings and presets change.
        """
        system_prompt, options = self.chat_settings()
        return system_prompt or "", options

    def _busy_elsewhere(self) -> bool:
        """A generation runs for another chat: say so, keep the draft."""
        if self.generation is None or self._answering_here():
            return False
        try:
            title = shown(self.state.store.conversation(self.generation.conversation_id).title)
        except StoreError:
            title = ""
        self._busy_notice = tr(
            "“{title}” is still answering. Press Esc to stop it, or send this when it is "
            "done (your message is kept).",
            title=title or tr("Another chat"),
        )
        self.views.composer.show_notice(self._busy_notice, NOTICE_CHAT)
        return True

    def _describing(self) -> bool:
        """Chat waits while images are described: the model answers one request at a time."""
        if self.lease.free_for("chat"):
            return False
        self.views.composer.show_notice(describing_notice(), NOTICE_CHAT)
        return True

    def _lease_changed(self, holder: object) -> None:
        composer = self.views.composer
        if holder is None and composer.notice_text(NOTICE_CHAT) == describing_notice():
            composer.show_notice("", NOTICE_CHAT)

    def _can_send(self, images: list[ImageInput]) -> bool:
        if self._busy_elsewhere() or self.runner.busy or self._describing():
            return False
        model = self.state.model
        if model is None:
            self.views.composer.show_notice(
                tr("No model is selected. Add a .gguf model with Model → Add a model file…"),
                NOTICE_MODEL,
            )
            return False
        if images and not model.capabilities.vision:
            self.views.composer.show_notice(
                tr(
                    "{name} cannot see images. Pick a model marked “vision” (Ctrl+K), or remove "
                    "the images to ask in text.",
                    name=model.name,
                ),
                NOTICE_MODEL,
            )
            return False
        return True

    def send(self, text: str, images: list[ImageInput]) -> None:
        if not self._can_send(images):
            return
        composer = self.views.composer
        editing = composer.editing_message_id
        try:
            session = self._new_session()
        except StoreError as error:
            composer.show_notice(error_text(error), NOTICE_CHAT)
            return
        operation: Callable[[SessionCallbacks], StoredMessage]
        if editing is not None:
            self.views.chat.remove_from(editing)
            operation = self._edit_operation(session, editing, text, images)
        else:
            operation = lambda callbacks: session.send(text, images, callbacks)  # noqa: E731
        # The composer is cleared once the message is saved (_on_user_message), an edit
        # too: if saving fails, the draft and its images are still there to send again.
        self._run(session, operation, has_images=bool(images))

    def _edit_operation(
        self, session: ChatSession, message_id: int, text: str, images: list[ImageInput]
    ) -> Callable[[SessionCallbacks], StoredMessage]:
        """What resending an edited message does, on the worker thread.

        The composer holds the edit's whole image list: the message's own images (unless
        removed) plus any pasted, dropped or attached during the edit.  The edit becomes a
        new version of the message, written with its images in one transaction; the old
        message and the answers after it stay as an earlier branch (‹ 1/2 › on the card).
        The images are in memory throughout, and a failure to save shows the notice with
        the draft still in the composer.
        """

        def run(callbacks: SessionCallbacks) -> StoredMessage:
            return session.edit_and_resend(message_id, text, callbacks, images=images)

        return run

    def regenerate(self) -> None:
        if self.runner.busy or self.state.conversation_id is None or self.state.model is None:
            self._busy_elsewhere()
            return
        if self._describing():
            return
        chat = self.views.chat
        last = chat.last_message(user=False)  # the chat's, built as a widget or not
        if last is None:
            return
        session = self._new_session()
        chat.remove_from(last.id)
        self._run(session, session.regenerate, has_images=False)

    def continue_answer(self, message_id: int) -> None:
        """Continue: the same answer goes on, streaming into its own card (defect 4)."""
        if self.runner.busy or self.state.conversation_id is None or self.state.model is None:
            self._busy_elsewhere()
            return
        if self._describing():
            return
        session = self._new_session()
        self._run(
            session,
            lambda callbacks: session.continue_answer(message_id, callbacks),
            has_images=False,
        )

    def show_version(self, message_id: int) -> None:
        """‹ › on a card: show that version and the branch that followed it.

        The cards above it stay as they are (and where the person scrolled to); the card
        and those after it are replaced.  Not while this chat is answering: the answer
        belongs to the branch on screen.
        """
        conversation_id = self.state.conversation_id
        if conversation_id is None or self._answering_here():
            return
        chat = self.views.chat
        try:
            shown = chat.widget_for(message_id) or next(
                (w for w in chat.widgets if message_id in getattr(w.message, "versions", ())),
                None,
            )
            self.state.store.show_version(message_id)
            messages = self.state.store.messages(conversation_id)
        except StoreError as error:
            self.status.emit(error_text(error))
            return
        if shown is None:
            return
        # Its place in the whole chat (the view builds only the cards near the viewport).
        index = next((i for i, m in enumerate(messages) if m.id == message_id), None)
        if index is None:
            return
        if len(messages) - index > chat.OPEN_COUNT:
            # A long branch below: the view builds only the cards near the one chosen (adding
            # them one by one would build every card: defect 1's freeze again).
            chat.set_messages(messages)
            chat.reveal_message(message_id)
        else:
            chat.remove_from(shown.message.id)
            for message in messages[index:]:
                chat.add_message(message)
        self._chat_images = sum(len(m.images) for m in messages)
        self._show_images_notice()
        self.views.composer.stop_editing()  # an edit belongs to the branch it was started in
        self.branch_changed.emit()

    def start_edit(self, message_id: int) -> None:
        if self.runner.busy:
            return
        message = self.views.chat.message_for(message_id)  # built as a widget or not
        if message is None:
            return
        try:  # full images, to send again: the chat view holds only thumbnails
            images = [self.state.store.image(i.sha256) for i in message.images]
        except StoreError as error:
            self.views.composer.show_notice(error_text(error), NOTICE_CHAT)
            return
        self.views.composer.start_editing(message_id, message.text, images)

    def edit_last(self) -> None:
        last_user = self.views.chat.last_message(user=True)
        if last_user is not None:
            self.start_edit(last_user.id)

    def _run(self, session: ChatSession, operation: Any, *, has_images: bool) -> None:
        assert self.state.conversation_id is not None
        self.generation = Generation(
            self.state.conversation_id, session, images_left_out=self.images_left_out()
        )
        self.state.answering = self.state.conversation_id
        model_id = self.state.model.id if self.state.model else None
        loading = self.state.loaded_model_id != model_id
        self.lease.acquire("chat")
        self._ended_status = ""
        self._set_stage("loading" if loading else ("reading" if has_images else "thinking"))
        self.views.composer.set_busy(True)
        self.views.chat.set_busy(True)
        self._elapsed_timer.start()
        self.runner.start(operation, SessionCallbacks)

    def stop(self) -> None:
        """Stop the answer being generated, whichever chat is on screen."""
        if self.generation is not None and self.runner.busy:
            self.generation.session.stop()
            self.status.emit(tr("Stopping…"))

    def shutdown(self, timeout: float) -> None:
        """The window closes: stop the answer (its text is kept) and wait for it."""
        if self.generation is not None and self.runner.busy:
            self.generation.session.stop()
            self.runner.wait(timeout)

    # -- generation events (GUI thread) ---------------------------------------------------

    def _answering_here(self) -> bool:
        return (
            self.generation is not None
            and self.generation.conversation_id == self.state.conversation_id
        )

    def streaming_widget(self) -> MessageWidget | None:
        """The card of the answer being generated, when its chat is on screen."""
        generation = self.generation
        if generation is None or generation.assistant_id is None or not self._answering_here():
            return None
        return self.views.chat.widget_for(generation.assistant_id)

    def _on_user_message(self, message: Any) -> None:
        self.views.composer.clear_after_send()
        if not self.views.first_run.downloading:  # chatting now: a new chat shows examples
            self.views.first_run.hide()
        if self._answering_here():
            chat = self.views.chat
            widget = chat.widget_for(message.id)
            if widget is None:
                chat.add_message(message)  # or its row updated, when it is not built
            else:
                widget.set_message(message)
            chat.scroll_to_bottom()
        if self._answering_here():
            self._chat_images += len(message.images)
            self._show_images_notice()  # still true after the send cleared the notices
        self.refresh_conversations()
        if self._answering_here():
            try:
                title = shown(self.state.store.conversation(message.conversation_id).title)
            except StoreError:
                return
            self.title_changed.emit(f"LocalSight — {title}")

    def _on_assistant_started(self, message: Any) -> None:
        if self.generation is None:
            return
        self.generation.assistant_id = message.id
        self.generation.text = message.text  # Continue: the answer so far, then the rest
        if self._answering_here():
            widget = self.views.chat.widget_for(message.id)
            if widget is None:
                self.views.chat.add_message(message)
            else:
                widget.set_message(message)
        self._show_stage()

    def _on_delta(self, text: str) -> None:
        if self.generation is None:
            return
        self.generation.text += text
        widget = self.streaming_widget()
        if widget is None:
            return
        started = time.perf_counter()
        # The whole text, not the delta: a card dropped while the person read far above and
        # built again when they came back must show all of it (same cost: a full re-render).
        widget.set_text(self.generation.text)
        widget.status.hide()
        # Re-rendering grows with the answer; repaint less often as it gets costly so the
        # GUI thread keeps most of its time for input (40 ms floor, 250 ms ceiling).
        cost_ms = (time.perf_counter() - started) * 1000
        self.runner.set_interval(int(min(max(cost_ms * 4, 40), 250)))

    def _on_notice(self, text: str) -> None:
        """Kept until the answer's card is final, then shown under it (``_on_finished``)."""
        if self.generation is not None:
            self.generation.notice = text

    def _on_finished(self, message: Any) -> None:
        ttft = None
        if self.runner.first_token_at is not None:
            ttft = self.runner.first_token_at - self.runner.started_at
        notice = self.generation.notice if self.generation is not None else ""
        if self._answering_here():
            chat = self.views.chat
            widget = chat.widget_for(message.id)
            if widget is None:  # not built (or new): its row is updated (or added)
                widget = chat.add_message(message)
            if widget is not None:  # None: not built, the person reads far above
                widget.set_message(message, ttft)
                if notice and message.state == "complete":
                    widget.show_status(notice)
                elif (
                    self.generation is not None
                    and self.generation.images_left_out
                    and message.state == "complete"
                ):
                    left_out = tr("Answered without seeing the images in this chat.")
                    shown = widget.status.text() if widget.status.isVisible() else ""
                    widget.show_status(f"{shown}\n{left_out}" if shown else left_out)
        # After a failure (an engine crash, a load error) the next answer may load again.
        model = self.state.model
        ok = message.state != "error" and model is not None
        self.state.loaded_model_id = model.id if ok and model is not None else None
        self._end_generation()
        if message.state == "complete":
            self._title_from_first_exchange(message)
        labels = {"interrupted": tr("Stopped"), "error": tr("The answer failed")}
        if getattr(message, "cut_by_limit", False):
            labels["complete"] = tr(
                "Stopped at the token limit: Continue asks for more of the answer"
            )
        self._ended_status = notice or labels.get(message.state, "")
        self.status.emit(self._ended_status or tr("Ready"))

    def _title_from_first_exchange(self, answer: StoredMessage) -> None:
        """After a chat's first answer, a short title from the exchange (never over a title
        the person gave)."""
        try:
            title = self.state.store.title_after_first_answer(answer.conversation_id, answer.id)
        except StoreError:
            return
        if title is None:
            return
        self.refresh_conversations()
        if answer.conversation_id == self.state.conversation_id:
            self.title_changed.emit(f"LocalSight — {title}")

    def _on_failed(self, message: str) -> None:
        """A failure before any answer row existed (e.g. the message could not be saved)."""
        self._end_generation()
        self.views.composer.show_notice(message, NOTICE_CHAT)
        self._ended_status = tr("Not sent")
        self.status.emit(self._ended_status)

    def _end_generation(self) -> None:
        self.generation = None
        self._elapsed_timer.stop()
        self.views.composer.set_busy(False)
        self.views.chat.set_busy(False)
        self.state.answering = None  # the sidebar is refreshed on this change
        self.lease.release("chat")
        composer = self.views.composer
        if self._busy_notice and composer.notice_text(NOTICE_CHAT) == self._busy_notice:
            composer.show_notice("", NOTICE_CHAT)  # "… is still answering" is no longer true
        self._busy_notice = ""
        composer.focus()

    def _set_stage(self, stage: str) -> None:
        if self.generation is not None:
            self.generation.stage = stage
        self._show_stage()

    def _stage_line(self) -> str:
        stage = self.generation.stage if self.generation is not None else ""
        if not stage:
            return ""
        elapsed = time.monotonic() - self.runner.started_at if self.runner.busy else 0.0
        text = tr(STAGE_TEXT.get(stage, stage))
        return f"{text} {elapsed:.0f} s" if elapsed >= 1 else text

    def _show_stage(self) -> None:
        line = self._stage_line()
        if not line:
            return
        self.status.emit(line)
        widget = self.streaming_widget()
        generation = self.generation
        if widget is not None and generation is not None and generation.stage != "writing":
            widget.show_status(line)
