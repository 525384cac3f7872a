"""The core's sentences (models, chat store, settings) read in Chinese (issue 19).

Each test drives a real code path to a real failure -- a settings file with wrong types, a
database from a newer release, a database another program holds, a full database, a
corrupt SQLite file, an OpenAI-compatible server set up wrong, a catalog model that cannot
fit -- and checks the sentence the window and the CLI would show: a
``backends.messages.Message`` whose every template has a translation, and which, rendered
by ``desktop_app.core.i18n.Catalog`` (the CLI's reader), keeps no English word except the
values it carries (paths, names, numbers, the system's own error text).

The translations are this change's own (``test_messages_core_zh.json`` beside this file),
not the committed .ts, which is merged separately.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from backends.base import Backend, BackendError, GenerationOptions, ModelNotFound
from backends.messages import MESSAGES_CONTEXT, Message, sentence_of
from desktop_app.core.downloads.errors import NotEnoughSpace, WillNotFit
from desktop_app.core.i18n import Catalog
from desktop_app.core.models.catalog import CatalogError, load_catalog
from desktop_app.core.models.factory import default_model_id, make_backend
from desktop_app.core.models.fit import GIB, Fit, FitLevel, PairFit, Resources
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.models.openai_config import OpenAIOverrides, resolve_openai
from desktop_app.core.settings import Settings, app_paths
from desktop_app.core.store import db_file
from desktop_app.core.store.database import NotFound, Store, StoreError
from desktop_app.core.store.errors import translate

TRANSLATIONS = Path(__file__).with_name("test_messages_core_zh.json")
#: Latin words the Chinese sentences keep on purpose: names, formats, JSON's true and false.
KEPT_WORDS = {
    "API",
    "false",
    "GGUF",
    "gguf",
    "http",
    "https",
    "JSON",
    "llama-server",
    "LM",
    "LocalSight",
    "NUL",
    "Ollama",
    "PATH",
    "Studio",
    "true",
    "UTF",
    "vLLM",
}


@pytest.fixture(scope="module")
def chinese() -> Catalog:
    table = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))[MESSAGES_CONTEXT]
    return Catalog({(MESSAGES_CONTEXT, source): (text,) for source, text in table.items()})


def _templates(text: Message) -> Iterator[str]:
    yield text.template
    for value in text.values.values():
        if isinstance(value, Message):
            yield from _templates(value)


def _values(text: Message) -> Iterator[str]:
    """The plain values a sentence carries (paths, names, numbers, an error's own words)."""
    for value in text.values.values():
        if isinstance(value, Message):
            yield from _values(value)
        else:
            yield str(value)


def assert_chinese(catalog: Catalog, text: object) -> str:
    """``text`` is a ``Message`` translated throughout; returns it as the reader sees it."""
    assert isinstance(text, Message), f"plain English, not a message: {text!r}"
    missing = [t for t in _templates(text) if (MESSAGES_CONTEXT, t) not in catalog.sentences]
    assert missing == [], missing
    shown = catalog.shown(text)
    assert re.search(r"[\u4e00-\u9fff]", shown), shown
    rest = shown
    for value in sorted(_values(text), key=len, reverse=True):
        if value:
            rest = rest.replace(value, " ")
    rest = re.sub(r"--[\w-]+", " ", rest)  # an option's name stays as typed
    english = set(re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", rest)) - KEPT_WORDS
    assert english == set(), shown
    return shown


def assert_all_chinese(catalog: Catalog, texts: Iterable[object]) -> list[str]:
    return [assert_chinese(catalog, text) for text in texts]


# -- settings -----------------------------------------------------------------------------


def test_a_settings_file_with_wrong_values_is_explained_in_chinese(
    tmp_path: Path, chinese: Catalog
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "threads": "four",
                "backend": None,
                "ollama_host": "http://",
                "openai_api_key": [1],
                "extra_model_paths": ["/models", ""],
                "temperature": 5,
                "openai_preset": "nope",
                "openai_api_key_env": "A=B",
                "model": 5,
                "first_run_dismissed": 1,
                "max_tokens": 0,
                "openai_base_url": "ftp://example.org",
                "system_prompt": "a\u0000b",
                "language": "fr",
                "image_long_edge": "big",
            }
        ),
        encoding="utf-8",
    )
    loaded = Settings.load_with_problems(path)
    assert len(loaded.problems) == 15
    shown = assert_all_chinese(chinese, loaded.problems)
    assert shown[0] == (
        '设置“threads”应为介于 1 和 512 之间的整数，而不是 "four"；已改用默认值（自动）。'
    )
    assert (
        '设置“ollama_host”应为一个 Ollama 地址（如 http://127.0.0.1:11434），而不是 "http://"'
        in shown[2]
    )
    assert "（该值没有指明主机）" in shown[2]
    assert "列表（属于机密，不显示）" in shown[3]
    assert "（其中一项为空）" in shown[4]
    # The English is unchanged: the CLI's and the log's words, and what older tests read.
    assert loaded.problems[0] == (
        'Setting "threads" should be a whole number from 1 to 512, not "four"; '
        "using the default (automatic)."
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "不是有效的 JSON（第 1 行第 2 列："),
        (b"[1, 2]", "不是 JSON 对象（内容为：列表）"),
        (b"\xff\xfe{}", "不是 UTF-8 文本（在第 0 字节处）"),
        (b"[" * 100_000 + b"]" * 100_000, "嵌套层级过深"),
        (b" " * (1024 * 1024 + 1), "大于 1 MiB"),
    ],
)
def test_a_settings_file_that_is_not_settings_is_named_in_chinese(
    tmp_path: Path, chinese: Catalog, content: bytes, problem: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    (found,) = Settings.load_with_problems(path).problems
    shown = assert_chinese(chinese, found)
    assert shown.startswith(f"设置文件 {path} {problem}"), shown
    assert "settings.json.bad-YYYYMMDD-HHMMSS" in shown


def test_a_settings_file_that_cannot_be_read_is_named_in_chinese(
    tmp_path: Path, chinese: Catalog
) -> None:
    folder = tmp_path / "settings.json"
    folder.mkdir()
    (not_a_file,) = Settings.load_with_problems(folder).problems
    assert "不是普通文件" in assert_chinese(chinese, not_a_file)
    loop = tmp_path / "loop.json"
    os.symlink(loop, loop)
    (unreadable,) = Settings.load_with_problems(loop).problems
    assert "无法读取（" in assert_chinese(chinese, unreadable)


# -- the chat store -------------------------------------------------------------------------


def test_a_database_from_a_newer_release_is_explained_in_chinese(
    tmp_path: Path, chinese: Catalog
) -> None:
    path = tmp_path / "chats.sqlite3"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'later', 0)"
        )
    conn.close()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert caught.value.kind == "too_new"
    shown = assert_chinese(chinese, sentence_of(caught.value))
    assert shown.startswith(f"对话记录 {path} 由更新版本的 LocalSight 写入（数据库结构版本 99 ")


def test_a_busy_a_full_and_a_read_only_database_are_explained_in_chinese(
    tmp_path: Path, chinese: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_file, "BUSY_TIMEOUT_S", 0.05)  # the 10 s wait is not the point
    path = tmp_path / "chats.sqlite3"
    store = Store.open(path)
    conversation = store.create_conversation(title="kept")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program writing
    with pytest.raises(StoreError) as busy:
        store.create_conversation(title="lost")
    other.execute("ROLLBACK")
    other.close()
    assert busy.value.kind == "busy"
    assert assert_chinese(chinese, sentence_of(busy.value)).startswith(
        f"无法保存：另一个程序正在占用对话记录 {path}。"
    )

    conn = cast(sqlite3.Connection, store._conn)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL
    with pytest.raises(StoreError) as full:
        store.add_message(conversation, "user", "x" * 100_000)
    assert full.value.kind == "disk_full"
    assert assert_chinese(chinese, sentence_of(full.value)) == (
        "无法保存：磁盘已满。请释放一些空间后重试。之前保存的内容都还在。"
    )

    conn.execute("PRAGMA query_only = ON")  # SQLite's own SQLITE_READONLY
    with pytest.raises(StoreError) as read_only:
        store.create_conversation(title="lost")
    assert read_only.value.kind == "read_only"
    assert_chinese(chinese, sentence_of(read_only.value))
    conn.execute("PRAGMA query_only = OFF")
    store.close()


def test_a_corrupt_or_unopenable_database_is_explained_in_chinese(
    tmp_path: Path, chinese: Catalog
) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is no database " * 500)
    with pytest.raises(sqlite3.DatabaseError) as real:
        sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master").fetchall()
    for writing in (True, False):
        error = translate(real.value, writing=writing, path=garbage)
        assert error.kind == "corrupt"
        assert f"对话记录文件 {garbage} 已损坏" in assert_chinese(chinese, sentence_of(error))
    # Opened for real, the damaged file is set aside and a fresh one started.
    with Store.open(garbage) as store:
        assert store.recovered_from is not None

    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()
    with pytest.raises(StoreError) as cannot_open:
        Store.open(folder)
    assert cannot_open.value.kind == "cannot_open"
    assert_chinese(chinese, sentence_of(cannot_open.value))

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as no_folder:
        Store.open(blocker / "chats.sqlite3")
    assert assert_chinese(chinese, sentence_of(no_folder.value)).startswith(
        f"无法创建存放对话记录的文件夹（{blocker}）："
    )


def test_what_is_gone_from_the_store_is_explained_in_chinese(
    tmp_path: Path, chinese: Catalog
) -> None:
    store = Store.open(tmp_path / "chats.sqlite3")
    untitled = store.create_conversation()
    (summary,) = store.list_conversations()
    assert summary.id == untitled
    assert chinese.shown(summary.title) == "新对话"
    errors: list[BaseException] = []
    for action in (
        lambda: store.message(999),
        lambda: store.show_version(999),
        lambda: store.conversation(999),
        lambda: store.add_message(untitled, "user", "hi", version_of=999),
        lambda: store.delete_messages_after(untitled, 999),
        lambda: store.image("0" * 64),
        lambda: store.thumbnail("0" * 64),
        lambda: store.rename_preset(999, "x"),
        lambda: store.delete_preset(999),
        lambda: store.add_preset(" ", system_prompt=None, options=None),
        lambda: store.add_preset("twice", system_prompt=None, options=GenerationOptions()),
        lambda: store.add_preset("twice", system_prompt=None, options=None),
    ):
        try:
            action()
        except (NotFound, ValueError) as error:
            errors.append(error)
    assert len(errors) == 11  # the first "twice" is saved
    shown = assert_all_chinese(chinese, (sentence_of(e) for e in errors))
    assert shown[-1] == "已有名为“twice”的预设，请换一个名称。"

    conn = cast(sqlite3.Connection, store._conn)
    conn.execute("DROP TABLE presets")  # an error of no known kind: SQLite's words kept
    with pytest.raises(StoreError) as reading:
        store.presets()
    assert assert_chinese(chinese, sentence_of(reading.value)) == (
        "无法读取对话记录：no such table: presets。"
    )
    with pytest.raises(StoreError) as writing:
        store.add_preset("again", system_prompt=None, options=None)
    assert_chinese(chinese, sentence_of(writing.value))
    store.close()
    with pytest.raises(StoreError) as closed:
        store.list_conversations()
    assert assert_chinese(chinese, sentence_of(closed.value)) == "对话记录已关闭。"


# -- models --------------------------------------------------------------------------------


LEVELS: list[FitLevel] = ["fits", "tight", "too-big", "unknown"]


def test_every_fit_verdict_reads_in_chinese(chinese: Catalog) -> None:
    """What ``localsight models catalog`` prints: the badge's word and the reason."""
    verdicts = [
        Fit(level, 5 * GIB, 3 * GIB, total, resource)
        for level in LEVELS
        for resource in ("memory", "disk")
        for total in (None, 8 * GIB)
    ]
    reasons = [f.reason for f in verdicts if f.reason]
    assert len(reasons) == 12  # "unknown" has none
    assert_all_chinese(chinese, reasons)
    assert_all_chinese(chinese, [f.label for f in verdicts if f.label])
    pairs = [PairFit(m, d) for m in verdicts for d in verdicts if d.resource == "disk"]
    assert_all_chinese(chinese, [p.label for p in pairs if p.label != "?"])
    both = PairFit(Fit("tight", 5 * GIB, 6 * GIB, 8 * GIB), Fit("fits", GIB, 9 * GIB, None, "disk"))
    assert assert_chinese(chinese, both.reason) == (
        "约需 5.0 GB 内存，当前可用 6.0 GB：加载前请关闭其他程序；需要 1.0 GB 磁盘空间，可用 9.0 GB"
    )


def test_a_catalog_model_that_will_not_fit_is_refused_in_chinese(chinese: Catalog) -> None:
    library = ModelLibrary(app_paths().ensure())
    small = Resources(total_memory=GIB, available_memory=GIB // 2, free_disk=500 * GIB)
    with pytest.raises(WillNotFit) as memory:
        library.download("gemma3-4b", resources=small)
    shown = assert_chinese(chinese, sentence_of(memory.value))
    assert shown.startswith("Gemma 3 4B 约需 ")
    assert "这台电脑共有 1.0 GB" in shown
    no_disk = Resources(total_memory=64 * GIB, available_memory=60 * GIB, free_disk=1000)
    with pytest.raises(NotEnoughSpace) as disk:
        library.download("gemma3-4b", resources=no_disk)
    assert "但只有 0.0 GB 可用" in assert_chinese(chinese, sentence_of(disk.value))
    with pytest.raises(CatalogError) as unknown:
        load_catalog().get("gemma-99")
    assert assert_chinese(chinese, sentence_of(unknown.value)).startswith(
        "目录中没有名为 'gemma-99' 的模型。请从以下选择：smolvlm-500m, "
    )


def test_a_bad_openai_setup_is_explained_in_chinese(chinese: Catalog) -> None:
    settings = Settings(openai_api_key_env="LOCALSIGHT_TEST_NO_SUCH_KEY")
    with pytest.raises(BackendError) as key:
        resolve_openai(settings, environ={})
    assert assert_chinese(chinese, sentence_of(key.value)).startswith(
        "用于提供 API 密钥的环境变量 LOCALSIGHT_TEST_NO_SUCH_KEY 未设置或为空。"
    )
    with pytest.raises(BackendError) as preset:
        resolve_openai(Settings(), OpenAIOverrides(preset="lm-studioo"), environ={})
    assert_chinese(chinese, sentence_of(preset.value))
    with pytest.raises(BackendError) as backend:
        make_backend("vllm", Settings(), app_paths())
    assert_chinese(chinese, sentence_of(backend.value))


class _Empty:
    """A backend with nothing installed (only what ``default_model_id`` asks of one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def list_models(self) -> list[Any]:
        return []


@pytest.mark.parametrize("name", ["openai", "ollama", "llama-cpp"])
def test_no_model_to_use_is_explained_in_chinese(chinese: Catalog, name: str) -> None:
    with pytest.raises(ModelNotFound) as caught:
        default_model_id(cast(Backend, _Empty(name)), Settings(backend=name))
    assert_chinese(chinese, sentence_of(caught.value))
