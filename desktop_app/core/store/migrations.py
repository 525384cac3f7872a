"""The chat database's schema, as an ordered list of migrations recorded in the database.

Why: peers lost users' history on updates because a new release changed tables in place.
Here every schema change is a new :class:`Migration` appended to :data:`MIGRATIONS`, never
an edit of an old one; each is applied once, in order, in its own transaction, and recorded
in ``schema_migrations`` (version, name, applied_at), with ``PRAGMA user_version`` mirroring
the latest version so external tools see it without reading a table.  A crash in the middle
of a migration rolls that migration back whole; the next start applies it again.

Rules for whoever adds migration N+1: append it (do not renumber), make it keep every row
(copy data forward, never drop a table holding user data), and add a test in
``tests/unit/test_store.py`` that builds a database with migrations 1..N, fills it, upgrades it and
finds every row.

The schema after all migrations (ids are AUTOINCREMENT: never reused)::

    conversations                          messages
    ─────────────                          ────────
    id            INTEGER PK  ◄─────────┐  id              INTEGER PK  ◄───────────────┐
    title         TEXT  ('' = untitled) └─ conversation_id INTEGER FK  ON DELETE CASCADE│
    created_at    REAL  (epoch seconds)    position        INTEGER  UNIQUE(conv, pos)   │
    updated_at    REAL  (last activity)    role            TEXT  system|user|assistant  │
    model         TEXT  NULL               text            TEXT                         │
    backend       TEXT  NULL               state           TEXT  complete|streaming|    │
    system_prompt TEXT  NULL                                     interrupted|error      │
    options       TEXT  NULL (JSON)        stats           TEXT  NULL (JSON)            │
    active_leaf   INTEGER NULL (v3: the    error           TEXT  NULL                   │
                  last message shown)      created_at, updated_at  REAL                 │
    pinned        INTEGER 0|1 (v4)         parent_id       INTEGER NULL FK messages (v3)│
    title_by_user INTEGER 0|1 (v4)         chosen_at       REAL  (v3, last shown)       │
    own_settings  INTEGER 0|1 (v4)         finish_reason   TEXT  NULL stop|length|...   │
                                           token_limit     INTEGER NULL (v3)            │
                                                                                        │
    images                                 message_images                               │
    ──────                                 ──────────────                               │
    sha256        TEXT PK  ◄────────────── sha256          TEXT FK  (no cascade)        │
    mime          TEXT                     message_id      INTEGER FK  ON DELETE CASCADE┘
    width, height INTEGER                  ordinal         INTEGER
    data          BLOB (normalised bytes)  PRIMARY KEY (message_id, ordinal)
    thumbnail     BLOB (~128 px preview)
    created_at    REAL                     messages_fts    FTS5(text), external content
                                                           = messages, 3 sync triggers
    presets (v4)  id INTEGER PK, name TEXT UNIQUE, system_prompt TEXT NULL,
                  options TEXT NULL (JSON), prompt TEXT NULL, created_at REAL
    schema_migrations (version INTEGER PK, name TEXT, applied_at REAL)
    PRAGMA user_version = latest version
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from backends.messages import message

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "Migration",
    "SchemaTooNew",
    "applied_versions",
    "current_version",
    "migrate",
]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. ``apply`` runs inside a transaction the runner opened and commits."""

    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


class SchemaTooNew(Exception):
    """The database was written by a newer LocalSight; it is left untouched."""


def _sql(*statements: str) -> Callable[[sqlite3.Connection], None]:
    """A migration made of plain statements.

    Statements are run one by one with ``execute`` rather than ``executescript``, because
    ``executescript`` commits any open transaction first and would break the
    one-migration-one-transaction rule.
    """

    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return apply


# AUTOINCREMENT: ids are never reused, so a window still holding the id of a deleted
# conversation or a regenerated answer can never write into, or show, a different one.
_V1_CORE = _sql(
    """
    CREATE TABLE conversations (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        title         TEXT    NOT NULL DEFAULT '',
        created_at    REAL    NOT NULL,
        updated_at    REAL    NOT NULL,
        model         TEXT,
        backend       TEXT,
        system_prompt TEXT,
        options       TEXT
    )
    """,
    "CREATE INDEX conversations_by_activity ON conversations (updated_at DESC, id DESC)",
    """
    CREATE TABLE messages (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        text            TEXT    NOT NULL DEFAULT '',
        state           TEXT    NOT NULL DEFAULT 'complete'
                        CHECK (state IN ('complete', 'streaming', 'interrupted', 'error')),
        stats           TEXT,
        error           TEXT,
        created_at      REAL    NOT NULL,
        updated_at      REAL    NOT NULL,
        UNIQUE (conversation_id, position)
    )
    """,
    # Startup recovery looks for 'streaming' rows; a partial index keeps that instant.
    "CREATE INDEX messages_streaming ON messages (state) WHERE state = 'streaming'",
    # Images are rowid tables on purpose: WITHOUT ROWID is slow for rows holding big blobs.
    """
    CREATE TABLE images (
        sha256     TEXT    PRIMARY KEY,
        mime       TEXT    NOT NULL,
        width      INTEGER NOT NULL,
        height     INTEGER NOT NULL,
        data       BLOB    NOT NULL,
        thumbnail  BLOB    NOT NULL,
        created_at REAL    NOT NULL
    )
    """,
    # No cascade from images: an image still referenced can never be deleted by accident.
    """
    CREATE TABLE message_images (
        message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        sha256     TEXT    NOT NULL REFERENCES images (sha256),
        ordinal    INTEGER NOT NULL,
        PRIMARY KEY (message_id, ordinal)
    )
    """,
    "CREATE INDEX message_images_by_sha256 ON message_images (sha256)",
)

# External-content FTS5: the text lives once, in messages; the index follows it through
# triggers.  The 'delete' command must be given the old text exactly, which the triggers do.
_V2_SEARCH = _sql(
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        text,
        content = 'messages',
        content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
    END
    """,
    # Messages written before search existed become searchable.
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
)

# Versions (issue 17): Regenerate and Edit add a sibling instead of deleting, so the
# messages form a tree.  ``parent_id`` is the message before this one in its branch (NULL for
# a conversation's first messages); ``conversations.active_leaf`` is the last message of the
# branch on screen, whose ancestors are what ``Store.messages`` returns.  ``chosen_at``
# remembers which child was shown last, so switching a version back restores the branch
# that followed it.  ``finish_reason`` / ``token_limit`` keep why an answer ended ("length":
# cut by the token limit, shown with Continue after a restart).  Existing chats are one
# branch: each message's parent is the one before it by position, the leaf the last one.
_V3_VERSIONS = _sql(
    "ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE",
    "ALTER TABLE messages ADD COLUMN chosen_at REAL NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN finish_reason TEXT",
    "ALTER TABLE messages ADD COLUMN token_limit INTEGER",
    "ALTER TABLE conversations ADD COLUMN active_leaf INTEGER",
    """
    UPDATE messages SET parent_id = (
        SELECT p.id FROM messages p
        WHERE p.conversation_id = messages.conversation_id AND p.position < messages.position
        ORDER BY p.position DESC LIMIT 1
    )
    """,
    """
    UPDATE conversations SET active_leaf = (
        SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id
        ORDER BY m.position DESC LIMIT 1
    )
    """,
    # Children of a message (and a conversation's first messages, parent NULL), for the
    # versions of a message and for following the chosen branch down.
    "CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id)",
)

# Pinned chats are listed first; ``title_by_user`` marks a title the person gave by renaming,
# which a title made from the first exchange never replaces (existing titles count as made
# from the first message: the app could not tell them apart before).  Presets are the
# person's saved chat settings (the built-in ones live in code, desktop_app/core/chat/presets.py);
# they are kept here rather than in settings.json because they are the person's content, like
# chats, and that file's schema holds flat values only.
_V4_PINS_TITLES_PRESETS = _sql(
    "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE conversations ADD COLUMN title_by_user INTEGER NOT NULL DEFAULT 0",
    # 1: the system prompt and options are the chat's own (Chat settings…, a preset); 0: the
    # window answers with the app's settings and the columns only record what was used
    # (every chat before this migration: the window then used the app's settings too).
    "ALTER TABLE conversations ADD COLUMN own_settings INTEGER NOT NULL DEFAULT 0",
    """
    CREATE TABLE presets (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL UNIQUE,
        system_prompt TEXT,
        options       TEXT,
        prompt        TEXT,
        created_at    REAL    NOT NULL
    )
    """,
)

# Deleting a message looks up its children by ``parent_id`` (the foreign key's cascade);
# without an index led by that column each lookup scanned the chat's index: 5.8 s to
# delete a 10 000-message chat, 0.1 s with it.
_V5_PARENT_INDEX = _sql("CREATE INDEX messages_by_parent_id ON messages (parent_id)")

# A failed answer's error is kept in English (``error``: exports and older readers use it)
# and, beside it, as the translatable sentence it was (``backends.messages``: its template
# and values, JSON), so a chat reopened later shows the failure in the reader's language.
_V6_ERROR_MESSAGE = _sql("ALTER TABLE messages ADD COLUMN error_message TEXT")

MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "conversations, messages, images", _V1_CORE),
    Migration(2, "full-text search over messages", _V2_SEARCH),
    Migration(3, "message versions (a tree of branches) and finish reasons", _V3_VERSIONS),
    Migration(4, "pinned chats, titles given by the person, presets", _V4_PINS_TITLES_PRESETS),
    Migration(5, "an index for deleting messages by their parent", _V5_PARENT_INDEX),
    Migration(6, "a failed answer's error kept translatable", _V6_ERROR_MESSAGE),
)
LATEST_VERSION: Final[int] = MIGRATIONS[-1].version

_BOOKKEEPING = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL,
        applied_at REAL    NOT NULL
    )
"""


def applied_versions(conn: sqlite3.Connection) -> list[int]:
    """Versions recorded in ``schema_migrations``, ascending; empty for a new database."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return []
    return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


def current_version(conn: sqlite3.Connection) -> int:
    """The newest applied migration, 0 for an empty database."""
    versions = applied_versions(conn)
    return versions[-1] if versions else 0


def migrate(
    conn: sqlite3.Connection,
    target: int | None = None,
    *,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    clock: Callable[[], float] = time.time,
) -> list[int]:
    """Apply the pending migrations up to ``target`` (default: all); return those applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so the explicit
    transactions here are the only ones.  Raises :class:`SchemaTooNew` when the database
    is ahead of this code, so an older release never writes to a newer schema.
    """
    _check_order(migrations)
    newest_known = migrations[-1].version if migrations else 0
    target = newest_known if target is None else target
    done = set(applied_versions(conn))
    newest_applied = max(done, default=0)
    if newest_applied > newest_known:
        raise SchemaTooNew(
            message(
                "schema version {found} is newer than this release knows ({known})",
                found=newest_applied,
                known=newest_known,
            )
        )
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done or migration.version > target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_BOOKKEEPING)
            migration.apply(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, clock()),
            )
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def _check_order(migrations: tuple[Migration, ...]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … in order, got {versions}")
