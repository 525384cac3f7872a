"""The ``language`` setting (issue 19): "system", "en" or "zh_CN", checked on load like
``theme``: anything else is named in one line and the default ("system") is used."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.core.settings import LANGUAGE_CHOICES, Settings


def load(tmp_path: Path, value: object) -> tuple[Settings, tuple[str, ...]]:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"language": value, "theme": "dark"}), encoding="utf-8")
    loaded = Settings.load_with_problems(path)
    return loaded.settings, loaded.problems


def test_the_default_follows_the_system() -> None:
    assert Settings().language == "system"
    assert LANGUAGE_CHOICES == ("system", "en", "zh_CN")


def test_each_choice_is_kept_and_saved(tmp_path: Path) -> None:
    for choice in LANGUAGE_CHOICES:
        settings, problems = load(tmp_path, choice)
        assert (settings.language, problems) == (choice, ())
        settings.save(tmp_path / "again.json")
        assert Settings.load(tmp_path / "again.json").language == choice


def test_a_bad_value_takes_the_default_and_is_named(tmp_path: Path) -> None:
    for value in ("fr", "zh-CN", "ZH_CN", "", 5, None, ["zh_CN"]):
        settings, problems = load(tmp_path, value)
        assert settings.language == "system", value
        assert settings.theme == "dark"  # the rest of the file is kept
        assert len(problems) == 1 and '"language"' in problems[0], (value, problems)
        assert "system, en, zh_CN" in problems[0]
