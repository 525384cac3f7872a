"""The Qt-free half of issue 19: which language, and the .ts reader the CLI uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.messages import message
from desktop_app.cli import i18n as cli_i18n
from desktop_app.core.i18n import (
    TRANSLATIONS_DIR,
    Catalog,
    environment_languages,
    language_of,
    system_language,
    wanted_language,
)

TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Messages</name>
    <message>
        <location filename="../backends/x.py" line="3"/>
        <source>Could not read {path}.</source>
        <translation>无法读取 {path}。</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) skipped</source>
        <translation><numerusform>跳过了 %n 张图片</numerusform></translation>
    </message>
    <message>
        <source>Not translated yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gone from the code</source>
        <translation type="vanished">旧的</translation>
    </message>
</context>
<context>
    <name>CommandLine</name>
    <message>
        <source>Pulled {name}.</source>
        <translation>已拉取 {name}。</translation>
    </message>
</context>
</TS>
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    path = tmp_path / "localsight_zh_CN.ts"
    path.write_text(TS, encoding="utf-8")
    return Catalog.read(path)


def test_the_catalog_keeps_finished_translations_only(catalog: Catalog) -> None:
    assert catalog.translate("Messages", "Could not read {path}.") == "无法读取 {path}。"
    assert catalog.translate("Messages", "Not translated yet") == "Not translated yet"
    assert catalog.translate("Messages", "Gone from the code") == "Gone from the code"
    assert catalog.translate("CommandLine", "Could not read {path}.") == "Could not read {path}."
    assert catalog.translate("Messages", "%n image(s) skipped", 4) == "跳过了 %n 张图片"


def test_the_catalog_shows_messages_and_counts(catalog: Catalog) -> None:
    text = message("Could not read {path}.", path="/tmp/a.png")
    assert catalog.shown(text) == "无法读取 /tmp/a.png。"
    assert catalog.shown(message("%n image(s) skipped", n=2)) == "跳过了 2 张图片"
    assert catalog.shown(message("Unknown {x}", x=1)) == "Unknown 1"
    assert catalog.shown("plain") == "plain"


def test_a_missing_or_broken_catalog_is_english(tmp_path: Path) -> None:
    assert Catalog.for_language("en") is None
    assert Catalog.for_language("zh_CN", tmp_path) is None
    (tmp_path / "localsight_zh_CN.ts").write_text("<TS><context>", encoding="utf-8")
    assert Catalog.for_language("zh_CN", tmp_path) is None


def test_the_shipped_catalog_is_read() -> None:
    shipped = Catalog.for_language("zh_CN", TRANSLATIONS_DIR)
    assert shipped is not None and len(shipped.sentences) > 500


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "zh_TW:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "de:zh_CN", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_HK.UTF-8", "LANG": "en_GB.UTF-8"}, "zh_CN"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
    ],
)
def test_the_system_language_follows_the_environment(
    environ: dict[str, str], expected: str
) -> None:
    assert system_language(environ) == expected


def test_languages_and_preferences() -> None:
    assert environment_languages({"LANGUAGE": "zh_CN:en"}) == ["zh_CN", "en"]
    assert language_of(["zh-Hans-CN"]) == "zh_CN"
    assert language_of([]) == "en"
    assert wanted_language("en", "zh_CN") == "en"
    assert wanted_language("system", "zh_CN") == "zh_CN"
    assert wanted_language("klingon", "zh_CN") == "en"


def test_the_cli_follows_the_choice_and_falls_back_to_english(catalog: Catalog) -> None:
    try:
        assert cli_i18n.use_language("system", {"LANG": "zh_CN.UTF-8"}) == "zh_CN"
        assert cli_i18n.language() == "zh_CN"
        cli_i18n._catalog[0] = catalog  # the test's sentences, in place of the shipped ones
        assert cli_i18n.tr("Pulled {name}.", name="moondream") == "已拉取 moondream。"
        error = ValueError(message("Could not read {path}.", path="p"))
        assert cli_i18n.error_text(error) == "无法读取 p。"
        assert cli_i18n.use_language("en", {"LANG": "zh_CN.UTF-8"}) == "en"
        assert cli_i18n.tr("Pulled {name}.", name="moondream") == "Pulled moondream."
        assert cli_i18n.error_text(error) == "Could not read p."
        assert cli_i18n.tr("%n image(s) described", n=1) == "1 image described"
    finally:
        cli_i18n.use_language("en")


def test_the_system_language_never_fails_where_the_locale_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It runs before every command: a locale Python cannot parse (a mixed ``LC_ALL``, a
    Windows name like "Chinese (Simplified)_China.936") means English, not a traceback."""
    import locale

    from desktop_app.core import i18n

    def broken(category: int) -> tuple[str | None, str | None]:
        raise TypeError("category LC_ALL is not supported")

    monkeypatch.setattr(locale, "getlocale", broken)
    assert system_language({}) == "en"
    monkeypatch.setattr(locale, "getlocale", lambda category: ("zh_CN", "UTF-8"))
    assert system_language({}) == "zh_CN"
    monkeypatch.setattr(i18n.sys, "platform", "win32")  # no ctypes.windll here: English
    assert system_language({}) == "en"
    monkeypatch.setattr(i18n.sys, "platform", "darwin")  # a terminal's LANG counts there
    assert system_language({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
