"""settings.json read back with its values checked against the ``Settings`` annotations.

A hand-edited file with a wrong type must not reach a backend (a ``str`` thread count, an
``int`` model id): each such value is refused with one plain sentence and the default used,
while the rest of the file still loads.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.settings import Settings, SettingsLoad, app_paths

# A file in which every setting differs from its default, and every value is valid.
GOOD: dict[str, Any] = {
    "backend": "ollama",
    "model": "llava:7b",
    "mmproj": "/models/mmproj.gguf",
    "ollama_host": "http://127.0.0.1:11434",
    "image_long_edge": 768,
    "temperature": 0.2,
    "max_tokens": 512,
    "num_ctx": 8192,
    "threads": 3,
    "extra_model_paths": ["/models", "/more models"],
    "system_prompt": "Be brief.",
    "openai_preset": "lm-studio",
    "openai_base_url": "http://127.0.0.1:1234/v1",
    "openai_api_key_env": "MY_KEY",
    "openai_api_key": "sk-test",
    "openai_vision_models": ["llava"],
    "first_run_dismissed": True,
    "theme": "dark",
    "language": "zh_CN",
    "text_size": 130,
    "image_cache_mb": 512,
    "conversation_cache_mb": 1024,
    "describe_concurrency": 4,
}
SETTING_NAMES = [f.name for f in dataclasses.fields(Settings) if f.name != "schema_version"]


@pytest.fixture
def settings_path() -> Path:
    path = app_paths().ensure().settings_path
    assert "localsight-home" in str(path)  # the test home, never the real one
    return path


def load(path: Path, content: dict[str, Any] | str) -> SettingsLoad:
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return Settings.load_with_problems(path)


def problem_for(loaded: SettingsLoad, key: str) -> str:
    (problem,) = [p for p in loaded.problems if p.startswith(f'Setting "{key}" ')]
    return problem


def test_the_good_file_covers_every_setting() -> None:
    assert sorted(GOOD) == sorted(SETTING_NAMES)
    assert all(GOOD[name] != getattr(Settings(), name) for name in GOOD)


def test_wrong_types_take_their_defaults_and_are_each_named(settings_path: Path) -> None:
    loaded = load(
        settings_path,
        {
            "threads": "four",
            "model": 5,
            "temperature": True,
            "num_ctx": 8192,
            "system_prompt": "Be brief.",
            "extra_model_paths": ["/models"],
        },
    )
    assert loaded.settings == Settings(
        num_ctx=8192, system_prompt="Be brief.", extra_model_paths=["/models"]
    )
    assert len(loaded.problems) == 3
    assert problem_for(loaded, "threads") == (
        'Setting "threads" should be a whole number from 1 to 512, not "four"; '
        "using the default (automatic)."
    )
    assert problem_for(loaded, "model") == (
        'Setting "model" should be text, not 5; using the default (none).'
    )
    assert problem_for(loaded, "temperature") == (
        'Setting "temperature" should be a number from 0 to 2, not true; using the default (0.7).'
    )


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_a_wrong_type_in_any_setting_leaves_the_others_loaded(
    settings_path: Path, name: str
) -> None:
    """``{}`` fits no setting: every field is checked, and only the bad one is lost."""
    loaded = load(settings_path, {**GOOD, name: {"oops": 1}})
    assert loaded.settings == dataclasses.replace(
        Settings(**GOOD), **{name: getattr(Settings(), name)}
    )
    assert loaded.problems == (problem_for(loaded, name),)
    assert "; using the default (" in loaded.problems[0]
    assert "\n" not in loaded.problems[0]


def test_a_bool_is_not_a_whole_number_and_a_number_is_not_a_bool(settings_path: Path) -> None:
    loaded = load(settings_path, {"max_tokens": True, "threads": False, "first_run_dismissed": 1})
    assert loaded.settings == Settings()
    assert problem_for(loaded, "max_tokens") == (
        'Setting "max_tokens" should be a whole number from 1 to 1048576, not true; '
        "using the default (1024)."
    )
    assert "not false" in problem_for(loaded, "threads")
    assert problem_for(loaded, "first_run_dismissed") == (
        'Setting "first_run_dismissed" should be true or false, not 1; using the default (false).'
    )
    assert load(settings_path, {"first_run_dismissed": True}).problems == ()


def test_a_whole_number_is_a_fine_float_but_a_float_is_not_a_whole_number(
    settings_path: Path,
) -> None:
    loaded = load(settings_path, {"temperature": 1, "num_ctx": 2048.0})
    assert loaded.settings.temperature == 1.0
    assert type(loaded.settings.temperature) is float
    assert loaded.settings.num_ctx == 4096
    assert problem_for(loaded, "num_ctx").endswith("not 2048.0; using the default (4096).")


def test_null_is_accepted_only_where_the_setting_allows_it(settings_path: Path) -> None:
    allowed = load(settings_path, {"model": None, "threads": None, "openai_api_key": None})
    assert allowed.problems == ()
    assert allowed.settings == Settings()

    refused = load(
        settings_path,
        {
            "backend": None,
            "temperature": None,
            "extra_model_paths": None,
            "first_run_dismissed": None,
            "model": "llava:7b",
        },
    )
    assert refused.settings == Settings(model="llava:7b")
    assert problem_for(refused, "backend") == (
        'Setting "backend" should be one of llama-cpp, ollama, openai, not null; '
        'using the default ("llama-cpp").'
    )
    assert {p.split('"')[1] for p in refused.problems} == {
        "backend",
        "temperature",
        "extra_model_paths",
        "first_run_dismissed",
    }


def test_a_list_of_text_must_hold_only_text(settings_path: Path) -> None:
    loaded = load(
        settings_path,
        {"extra_model_paths": ["/models", 3], "openai_vision_models": "llava", "model": "m"},
    )
    assert loaded.settings == Settings(model="m")
    assert problem_for(loaded, "extra_model_paths") == (
        'Setting "extra_model_paths" should be a list of text, not ["/models", 3]; '
        "using the default (empty)."
    )
    assert 'not "llava"' in problem_for(loaded, "openai_vision_models")
    assert load(settings_path, {"extra_model_paths": []}).problems == ()


def test_counts_must_be_positive_and_the_temperature_not_negative(settings_path: Path) -> None:
    loaded = load(
        settings_path,
        {"threads": 0, "max_tokens": -5, "image_long_edge": 0, "num_ctx": 1, "temperature": -0.1},
    )
    assert loaded.settings == Settings(num_ctx=1)
    assert [p.split('"')[1] for p in loaded.problems] == [
        "threads",
        "max_tokens",
        "image_long_edge",
        "temperature",
    ]
    assert "from 1 to 512, not 0; using the default (automatic)." in loaded.problems[0]
    assert load(settings_path, {"temperature": 0}).settings.temperature == 0.0


def test_nan_and_infinity_are_not_numbers_a_setting_can_use(settings_path: Path) -> None:
    loaded = load(settings_path, '{"temperature": NaN, "max_tokens": 7}')
    assert loaded.settings == Settings(max_tokens=7)
    assert "not NaN" in problem_for(loaded, "temperature")
    assert load(settings_path, '{"temperature": Infinity}').settings.temperature == 0.7


def test_a_long_bad_value_is_cut_short(settings_path: Path) -> None:
    loaded = load(settings_path, {"system_prompt": ["x" * 500]})
    problem = problem_for(loaded, "system_prompt")
    assert "x" * 30 in problem and "x" * 60 not in problem
    assert "…; using the default (empty)." in problem


def test_a_refused_api_key_is_never_quoted(settings_path: Path) -> None:
    loaded = load(settings_path, {"openai_api_key": ["sk-secret-value"]})
    assert loaded.settings.openai_api_key is None
    problem = problem_for(loaded, "openai_api_key")
    assert "sk-secret" not in problem
    assert "not a list (not shown, it is secret)" in problem


def test_good_settings_round_trip_without_problems(settings_path: Path) -> None:
    settings = Settings(**GOOD)
    settings.save(settings_path)
    loaded = Settings.load_with_problems(settings_path)
    assert loaded == SettingsLoad(settings, ())
    assert Settings.load(settings_path) == settings
    Settings().save(settings_path)
    assert Settings.load_with_problems(settings_path) == SettingsLoad(Settings(), ())


def test_saving_after_a_refused_value_writes_the_default_and_no_problems(
    settings_path: Path,
) -> None:
    loaded = load(settings_path, {"threads": "four", "model": "m"})
    loaded.settings.save(settings_path)
    written = json.loads(settings_path.read_text("utf-8"))
    assert sorted(written) == sorted([*SETTING_NAMES, "schema_version"])
    assert written["threads"] is None and written["model"] == "m"
    assert Settings.load_with_problems(settings_path).problems == ()


def test_load_logs_the_problems_its_caller_cannot_see(
    settings_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings_path.write_text(json.dumps({"threads": "four", "model": "m"}), "utf-8")
    with caplog.at_level(logging.WARNING, logger="desktop_app.core.settings"):
        assert Settings.load(settings_path) == Settings(model="m")
    assert [r.getMessage() for r in caplog.records] == list(
        Settings.load_with_problems(settings_path).problems
    )


# -- unchanged: what was already so before values were checked ----------------------------


def test_unknown_keys_are_still_ignored_without_a_problem(settings_path: Path) -> None:
    loaded = load(settings_path, {"model": "m", "colour": "blue", "threads": 2})
    assert loaded == SettingsLoad(Settings(model="m", threads=2), ())


def test_the_files_schema_version_is_still_not_taken(settings_path: Path) -> None:
    loaded = load(settings_path, {"schema_version": "ninety", "model": "m"})
    assert loaded == SettingsLoad(Settings(model="m"), ())


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"text"', "null"])
def test_an_unreadable_file_still_gives_all_defaults(settings_path: Path, content: str) -> None:
    """Issue 16 added one problem naming the file (tests/unit/test_settings.py): a file
    that is not a settings object was dropped without a word, then overwritten on save."""
    loaded = load(settings_path, content)
    assert loaded.settings == Settings()
    (problem,) = loaded.problems
    assert problem.startswith(f"The settings file {settings_path} ")
    assert Settings.load(settings_path) == Settings()


def test_an_empty_file_still_gives_all_defaults_and_no_problem(settings_path: Path) -> None:
    assert load(settings_path, "") == SettingsLoad(Settings(), ())


def test_a_missing_file_still_gives_all_defaults(settings_path: Path) -> None:
    assert not settings_path.exists()
    assert Settings.load_with_problems(settings_path) == SettingsLoad(Settings(), ())


# -- where a person sees the problems -------------------------------------------------------


def test_the_cli_prints_each_refused_setting_as_a_warning(
    localsight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_app.cli.app import main

    paths = app_paths().ensure()
    paths.settings_path.write_text(json.dumps({"threads": "four", "max_tokens": 64}))
    assert main(["models", "catalog", "--json"]) == 0
    err = capsys.readouterr().err
    assert err.count("localsight: warning: ") == 1
    assert '"threads"' in err and "four" in err


def test_the_window_shows_the_refused_settings_once(
    qapp: Any, qtbot: Any, localsight_home: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    from backends.llama_cpp import LlamaCppBackend
    from desktop_app.qt.app import create_window

    paths = app_paths().ensure()
    paths.settings_path.write_text(json.dumps({"temperature": True, "max_tokens": 64}))
    backend = LlamaCppBackend(model_dirs=[paths.models_dir], include_embedded=False)
    window = create_window(paths, backend=backend, extra_backends={})
    qtbot.addWidget(window)
    try:
        notice = window.composer.notice
        assert not notice.isHidden() and '"temperature"' in notice.text()
        assert window.settings.max_tokens == 64 and window.settings.temperature == 0.7
    finally:
        window.close()


def test_the_window_opens_with_an_ollama_address_it_cannot_use(
    qapp: Any,
    qtbot: Any,
    localsight_home: Path,
    tiny_vlm: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: port 99999 raised ValueError while the window built its Ollama backend, so
    the window never opened; the setting is now refused on load and named in the notice."""
    from backends.llama_cpp import LlamaCppBackend
    from desktop_app.qt.app import create_window

    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # nothing listens there
    paths = app_paths().ensure()
    paths.settings_path.write_text(json.dumps({"ollama_host": "127.0.0.1:99999"}))
    backend = LlamaCppBackend(model_dirs=[paths.models_dir], include_embedded=False)
    window = create_window(paths, backend=backend)
    qtbot.addWidget(window)
    try:
        assert '"ollama_host"' in window.composer.notice.text()
        assert window.settings.ollama_host is None
    finally:
        window.close()
