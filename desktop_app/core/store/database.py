"""The chat history: one SQLite file that never loses what the user wrote or received.

Peers lost history on crashes, on updates and on streamed replies that were never saved
(docs/failures.md, item 5).  The rules this module keeps, and where:

* **Committed before it matters.** :meth:`Store.add_message` commits before returning, so the
  session saves the user's message before any generation starts; the streaming answer is a
  row in state ``streaming`` whose text the session flushes with :meth:`Store.update_message`.
* **A crash leaves ``interrupted``, never lost.** At open, rows still ``streaming`` belong to a
  process that died; they become ``interrupted`` with their text kept
  (:attr:`Store.interrupted_count`).  A live stream in another process is left alone
  (:class:`desktop_app.core.store.db_file.ProcessLock`).
* **A damaged file is set aside, never deleted** (:mod:`desktop_app.core.store.db_file`) and
  :attr:`Store.recovered_from` tells the window where it went.
* **Updates keep every row**: the schema is an ordered list of recorded migrations
  (:mod:`desktop_app.core.store.migrations`, which also holds the schema diagram).
* **A failed write says what to do.** Every sqlite3 error becomes a :class:`StoreError` whose
  ``str()`` is a sentence for a person; the failed transaction is rolled back whole, so what
  was saved before stays saved.
* **Images are stored once**, by the sha256 of their normalised bytes, with a thumbnail for
  the UI; an image no longer referenced by any message is removed with the last reference.

Thread safety: one connection, used under a re-entrant lock, so the window's thread and a
generation worker can share a store.  Each call holds the lock for one short transaction;
thumbnails are made before the lock is taken.

Qt-free by design: the window and the CLI both use it.  The records it returns and the
pure rules (titles, search queries, JSON columns) are in ``store_records.py``; opening and
rescuing the file is ``db_file.py``; the schema is ``migrations.py``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import EllipsisType
from typing import Any, Final

from backends.base import GenerationOptions, ImageInput, Stats
from backends.messages import message, message_from_data, message_to_data, sentence_of
from desktop_app.core.store.db_file import ProcessLock, open_checked
from desktop_app.core.store.errors import NotFound, StoreError, translate
from desktop_app.core.store.migrations import SchemaTooNew, migrate
from desktop_app.core.store.records import (
    DEFAULT_TITLE,
    ROLES,
    STATES,
    ConversationDetails,
    ConversationSummary,
    ImportedConversation,
    SearchHit,
    StoredImage,
    StoredMessage,
    StoredPreset,
    check_image,
    fts_query,
    make_thumbnail_or_empty,
    make_title,
    options_from_json,
    options_to_json,
    stats_from_json,
    stats_to_json,
    title_from_exchange,
)

__all__ = [
    "DEFAULT_TITLE",
    "ROLES",
    "STATES",
    "ConversationDetails",
    "ConversationSummary",
    "NotFound",
    "SearchHit",
    "Store",
    "StoreError",
    "StoredImage",
    "StoredMessage",
    "StoredPreset",
    "fts_query",
    "make_title",
]

_SNIPPET_TOKENS: Final = 12


def _error_of(english: str | None, kept: str | None) -> str | None:
    """A stored error: its kept translatable sentence when there is one that still says the
    stored English (``backends.messages.message_from_data``), else the English as stored."""
    if english is None or kept is None:
        return english
    try:
        data = json.loads(kept)
    except (ValueError, RecursionError):
        return english
    return message_from_data(data, english)


class Store:
    """The chat history. Create with :meth:`Store.open`; every method is thread-safe."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        lock: ProcessLock,
        *,
        recovered_from: Path | None = None,
    ) -> None:
        """Use :meth:`open`; this only wires an already migrated connection."""
        self._conn: sqlite3.Connection | None = conn
        self._process_lock = lock
        self._lock = threading.RLock()
        self._durable: bool | None = None
        self.path = path
        #: Where a damaged database was moved at this open, so the window can tell the user.
        self.recovered_from = recovered_from
        #: How many answers a crash had left 'streaming' and this open marked 'interrupted'.
        self.interrupted_count = 0

    # -- opening and closing ----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating, migrating or recovering) the database at ``path``.

        A damaged file is moved aside and a fresh one started (see ``recovered_from``);
        answers left streaming by a crash become interrupted (see ``interrupted_count``).
        Raises :class:`StoreError` when the file cannot be used and is not damaged
        (permissions, a newer release's schema, a full disk).
        """
        path = Path(path)
        conn, moved = open_checked(path)
        lock = ProcessLock(path)
        try:
            alone = lock.acquire_alone()
            try:
                migrate(conn)
            except SchemaTooNew as error:
                raise StoreError(
                    message(
                        "The chat history {path} was written by a newer LocalSight ({detail}). "
                        "Update LocalSight to open it; the file has not been changed.",
                        path=str(path),
                        detail=sentence_of(error),
                    ),
                    kind="too_new",
                ) from error
            except sqlite3.Error as error:
                raise translate(error, writing=True, path=path) from error
            store = cls(conn, path, lock, recovered_from=moved)
            if alone:
                store.interrupted_count = store._recover_streaming()
            lock.share()
            return store
        except BaseException:
            conn.close()
            lock.release()
            raise

    def _recover_streaming(self) -> int:
        with self._writing() as conn:
            cursor = conn.execute(
                "UPDATE messages SET state = 'interrupted', updated_at = ? "
                "WHERE state = 'streaming'",
                (time.time(),),
            )
            return cursor.rowcount

    def close(self) -> None:
        """Close the database. Idempotent; later calls on this store raise StoreError."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                # Only query-planner statistics: never worth failing a close for.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA optimize")
                conn.close()
            self._process_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(message("The chat history is closed."), kind="other")
        return self._conn

    @contextmanager
    def _writing(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``durable`` fsyncs the WAL at commit (synchronous=FULL)."""
        with self._lock:
            conn = self._connection()
            try:
                if self._durable is not durable:
                    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                    self._durable = durable
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback(conn)
                raise translate(error, writing=True, path=self.path) from error
            except BaseException:
                self._rollback(conn)
                raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so multi-query reads see one consistent snapshot."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback(conn)
                raise translate(error, writing=False, path=self.path) from error
            except BaseException:
                self._rollback(conn)
                raise

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        # SQLite may already have rolled back (e.g. after SQLITE_FULL); never mask the cause.
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # -- conversations --------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        title: str | None = None,
        model: str | None = None,
        backend: str | None = None,
        system_prompt: str | None = None,
        options: GenerationOptions | None = None,
    ) -> int:
        """A new, empty conversation; returns its id. No title means "from the first message"."""
        now = time.time()
        with self._writing() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations "
                "(title, created_at, updated_at, model, backend, system_prompt, options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (title or "").strip(),
                    now,
                    now,
                    model,
                    backend,
                    system_prompt,
                    options_to_json(options),
                ),
            )
            return int(cursor.lastrowid or 0)

    _SUMMARY_SQL: Final = (
        "SELECT c.id, c.title, c.updated_at, c.model, c.backend, "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id), c.pinned "
        "FROM conversations c "
    )

    @staticmethod
    def _summary(row: sqlite3.Row | tuple[Any, ...]) -> ConversationSummary:
        return ConversationSummary(
            id=row[0],
            title=row[1] or DEFAULT_TITLE,
            updated_at=row[2],
            model=row[3],
            backend=row[4],
            message_count=row[5],
            pinned=bool(row[6]),
        )

    def list_conversations(self) -> list[ConversationSummary]:
        """Every conversation: the pinned ones first, then by most recent activity."""
        with self._reading() as conn:
            rows = conn.execute(
                self._SUMMARY_SQL + "ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC"
            )
            return [self._summary(row) for row in rows]

    def conversation(self, conversation_id: int) -> ConversationSummary:
        """One conversation's summary; :class:`NotFound` if it does not exist."""
        with self._reading() as conn:
            row = conn.execute(self._SUMMARY_SQL + "WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise self._missing(conversation_id)
        return self._summary(row)

    def conversation_details(self, conversation_id: int) -> ConversationDetails:
        """Everything about a conversation but its messages (for export)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT id, title, created_at, updated_at, model, backend, system_prompt, "
                "options, own_settings FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise self._missing(conversation_id)
        return ConversationDetails(
            id=row[0],
            title=row[1] or DEFAULT_TITLE,
            created_at=row[2],
            updated_at=row[3],
            model=row[4],
            backend=row[5],
            system_prompt=row[6],
            options=options_from_json(row[7]),
            own_settings=bool(row[8]),
        )

    def conversation_settings(
        self, conversation_id: int
    ) -> tuple[str | None, GenerationOptions | None]:
        """The conversation's system prompt and generation options."""
        details = self.conversation_details(conversation_id)
        return details.system_prompt, details.options

    def update_conversation(
        self,
        conversation_id: int,
        *,
        model: str | EllipsisType | None = ...,
        backend: str | EllipsisType | None = ...,
        system_prompt: str | EllipsisType | None = ...,
        options: GenerationOptions | EllipsisType | None = ...,
    ) -> None:
        """Change only the fields given (``...`` means "leave as is"; None clears)."""
        changes: dict[str, object] = {}
        if not isinstance(model, EllipsisType):
            changes["model"] = model
        if not isinstance(backend, EllipsisType):
            changes["backend"] = backend
        if not isinstance(system_prompt, EllipsisType):
            changes["system_prompt"] = system_prompt
        if not isinstance(options, EllipsisType):
            changes["options"] = options_to_json(options)
        self._update_conversation_columns(conversation_id, changes)

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title; an empty title means "the default title".

        A title given here is the person's: a title made from the first exchange never
        replaces it (:meth:`title_after_first_answer`); an empty one hands the title back.
        """
        title = title.strip()
        self._update_conversation_columns(
            conversation_id, {"title": title, "title_by_user": int(bool(title))}
        )

    def own_settings(self, conversation_id: int) -> tuple[str | None, GenerationOptions | None]:
        """The chat's own system prompt and options, or (None, None) when it follows the
        app's settings (the columns then only record what its last answer used)."""
        details = self.conversation_details(conversation_id)
        if not details.own_settings:
            return None, None
        return details.system_prompt, details.options

    def set_own_settings(
        self,
        conversation_id: int,
        system_prompt: str | None,
        options: GenerationOptions | None,
    ) -> None:
        """Give the chat its own system prompt and options; (None, None): it follows the
        app's settings again."""
        own = system_prompt is not None or options is not None
        self._update_conversation_columns(
            conversation_id,
            {
                "system_prompt": system_prompt,
                "options": options_to_json(options),
                "own_settings": int(own),
            },
        )

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        """Pin a chat (listed first) or unpin it; its activity time is left as it was."""
        self._update_conversation_columns(conversation_id, {"pinned": int(pinned)})

    def title_after_first_answer(self, conversation_id: int, answer_id: int) -> str | None:
        """Title the chat from its first exchange once ``answer_id``, its first answer, is in.

        Returns the new title, or None when nothing changed: the answer is not the chat's
        first, the person gave the title (renaming), or the exchange has no words.  One
        transaction, so a rename that lands meanwhile is never overwritten.
        """
        with self._writing() as conn:
            row = conn.execute(
                "SELECT title, title_by_user FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise self._missing(conversation_id)
            if row[1]:
                return None
            answer = conn.execute(
                "SELECT text, parent_id FROM messages "
                "WHERE id = ? AND conversation_id = ? AND role = 'assistant'",
                (answer_id, conversation_id),
            ).fetchone()
            if answer is None:
                return None
            # The answer's own branch, walked up until an earlier answer (then it is not the
            # first) or the root: a regenerated or edited first exchange still titles the
            # chat, which the first answer by position (a hidden version) never did.
            above = conn.execute(
                "WITH RECURSIVE up(id, role, text, parent, depth) AS ("
                " SELECT id, role, text, parent_id, 0 FROM messages WHERE id = ?"
                " UNION ALL"
                " SELECT m.id, m.role, m.text, m.parent_id, up.depth + 1"
                " FROM messages m JOIN up ON m.id = up.parent WHERE up.role != 'assistant'"
                ") SELECT role, text FROM up ORDER BY depth",
                (answer[1],),
            ).fetchall()
            if any(role == "assistant" for role, _text in above):
                return None
            questions = [text for role, text in above if role == "user"]
            title = title_from_exchange(questions[-1] if questions else "", answer[0])
            if not title or title == row[0]:
                return None
            conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
            )
            return title

    def _update_conversation_columns(
        self, conversation_id: int, changes: dict[str, object]
    ) -> None:
        with self._writing() as conn:
            if not changes:
                self._require_conversation(conn, conversation_id)
                return
            # Column names come from the fixed keys above, never from the caller.
            assignments = ", ".join(f"{column} = ?" for column in changes)
            cursor = conn.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?",
                (*changes.values(), conversation_id),
            )
            if cursor.rowcount == 0:
                raise self._missing(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete a conversation, its messages, and images no other message uses."""
        with self._writing() as conn:
            # Unlink the messages first: ``parent_id`` cascades, and SQLite counts each link
            # of a chain as one more nested trigger (its limit, 1000, was a 1000-message chat
            # that could not be deleted).
            conn.execute(
                "UPDATE messages SET parent_id = NULL WHERE conversation_id = ?",
                (conversation_id,),
            )
            cursor = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if cursor.rowcount == 0:
                raise self._missing(conversation_id)
            self._delete_unreferenced_images(conn)

    # -- messages -------------------------------------------------------------------------

    #: The visible branch: from the conversation's active leaf up through the parents.
    _BRANCH_SQL: Final = (
        "WITH RECURSIVE branch(id) AS ("
        " SELECT active_leaf FROM conversations WHERE id = :conversation"
        " UNION ALL"
        " SELECT m.parent_id FROM messages m JOIN branch b ON m.id = b.id"
        " WHERE m.parent_id IS NOT NULL) "
    )
    _MESSAGE_COLUMNS: Final = (
        "m.id, m.conversation_id, m.role, m.text, m.state, m.stats, m.error, m.created_at, "
        "m.finish_reason, m.token_limit, m.error_message"
    )

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        """The conversation's visible branch in order; :class:`NotFound` if it does not exist.

        Versions that Regenerate or Edit kept aside are not in it (each message lists its
        ``versions``; :meth:`show_version` changes the branch).  The walk up from the leaf
        follows the primary key, so it costs what the branch's length costs.
        """
        with self._reading() as conn:
            self._require_conversation(conn, conversation_id)
            where = {"conversation": conversation_id}
            images: dict[int, list[StoredImage]] = {}
            for message_id, sha256, mime, width, height in conn.execute(
                self._BRANCH_SQL + "SELECT mi.message_id, i.sha256, i.mime, i.width, i.height "
                "FROM message_images mi JOIN images i ON i.sha256 = mi.sha256 "
                "WHERE mi.message_id IN branch ORDER BY mi.message_id, mi.ordinal",
                where,
            ):
                images.setdefault(message_id, []).append(StoredImage(sha256, mime, width, height))
            versions: dict[int, list[int]] = {}
            # Driven from the branch (CROSS JOIN keeps that order): a lookup per message
            # shown, whatever the number of hidden versions.
            for message_id, sibling in conn.execute(
                self._BRANCH_SQL + "SELECT m.id, s.id FROM branch b "
                "CROSS JOIN messages m ON m.id = b.id "
                "CROSS JOIN messages s ON s.conversation_id = m.conversation_id "
                "AND s.parent_id IS m.parent_id "
                "WHERE m.conversation_id = :conversation ORDER BY s.id",
                where,
            ):
                versions.setdefault(message_id, []).append(sibling)
            rows = conn.execute(
                self._BRANCH_SQL + f"SELECT {self._MESSAGE_COLUMNS} FROM branch b "
                "CROSS JOIN messages m ON m.id = b.id "
                "WHERE m.conversation_id = :conversation ORDER BY m.position",
                where,
            ).fetchall()
        return [
            self._message(row, tuple(images.get(row[0], ())), tuple(versions.get(row[0], ())))
            for row in rows
        ]

    def message(self, message_id: int) -> StoredMessage:
        """One message by id (shown or not); :class:`NotFound` if it does not exist."""
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {self._MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?",
                (message_id,),
            ).fetchone()
            if row is None:
                raise NotFound(
                    message(
                        "Message {message} is not in the chat history any more.",
                        message=message_id,
                    )
                )
            images = tuple(
                StoredImage(*image)
                for image in conn.execute(
                    "SELECT i.sha256, i.mime, i.width, i.height FROM message_images mi "
                    "JOIN images i ON i.sha256 = mi.sha256 WHERE mi.message_id = ? "
                    "ORDER BY mi.ordinal",
                    (message_id,),
                )
            )
            versions = self._versions(conn, message_id)
        return self._message(row, images, versions)

    def versions(self, message_id: int) -> tuple[int, ...]:
        """The ids of ``message_id`` and its other versions, oldest first."""
        with self._reading() as conn:
            return self._versions(conn, message_id)

    @staticmethod
    def _versions(conn: sqlite3.Connection, message_id: int) -> tuple[int, ...]:
        return tuple(
            row[0]
            for row in conn.execute(
                "SELECT s.id FROM messages m JOIN messages s "
                "ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id "
                "WHERE m.id = ? ORDER BY s.id",
                (message_id,),
            )
        )

    def show_version(self, message_id: int) -> None:
        """Make the branch through ``message_id`` the visible one.

        Below it, the branch follows the child shown last at each step (``chosen_at``), so
        going back to an earlier version of a question shows the answers it had then.
        """
        now = time.time()
        with self._writing() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise NotFound(
                    message(
                        "Message {message} is not in the chat history any more.",
                        message=message_id,
                    )
                )
            conversation_id = int(row[0])
            leaf = message_id
            while True:
                child = conn.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND parent_id = ? "
                    "ORDER BY chosen_at DESC, id DESC LIMIT 1",
                    (conversation_id, leaf),
                ).fetchone()
                if child is None:
                    break
                leaf = int(child[0])
            self._set_leaf(conn, conversation_id, leaf, now)

    def _set_leaf(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        leaf: int | None,
        now: float,
        *,
        mark: bool = True,
    ) -> None:
        """Show the branch ending at ``leaf``; ``mark``: remember each of its messages as
        the chosen one among its versions."""
        conn.execute(
            "UPDATE conversations SET active_leaf = ? WHERE id = ?", (leaf, conversation_id)
        )
        if leaf is not None and mark:
            conn.execute(
                self._BRANCH_SQL + "UPDATE messages SET chosen_at = :now WHERE id IN branch",
                {"conversation": conversation_id, "now": now},
            )

    @staticmethod
    def _message(
        row: tuple[Any, ...], images: tuple[StoredImage, ...], versions: tuple[int, ...] = ()
    ) -> StoredMessage:
        return StoredMessage(
            id=row[0],
            conversation_id=row[1],
            role=row[2],
            text=row[3],
            state=row[4],
            images=images,
            stats=stats_from_json(row[5]),
            error=_error_of(row[6], row[10]),
            created_at=row[7],
            versions=versions or (row[0],),
            finish_reason=row[8],
            token_limit=row[9],
        )

    def add_message(
        self,
        conversation_id: int,
        role: str,
        text: str,
        images: Sequence[ImageInput] = (),
        *,
        state: str = "complete",
        version_of: int | None = None,
    ) -> StoredMessage:
        """Append a message (and its images, stored once each) and commit before returning.

        The message follows the visible branch's last message, or, with ``version_of``,
        becomes a new version of that message (same place in the conversation; the old one
        is kept, hidden).  Either way the branch ending with it is the one shown.  One
        transaction: an edit whose images changed is never half saved.  Marks the
        conversation as active now, and titles an untitled conversation from its first user
        message.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        if state not in STATES:
            raise ValueError(f"state must be one of {sorted(STATES)}, not {state!r}")
        for image in images:
            check_image(image)
        thumbnails = self._thumbnails_for_new(images)
        now = time.time()
        with self._writing() as conn:
            title = self._require_conversation(conn, conversation_id)
            parent = self._parent_for_new(conn, conversation_id, version_of)
            # Positions only grow: every branch, read in position order, is in order.
            (position,) = conn.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, position, role, text, state, "
                "created_at, updated_at, parent_id, chosen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, position, role, text, state, now, now, parent, now),
            )
            message_id = int(cursor.lastrowid or 0)
            # Appending to the shown branch: its messages are already the chosen ones, so
            # only the leaf moves (marking a long branch on every message would cost).
            self._set_leaf(conn, conversation_id, message_id, now, mark=version_of is not None)
            self._link_images(conn, message_id, images, thumbnails, now)
            new_title = make_title(text) if role == "user" and not title else ""
            if new_title:
                conn.execute(
                    "UPDATE conversations SET updated_at = ?, title = ? WHERE id = ?",
                    (now, new_title, conversation_id),
                )
            else:
                conn.execute(
                    "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
                )
            versions = self._versions(conn, message_id)
        return StoredMessage(
            id=message_id,
            conversation_id=conversation_id,
            role=role,
            text=text,
            state=state,
            images=tuple(StoredImage(i.sha256, i.mime, i.width, i.height) for i in images),
            stats=None,
            error=None,
            created_at=now,
            versions=versions,
        )

    def _parent_for_new(
        self, conn: sqlite3.Connection, conversation_id: int, version_of: int | None
    ) -> int | None:
        """Where a new message hangs: after the visible branch, or beside ``version_of``."""
        if version_of is None:
            row = conn.execute(
                "SELECT c.active_leaf FROM conversations c JOIN messages m "
                "ON m.id = c.active_leaf AND m.conversation_id = c.id WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
            return None if row is None else row[0]
        row = conn.execute(
            "SELECT parent_id FROM messages WHERE id = ? AND conversation_id = ?",
            (version_of, conversation_id),
        ).fetchone()
        if row is None:
            raise NotFound(
                message(
                    "Message {message} is not in conversation {conversation} any more.",
                    message=version_of,
                    conversation=conversation_id,
                )
            )
        return None if row[0] is None else int(row[0])

    @staticmethod
    def _link_images(
        conn: sqlite3.Connection,
        message_id: int,
        images: Sequence[ImageInput],
        thumbnails: dict[str, bytes],
        now: float,
    ) -> None:
        """Give a new message its images, in order; an image not stored yet (it has a
        thumbnail from ``_thumbnails_for_new``) is stored once, for every message using it."""
        for ordinal, image in enumerate(images):
            if image.sha256 in thumbnails:
                conn.execute(
                    "INSERT OR IGNORE INTO images "
                    "(sha256, mime, width, height, data, thumbnail, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        image.sha256,
                        image.mime,
                        image.width,
                        image.height,
                        image.data,
                        thumbnails[image.sha256],
                        now,
                    ),
                )
            conn.execute(
                "INSERT INTO message_images (message_id, sha256, ordinal) VALUES (?, ?, ?)",
                (message_id, image.sha256, ordinal),
            )

    def _thumbnails_for_new(self, images: Sequence[ImageInput]) -> dict[str, bytes]:
        """Thumbnails for the images not stored yet, made before any lock is taken.

        An image stored by another thread meanwhile is harmless: the insert is OR IGNORE.
        """
        if not images:
            return {}
        wanted = {image.sha256: image for image in images}
        with self._reading() as conn:
            marks = ", ".join("?" * len(wanted))
            known = {
                row[0]
                for row in conn.execute(
                    f"SELECT sha256 FROM images WHERE sha256 IN ({marks})", tuple(wanted)
                )
            }
        return {
            sha: make_thumbnail_or_empty(image) for sha, image in wanted.items() if sha not in known
        }

    def update_message(
        self,
        message_id: int,
        *,
        text: str | None = None,
        state: str | None = None,
        stats: Stats | None = None,
        error: str | None = None,
        finish_reason: str | None = None,
        token_limit: int | None = None,
    ) -> None:
        """Change only the fields given.

        Updating a ``streaming`` row without ending it (the session's periodic flush)
        commits without an fsync (``synchronous=NORMAL``: safe against a crash of the app,
        cheap on an SD card); every other update is fsynced, like every other write.
        """
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {sorted(STATES)}, not {state!r}")
        now = time.time()
        changes: dict[str, object] = {"updated_at": now}
        if text is not None:
            changes["text"] = text
        if state is not None:
            changes["state"] = state
        if stats is not None:
            changes["stats"] = stats_to_json(stats)
        if error is not None:
            changes["error"] = str(error)
            kept = message_to_data(error)
            changes["error_message"] = None if kept is None else json.dumps(kept)
        if finish_reason is not None:
            changes["finish_reason"] = finish_reason
        if token_limit is not None:
            changes["token_limit"] = token_limit
        with self._lock:
            with self._reading() as conn:
                row = conn.execute(
                    "SELECT conversation_id, state FROM messages WHERE id = ?", (message_id,)
                ).fetchone()
            if row is None:
                raise NotFound(
                    message(
                        "Message {message} is not in the chat history any more.",
                        message=message_id,
                    )
                )
            flush = row[1] == "streaming" and state in (None, "streaming")
            self._apply_message_update(message_id, row[0], changes, durable=not flush)

    def _apply_message_update(
        self, message_id: int, conversation_id: int, changes: dict[str, object], *, durable: bool
    ) -> None:
        now = changes["updated_at"]
        with self._writing(durable=durable) as conn:
            # Column names come from the fixed keys above, never from the caller.
            assignments = ", ".join(f"{column} = ?" for column in changes)
            cursor = conn.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", (*changes.values(), message_id)
            )
            if cursor.rowcount == 0:
                raise NotFound(
                    message(
                        "Message {message} is not in the chat history any more.",
                        message=message_id,
                    )
                )
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
            )

    def delete_messages_after(
        self, conversation_id: int, message_id: int, *, inclusive: bool = False
    ) -> None:
        """Delete the messages after ``message_id`` (and it too if ``inclusive``).

        Regenerate and Edit keep versions instead (``add_message(version_of=...)``); this
        removes messages for good, in every branch.  Images no other message uses are
        removed.  The branch shown then ends at the last message left before the cut.
        """
        with self._writing() as conn:
            row = conn.execute(
                "SELECT position, parent_id FROM messages WHERE id = ? AND conversation_id = ?",
                (message_id, conversation_id),
            ).fetchone()
            if row is None:
                raise NotFound(
                    message(
                        "Message {message} is not in conversation {conversation} any more.",
                        message=message_id,
                        conversation=conversation_id,
                    )
                )
            cut = ">=" if inclusive else ">"
            # Every child has a later position than its parent, so the rows deleted are
            # whole subtrees: unlinked first, as in ``delete_conversation``.
            conn.execute(
                "UPDATE messages SET parent_id = NULL "
                f"WHERE conversation_id = ? AND position {cut} ?",
                (conversation_id, row[0]),
            )
            conn.execute(
                f"DELETE FROM messages WHERE conversation_id = ? AND position {cut} ?",
                (conversation_id, row[0]),
            )
            leaf = message_id if not inclusive else row[1]
            if (
                leaf is None
                or not conn.execute("SELECT 1 FROM messages WHERE id = ?", (leaf,)).fetchone()
            ):
                leaf = None
            self._set_leaf(conn, conversation_id, leaf, time.time())
            self._delete_unreferenced_images(conn)

    # -- images ---------------------------------------------------------------------------

    def image(self, sha256: str) -> ImageInput:
        """The stored normalised image, ready to send to a backend again."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT data, mime, width, height FROM images WHERE sha256 = ?", (sha256,)
            ).fetchone()
        if row is None:
            raise NotFound(
                message(
                    "The image {image}… is not in the chat history any more.", image=sha256[:12]
                )
            )
        return ImageInput(bytes(row[0]), row[1], sha256, row[2], row[3])

    def thumbnail(self, sha256: str) -> bytes:
        """A small preview (PNG or JPEG, long edge about 128 px) for the UI."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT thumbnail, data FROM images WHERE sha256 = ?", (sha256,)
            ).fetchone()
        if row is None:
            raise NotFound(
                message(
                    "The image {image}… is not in the chat history any more.", image=sha256[:12]
                )
            )
        return bytes(row[0] or row[1])

    @staticmethod
    def _delete_unreferenced_images(conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM images WHERE NOT EXISTS "
            "(SELECT 1 FROM message_images mi WHERE mi.sha256 = images.sha256)"
        )

    # -- search ---------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """The chats with a message containing every word of ``query`` (the last word as a
        prefix), best first: one hit per chat, its best-matching message (the newest of
        equally good ones), and ``limit`` counts chats.

        One per chat because the sidebar shows a line per hit, and a chat listed once per
        matching message buried every other chat.  The best message per chat is chosen on
        the rank alone; the snippet is made only for the chosen ones (a common word can
        match thousands of messages).  Any input is safe: it is quoted, never parsed as
        FTS5 syntax.
        """
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        with self._reading() as conn:
            rows = conn.execute(
                "WITH best AS ("
                " SELECT m.id AS id, row_number() OVER ("
                "  PARTITION BY m.conversation_id ORDER BY messages_fts.rank, m.id DESC) AS nth"
                " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                " WHERE messages_fts MATCH ?) "
                "SELECT m.conversation_id, m.id, c.title, "
                f"snippet(messages_fts, 0, '', '', '…', {_SNIPPET_TOKENS}) "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE messages_fts MATCH ? "
                "AND m.id IN (SELECT id FROM best WHERE nth = 1) "
                "ORDER BY messages_fts.rank, m.id DESC LIMIT ?",
                (match, match, limit),
            ).fetchall()
        return [SearchHit(row[0], row[1], row[2] or DEFAULT_TITLE, row[3]) for row in rows]

    # -- presets --------------------------------------------------------------------------

    def presets(self) -> list[StoredPreset]:
        """The presets the person saved, by name."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, name, system_prompt, options, prompt FROM presets "
                "ORDER BY name COLLATE NOCASE, id"
            ).fetchall()
        return [
            StoredPreset(row[0], row[1], row[2], options_from_json(row[3]), row[4]) for row in rows
        ]

    def add_preset(
        self,
        name: str,
        *,
        system_prompt: str | None,
        options: GenerationOptions | None,
        prompt: str | None = None,
    ) -> StoredPreset:
        """Save a preset; ``ValueError`` when the name is empty or taken (a sentence)."""
        name = self._preset_name(name)
        with self._writing() as conn:
            self._require_free_name(conn, name, None)
            cursor = conn.execute(
                "INSERT INTO presets (name, system_prompt, options, prompt, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, system_prompt, options_to_json(options), prompt, time.time()),
            )
            preset_id = int(cursor.lastrowid or 0)
        return StoredPreset(preset_id, name, system_prompt, options, prompt)

    def rename_preset(self, preset_id: int, name: str) -> None:
        """Rename a saved preset; ``ValueError`` when the name is empty or taken."""
        name = self._preset_name(name)
        with self._writing() as conn:
            self._require_free_name(conn, name, preset_id)
            cursor = conn.execute("UPDATE presets SET name = ? WHERE id = ?", (name, preset_id))
            if cursor.rowcount == 0:
                raise NotFound(message("Preset {preset} is not saved any more.", preset=preset_id))

    def delete_preset(self, preset_id: int) -> None:
        """Delete a saved preset (chats that used it keep their settings)."""
        with self._writing() as conn:
            cursor = conn.execute("DELETE FROM presets WHERE id = ?", (preset_id,))
            if cursor.rowcount == 0:
                raise NotFound(message("Preset {preset} is not saved any more.", preset=preset_id))

    @staticmethod
    def _preset_name(name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise ValueError(message("A preset needs a name."))
        return name

    @staticmethod
    def _require_free_name(conn: sqlite3.Connection, name: str, own_id: int | None) -> None:
        row = conn.execute(
            "SELECT id FROM presets WHERE name = ? COLLATE NOCASE", (name,)
        ).fetchone()
        if row is not None and row[0] != own_id:
            raise ValueError(
                message("A preset named “{name}” exists already; choose another name.", name=name)
            )

    # -- import ---------------------------------------------------------------------------

    def import_conversations(self, conversations: Sequence[ImportedConversation]) -> list[int]:
        """Add conversations read from an export, all in one transaction; their new ids.

        The importer (``desktop_app.core.chat.import_chat``) has checked every value and
        every image (its sha256 is its data's); here a failure of any part rolls back the
        whole import, so the history is as it was.  Times are kept as exported; titles
        count as the person's (an imported chat is not re-titled).
        """
        for conversation in conversations:
            for turn in conversation.messages:
                if turn.role not in ROLES or turn.state not in STATES:
                    raise ValueError(f"unknown role or state: {turn.role!r}, {turn.state!r}")
                for image in turn.images:
                    check_image(image)
        thumbnails: dict[str, bytes] = {}
        for conversation in conversations:
            for turn in conversation.messages:
                thumbnails.update(self._thumbnails_for_new(turn.images))
        ids: list[int] = []
        now = time.time()
        with self._writing() as conn:
            for conversation in conversations:
                cursor = conn.execute(
                    "INSERT INTO conversations (title, created_at, updated_at, model, backend, "
                    "system_prompt, options, title_by_user, own_settings) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    (
                        conversation.title.strip(),
                        conversation.created_at,
                        conversation.updated_at,
                        conversation.model,
                        conversation.backend,
                        conversation.system_prompt,
                        options_to_json(conversation.options),
                        int(conversation.own_settings),
                    ),
                )
                conversation_id = int(cursor.lastrowid or 0)
                # An export holds the branch that was shown: it comes back as one branch,
                # each message the child of the one before, the last one shown.
                parent: int | None = None
                for position, turn in enumerate(conversation.messages, start=1):
                    cursor = conn.execute(
                        "INSERT INTO messages (conversation_id, position, role, text, state, "
                        "stats, error, created_at, updated_at, parent_id, chosen_at, "
                        "finish_reason, token_limit) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            conversation_id,
                            position,
                            turn.role,
                            turn.text,
                            turn.state,
                            stats_to_json(turn.stats),
                            turn.error,
                            turn.created_at,
                            turn.created_at,
                            parent,
                            turn.created_at,
                            turn.finish_reason,
                            turn.token_limit,
                        ),
                    )
                    turn_id = int(cursor.lastrowid or 0)
                    parent = turn_id
                    self._link_images(conn, turn_id, turn.images, thumbnails, now)
                self._set_leaf(conn, conversation_id, parent, now, mark=False)
                ids.append(conversation_id)
        return ids

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _missing(conversation_id: int) -> NotFound:
        return NotFound(
            message(
                "Conversation {conversation} is not in the chat history any more.",
                conversation=conversation_id,
            )
        )

    def _require_conversation(self, conn: sqlite3.Connection, conversation_id: int) -> str:
        """The conversation's stored title ('' if none); NotFound if it does not exist."""
        row = conn.execute(
            "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise self._missing(conversation_id)
        return str(row[0] or "")
