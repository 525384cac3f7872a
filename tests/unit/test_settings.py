"""settings.json as the audit of issue 16 wrote it: each malformed file it tried, one test.

Every case ends the same way: ``Settings.load_with_problems`` does not raise, says what is
wrong in one line naming the setting (or the file), uses the default for that setting alone,
and keeps the rest of the file.  A file that cannot be read at all is never overwritten
without a copy: the next save keeps it aside as ``settings.json.bad-<time>``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.models.factory import BACKEND_NAMES
from desktop_app.core.settings import (
    BACKEND_CHOICES,
    MAX_SETTINGS_BYTES,
    MAX_THREADS,
    Settings,
    SettingsLoad,
    app_paths,
)


@pytest.fixture
def settings_path() -> Path:
    path = app_paths().ensure().settings_path
    assert "localsight-home" in str(path)  # the test home, never the real one
    return path


def load(path: Path, content: dict[str, Any] | str | bytes) -> SettingsLoad:
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return Settings.load_with_problems(path)


def only_problem(loaded: SettingsLoad, key: str) -> str:
    """The one problem of this load, which names ``key``, and is one printable line."""
    (problem,) = loaded.problems
    assert problem.startswith(f'Setting "{key}" '), problem
    assert_one_line(problem)
    return problem


def assert_one_line(problem: str) -> None:
    assert len(problem.splitlines()) == 1, repr(problem)
    assert problem.isprintable(), repr(problem)


# -- the audit's cases ----------------------------------------------------------------------


@pytest.mark.parametrize("model", [5, 2.5, {"path": "/m.gguf"}, {"a\u2028b": 1}, ["x\x9b2J"]])
def test_a_model_that_is_not_text_is_one_line_and_the_default(
    settings_path: Path, model: object
) -> None:
    """A number or an object: refused, and said in one line even when the value holds a line
    separator (U+2028) or a terminal control (C1 CSI), which are shown escaped."""
    loaded = load(settings_path, {"model": model, "max_tokens": 64})
    assert loaded.settings == Settings(max_tokens=64)
    assert "using the default (none)" in only_problem(loaded, "model")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:99999",  # the audit's port 99999
        "http://box:99999",
        "http://[::1",
        "[zz]",
        "http://box:abc",
        "http://box:-1",
        "box:0",
        "ftp://box",
        "http://",
        " ",
        "a b",
        "box\x00evil",
    ],
)
def test_an_ollama_address_the_backend_cannot_use_is_refused(
    settings_path: Path, host: str
) -> None:
    loaded = load(settings_path, {"backend": "ollama", "ollama_host": host})
    assert loaded.settings == Settings(backend="ollama")
    problem = only_problem(loaded, "ollama_host")
    assert "Ollama address" in problem


@pytest.mark.parametrize(
    "host",
    ["", "box", ":8080", "box:1", "box:65535", "https://box", "http://[::1]:11434", "été.lan"],
)
def test_every_address_ollama_host_accepts_is_kept(settings_path: Path, host: str) -> None:
    """The rules are the backend's (``backends/ollama/host.py``), so nothing it takes is lost."""
    loaded = load(settings_path, {"ollama_host": host})
    assert loaded == SettingsLoad(Settings(ollama_host=host), ())


def test_a_refused_ollama_address_makes_the_backend_use_the_default(
    settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the backend from it raised ValueError, before any request."""
    from backends.ollama import OllamaBackend
    from desktop_app.core.models.factory import make_backend

    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    loaded = load(settings_path, {"backend": "ollama", "ollama_host": "127.0.0.1:99999"})
    backend = make_backend("ollama", loaded.settings, app_paths())
    try:
        assert isinstance(backend, OllamaBackend)
        assert backend.host == "http://127.0.0.1:9"
    finally:
        backend.close()


@pytest.mark.parametrize(
    "paths", [[1, 2], ["/models/a.gguf", None], ["/models/a\x00.gguf"], [""], [["/nested"]]]
)
def test_extra_model_paths_must_be_paths(settings_path: Path, paths: list[object]) -> None:
    loaded = load(settings_path, {"extra_model_paths": paths, "model": "m"})
    assert loaded.settings == Settings(model="m")
    assert "using the default (empty)" in only_problem(loaded, "extra_model_paths")


@pytest.mark.parametrize("edge", [True, False, 1, 63, 4097, 10**9])
def test_image_long_edge_is_a_size_a_picture_can_have(settings_path: Path, edge: object) -> None:
    """``true`` is not 1 px (bool is an int in Python), and 1 px is not a picture either."""
    loaded = load(settings_path, {"image_long_edge": edge})
    assert loaded.settings.image_long_edge == 1024
    assert "from 64 to 4096" in only_problem(loaded, "image_long_edge")
    for good in (64, 4096):
        assert load(settings_path, {"image_long_edge": good}).settings.image_long_edge == good


@pytest.mark.parametrize("threads", [1_000_000_000, MAX_THREADS + 1, 0, -3, 10**30])
def test_threads_beyond_what_ggml_can_run_are_refused(settings_path: Path, threads: int) -> None:
    """1e9 threads ended in std::bad_alloc (SIGABRT) inside llama.cpp."""
    loaded = load(settings_path, {"threads": threads, "num_ctx": 2048})
    assert loaded.settings == Settings(num_ctx=2048)
    assert "using the default (automatic)" in only_problem(loaded, "threads")
    assert load(settings_path, {"threads": MAX_THREADS}).settings.threads == MAX_THREADS


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("num_ctx", 2**20 + 1),
        ("num_ctx", 10**12),
        ("max_tokens", 10**12),
        ("temperature", 2.5),
        ("temperature", 1e308),
    ],
)
def test_sizes_and_the_temperature_have_an_upper_bound(
    settings_path: Path, key: str, value: object
) -> None:
    loaded = load(settings_path, {key: value})
    assert loaded.settings == Settings()
    only_problem(loaded, key)


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_deeply_nested_json_is_one_problem_and_the_defaults(
    settings_path: Path, depth: int
) -> None:
    """``json.loads`` raises RecursionError (not a ValueError) past Python's stack limit."""
    loaded = load(settings_path, '{"model": ' + "[" * depth + "]" * depth + "}")
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert_one_line(problem)
    assert "nested too deeply" in problem and "settings.json" in problem


def test_a_value_too_deep_to_quote_is_named_by_its_kind() -> None:
    """Nesting ``json.loads`` just survived can be too deep for ``json.dumps`` a few frames
    further down, when the problem quotes it: the value is then named by its kind."""
    from desktop_app.core.settings import _shown

    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert _shown(deep) == "a list"
    assert _shown({"a": deep}) == "an object"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"model": "caf\xe9"}', "not UTF-8"),
        ("{not json", "not valid JSON"),
        ('{"model": "m",}', "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"text"', "not a JSON object"),
        ("null", "not a JSON object"),
        ("7", "not a JSON object"),
    ],
)
def test_a_file_that_is_not_a_settings_object_is_one_problem(
    settings_path: Path, content: str | bytes, words: str
) -> None:
    loaded = load(settings_path, content)
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert_one_line(problem)
    assert words in problem and "settings.json" in problem


def test_a_huge_file_is_not_read_past_its_cap(settings_path: Path) -> None:
    padding = " " * MAX_SETTINGS_BYTES
    loaded = load(settings_path, '{"model": "m"' + padding + "}")
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert_one_line(problem)
    assert "larger than" in problem


@pytest.mark.parametrize("content", ["", "  \n"])
def test_an_empty_file_is_no_settings_and_no_problem(settings_path: Path, content: str) -> None:
    assert load(settings_path, content) == SettingsLoad(Settings(), ())


def test_a_byte_order_mark_is_accepted(settings_path: Path) -> None:
    """Windows Notepad writes one; json.loads refuses it and the whole file was lost."""
    loaded = load(settings_path, b"\xef\xbb\xbf" + json.dumps({"model": "m"}).encode())
    assert loaded == SettingsLoad(Settings(model="m"), ())


def test_a_number_with_too_many_digits_loses_only_its_setting(settings_path: Path) -> None:
    """Python refuses to read integers past 4300 digits, which failed the whole file."""
    loaded = load(settings_path, '{"model": "m", "threads": 1' + "0" * 5000 + "}")
    assert loaded.settings == Settings(model="m")
    problem = only_problem(loaded, "threads")
    assert "not 1000" in problem


def test_a_directory_in_place_of_the_file_is_one_problem(settings_path: Path) -> None:
    settings_path.mkdir()
    loaded = Settings.load_with_problems(settings_path)
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert_one_line(problem)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_in_place_of_the_file_does_not_hang_the_load(settings_path: Path) -> None:
    """Reading a FIFO waits for a writer forever; it is refused before any read."""
    os.mkfifo(settings_path)
    loaded = Settings.load_with_problems(settings_path)
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert "not a regular file" in problem


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_text_a_path_name_or_prompt_cannot_hold_is_refused(settings_path: Path, text: str) -> None:
    """A NUL ends the string in C (llama.cpp, the OS); a lone surrogate cannot be UTF-8."""
    for key in ("model", "system_prompt", "openai_api_key_env"):
        loaded = load(settings_path, {key: text})
        assert loaded.settings == Settings()
        only_problem(loaded, key)


def test_the_backend_is_one_the_app_has(settings_path: Path) -> None:
    assert set(BACKEND_CHOICES) == set(BACKEND_NAMES)
    for name in BACKEND_NAMES:
        assert load(settings_path, {"backend": name}) == SettingsLoad(Settings(backend=name), ())
    loaded = load(settings_path, {"backend": "llama.cpp"})
    assert loaded.settings.backend == "llama-cpp"
    assert "llama-cpp, ollama, openai" in only_problem(loaded, "backend")


def test_the_openai_preset_and_address_are_checked(settings_path: Path) -> None:
    loaded = load(settings_path, {"openai_preset": "lmstudio"})
    assert "lm-studio" in only_problem(loaded, "openai_preset")
    loaded = load(settings_path, {"openai_base_url": "ftp://user:hunter2@box/v1"})
    problem = only_problem(loaded, "openai_base_url")
    assert "hunter2" not in problem
    for url in ("http://127.0.0.1:1234/v1", "box:8080", ""):
        assert load(settings_path, {"openai_base_url": url}).problems == ()
    loaded = load(settings_path, {"openai_api_key_env": "A=B"})
    only_problem(loaded, "openai_api_key_env")


# -- nothing is lost ------------------------------------------------------------------------


def kept_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bad-*"))


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"model": "caf\xe9"}',
        b'{"threads": "four", "model": "m"}',
        b"[" * 100_000,
    ],
)
def test_saving_after_a_bad_load_keeps_the_old_file_aside(
    settings_path: Path, content: bytes
) -> None:
    settings_path.write_bytes(content)
    loaded = Settings.load_with_problems(settings_path)
    assert loaded.problems
    loaded.settings.save(settings_path)
    (copy,) = kept_aside(settings_path)
    assert copy.read_bytes() == content
    assert Settings.load_with_problems(settings_path) == SettingsLoad(loaded.settings, ())
    loaded.settings.save(settings_path)  # a clean file is replaced, not kept again
    assert kept_aside(settings_path) == [copy]


def test_the_problem_says_where_an_unreadable_file_will_be_kept(settings_path: Path) -> None:
    (problem,) = load(settings_path, "{not json").problems
    assert "settings.json.bad-YYYYMMDD-HHMMSS" in problem and "until it is fixed" in problem


def test_a_good_file_is_replaced_without_a_copy(settings_path: Path) -> None:
    Settings(model="a").save(settings_path)
    Settings(model="b").save(settings_path)
    assert kept_aside(settings_path) == []
    assert Settings.load(settings_path) == Settings(model="b")
    if os.name == "posix":
        assert settings_path.stat().st_mode & 0o777 == 0o600


def test_nothing_is_kept_aside_when_loading(settings_path: Path) -> None:
    """Loading never moves or rewrites the file: the CLI only reads it."""
    settings_path.write_bytes(b"{not json")
    Settings.load_with_problems(settings_path)
    assert settings_path.read_bytes() == b"{not json"
    assert kept_aside(settings_path) == []


def test_the_thread_ceiling_is_the_backends_own() -> None:
    """Stated twice on purpose (importing the backend would cost settings ~0.1 s): equal."""
    from backends.llama_cpp.threads import MAX_THREADS as BACKEND_MAX
    from desktop_app.core.settings import MAX_THREADS

    assert MAX_THREADS == BACKEND_MAX
