"""The chat store on real SQLite files: conversations, messages, images, search, migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import GenerationOptions, ImageInput, Stats
from desktop_app.core.images import normalize_image
from desktop_app.core.settings import app_paths
from desktop_app.core.store import migrations
from desktop_app.core.store.database import (
    DEFAULT_TITLE,
    NotFound,
    Store,
    StoreError,
    fts_query,
    make_title,
)
from desktop_app.core.store.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate
from tests.helpers.images import png_bytes


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chats.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def blue_image() -> ImageInput:
    return normalize_image(png_bytes((20, 20, 220), size=(300, 200)), name="blue.png")


def fts_is_consistent(conn: sqlite3.Connection) -> bool:
    """FTS5's own check that the index matches the messages table exactly."""
    try:
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


# -- opening --------------------------------------------------------------------------------


def test_open_creates_wal_database_with_recorded_migrations(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert store.recovered_from is None and store.interrupted_count == 0
        conn = store._connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    with raw(db_path) as conn:
        rows = conn.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
        assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
        assert all(r[1] and r[2] > 0 for r in rows)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_database_lives_in_localsight_home(localsight_home: Path) -> None:
    path = app_paths().database_path
    assert localsight_home in path.parents
    Store.open(path).close()
    assert path.exists()


def test_reopen_applies_nothing_twice(db_path: Path) -> None:
    Store.open(db_path).close()
    with raw(db_path) as conn:
        conn.isolation_level = None
        assert migrate(conn) == []
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS
        )


def test_closed_store_raises_store_error(db_path: Path) -> None:
    store = Store.open(db_path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.list_conversations()


# -- conversations --------------------------------------------------------------------------


def test_list_is_ordered_by_last_activity(store: Store) -> None:
    first = store.create_conversation(title="first")
    second = store.create_conversation(title="second")
    assert [c.id for c in store.list_conversations()] == [second, first]
    store.add_message(first, "user", "hello again")
    listed = store.list_conversations()
    assert [c.id for c in listed] == [first, second]
    assert listed[0].message_count == 1 and listed[1].message_count == 0


def test_auto_title_from_first_user_message(store: Store) -> None:
    conversation = store.create_conversation()
    assert store.conversation(conversation).title == DEFAULT_TITLE
    store.add_message(conversation, "system", "You are terse.")
    assert store.conversation(conversation).title == DEFAULT_TITLE
    long_line = "Please describe the architecture of this old cathedral in great detail"
    store.add_message(conversation, "user", f"\n\n  {long_line}\nsecond line")
    title = store.conversation(conversation).title
    assert title == "Please describe the architecture of this old…"
    store.add_message(conversation, "user", "Another question")
    assert store.conversation(conversation).title == title


def test_auto_title_never_overrides_a_given_title(store: Store) -> None:
    conversation = store.create_conversation(title="My trip")
    store.add_message(conversation, "user", "What is this?")
    assert store.conversation(conversation).title == "My trip"


def test_image_only_first_message_leaves_title_for_the_next(store: Store) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "", [blue_image()])
    assert store.conversation(conversation).title == DEFAULT_TITLE
    store.add_message(conversation, "user", "What colour is it?")
    assert store.conversation(conversation).title == "What colour is it?"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("short", "short"),
        ("  spaced   out\twords  ", "spaced out words"),
        ("", ""),
        ("\n \n", ""),
        ("x" * 80, "x" * 50 + "…"),
        ("a " + "y" * 70, "a " + "y" * 48 + "…"),
        ("word, " * 20, "word, word, word, word, word, word, word, word…"),
    ],
)
def test_make_title(text: str, title: str) -> None:
    assert make_title(text) == title
    assert len(make_title(text)) <= 51


def test_rename_and_missing_conversations(store: Store) -> None:
    conversation = store.create_conversation()
    store.rename_conversation(conversation, "  Holiday photos ")
    assert store.conversation(conversation).title == "Holiday photos"
    store.rename_conversation(conversation, "")
    assert store.conversation(conversation).title == DEFAULT_TITLE
    with pytest.raises(NotFound) as caught:
        store.conversation(9999)
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, StoreError)
    assert str(caught.value).startswith("Conversation 9999 is not")  # a sentence, no quotes
    for call in (
        lambda: store.rename_conversation(9999, "x"),
        lambda: store.messages(9999),
        lambda: store.add_message(9999, "user", "lost?"),
        lambda: store.delete_conversation(9999),
        lambda: store.update_conversation(9999, model="m"),
        lambda: store.conversation_settings(9999),
    ):
        with pytest.raises(NotFound):
            call()


def test_conversation_settings_round_trip_and_partial_updates(store: Store) -> None:
    options = GenerationOptions(temperature=0.1, max_tokens=77, seed=5, stop=("END", "\n\n"))
    conversation = store.create_conversation(
        model="m1", backend="llama-cpp", system_prompt="Be brief.", options=options
    )
    assert store.conversation_settings(conversation) == ("Be brief.", options)
    store.update_conversation(conversation, model="m2")
    summary = store.conversation(conversation)
    assert (summary.model, summary.backend) == ("m2", "llama-cpp")
    assert store.conversation_settings(conversation) == ("Be brief.", options)
    store.update_conversation(conversation, system_prompt=None, options=None)
    assert store.conversation_settings(conversation) == (None, None)
    assert store.conversation(conversation).model == "m2"


def test_options_from_a_newer_release_are_read_leniently(store: Store, db_path: Path) -> None:
    conversation = store.create_conversation()
    with raw(db_path) as conn:
        conn.execute(
            "UPDATE conversations SET options = ? WHERE id = ?",
            ('{"temperature": 0.2, "min_p": 0.05, "stop": ["x"]}', conversation),
        )
    assert store.conversation_settings(conversation)[1] == GenerationOptions(
        temperature=0.2, stop=("x",)
    )


# -- messages -------------------------------------------------------------------------------


def test_messages_round_trip_in_order(store: Store) -> None:
    conversation = store.create_conversation()
    image = blue_image()
    user = store.add_message(conversation, "user", "Look", [image])
    answer = store.add_message(conversation, "assistant", "", state="streaming")
    stats = Stats(prompt_tokens=3, completion_tokens=4, load_s=0.5, prompt_s=0.1, decode_s=0.2)
    store.update_message(answer.id, text="A blue rectangle.")
    store.update_message(answer.id, state="complete", stats=stats)
    messages = store.messages(conversation)
    assert [m.id for m in messages] == [user.id, answer.id]
    assert messages[0] == user
    assert messages[0].images[0].sha256 == image.sha256
    assert (messages[0].images[0].width, messages[0].images[0].height) == (300, 200)
    assert messages[1].text == "A blue rectangle."
    assert messages[1].state == "complete" and messages[1].stats == stats
    assert messages[1].error is None and messages[1].created_at == answer.created_at
    assert store.message(answer.id) == messages[1]


def test_update_message_changes_only_given_fields(store: Store) -> None:
    conversation = store.create_conversation()
    message = store.add_message(conversation, "assistant", "partial", state="streaming")
    store.update_message(message.id, state="error", error="The model crashed.")
    updated = store.message(message.id)
    assert (updated.text, updated.state, updated.error) == (
        "partial",
        "error",
        "The model crashed.",
    )
    with pytest.raises(NotFound):
        store.update_message(424242, text="x")
    with pytest.raises(ValueError):
        store.update_message(message.id, state="finished")
    with pytest.raises(ValueError):
        store.add_message(conversation, "robot", "beep")


def test_images_are_stored_once_and_come_back_identical(store: Store, db_path: Path) -> None:
    image = blue_image()
    first = store.create_conversation()
    second = store.create_conversation()
    store.add_message(first, "user", "one", [image])
    store.add_message(first, "user", "two", [image, image])
    store.add_message(second, "user", "three", [image])
    with raw(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM message_images").fetchone()[0] == 4
    assert store.image(image.sha256) == image
    assert [len(m.images) for m in store.messages(first)] == [1, 2]


def test_thumbnail_is_small_and_decodable(store: Store) -> None:
    from PIL import Image

    image = normalize_image(png_bytes(noise=True, size=(256, 192)), name="noise.png")
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "x", [image])
    thumb = Image.open(__import__("io").BytesIO(store.thumbnail(image.sha256)))
    assert max(thumb.size) <= 128 and thumb.size == (128, 96)
    with pytest.raises(NotFound):
        store.thumbnail("0" * 64)
    with pytest.raises(NotFound):
        store.image("0" * 64)


def test_an_image_whose_hash_lies_is_refused(store: Store) -> None:
    image = blue_image()
    forged = ImageInput(image.data, image.mime, "f" * 64, image.width, image.height)
    conversation = store.create_conversation()
    with pytest.raises(ValueError, match="sha256"):
        store.add_message(conversation, "user", "x", [forged])
    assert store.messages(conversation) == []


def test_delete_conversation_removes_only_unreferenced_images(
    store: Store, db_path: Path, red_image: ImageInput
) -> None:
    shared, own = blue_image(), red_image
    keep = store.create_conversation()
    drop = store.create_conversation()
    store.add_message(keep, "user", "shared", [shared])
    store.add_message(drop, "user", "both", [shared, own])
    store.add_message(drop, "assistant", "two colours")
    store.delete_conversation(drop)
    assert [c.id for c in store.list_conversations()] == [keep]
    with raw(db_path) as conn:
        assert conn.execute("SELECT sha256 FROM images").fetchall() == [(shared.sha256,)]
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
        assert fts_is_consistent(conn)
    with pytest.raises(NotFound):
        store.image(own.sha256)
    assert store.image(shared.sha256) == shared


def test_delete_messages_after(store: Store, db_path: Path, red_image: ImageInput) -> None:
    conversation = store.create_conversation()
    ids = [
        store.add_message(conversation, "user", "q1").id,
        store.add_message(conversation, "assistant", "a1").id,
        store.add_message(conversation, "user", "q2", [red_image]).id,
        store.add_message(conversation, "assistant", "a2").id,
    ]
    store.delete_messages_after(conversation, ids[2])
    assert [m.id for m in store.messages(conversation)] == ids[:3]
    assert store.image(red_image.sha256) == red_image
    store.delete_messages_after(conversation, ids[2], inclusive=True)
    assert [m.id for m in store.messages(conversation)] == ids[:2]
    with raw(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
    other = store.create_conversation()
    with pytest.raises(NotFound):
        store.delete_messages_after(other, ids[0])
    # Positions keep growing after a truncation: new messages still sort last.
    new = store.add_message(conversation, "user", "q3")
    assert store.messages(conversation)[-1].id == new.id


def test_concurrent_writers_and_readers_share_a_store(store: Store) -> None:
    conversation = store.create_conversation()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(40):
                store.add_message(conversation, "user", f"worker {worker} message {n}")
                store.list_conversations()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.messages(conversation)) == 160


# -- search ---------------------------------------------------------------------------------


def test_search_finds_words_and_follows_edits_and_deletes(store: Store, db_path: Path) -> None:
    trip = store.create_conversation(title="Trip")
    cooking = store.create_conversation(title="Cooking")
    lighthouse = store.add_message(trip, "user", "What is this lighthouse called?")
    store.add_message(trip, "assistant", "It is the Fanad Head lighthouse in Donegal.")
    soup = store.add_message(cooking, "user", "A recipe for crème brûlée please")

    hits = store.search("lighthouse")
    assert [h.message_id for h in hits] == [lighthouse.id]  # one per chat: its best
    assert all(h.title == "Trip" and h.conversation_id == trip for h in hits)
    assert "lighthouse" in hits[0].snippet.lower()
    assert [h.message_id for h in store.search("creme brulee")] == [soup.id]  # diacritics
    assert [h.message_id for h in store.search("DONEG")] == [lighthouse.id + 1]  # prefix
    assert store.search("lighthouse recipe") == []  # every word must match

    store.update_message(soup.id, text="A recipe for onion soup")
    assert store.search("brulee") == []
    assert [h.message_id for h in store.search("onion")] == [soup.id]
    store.delete_conversation(trip)
    assert store.search("lighthouse") == []
    with raw(db_path) as conn:
        assert fts_is_consistent(conn)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "AND(",
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "*",
        "-",
        "col:lighthouse",
        "messages_fts:x",
        "^start",
        "'; DROP TABLE messages; --",
        "(((",
        "a\x00b",
        "🙂",
        "",
        "   ",
        "x" * 5000,
    ],
)
def test_search_survives_odd_input(store: Store, query: str) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "and or not near lighthouse 🙂 a b")
    hits = store.search(query)
    assert isinstance(hits, list)
    assert store.search("lighthouse")  # and the table is still there


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" AND(') == '"say" """hi""" "AND("*'
    assert fts_query("  ") is None
    assert fts_query("* - (") is None


# -- crash recovery at open -----------------------------------------------------------------


def test_streaming_rows_become_interrupted_at_open(db_path: Path) -> None:
    with Store.open(db_path) as store:
        conversation = store.create_conversation()
        store.add_message(conversation, "user", "Tell me a story")
        answer = store.add_message(conversation, "assistant", "", state="streaming")
        store.update_message(answer.id, text="Once upon a")
    with Store.open(db_path) as store:
        assert store.interrupted_count == 1
        recovered = store.message(answer.id)
        assert (recovered.state, recovered.text) == ("interrupted", "Once upon a")
    with Store.open(db_path) as store:
        assert store.interrupted_count == 0


def test_a_live_stream_in_another_store_is_not_interrupted(db_path: Path) -> None:
    owner = Store.open(db_path)
    conversation = owner.create_conversation()
    answer = owner.add_message(conversation, "assistant", "still going", state="streaming")
    with Store.open(db_path) as second:
        assert second.interrupted_count == 0
        assert second.message(answer.id).state == "streaming"
    owner.close()
    with Store.open(db_path) as later:
        assert later.interrupted_count == 1


# -- migrations -----------------------------------------------------------------------------


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    with pytest.raises(ValueError):
        migrations._check_order((MIGRATIONS[1], MIGRATIONS[0]))


def _fill_v1(conn: sqlite3.Connection, image: ImageInput) -> None:
    """Rows as release 1 (schema version 1, before search) wrote them."""
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, model, backend, "
        "system_prompt, options) VALUES (1, 'Old chat', 1.0, 2.0, 'm', 'llama-cpp', 'Hi', "
        "'{\"temperature\": 0.3}'), (2, '', 3.0, 4.0, NULL, NULL, NULL, NULL)"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, position, role, text, state, stats, error, "
        "created_at, updated_at) VALUES "
        "(1, 1, 1, 'user', 'Where is the old lighthouse?', 'complete', NULL, NULL, 1.0, 1.0), "
        "(2, 1, 2, 'assistant', 'On the headland.', 'complete', "
        "'{\"completion_tokens\": 4}', NULL, 1.5, 1.5), "
        "(3, 1, 3, 'assistant', 'Half an answ', 'streaming', NULL, NULL, 1.6, 1.6), "
        "(4, 2, 1, 'user', 'zebra', 'complete', NULL, NULL, 3.0, 3.0), "
        "(5, 2, 2, 'assistant', '', 'error', NULL, 'The model crashed.', 3.1, 3.1)"
    )
    conn.execute(
        "INSERT INTO images (sha256, mime, width, height, data, thumbnail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 1.0)",
        (image.sha256, image.mime, image.width, image.height, image.data, b"thumb"),
    )
    conn.execute("INSERT INTO message_images VALUES (1, ?, 0)", (image.sha256,))


def _all_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with raw(path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("conversations", "messages", "images", "message_images")
        }


def test_upgrade_from_version_1_keeps_every_row(db_path: Path) -> None:
    image = blue_image()
    conn = sqlite3.connect(db_path, isolation_level=None)
    assert migrate(conn, target=1) == [1]
    conn.execute("BEGIN")
    _fill_v1(conn, image)
    conn.execute("COMMIT")
    conn.close()
    before = _all_rows(db_path)

    with Store.open(db_path) as store:
        assert store.interrupted_count == 1  # the v1 row left streaming
        after = _all_rows(db_path)
        for table in ("conversations", "images", "message_images"):
            # Later migrations add columns at the end: the old ones keep their values.
            assert [r[: len(before[table][0])] for r in after[table]] == before[table], table
        assert len(after["messages"]) == len(before["messages"])
        for old, new in zip(before["messages"], after["messages"], strict=False):
            changed = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
            if old[0] == 3:
                assert new[5] == "interrupted" and new[4] == "Half an answ"
            else:
                assert changed == [], old
        # The old rows are searchable after the search migration.
        assert [h.message_id for h in store.search("lighthouse")] == [1]
        assert [h.message_id for h in store.search("zebra")] == [4]
        assert store.image(image.sha256) == image
        assert store.conversation_settings(1) == ("Hi", GenerationOptions(temperature=0.3))
        assert store.messages(1)[1].stats == Stats(completion_tokens=4)
        # Each old chat is one branch, shown whole, with no versions.
        assert [m.id for m in store.messages(1)] == [1, 2, 3]
        assert [m.id for m in store.messages(2)] == [4, 5]
        assert all(len(m.versions) == 1 for m in store.messages(1))
    with raw(db_path) as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == list(
            range(1, LATEST_VERSION + 1)
        )
        assert fts_is_consistent(conn)


def test_each_migration_upgrades_a_filled_database(tmp_path: Path) -> None:
    """Every version N-1 → latest keeps the rows; rows are written with the v1 shape, which
    every later migration must keep accepting."""
    for version in range(1, LATEST_VERSION):
        path = tmp_path / f"v{version}.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None)
        migrate(conn, target=version)
        conn.execute("BEGIN")
        _fill_v1(conn, blue_image())
        conn.execute("COMMIT")
        conn.close()
        counts = {t: len(rows) for t, rows in _all_rows(path).items()}
        Store.open(path).close()
        assert {t: len(rows) for t, rows in _all_rows(path).items()} == counts


def test_a_failing_migration_rolls_back_and_keeps_rows(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=1)
    conn.execute("BEGIN")
    _fill_v1(conn, blue_image())
    conn.execute("COMMIT")

    def broken(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM messages")
        raise sqlite3.OperationalError("simulated failure half-way")

    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, migrations=(MIGRATIONS[0], Migration(2, "broken", broken)))
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 5
    assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == [1]
    conn.close()
    with Store.open(db_path) as store:  # the real migration 2 then applies cleanly
        assert len(store.messages(1)) == 3


def test_a_newer_schema_is_refused_and_left_untouched(db_path: Path) -> None:
    Store.open(db_path).close()
    with raw(db_path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from the future', 0)", (LATEST_VERSION + 1,)
        )
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer LocalSight") as caught:
        Store.open(db_path)
    assert caught.value.kind == "too_new"
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*.corrupt-*"))


def test_search_lists_each_chat_once_with_its_best_match(store: Store) -> None:
    """The sidebar shows one line per hit: a chat with many matching messages was listed
    once per message (issue 17, defect 10), so the store returns one hit per chat."""
    busy = store.create_conversation(title="Lighthouses")
    quiet = store.create_conversation(title="Coasts")
    for n in range(6):
        store.add_message(busy, "user", f"lighthouse note {n} with quite a few other words in it")
    best = store.add_message(busy, "assistant", "lighthouse")
    once = store.add_message(quiet, "user", "a lighthouse on a long coast with many words too")

    hits = store.search("lighthouse")
    assert [h.conversation_id for h in hits] == [busy, quiet]  # best chat first
    assert [h.message_id for h in hits] == [best.id, once.id]  # each chat's best message
    assert store.search("lighthouse", limit=1) == hits[:1]  # the limit counts chats


def test_search_ties_pick_the_newest_message(store: Store) -> None:
    """Equally good matches in one chat: the newest one is shown (what a person last said)."""
    chat = store.create_conversation()
    store.add_message(chat, "user", "zebra")
    newest = store.add_message(chat, "user", "zebra")
    assert [h.message_id for h in store.search("zebra")] == [newest.id]


# -- versions (issue 17) --------------------------------------------------------------------


def test_versions_keep_what_regenerate_and_edit_replace(
    store: Store, db_path: Path, red_image: ImageInput
) -> None:
    """A new version hides the old one without deleting it; show_version brings a branch
    back with what followed it; deleting the conversation removes every version."""
    chat = store.create_conversation()
    q1 = store.add_message(chat, "user", "q1", [red_image])
    a1 = store.add_message(chat, "assistant", "a1")
    a2 = store.add_message(chat, "assistant", "a2", version_of=a1.id)
    assert a2.versions == (a1.id, a2.id)
    assert [m.text for m in store.messages(chat)] == ["q1", "a2"]
    assert store.messages(chat)[1].versions == (a1.id, a2.id)
    assert store.messages(chat)[1].version_index == 1
    q2 = store.add_message(chat, "user", "q2 after a2")
    store.add_message(chat, "assistant", "a3")

    # Back to a1: its branch ended there.
    store.show_version(a1.id)
    assert [m.text for m in store.messages(chat)] == ["q1", "a1"]
    # Then a2 again: the branch that followed it comes back.
    store.show_version(a2.id)
    assert [m.text for m in store.messages(chat)] == ["q1", "a2", "q2 after a2", "a3"]

    # An edit of q1 without the image: a new branch from the start; the image stays stored
    # because the hidden version still uses it.
    e1 = store.add_message(chat, "user", "q1 edited", version_of=q1.id)
    assert [m.text for m in store.messages(chat)] == ["q1 edited"]
    assert e1.versions == (q1.id, e1.id)
    store.delete_messages_after(chat, e1.id)  # nothing after it: images still kept
    assert store.image(red_image.sha256) == red_image
    store.show_version(q1.id)
    assert [m.text for m in store.messages(chat)] == ["q1", "a2", "q2 after a2", "a3"]
    assert store.messages(chat)[2].id == q2.id
    # Survives a restart of the store.
    store.close()
    with Store.open(db_path) as reopened:
        assert [m.text for m in reopened.messages(chat)] == ["q1", "a2", "q2 after a2", "a3"]
        assert reopened.message(a1.id).versions == (a1.id, a2.id)
        assert [h.message_id for h in reopened.search("a1")] == [a1.id]  # hidden, still found
        reopened.delete_conversation(chat)
    with raw(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
        assert fts_is_consistent(conn)


def test_a_database_of_the_schema_before_versions_opens_whole_and_takes_versions(
    db_path: Path,
) -> None:
    """A history written by the release before versions (schema 2): every chat is one branch
    in its old order, searchable, and Regenerate's new version goes beside its last answer."""
    image = blue_image()
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute("BEGIN")
    _fill_v1(conn, image)
    conn.execute("COMMIT")
    conn.close()
    with Store.open(db_path) as store:
        old = store.messages(1)
        assert [(m.id, m.text) for m in old] == [
            (1, "Where is the old lighthouse?"),
            (2, "On the headland."),
            (3, "Half an answ"),
        ]
        assert old[0].images[0].sha256 == image.sha256
        assert all(m.finish_reason is None and not m.cut_by_limit for m in old)
        again = store.add_message(1, "assistant", "By the harbour.", version_of=3)
        assert again.versions == (3, again.id)
        assert [m.id for m in store.messages(1)] == [1, 2, again.id]
        follow = store.add_message(2, "user", "zebra again")
        assert [m.id for m in store.messages(2)] == [4, 5, follow.id]
        assert [h.message_id for h in store.search("lighthouse")] == [1]
    with raw(db_path) as conn:
        assert fts_is_consistent(conn)


def test_finish_reason_and_limit_are_kept(store: Store) -> None:
    chat = store.create_conversation()
    row = store.add_message(chat, "assistant", "", state="streaming")
    store.update_message(
        row.id, text="cut", state="complete", finish_reason="length", token_limit=60
    )
    kept = store.message(row.id)
    assert (kept.finish_reason, kept.token_limit, kept.cut_by_limit) == ("length", 60, True)
    assert store.messages(chat)[0].cut_by_limit
