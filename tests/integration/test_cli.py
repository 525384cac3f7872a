"""The ``localsight`` command as a user runs it: a real process, real models, real exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.cli import NO_OLLAMA, assert_one_clear_line, localsight
from tests.helpers.images import png_bytes


def test_default_model_answers_paris(localsight_home: Path) -> None:
    result = localsight(
        "ask",
        "What is the capital of France? Answer in one word.",
        "--temperature",
        "0",
        "--stats",
        home=localsight_home,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    stats = json.loads(result.stderr.strip().splitlines()[-1])
    for key in (
        "prompt_tokens",
        "completion_tokens",
        "load_s",
        "ttft_s",
        "prompt_tok_s",
        "decode_tok_s",
    ):
        assert key in stats
    assert stats["completion_tokens"] > 0 and stats["ttft_s"] > 0 and stats["load_s"] > 0
    # Nothing was written outside LOCALSIGHT_HOME's folders.
    assert (localsight_home / "data").is_dir()


def test_image_turn_with_tiny_vision_model(
    localsight_home: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(png_bytes())
    result = localsight(
        "ask",
        "Describe this.",
        "--model",
        str(tiny_vlm[0]),
        "--mmproj",
        str(tiny_vlm[1]),
        "--image",
        str(image),
        "--max-tokens",
        "8",
        "--temperature",
        "0",
        home=localsight_home,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) > 0
    assert result.stderr == ""  # llama.cpp's chatter stays off the terminal


def test_corrupt_model(localsight_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + os.urandom(200))
    assert_one_clear_line(
        localsight("ask", "hi", "--model", str(bad), home=localsight_home), "bad.gguf"
    )


def test_text_only_model_with_image(
    localsight_home: Path, tmp_path: Path, tiny_text_model: Path
) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(png_bytes())
    result = localsight(
        "ask",
        "Describe.",
        "--model",
        str(tiny_text_model),
        "--image",
        str(image),
        home=localsight_home,
    )
    assert_one_clear_line(result, "cannot see images")


def test_missing_model_file(localsight_home: Path, tmp_path: Path) -> None:
    result = localsight("ask", "hi", "--model", str(tmp_path / "nope.gguf"), home=localsight_home)
    assert_one_clear_line(result, "does not exist")


def test_missing_image_file(localsight_home: Path, tmp_path: Path) -> None:
    result = localsight("ask", "hi", "--image", str(tmp_path / "nope.png"), home=localsight_home)
    assert_one_clear_line(result, "nope.png")


def test_image_that_is_not_an_image(localsight_home: Path, tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("these are my notes, not a picture\n" * 20)
    result = localsight("ask", "Describe.", "--image", str(fake), home=localsight_home)
    assert_one_clear_line(result, "notes.png")


def test_mmproj_without_model(localsight_home: Path, tiny_vlm: tuple[Path, Path]) -> None:
    result = localsight("ask", "hi", "--mmproj", str(tiny_vlm[1]), home=localsight_home)
    assert_one_clear_line(result, "--model")


def test_models_lists_the_default_and_the_folder(
    localsight_home: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    models_dir = localsight_home / "data" / "models"
    models_dir.mkdir(parents=True)
    for file in tiny_vlm:
        (models_dir / file.name).write_bytes(file.read_bytes())
    result = localsight("models", "--json", home=localsight_home)
    assert result.returncode == 0, result.stderr
    rows = {Path(r["id"]).name: r for r in json.loads(result.stdout)}
    assert rows["tiny-vlm.gguf"]["vision"] is True
    assert rows["SmolLM2-135M-Instruct.Q4_1.gguf"]["vision"] is False
    assert "tiny-vlm-mmproj.gguf" not in rows


@pytest.mark.parametrize("args", [["ask"], ["ask", "x", "--max-tokens", "0"], ["frobnicate"]])
def test_usage_errors_exit_2(localsight_home: Path, args: list[str]) -> None:
    result = localsight(*args, home=localsight_home)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_wrong_settings_are_warnings_and_the_answer_still_comes(
    localsight_home: Path, smollm2: Path
) -> None:
    """Issue 16: ``threads: 1000000000`` in settings.json ended in SIGABRT (std::bad_alloc)
    inside llama.cpp, and a model given as an object was "unexpected error"; each is now one
    warning line, its default used, and the default model answers."""
    config = localsight_home / "config"
    config.mkdir(parents=True)
    settings = {"threads": 1_000_000_000, "model": {"path": str(smollm2)}}
    (config / "settings.json").write_text(json.dumps(settings), "utf-8")
    result = localsight(
        "ask", "Say hello.", "--max-tokens", "4", "--temperature", "0", home=localsight_home
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 2, result.stderr
    assert all(line.startswith("localsight: warning: Setting ") for line in warnings)
    assert any('"threads"' in line for line in warnings)
    assert any('"model"' in line for line in warnings)


def test_a_bad_ollama_address_in_settings_is_a_warning(localsight_home: Path) -> None:
    """Issue 16: port 99999 was "unexpected error: ValueError"; now the setting is refused
    with a warning and the usual address is tried (where nothing listens here)."""
    config = localsight_home / "config"
    config.mkdir(parents=True)
    settings = {"backend": "ollama", "ollama_host": "127.0.0.1:99999"}
    (config / "settings.json").write_text(json.dumps(settings), "utf-8")
    result = localsight("ask", "hi", home=localsight_home, env=NO_OLLAMA)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr
    assert lines[0].startswith('localsight: warning: Setting "ollama_host"'), result.stderr
    assert lines[-1].startswith("localsight: error: Ollama"), result.stderr


@pytest.mark.parametrize(
    ("option", "value", "limit"),
    [
        ("--threads", "1000000000", "512"),
        ("--ctx", "1048577", "1048576"),
        ("--max-tokens", "99999999999999999999", "1048576"),
    ],
)
@pytest.mark.parametrize("command", ["ask", "describe"])
def test_generation_numbers_past_the_settings_limits_are_usage_errors(
    localsight_home: Path, command: str, option: str, value: str, limit: str
) -> None:
    """Issue 16, item 3: ``--threads 1000000000`` reached llama.cpp (SIGABRT on bad_alloc) the
    way the same number in settings did; the options now have the settings' limits."""
    target = "hi" if command == "ask" else str(localsight_home)
    result = localsight(command, target, option, value, home=localsight_home)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"localsight {command}: error: argument {option}: must be from 1 to {limit}"
