"""docs/failures.md, item 5, "lost chats": kill -9, damaged files, full disks.

Everything here runs against real SQLite files: a real process killed with SIGKILL while a
real model streams, files damaged byte by byte, a real (tiny, loop-mounted tmpfs) full
disk, and an injected "disk is full" error for the exact statement where it hurts most.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import ImageInput
from desktop_app.core.images import normalize_image
from desktop_app.core.store.database import Store, StoreError
from desktop_app.core.store.db_file import move_aside
from tests.helpers.images import png_bytes
from tests.helpers.scripts import kill_loop

# -- kill -9 while streaming ----------------------------------------------------------------


def test_kill_9_while_an_answer_streams_loses_nothing(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    image = tmp_path / "picture.png"
    image.write_bytes(png_bytes((30, 140, 200), size=(96, 64)))
    started = time.perf_counter()
    report = kill_loop.run(
        50, tmp_path / "home", kill_loop.Inputs(*tiny_vlm, image), seed=4, workers=2
    )
    elapsed = time.perf_counter() - started
    print(f"\nkill loop: {report.summary()}; wall clock {elapsed:.1f} s")
    assert report.failures == []
    assert (report.runs, report.survived) == (50, 50)
    assert report.early_kills > 0  # some kills landed before the first answer text


# -- damaged files --------------------------------------------------------------------------


def _filled_database(path: Path) -> None:
    with Store.open(path) as store:
        for n in range(25):
            conversation = store.create_conversation(title=f"chat {n}")
            store.add_message(conversation, "user", f"question {n} " * 40)
            store.add_message(conversation, "assistant", f"answer {n} " * 40)


def _flip(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0xFF
    return bytes(damaged)


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "header magic flipped": lambda d: _flip(d, 0),
    "page size flipped": lambda d: _flip(d, 16),
    "format version flipped": lambda d: _flip(d, 18),
    "schema page flipped": lambda d: _flip(d, 100),
    "table page header flipped": lambda d: _flip(d, 4096),
    "truncated to half": lambda d: d[: len(d) // 2],
    "truncated inside the header": lambda d: d[:50],
    "truncated to one page": lambda d: d[:4096],
    "random garbage": lambda d: os.urandom(len(d)),
    "a text file": lambda d: b"these are not the chats you are looking for\n" * 200,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_database_is_moved_aside_never_deleted(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "chats.sqlite3"
    _filled_database(path)
    damaged = DAMAGE[damage](path.read_bytes())
    path.write_bytes(damaged)

    with Store.open(path) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.parent == tmp_path
        assert store.recovered_from.name.startswith("chats.sqlite3.corrupt-")
        assert store.recovered_from.read_bytes() == damaged  # kept exactly as found
        assert store.list_conversations() == []
        conversation = store.create_conversation()
        store.add_message(conversation, "user", "a fresh start")
    with Store.open(path) as store:  # the fresh database works and persists
        assert store.recovered_from is None
        assert [m.text for m in store.messages(conversation)] == ["a fresh start"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_the_wal_moves_aside_with_its_database(tmp_path: Path) -> None:
    """A WAL belongs to its database: left behind, it would be replayed into the new one."""
    live = tmp_path / "live.sqlite3"
    _filled_database(live)
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE conversations SET title = 'only in the WAL' WHERE id = 1")
    crashed = tmp_path / "chats.sqlite3"  # as a crash leaves it: WAL not checkpointed...
    wal = Path(f"{live}-wal").read_bytes()
    assert len(wal) > 0
    Path(f"{crashed}-wal").write_bytes(wal)
    main = live.read_bytes()
    crashed.write_bytes(main[: len(main) // 2])  # ...and the main file damaged
    writer.close()

    with Store.open(crashed) as store:
        moved = store.recovered_from
        assert moved is not None
        assert Path(f"{moved}-wal").read_bytes() == wal  # paired under the new name
        assert store.list_conversations() == []
    with sqlite3.connect(crashed) as conn:
        titles = conn.execute("SELECT title FROM conversations").fetchall()
        assert titles == []


def test_problems_that_are_not_damage_never_move_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreError) as caught:
        Store.open(blocker / "chats.sqlite3")
    assert "Check that you may write there" in str(caught.value)
    assert blocker.read_text().startswith("a file")
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_two_damaged_files_in_one_second_get_different_names(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    now = time.time()
    path.write_bytes(b"first")
    first = move_aside(path, now=now)
    path.write_bytes(b"second")
    second = move_aside(path, now=now)
    assert first != second
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")


# -- full disk, injected --------------------------------------------------------------------


def commit_after_a_write() -> Callable[[str], bool]:
    """Fails the COMMIT of a transaction that wrote something (not of a read)."""
    wrote = False

    def fail_when(sql: str) -> bool:
        nonlocal wrote
        if sql.startswith(("INSERT", "UPDATE", "DELETE")):
            wrote = True
        return sql == "COMMIT" and wrote

    return fail_when


class FailingConnection:
    """The store's real connection, failing chosen statements like a full disk does."""

    def __init__(self, inner: sqlite3.Connection, fail_when: Callable[[str], bool]) -> None:
        self._inner = inner
        self._fail_when = fail_when

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        if self._fail_when(" ".join(sql.split()).upper()):
            raise sqlite3.OperationalError("database or disk is full")
        return self._inner.execute(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def filled_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "chats.sqlite3") as store:
        conversation = store.create_conversation(title="Saved before")
        store.add_message(conversation, "user", "an earlier question")
        store.add_message(conversation, "assistant", "an earlier answer")
        yield store


def _snapshot(store: Store) -> list[tuple[int, list[tuple[str, str, str]]]]:
    return [
        (c.id, [(m.role, m.text, m.state) for m in store.messages(c.id)])
        for c in store.list_conversations()
    ]


@pytest.mark.parametrize(
    "failing_statement",
    ["INSERT INTO MESSAGES", "INSERT INTO MESSAGE_IMAGES", "UPDATE CONVERSATIONS", "COMMIT"],
)
def test_disk_full_mid_write_is_a_clear_error_and_loses_nothing(
    filled_store: Store, monkeypatch: pytest.MonkeyPatch, failing_statement: str
) -> None:
    store = filled_store
    before = _snapshot(store)
    conversation = before[0][0]
    image = normalize_image(png_bytes((10, 200, 10)), name="green.png")
    real = store._connection()
    fail_when = (
        commit_after_a_write()
        if failing_statement == "COMMIT"
        else lambda sql: sql.startswith(failing_statement)
    )
    monkeypatch.setattr(store, "_conn", FailingConnection(real, fail_when))
    with pytest.raises(StoreError) as caught:
        store.add_message(conversation, "user", "a new question", [image])
    assert caught.value.kind == "disk_full"
    assert str(caught.value).startswith("Could not save: the disk is full.")
    assert "Free some space" in str(caught.value)
    assert not real.in_transaction  # rolled back whole: no half-saved message
    monkeypatch.setattr(store, "_conn", real)
    assert _snapshot(store) == before
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
    # Space is back: the same call works.
    store.add_message(conversation, "user", "a new question", [image])
    assert len(store.messages(conversation)) == 3


def test_disk_full_during_a_streaming_flush_keeps_the_earlier_flush(
    filled_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = filled_store
    conversation = store.list_conversations()[0].id
    answer = store.add_message(conversation, "assistant", "", state="streaming")
    store.update_message(answer.id, text="the first half")
    real = store._connection()
    monkeypatch.setattr(
        store, "_conn", FailingConnection(real, lambda sql: sql.startswith("UPDATE MESSAGES"))
    )
    with pytest.raises(StoreError, match="disk is full"):
        store.update_message(answer.id, text="the first half and the second")
    monkeypatch.setattr(store, "_conn", real)
    assert store.message(answer.id).text == "the first half"


# -- full disk, for real --------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, mounted for the test (needs root; skipped where mount is refused)."""
    mountpoint = tmp_path / "tiny-disk"
    mountpoint.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tiny filesystem here: {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill_disk(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def test_a_really_full_disk(tiny_disk: Path, red_image: ImageInput) -> None:
    path = tiny_disk / "chats.sqlite3"
    with Store.open(path) as store:
        conversation = store.create_conversation(title="Before the disk filled")
        store.add_message(conversation, "user", "kept question", [red_image])
        store.add_message(conversation, "assistant", "kept answer")
        before = _snapshot(store)
        filler = _fill_disk(tiny_disk)

        with pytest.raises(StoreError) as caught:
            for n in range(200):  # until SQLite needs a page the disk does not have
                store.add_message(conversation, "user", f"draft {n} " + "x" * 20_000)
        assert caught.value.kind == "disk_full"
        assert str(caught.value).startswith("Could not save: the disk is full.")
        assert _snapshot(store)[0][1][:2] == before[0][1]

        filler.unlink()
        store.add_message(conversation, "user", "after freeing space")
    with Store.open(path) as store:
        assert store.recovered_from is None
        messages = store.messages(conversation)
        assert [m.text for m in messages[:2]] == ["kept question", "kept answer"]
        assert messages[-1].text == "after freeing space"
        assert store.image(red_image.sha256) == red_image
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_opening_on_a_full_disk_is_a_clear_error(tiny_disk: Path) -> None:
    _fill_disk(tiny_disk)
    with pytest.raises(StoreError) as caught:
        Store.open(tiny_disk / "chats.sqlite3")
    assert caught.value.kind == "disk_full"
    assert "disk is full" in str(caught.value)
    assert not list(tiny_disk.glob("*.corrupt-*"))
