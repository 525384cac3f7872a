"""Issue 17's chat features in the core, on real SQLite files: pins, titles from the first
exchange, presets, the context estimate, and importing a JSON export (round trip and
hostile files).  The window's side is in tests/qt/test_chats_window.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import GenerationOptions, ImageInput, Stats
from desktop_app.core.chat.context import IMAGE_TOKENS, context_size, estimate_tokens, estimate_use
from desktop_app.core.chat.export import JSON_FILENAME, export_json
from desktop_app.core.chat.import_chat import ImportFailed, import_json
from desktop_app.core.chat.presets import BUILTIN_PRESETS, apply_preset, preset_from_stored
from desktop_app.core.images import normalize_image
from desktop_app.core.store.database import Store
from desktop_app.core.store.migrations import migrate
from desktop_app.core.store.records import title_from_exchange
from tests.helpers.images import png_bytes


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "chats.sqlite3") as opened:
        yield opened


def picture(color: tuple[int, int, int] = (20, 20, 220)) -> ImageInput:
    return normalize_image(png_bytes(color, size=(300, 200)), name="blue.png")


# -- pins -------------------------------------------------------------------------------------


def test_pinned_chats_come_first_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    with Store.open(path) as store:
        old = store.create_conversation(title="Old")
        store.create_conversation(title="New")
        store.add_message(old, "user", "hello")  # old is the most recent now
        newer = store.create_conversation(title="Newest")
        assert [c.title for c in store.list_conversations()] == ["Newest", "Old", "New"]
        store.set_pinned(store.list_conversations()[2].id, True)
        assert [c.title for c in store.list_conversations()] == ["New", "Newest", "Old"]
        assert store.conversation(newer).pinned is False
    with Store.open(path) as store:
        listed = store.list_conversations()
        assert [(c.title, c.pinned) for c in listed] == [
            ("New", True),
            ("Newest", False),
            ("Old", False),
        ]
        store.set_pinned(listed[0].id, False)
        assert store.list_conversations()[0].title == "Newest"


def test_a_version_2_database_gets_pins_and_presets_and_keeps_its_chats(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at, system_prompt) "
        "VALUES ('Kept', 1, 2, 'Be brief')"
    )
    conn.close()
    with Store.open(path) as store:
        (chat,) = store.list_conversations()
        assert (chat.title, chat.pinned) == ("Kept", False)
        assert store.conversation_settings(chat.id) == ("Be brief", None)
        assert store.own_settings(chat.id) == (None, None)  # it followed the app's settings
        store.set_own_settings(chat.id, "Mine", GenerationOptions(temperature=0.1))
        assert store.own_settings(chat.id) == ("Mine", GenerationOptions(temperature=0.1))
        store.set_own_settings(chat.id, None, None)
        assert store.own_settings(chat.id) == (None, None)
        assert store.presets() == []
        store.add_preset("Mine", system_prompt="x", options=None)
        assert [p.name for p in store.presets()] == ["Mine"]


# -- titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "title"),
    [
        ("Could you please tell me what is in this photo?", "", "What is in this photo?"),
        ("hi! describe this image in detail. thanks", "", "Describe this image in detail"),
        (
            "",
            "A red bicycle leaning against a wall. It is sunny.",
            "A red bicycle leaning against a wall",
        ),
        (
            "Explain how python 3.12 handles reference cycles in long running jobs",
            "",
            "Explain how python 3.12 handles…",
        ),
        ("这张图片里有什么？", "", "这张图片里有什么？"),
        ("Hi", "Hello!", "Hi"),
        ("", "", ""),
    ],
)
def test_title_from_exchange(question: str, answer: str, title: str) -> None:
    assert title_from_exchange(question, answer) == title


def test_first_answer_titles_the_chat_but_never_over_a_rename(store: Store) -> None:
    chat = store.create_conversation()
    store.add_message(chat, "user", "Can you please read the text on this sign? It is blurry")
    answer = store.add_message(chat, "assistant", "It says STOP.")
    assert store.title_after_first_answer(chat, answer.id) == "Read the text on this sign?"
    assert store.conversation(chat).title == "Read the text on this sign?"
    second = store.add_message(chat, "assistant", "Anything else?")
    assert store.title_after_first_answer(chat, second.id) is None  # not the first answer

    renamed = store.create_conversation()
    store.add_message(renamed, "user", "What is this?")
    store.rename_conversation(renamed, "My sign photos")
    first = store.add_message(renamed, "assistant", "A sign.")
    assert store.title_after_first_answer(renamed, first.id) is None
    assert store.conversation(renamed).title == "My sign photos"


def test_a_regenerated_or_edited_first_exchange_still_titles_the_chat(store: Store) -> None:
    """The first answer by position is a hidden version after Regenerate: the title stayed
    the cut-off question."""
    chat = store.create_conversation()
    question = store.add_message(chat, "user", "How do I bake sourdough bread at home?")
    failed = store.add_message(chat, "assistant", "", state="error")
    again = store.add_message(chat, "assistant", "Feed a starter, then…", version_of=failed.id)
    title = store.title_after_first_answer(chat, again.id)
    assert title is not None and title.startswith("How do I bake sourdough bread")

    edited = store.create_conversation()
    store.add_message(edited, "user", "What is in the photo")
    store.add_message(edited, "assistant", "A photo.")
    question = store.messages(edited)[0]
    store.add_message(edited, "user", "Which birds are on the fence?", version_of=question.id)
    answer = store.add_message(edited, "assistant", "Two sparrows.")
    assert store.title_after_first_answer(edited, answer.id) == "Which birds are on the fence?"
    later = store.add_message(edited, "user", "And now?")
    assert (
        later.id
        and store.title_after_first_answer(
            edited, store.add_message(edited, "assistant", "Gone.").id
        )
        is None
    )  # not the first answer of its branch


def test_a_chat_of_thousands_of_messages_can_be_deleted(store: Store) -> None:
    """``parent_id`` cascades: a chain of more than 1000 messages hit SQLite's trigger depth
    limit ("too many levels of trigger recursion") and the chat could not be deleted."""
    chat = store.create_conversation()
    for n in range(1100):
        store.add_message(chat, "user" if n % 2 == 0 else "assistant", f"message {n}")
    messages = store.messages(chat)
    store.delete_messages_after(chat, messages[20].id)  # cutting 1079 linked messages
    assert [m.text for m in store.messages(chat)][-1] == "message 20"
    for n in range(21, 1100):
        store.add_message(chat, "user" if n % 2 == 0 else "assistant", f"message {n}")
    store.delete_conversation(chat)
    assert chat not in [c.id for c in store.list_conversations()]


# -- presets ----------------------------------------------------------------------------------


def test_presets_are_saved_renamed_and_deleted(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    options = GenerationOptions(temperature=0.1, num_ctx=8192, max_tokens=200)
    with Store.open(path) as store:
        saved = store.add_preset("Poems", system_prompt="Answer in verse.", options=options)
        with pytest.raises(ValueError, match="exists already"):
            store.add_preset(" poems ", system_prompt=None, options=None)
        with pytest.raises(ValueError, match="needs a name"):
            store.rename_preset(saved.id, "   ")
        store.rename_preset(saved.id, "Verse")
    with Store.open(path) as store:
        (kept,) = store.presets()
        assert (kept.name, kept.system_prompt, kept.options) == (
            "Verse",
            "Answer in verse.",
            options,
        )
        store.delete_preset(kept.id)
        assert store.presets() == []


def test_applying_a_preset() -> None:
    current = GenerationOptions(temperature=0.7, num_ctx=8192, max_tokens=300)
    alt_text = next(p for p in BUILTIN_PRESETS if p.key == "builtin:alt-text")
    prompt, options = apply_preset(alt_text, current)
    assert prompt == alt_text.system_prompt and "alt text" in (prompt or "")
    # A built-in changes the temperature only: the context and answer length stay.
    assert options == GenerationOptions(temperature=0.2, num_ctx=8192, max_tokens=300)
    assert {p.name for p in BUILTIN_PRESETS} == {
        "Describe for alt text",
        "Read the text in this image",
        "Translate to 中文",
    }
    from desktop_app.core.store.records import StoredPreset

    mine = preset_from_stored(
        StoredPreset(4, "Mine", "S", GenerationOptions(temperature=1.5), None)
    )
    assert (mine.key, mine.saved_id, mine.builtin) == ("saved:4", 4, False)
    assert apply_preset(mine, current) == ("S", GenerationOptions(temperature=1.5))


# -- context ----------------------------------------------------------------------------------


def test_context_estimate_counts_what_the_session_sends(store: Store) -> None:
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("这张图片") == 4
    assert context_size(GenerationOptions(num_ctx=4096), 2048) == 2048
    assert context_size(GenerationOptions(num_ctx=4096), None) == 4096
    chat = store.create_conversation()
    empty = estimate_use(store.messages(chat), None, 4096)
    assert empty.used == 0 and empty.fraction == 0.0
    store.add_message(chat, "user", "x" * 400, [picture()])
    failed = store.add_message(chat, "assistant", "y" * 4000)
    store.update_message(failed.id, state="error", error="boom")
    use = estimate_use(store.messages(chat), "z" * 40, 1000)
    # 100 for the text + one image + 10 for the system prompt + two turns' markers; the
    # failed answer is not sent, so it does not count.
    assert use.used == 100 + IMAGE_TOKENS + 10 + 2 * 4
    assert use.estimated and 0 < use.fraction < 1


# -- import -----------------------------------------------------------------------------------


def _exported(store: Store, folder: Path) -> tuple[int, Path]:
    chat = store.create_conversation(
        title="Photos",
        model="m",
        backend="llama-cpp",
        system_prompt="Be brief",
        options=GenerationOptions(temperature=0.3, num_ctx=2048),
    )
    store.add_message(chat, "user", "What is this?", [picture(), picture((200, 10, 10))])
    answer = store.add_message(chat, "assistant", "Two squares.")
    store.update_message(
        answer.id,
        stats=Stats(prompt_tokens=12, completion_tokens=3),
        finish_reason="length",  # cut by the limit: Continue comes back with it
        token_limit=3,
    )
    stopped = store.add_message(chat, "assistant", "Half", state="streaming")
    store.update_message(stopped.id, state="interrupted")
    store.set_own_settings(chat, "Be brief", GenerationOptions(temperature=0.3, num_ctx=2048))
    return chat, export_json(store, [chat], folder)


def test_an_export_imports_back_with_its_images(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.sqlite3") as source:
        chat, document = _exported(source, tmp_path / "out")
        details, messages = source.conversation_details(chat), source.messages(chat)
        images = {i.sha256: source.image(i.sha256) for m in messages for i in m.images}
    with Store.open(tmp_path / "b.sqlite3") as target:
        (new,) = import_json(target, document)
        got, got_messages = target.conversation_details(new), target.messages(new)
        assert (got.title, got.model, got.backend, got.system_prompt, got.options) == (
            details.title,
            details.model,
            details.backend,
            details.system_prompt,
            details.options,
        )
        assert got.created_at == pytest.approx(details.created_at, abs=0.001)
        assert got.own_settings and target.own_settings(new)[0] == "Be brief"
        assert [
            (m.role, m.text, m.state, m.stats, m.images, m.finish_reason, m.token_limit)
            for m in got_messages
        ] == [
            (m.role, m.text, m.state, m.stats, m.images, m.finish_reason, m.token_limit)
            for m in messages
        ]
        assert got_messages[1].cut_by_limit
        for sha256, image in images.items():
            assert target.image(sha256) == image  # byte for byte
        assert target.search("squares")[0].conversation_id == new
        # Imported twice: two chats, the images stored once.
        import_json(target, document)
        assert len(target.list_conversations()) == 2


def _break(document: Path, change: object) -> None:
    data = json.loads(document.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    document.write_text(json.dumps(data), encoding="utf-8")


def _set_image_file(value: str) -> object:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["conversations"][0]["messages"][0]["images"][0]["file"] = value

    return change


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(format="something-else"), "not a LocalSight chat export"),
        (lambda d: d.update(conversations={}), "no list of conversations"),
        (lambda d: d["conversations"][0]["messages"][0].update(role="root"), "unknown role"),
        (lambda d: d["conversations"][0]["messages"][0].update(text=7), "text is not text"),
        (lambda d: d["conversations"][0].update(created_at="yesterday"), "not a time"),
        (lambda d: d["conversations"][0]["options"].update(num_ctx="big"), "not a number"),
        (
            lambda d: d["conversations"][0]["messages"][0]["images"][0].update(sha256="../../x"),
            "no valid sha256",
        ),
        (_set_image_file("../../etc/passwd"), "outside the export's images folder"),
        (_set_image_file("/etc/passwd"), "outside the export's images folder"),
        (_set_image_file("images/missing.png"), "is missing"),
        (
            lambda d: d["conversations"][0]["messages"][1].update(finish_reason="x" * 40),
            "finish_reason",
        ),
        (
            lambda d: d["conversations"][0]["messages"][1].update(token_limit=-1),
            "token_limit",
        ),
        (lambda d: d["conversations"][1:2].append(5), None),  # a no-op: the valid control
    ],
)
def test_a_hostile_or_broken_export_changes_nothing(
    tmp_path: Path, change: object, words: str | None
) -> None:
    with Store.open(tmp_path / "a.sqlite3") as source:
        _chat, document = _exported(source, tmp_path / "out")
    _break(document, change)
    with Store.open(tmp_path / "b.sqlite3") as target:
        before = target.create_conversation(title="Mine")
        if words is None:
            assert len(import_json(target, document)) == 1
            return
        with pytest.raises(ImportFailed, match=words):
            import_json(target, document)
        assert [c.id for c in target.list_conversations()] == [before]


def test_an_image_replaced_after_export_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.sqlite3") as source:
        _chat, document = _exported(source, tmp_path / "out")
    data = json.loads(document.read_text(encoding="utf-8"))
    first = data["conversations"][0]["messages"][0]["images"][0]["file"]
    (document.parent / first).write_bytes(png_bytes((0, 255, 0), size=(300, 200)))
    with Store.open(tmp_path / "b.sqlite3") as target:
        with pytest.raises(ImportFailed, match="content was changed or replaced"):
            import_json(target, document)
        assert target.list_conversations() == []


@pytest.mark.parametrize(
    "content", [b"", b"{", b"\xff\xfe", b"[]", b"null", b'{"format": "localsight-export"}']
)
def test_corrupt_json_is_refused_with_a_sentence(tmp_path: Path, content: bytes) -> None:
    document = tmp_path / JSON_FILENAME
    document.write_bytes(content)
    with Store.open(tmp_path / "b.sqlite3") as target:
        with pytest.raises(ImportFailed) as raised:
            import_json(target, document)
        assert JSON_FILENAME in str(raised.value)
        assert target.list_conversations() == []
