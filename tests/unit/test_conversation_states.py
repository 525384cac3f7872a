"""The folder of kept conversation states: its file format, index, budget and failures.

No model here: snapshots are made of plain bytes (``ContextCache`` fills them from llama.cpp;
``tests/integration/test_conversation_states.py`` restores real ones).  What is checked is
what the store promises whatever the bytes: a damaged, foreign or out-of-scope file is
deleted and never handed out, a state is superseded by a longer one of the same
conversation, the folder stays within its budget (least recently used first out), a state
too big for a quarter of it is not written (said once), and a full disk turns writes off.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path

import pytest

from backends.llama_cpp import conversation_states
from backends.llama_cpp.conversation_states import ConversationStates, ModelStates, Snapshot

SCOPE = "model abc; projector none; n_ctx 4096; flash attention 0; build x"
MODEL = "/models/tiny.gguf"


def snapshot(keys: list[int | str], size: int = 1000, fill: int = 7) -> Snapshot:
    return Snapshot(
        keys=list(keys),
        n_pos=[1] * len(keys),
        n_cells=[1] * len(keys),
        n_past=len(keys),
        prompt_keys=len(keys),
        logits=bytes(range(16)),
        state=bytearray([fill]) * size,
    )


def store_with(
    folder: Path, *states: tuple[str, list[int | str]], **kwargs: int
) -> ConversationStates:
    store = ConversationStates(folder, **kwargs)
    for scope, keys in states:
        assert store.put(scope, MODEL, snapshot(keys))
        assert store.flush()
    return store


def reader(folder: Path, scope: str = SCOPE, model: str = MODEL) -> ConversationStates:
    store = ConversationStates(folder)
    store.index(scope, model)
    return store


def test_a_kept_state_reads_back_whole_and_the_longest_prefix_is_found(tmp_path: Path) -> None:
    store_with(tmp_path, (SCOPE, [1, 2, 3, "image:ab", 5]), (SCOPE, [1, 9, 9]))
    store = reader(tmp_path)
    found = store.best(SCOPE, [1, 2, 3, "image:ab", 5, 6, 7])
    assert found is not None and found[1] == 5
    state = store.load(found[0], SCOPE)
    assert state is not None
    assert state.keys == [1, 2, 3, "image:ab", 5]
    assert (state.n_past, state.prompt_keys, state.logits) == (5, 5, bytes(range(16)))
    assert bytes(state.state) == bytes([7]) * 1000
    assert store.best("another scope", [1, 2, 3]) is None


def test_a_longer_state_of_the_same_conversation_supersedes_the_shorter(tmp_path: Path) -> None:
    store = store_with(
        tmp_path, (SCOPE, [1, 2, 3]), ("other scope", [1, 2, 3]), (SCOPE, [1, 2, 3, 4, 5])
    )
    assert store.written == 3
    assert len(list(tmp_path.glob("*.state"))) == 2  # [1, 2, 3] of SCOPE went
    kept = reader(tmp_path)
    found = kept.best(SCOPE, [1, 2, 3])
    assert found is not None and found[1] == 3
    state = kept.load(found[0], SCOPE)
    assert state is not None and state.keys == [1, 2, 3, 4, 5]


def test_the_same_state_is_not_written_twice(tmp_path: Path) -> None:
    store = ConversationStates(tmp_path)
    states = ModelStates(store, SCOPE, MODEL)
    assert states.keep(snapshot([1, 2, 3]))
    assert not states.keep(snapshot([1, 2, 3]))  # idle, then quit: once
    assert store.flush()
    assert store.written == 1


def test_the_index_deletes_this_model_files_of_another_scope_and_damaged_files(
    tmp_path: Path,
) -> None:
    store_with(
        tmp_path,
        ("old build", [1, 2]),
        (SCOPE, [3, 4]),
        (SCOPE, [5, 6]),
    )
    other_model = ConversationStates(tmp_path)
    assert other_model.put("other model's scope", "/models/other.gguf", snapshot([7]))
    assert other_model.flush()
    files = {p.name: p for p in tmp_path.glob("*.state")}
    assert len(files) == 4
    store = reader(tmp_path)
    assert store.discarded == 1  # the old build's: no load of this model can use it
    first = store.best(SCOPE, [3, 4])
    assert first is not None
    first[0].write_bytes(first[0].read_bytes()[:-10])  # truncated
    (tmp_path / "foreign.state").write_bytes(b"LSIMGEMB" + bytes(100))  # not one of ours

    store = reader(tmp_path)
    assert store.discarded == 2  # the truncated one, the foreign one
    names = {p.name for p in tmp_path.glob("*.state")}
    assert len(names) == 2  # [5, 6] and the other model's, left for its own load
    assert store.best(SCOPE, [5, 6]) is not None and store.best(SCOPE, [3, 4]) is None


def test_a_flipped_byte_is_found_on_reading_and_the_file_deleted(tmp_path: Path) -> None:
    store_with(tmp_path, (SCOPE, [1, 2, 3]))
    (path,) = tmp_path.glob("*.state")
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0x01
    path.write_bytes(bytes(raw))
    store = reader(tmp_path)
    found = store.best(SCOPE, [1, 2, 3])
    assert found is not None
    assert store.load(found[0], SCOPE) is None
    assert store.discarded == 1 and not path.exists()


def test_the_folder_keeps_to_its_budget_least_recently_used_first(tmp_path: Path) -> None:
    budget = 5100  # four states of 1251 bytes fit, not five
    store = ConversationStates(tmp_path, disk_bytes=budget)
    for n in range(4):
        assert store.put(SCOPE, MODEL, snapshot([100 + n]))
        assert store.flush()
        past = time.time() - 1000 + n
        for path in tmp_path.glob("*.state"):
            if path.stat().st_mtime > past + 500:
                os.utime(path, (past, past))
    # The first state is read (used) again: it becomes the most recently used.
    found = store.best(SCOPE, [100])
    assert found is not None and store.load(found[0], SCOPE) is not None
    assert store.put(SCOPE, MODEL, snapshot([104]))
    assert store.flush()
    total = sum(p.stat().st_size for p in tmp_path.glob("*.state"))
    assert total <= budget
    left = reader(tmp_path)
    assert left.best(SCOPE, [100]) is not None  # used again, so kept
    assert left.best(SCOPE, [101]) is None  # the least recently used went
    assert left.best(SCOPE, [104]) is not None


def test_a_state_bigger_than_a_quarter_of_the_budget_is_not_written_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ConversationStates(tmp_path, disk_bytes=3000)
    with caplog.at_level(logging.WARNING, logger=conversation_states.__name__):
        assert not store.put(SCOPE, MODEL, snapshot([1], size=1000))
        assert not store.put(SCOPE, MODEL, snapshot([1, 2], size=1000))
    assert len(caplog.records) == 1 and "too big" in caplog.records[0].getMessage()
    assert store.put(SCOPE, MODEL, snapshot([3], size=500))
    assert store.flush() and store.written == 1


def test_a_full_disk_turns_writes_off_said_once_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(conversation_states.os, "replace", full)
    store = ConversationStates(tmp_path)
    with caplog.at_level(logging.WARNING, logger=conversation_states.__name__):
        assert store.put(SCOPE, MODEL, snapshot([1]))
        assert store.flush()
        assert not store.put(SCOPE, MODEL, snapshot([2]))
    assert not store.disk_writable
    assert len(caplog.records) == 1
    assert not list(tmp_path.iterdir())
    assert store.best(SCOPE, [1]) is None  # never offered for reading


def test_clear_empties_the_folder(tmp_path: Path) -> None:
    store = store_with(tmp_path, (SCOPE, [1]), (SCOPE, [2]))
    assert conversation_states.disk_usage(tmp_path)[0] == 2
    assert store.clear() == 2
    assert conversation_states.disk_usage(tmp_path) == (0, 0)
    assert store.best(SCOPE, [1]) is None


def test_the_folder_name_matches_the_apps(tmp_path: Path) -> None:
    from desktop_app.core.models import image_cache

    assert image_cache.CONVERSATIONS_FOLDER_NAME == conversation_states.FOLDER_NAME


def test_a_state_cleared_behind_the_store_is_kept_again(tmp_path: Path) -> None:
    """Settings' Clear empties the folder without the engine: the engine's index must not
    go on believing the conversation is kept, nor offer the missing file."""
    store = ConversationStates(tmp_path)
    states = ModelStates(store, SCOPE, MODEL)
    assert states.keep(snapshot([1, 2, 3]))
    assert store.flush()
    conversation_states.clear_folder(tmp_path)
    assert states.keep(snapshot([1, 2, 3]))  # not "kept already": its file is gone
    assert store.flush() and store.written == 2
    conversation_states.clear_folder(tmp_path)
    found = store.best(SCOPE, [1, 2, 3])
    assert found is not None and store.load(found[0], SCOPE) is None
    assert store.best(SCOPE, [1, 2, 3]) is None  # forgotten once found missing


def test_a_state_still_waiting_for_the_disk_is_not_offered_and_is_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switching straight back to a conversation whose state is still being written: the
    store does not offer the file it cannot read yet (the read would fail and forget the
    entry, and the write with it); the state lands on disk all the same."""
    import threading

    release = threading.Event()
    real = ConversationStates._write

    def held(self: ConversationStates, *args: object) -> None:
        release.wait(30)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ConversationStates, "_write", held)
    store = ConversationStates(tmp_path)
    assert store.put(SCOPE, MODEL, snapshot([1, 2, 3, "image:ab", 5]))
    assert store.best(SCOPE, [1, 2, 3, "image:ab", 5, 6]) is None  # not on disk yet
    release.set()
    assert store.flush()
    found = store.best(SCOPE, [1, 2, 3, "image:ab", 5, 6])
    assert found is not None and found[1] == 5
    state = store.load(found[0], SCOPE)
    assert state is not None and state.keys == [1, 2, 3, "image:ab", 5]
