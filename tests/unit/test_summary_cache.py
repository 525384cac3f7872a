"""Validated model summaries are kept across launches (issue 17, defect 9).

Every launch read SmolLM2's whole vocabulary through the pure-Python checker again (3.6 s
of "Looking for models…").  The verdict is now kept in a file in the app's cache folder,
reused only for the same real path, stamp and rules, and the file is only ever a cache:
damaged, it is ignored and written anew.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backends.llama_cpp import LlamaCppBackend, discovery
from backends.llama_cpp.discovery import SummaryCache
from backends.llama_cpp.gguf_check import GGUFSummary, inspect_gguf
from tests.helpers.tiny_models import write_tiny_text_model, write_tiny_vlm

REPO = Path(__file__).resolve().parents[2]


class _Counter:
    """``inspect_gguf`` as discovery calls it, counting the files it really reads."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def __call__(self, path: str | Path) -> GGUFSummary:
        self.paths.append(Path(path))
        return inspect_gguf(path)


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    calls = _Counter()
    monkeypatch.setattr(discovery, "inspect_gguf", calls)
    return calls


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_tiny_vlm(tmp_path_factory.mktemp("vlm"))


def _backend(folder: Path, cache_file: Path) -> LlamaCppBackend:
    return LlamaCppBackend(
        [folder], include_embedded=False, include_stores=False, summary_cache=cache_file
    )


_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from backends.llama_cpp import LlamaCppBackend, discovery
    from backends.llama_cpp.gguf_check import inspect_gguf

    calls = []
    def counting(path):
        calls.append(str(path))
        return inspect_gguf(path)

    discovery.inspect_gguf = counting
    backend = LlamaCppBackend(
        extra_models=[Path(sys.argv[1])], include_embedded=False, include_stores=False,
        summary_cache=Path(sys.argv[2]),
    )
    print(json.dumps({"models": [m.name for m in backend.list_models()], "calls": calls}))
    """
)


def _list_in_new_process(model: Path, cache_file: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(model), str(cache_file)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_new_process_does_not_check_an_unchanged_file_again(tmp_path: Path) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / "cache" / discovery.SUMMARY_CACHE_FILE
    first = _list_in_new_process(model, cache_file)
    second = _list_in_new_process(model, cache_file)
    assert first["calls"] == [str(model.resolve())]
    assert second["calls"] == []
    assert second["models"] == first["models"] and first["models"]


def test_the_kept_summary_is_exactly_a_fresh_check(
    tmp_path: Path, pair: tuple[Path, Path], counter: _Counter
) -> None:
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    folder = pair[0].parent
    before = _backend(folder, cache_file).list_models()
    assert len(counter.paths) == 2  # the model and its projector
    later = _backend(folder, cache_file)
    assert later.list_models() == before  # still paired: the projector came from the file
    assert len(counter.paths) == 2
    for path in pair:
        kept = SummaryCache(cache_file).get(path)
        assert kept == inspect_gguf(path.resolve())
        assert kept.tensor_shapes == inspect_gguf(path.resolve()).tensor_shapes
    assert len(counter.paths) == 2


def test_a_changed_file_is_checked_again(tmp_path: Path, counter: _Counter) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 1

    info = model.stat()
    os.utime(model, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 2  # a new modification time

    with model.open("ab") as handle:
        handle.write(b"\0" * 32)  # a new size (trailing bytes are still a valid file)
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 3

    # Rewritten with the same size and the modification time set back: ctime still moved.
    info = model.stat()
    model.write_bytes(model.read_bytes())
    os.utime(model, ns=(info.st_atime_ns, info.st_mtime_ns))
    if model.stat().st_ctime_ns != info.st_ctime_ns:
        SummaryCache(cache_file).get(model)
        assert len(counter.paths) == 4
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) in (3, 4) and counter.paths[-1] == model.resolve()


def test_a_file_replaced_by_another_is_checked_again(tmp_path: Path, counter: _Counter) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    SummaryCache(cache_file).get(model)
    replacement = write_tiny_text_model(tmp_path / "other.gguf", seed=1)
    info = model.stat()
    os.replace(replacement, model)  # another inode at the same path
    os.utime(model, ns=(info.st_atime_ns, info.st_mtime_ns))
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 2


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"validator": "x", "entries": {}}',
        b"null",
    ],
)
def test_a_damaged_cache_file_is_ignored_and_written_anew(
    tmp_path: Path, counter: _Counter, damage: bytes
) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    cache_file.write_bytes(damage)
    assert SummaryCache(cache_file).get(model) == inspect_gguf(model.resolve())
    assert len(counter.paths) == 1
    written = json.loads(cache_file.read_text())
    assert written["validator"] == discovery.validator_version()
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 1  # the rewritten file serves the next launch


def test_a_damaged_entry_is_checked_again(tmp_path: Path, counter: _Counter) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    SummaryCache(cache_file).get(model)
    data = json.loads(cache_file.read_text())
    (entry,) = data["entries"].values()
    entry["summary"]["tensor_shapes"] = "not shapes"
    cache_file.write_text(json.dumps(data))
    assert SummaryCache(cache_file).get(model) == inspect_gguf(model.resolve())
    assert len(counter.paths) == 2


def test_new_rules_check_every_file_again(
    tmp_path: Path, counter: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    SummaryCache(cache_file).get(model)
    monkeypatch.setattr(discovery, "validator_version", lambda: "other rules")
    SummaryCache(cache_file).get(model)
    assert len(counter.paths) == 2


def test_an_unreadable_cache_folder_only_costs_the_check(tmp_path: Path, counter: _Counter) -> None:
    model = write_tiny_text_model(tmp_path / "m.gguf")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    summary = SummaryCache(blocker / discovery.SUMMARY_CACHE_FILE).get(model)
    assert summary == inspect_gguf(model.resolve())


def test_the_cache_file_stays_bounded(
    tmp_path: Path, counter: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discovery, "MAX_CACHE_ENTRIES", 3)
    source = write_tiny_text_model(tmp_path / "source.gguf").read_bytes()
    cache_file = tmp_path / "cache" / discovery.SUMMARY_CACHE_FILE
    paths = []
    for index in range(5):
        path = tmp_path / f"m{index}.gguf"
        path.write_bytes(source)
        paths.append(path)
        SummaryCache(cache_file).get(path)
    kept = json.loads(cache_file.read_text())["entries"]
    assert list(kept) == [str(p.resolve()) for p in paths[2:]]  # the newest three
    assert not list(cache_file.parent.glob("*.tmp"))  # written by rename, nothing left over


def test_concurrent_writers_keep_each_others_entries(tmp_path: Path, counter: _Counter) -> None:
    source = write_tiny_text_model(tmp_path / "source.gguf").read_bytes()
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    a.write_bytes(source)
    b.write_bytes(source)
    first, second = SummaryCache(cache_file), SummaryCache(cache_file)
    first.get(a)  # both loaded their view before the other wrote
    second.get(b)
    SummaryCache(cache_file).get(a)
    SummaryCache(cache_file).get(b)
    assert len(counter.paths) == 2


def test_invalid_files_are_still_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 40)
    cache_file = tmp_path / discovery.SUMMARY_CACHE_FILE
    for _ in range(2):
        models = _backend(tmp_path, cache_file).list_models()
        assert models == []
