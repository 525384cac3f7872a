"""OpenAI-compatible servers in the settings and on the command line: presets, addresses, and an
API key that comes from the environment, never from argv.

The CLI runs in a real process against the loopback stub; the same commands against a real
llama-server are in test_openai_backend.py.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import BackendError
from backends.openai_compat import PRESETS, OpenAICompatBackend
from desktop_app.cli.app import build_parser
from desktop_app.core.models.factory import BACKEND_NAMES, make_backend
from desktop_app.core.models.openai_config import API_KEY_ENV, OpenAIOverrides, resolve_openai
from desktop_app.core.settings import Settings, app_paths
from tests.helpers.cli import assert_one_clear_line, localsight
from tests.helpers.images import png_bytes
from tests.helpers.openai_stub import StubServer

KEY = "sk-cli-8d1e55f0a3"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def test_presets_name_the_documented_default_addresses() -> None:
    assert {name: p.base_url for name, p in PRESETS.items()} == {
        "llamafile": "http://127.0.0.1:8080/v1",
        "llama-server": "http://127.0.0.1:8080/v1",
        "lm-studio": "http://127.0.0.1:1234/v1",
        "vllm": "http://127.0.0.1:8000/v1",
    }
    assert "openai" in BACKEND_NAMES


def test_address_precedence() -> None:
    settings = Settings(openai_preset="vllm")
    assert resolve_openai(Settings(), environ={}).base_url == "http://127.0.0.1:8080/v1"
    assert resolve_openai(settings, environ={}).base_url == "http://127.0.0.1:8000/v1"
    settings.openai_base_url = "http://box.lan:9000/v1"
    assert resolve_openai(settings, environ={}).base_url == "http://box.lan:9000/v1"
    cli_preset = OpenAIOverrides(preset="lm-studio")
    assert resolve_openai(settings, cli_preset, {}).base_url == "http://127.0.0.1:1234/v1"
    both = OpenAIOverrides(preset="lm-studio", base_url="127.0.0.1:5000")
    assert resolve_openai(settings, both, {}).base_url == "http://127.0.0.1:5000/v1"
    with pytest.raises(BackendError, match="llamafile"):
        resolve_openai(Settings(openai_preset="ollama-ish"), environ={})


def test_api_key_sources() -> None:
    named = OpenAIOverrides(api_key_env="MY_BOX_KEY")
    assert resolve_openai(Settings(), named, {"MY_BOX_KEY": KEY}).api_key == KEY
    with pytest.raises(BackendError, match="MY_BOX_KEY"):
        resolve_openai(Settings(), named, {})
    from_settings_env = Settings(openai_api_key_env="MY_BOX_KEY")
    assert resolve_openai(from_settings_env, environ={"MY_BOX_KEY": KEY}).api_key == KEY
    assert resolve_openai(Settings(), environ={API_KEY_ENV: KEY}).api_key == KEY
    assert resolve_openai(Settings(openai_api_key=KEY), environ={}).api_key == KEY
    # A cloud key in OPENAI_API_KEY must not be sent to a LAN server by surprise.
    assert resolve_openai(Settings(), environ={"OPENAI_API_KEY": KEY}).api_key is None
    assert KEY not in repr(resolve_openai(Settings(openai_api_key=KEY), environ={}))


def test_a_stored_key_lives_in_an_owner_only_settings_file(localsight_home: Path) -> None:
    paths = app_paths().ensure()
    Settings(backend="openai", openai_api_key=KEY, openai_vision_models=["llava"]).save(
        paths.settings_path
    )
    mode = stat.S_IMODE(paths.settings_path.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
    loaded = Settings.load(paths.settings_path)
    assert loaded.openai_api_key == KEY and loaded.openai_vision_models == ["llava"]


def test_the_factory_builds_the_backend_from_settings(localsight_home: Path) -> None:
    paths = app_paths().ensure()
    settings = Settings(backend="openai", openai_preset="lm-studio", openai_vision_models=["v"])
    backend = make_backend("openai", settings, paths)
    try:
        assert isinstance(backend, OpenAICompatBackend)
        assert backend.base_url == "http://127.0.0.1:1234/v1"
        assert backend.vision_models == {"v"}
    finally:
        backend.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-key", KEY],
        [f"--api-key={KEY}"],
        ["--api-key-env", KEY],  # the key where its variable's name belongs
        ["--api-k", KEY],  # no abbreviation sneaks it in either
    ],
)
def test_there_is_no_way_to_put_a_key_on_the_command_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ask", "hi", "--backend", "openai", *argv])
    err = capsys.readouterr().err
    assert "environment variable" in err or "ambiguous" in err
    assert KEY not in err


def test_a_variable_name_is_accepted() -> None:
    args = build_parser().parse_args(["ask", "hi", "--preset", "vllm", "--api-key-env", "V_1"])
    assert (args.preset, args.api_key_env) == ("vllm", "V_1")


def test_describe_takes_the_server_options_of_ask() -> None:
    args = build_parser().parse_args(
        ["describe", "photos", "--preset", "vllm", "--api-key-env", "V_1", "--vision-model", "m"]
    )
    assert (args.preset, args.api_key_env, args.vision_model) == ("vllm", "V_1", ["m"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["describe", "photos", "--api-key", KEY])


def test_describe_with_a_server(stub: StubServer, tmp_path: Path) -> None:
    """``describe`` took ``--backend openai`` but not the options saying where the server is,
    which key to send and which model can see: it could only use the settings."""
    stub.api_key = KEY
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "red.png").write_bytes(png_bytes())
    out = tmp_path / "out.jsonl"
    result = localsight(
        "describe",
        str(photos),
        "--base-url",
        stub.base_url,
        "--api-key-env",
        "BOX_KEY",
        "--model",
        "stub-model",
        "--vision-model",
        "stub-model",
        "--out",
        str(out),
        "--no-progress",
        home=tmp_path / "home",
        env={"BOX_KEY": KEY},
    )
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (row["text"], row["error"], row["model"]) == ("Hello from the stub.", "", "stub-model")
    [chat] = stub.chats()
    assert chat.headers["authorization"] == f"Bearer {KEY}"
    parts = chat.body["messages"][-1]["content"]
    assert [part["type"] for part in parts].count("image_url") == 1
    assert KEY not in result.stdout + result.stderr


def test_ask_reads_the_key_from_the_named_variable(stub: StubServer, tmp_path: Path) -> None:
    stub.api_key = KEY
    result = localsight(
        "ask",
        "Hello?",
        "--base-url",
        stub.base_url,
        "--model",
        "stub-model",
        "--api-key-env",
        "BOX_KEY",
        home=tmp_path,
        env={"BOX_KEY": KEY},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello from the stub."
    assert stub.chats()[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.stdout + result.stderr


def test_ask_without_the_key_is_one_clear_line(stub: StubServer, tmp_path: Path) -> None:
    stub.api_key = KEY
    result = localsight(
        "ask", "Hello?", "--backend", "openai", "--base-url", stub.base_url, home=tmp_path
    )
    assert_one_clear_line(result, "requires an API key", "--api-key-env")


def test_models_lists_what_the_server_serves(stub: StubServer, tmp_path: Path) -> None:
    stub.models = [
        {"id": "a", "owned_by": "x", "architecture": {"input_modalities": ["text", "image"]}},
        {"id": "b", "owned_by": "x"},
    ]
    result = localsight("models", "--base-url", stub.base_url, "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    rows = listed if isinstance(listed, list) else listed.get("models", listed)
    text = json.dumps(rows)
    assert '"a"' in text and '"b"' in text


def test_the_default_model_is_the_servers_first(stub: StubServer, tmp_path: Path) -> None:
    result = localsight("ask", "Hello?", "--base-url", stub.base_url, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert stub.chats()[0].body["model"] == "stub-model"


def test_preset_with_nothing_running_is_actionable(tmp_path: Path) -> None:
    result = localsight("ask", "Hello?", "--preset", "vllm", "--model", "m", home=tmp_path)
    if result.returncode == 0:
        pytest.skip("a server really runs on 127.0.0.1:8000")
    assert_one_clear_line(result, "127.0.0.1:8000", "--base-url")
