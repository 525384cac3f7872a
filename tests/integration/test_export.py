"""``localsight ask --save`` and ``localsight export`` as a user runs them: real processes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from backends.base import Stats
from desktop_app.core.chat.export import EXPORT_SCHEMA_VERSION, JSON_FILENAME
from desktop_app.core.settings import app_paths
from desktop_app.core.store.database import Store
from tests.helpers.cli import assert_one_clear_line, localsight
from tests.helpers.images import png_bytes


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "picture.png"
    path.write_bytes(png_bytes((200, 120, 10), size=(80, 60)))
    return path


def ask_saved(
    home: Path, tiny_vlm: tuple[Path, Path], prompt: str, *extra: str
) -> tuple[int, str, str]:
    result = localsight(
        "ask",
        prompt,
        "--save",
        "--model",
        str(tiny_vlm[0]),
        "--mmproj",
        str(tiny_vlm[1]),
        "--max-tokens",
        "12",
        "--temperature",
        "0",
        *extra,
        home=home,
    )
    return result.returncode, result.stdout, result.stderr


def test_ask_save_records_the_exchange_and_prints_only_the_answer(
    localsight_home: Path, tiny_vlm: tuple[Path, Path], picture: Path
) -> None:
    code, stdout, stderr = ask_saved(
        localsight_home, tiny_vlm, "What is in the picture?", "--image", str(picture), "--stats"
    )
    assert code == 0, stderr
    stats = json.loads(stderr.strip().splitlines()[-1])
    assert stats["completion_tokens"] > 0
    with Store.open(app_paths().database_path) as store:
        (conversation,) = store.list_conversations()
        assert stats["conversation_id"] == conversation.id
        assert conversation.title == "What is in the picture?"
        assert conversation.model == str(tiny_vlm[0].resolve())
        user, answer = store.messages(conversation.id)
    assert (user.text, user.state, len(user.images)) == ("What is in the picture?", "complete", 1)
    assert answer.state == "complete" and answer.stats is not None
    assert stdout == answer.text + "\n"  # stdout is exactly the answer, as without --save


def test_ask_save_with_a_model_that_cannot_see_keeps_the_question(
    localsight_home: Path, tiny_text_model: Path, picture: Path
) -> None:
    result = localsight(
        "ask",
        "Describe it.",
        "--save",
        "--model",
        str(tiny_text_model),
        "--image",
        str(picture),
        home=localsight_home,
    )
    assert_one_clear_line(result, "cannot see images")
    with Store.open(app_paths().database_path) as store:
        (conversation,) = store.list_conversations()
        user, answer = store.messages(conversation.id)
    assert (user.text, len(user.images)) == ("Describe it.", 1)
    assert answer.state == "error" and answer.error and "cannot see images" in answer.error


def _populate(home: Path, tiny_vlm: tuple[Path, Path], picture: Path) -> list[int]:
    """Two saved CLI exchanges (one with a picture) and one conversation with an interrupted
    answer and a failed one, written through the store."""
    assert ask_saved(home, tiny_vlm, "Plain question", "--system", "Be brief.")[0] == 0
    assert ask_saved(home, tiny_vlm, "Picture question", "--image", str(picture))[0] == 0
    with Store.open(app_paths().database_path) as store:
        conversation = store.create_conversation(title="Rough day: part 1/2")
        store.add_message(conversation, "user", "Tell me a long story")
        stopped = store.add_message(conversation, "assistant", "Once upon", state="streaming")
        store.update_message(stopped.id, state="interrupted", stats=Stats(completion_tokens=2))
        store.add_message(conversation, "user", "Try again")
        failed = store.add_message(conversation, "assistant", "", state="streaming")
        store.update_message(failed.id, state="error", error="The model crashed while loading.")
        return [c.id for c in reversed(store.list_conversations())]


def test_export_markdown(
    localsight_home: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path], picture: Path
) -> None:
    ids = _populate(localsight_home, tiny_vlm, picture)
    out = tmp_path / "export-md"
    result = localsight(
        "export", "--all", "--format", "md", "--out", str(out), home=localsight_home
    )
    assert result.returncode == 0, result.stderr
    written = [Path(line) for line in result.stdout.splitlines()]
    assert sorted(p.name for p in written) == sorted(p.name for p in out.glob("*.md"))
    assert len(written) == 3
    documents = {int(p.name.split("-")[0]): p.read_text(encoding="utf-8") for p in written}
    assert set(documents) == set(ids)
    assert (out / f"{ids[2]}-rough-day-part-1-2.md").exists()  # a safe file name

    plain = documents[ids[0]]
    assert plain.startswith("# Plain question\n")
    assert "## System prompt\n\nBe brief." in plain and "## You · " in plain
    assert "## Assistant · " in plain

    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", documents[ids[1]])
    assert len(links) == 1 and links[0].startswith("images/")
    image_file = out / links[0]
    with Store.open(app_paths().database_path) as store:
        sha256 = store.messages(ids[1])[0].images[0].sha256
        assert image_file.read_bytes() == store.image(sha256).data
    assert hashlib.sha256(image_file.read_bytes()).hexdigest() == sha256

    rough = documents[ids[2]]
    assert "Once upon" in rough and "stopped before it finished" in rough
    assert "The model failed: The model crashed while loading." in rough


def test_export_json(
    localsight_home: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path], picture: Path
) -> None:
    ids = _populate(localsight_home, tiny_vlm, picture)
    out = tmp_path / "export-json"
    result = localsight("export", "--format", "json", "--out", str(out), home=localsight_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / JSON_FILENAME)
    document = json.loads((out / JSON_FILENAME).read_text(encoding="utf-8"))
    assert document["format"] == "localsight-export"
    assert document["version"] == EXPORT_SCHEMA_VERSION
    assert [c["id"] for c in document["conversations"]] == ids
    plain, pictured, rough = document["conversations"]
    assert set(plain) == {
        "id",
        "title",
        "created_at",
        "updated_at",
        "model",
        "backend",
        "system_prompt",
        "options",
        "own_settings",  # schema 1 only adds keys (issue 17: chat settings)
        "messages",
    }
    assert plain["system_prompt"] == "Be brief." and plain["backend"] == "llama-cpp"
    assert plain["options"]["max_tokens"] == 12 and plain["options"]["temperature"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", plain["created_at"])
    message = plain["messages"][1]
    assert set(message) == {
        "id",
        "role",
        "text",
        "state",
        "created_at",
        "stats",
        "error",
        "finish_reason",
        "token_limit",
        "images",
    }
    assert message["role"] == "assistant" and message["state"] == "complete"
    assert message["finish_reason"] in ("stop", "length") and message["token_limit"] in (None, 12)
    assert message["stats"]["completion_tokens"] > 0
    (image,) = pictured["messages"][0]["images"]
    assert set(image) == {"sha256", "mime", "width", "height", "file"}
    data = (out / image["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == image["sha256"]
    assert (image["width"], image["height"], image["mime"]) == (80, 60, "image/png")
    states = [(m["role"], m["state"], m["error"]) for m in rough["messages"]]
    assert states == [
        ("user", "complete", None),
        ("assistant", "interrupted", None),
        ("user", "complete", None),
        ("assistant", "error", "The model crashed while loading."),
    ]


def test_export_one_conversation_and_a_missing_one(
    localsight_home: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    assert ask_saved(localsight_home, tiny_vlm, "Only me")[0] == 0
    assert ask_saved(localsight_home, tiny_vlm, "Not me")[0] == 0
    out = tmp_path / "one"
    result = localsight(
        "export", "--conversation", "1", "--format", "md", "--out", str(out), home=localsight_home
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.glob("*.md")] == ["1-only-me.md"]
    missing = localsight(
        "export", "--conversation", "99", "--format", "json", "--out", str(out),
        home=localsight_home,
    )  # fmt: skip
    assert_one_clear_line(missing, "Conversation 99")
    assert not (out / JSON_FILENAME).exists()


def test_export_of_an_empty_history(localsight_home: Path, tmp_path: Path) -> None:
    result = localsight(
        "export", "--format", "md", "--out", str(tmp_path / "x"), home=localsight_home
    )
    assert result.returncode == 0
    assert result.stdout == ""
    assert "no saved conversations" in result.stderr
