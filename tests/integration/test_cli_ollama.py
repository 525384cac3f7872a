"""``localsight`` against Ollama as a user runs it: the CLI in a real process, talking over real
HTTP to the loopback Ollama server in this process, with real llama.cpp answers behind it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.llama_cpp import LlamaCppBackend
from tests.helpers.cli import assert_one_clear_line, localsight
from tests.helpers.images import png_bytes
from tests.helpers.ollama_server import (
    PULLABLE_MODEL,
    TEXT_MODEL,
    VISION_MODEL,
    Fault,
    OllamaServer,
    build_test_server,
    refusing_url,
)


@pytest.fixture(scope="module")
def running_server(smollm2: Path, tiny_vlm: tuple[Path, Path]) -> Iterator[OllamaServer]:
    llama = LlamaCppBackend(include_embedded=False)
    server = build_test_server(llama, smollm2=smollm2, tiny_vlm=tiny_vlm, broken=tiny_vlm[1])
    with server:
        yield server
    llama.close()


@pytest.fixture
def server(running_server: OllamaServer) -> Iterator[OllamaServer]:
    running_server.clear()
    yield running_server
    errors = list(running_server.errors)
    running_server.clear()
    running_server.remove(PULLABLE_MODEL)
    assert errors == [], "the loopback server itself failed"


def test_ask_streams_a_real_answer(server: OllamaServer, localsight_home: Path) -> None:
    result = localsight(
        "ask",
        "What is the capital of France? Answer in one sentence.",
        "--backend",
        "ollama",
        "--host",
        server.url,
        "--model",
        TEXT_MODEL,
        "--temperature",
        "0",
        "--max-tokens",
        "32",
        "--stats",
        home=localsight_home,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    stats = json.loads(result.stderr.strip().splitlines()[-1])
    assert stats["completion_tokens"] > 0 and stats["prompt_tokens"] > 10


def test_ask_with_an_image(server: OllamaServer, localsight_home: Path, tmp_path: Path) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes())
    # --host alone means Ollama.
    result = localsight(
        "ask",
        "Describe this.",
        "--host",
        server.url,
        "--model",
        VISION_MODEL,
        "--image",
        str(image),
        "--max-tokens",
        "8",
        home=localsight_home,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    [chat] = [r for r in server.requests if r.path == "/api/chat"]
    assert len(chat.body["messages"][0]["images"]) == 1


def test_image_to_a_text_model_is_refused_before_sending(
    server: OllamaServer, localsight_home: Path, tmp_path: Path
) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes())
    result = localsight(
        "ask",
        "Describe.",
        "--host",
        server.url,
        "--model",
        TEXT_MODEL,
        "--image",
        str(image),
        home=localsight_home,
    )
    assert_one_clear_line(result, "cannot see images")
    assert "/api/chat" not in server.paths()


def test_error_line_mid_answer_keeps_the_partial_text(
    server: OllamaServer, localsight_home: Path
) -> None:
    server.inject(Fault.error_after(4, "an error was encountered while running the model"))
    result = localsight(
        "ask",
        "Go.",
        "--host",
        server.url,
        "--model",
        VISION_MODEL,
        "--max-tokens",
        "40",
        home=localsight_home,
    )
    assert_one_clear_line(result, "failed while answering", "running the model")
    assert len(result.stdout.strip()) >= 4, "the partial answer was printed"


def test_not_running_is_one_line(localsight_home: Path) -> None:
    url = refusing_url()
    result = localsight(
        "ask", "hi", "--backend", "ollama", "--host", url, "--model", "llava", home=localsight_home
    )
    assert_one_clear_line(result, f"Ollama is not running at {url}", "ollama serve")


def test_models_list_shows_names_sizes_and_capabilities(
    server: OllamaServer, localsight_home: Path
) -> None:
    table = localsight(
        "models", "list", "--backend", "ollama", "--host", server.url, home=localsight_home
    )
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()}
    assert rows[VISION_MODEL][1] == "vision" and rows[TEXT_MODEL][1] == "text"
    assert rows[TEXT_MODEL][2:4] == ["98", "MB"]
    # Plain `models` still lists, options before or after the action.
    plain = localsight("models", "--host", server.url, "--json", home=localsight_home)
    listed = localsight("models", "--host", server.url, "list", "--json", home=localsight_home)
    assert plain.returncode == listed.returncode == 0, plain.stderr + listed.stderr
    assert json.loads(plain.stdout) == json.loads(listed.stdout)
    by_id = {row["id"]: row for row in json.loads(plain.stdout)}
    assert by_id[VISION_MODEL]["capabilities"] == ["vision"]
    assert by_id[TEXT_MODEL]["parameter_size"] == "135M"


def test_pull_shows_progress_to_100_percent_then_delete(
    server: OllamaServer, localsight_home: Path
) -> None:
    pulled = localsight(
        "models",
        "pull",
        "--backend",
        "ollama",
        "--host",
        server.url,
        PULLABLE_MODEL,
        home=localsight_home,
    )
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == f"Pulled {PULLABLE_MODEL}."
    progress = pulled.stderr.splitlines()
    assert progress[0] == "pulling manifest" and progress[-1] == "success"
    finished = [line for line in progress if "100%" in line]
    assert len(finished) == 2, pulled.stderr  # both layers
    assert "3.5/3.5 MB" in pulled.stderr and "MB/s" in pulled.stderr
    assert server.lookup(PULLABLE_MODEL) is not None

    deleted = localsight(
        "models", "delete", "--host", server.url, PULLABLE_MODEL, home=localsight_home
    )
    assert deleted.returncode == 0, deleted.stderr
    assert server.lookup(PULLABLE_MODEL) is None
    again = localsight(
        "models", "delete", "--host", server.url, PULLABLE_MODEL, home=localsight_home
    )
    assert_one_clear_line(again, "nothing was deleted")


def test_pull_needs_ollama(localsight_home: Path) -> None:
    result = localsight("models", "pull", "gemma3:4b", home=localsight_home)
    assert_one_clear_line(result, "--backend ollama")


def test_plain_http_to_another_machine_warns_on_stderr(localsight_home: Path) -> None:
    # This machine's name is not a loopback literal, so it counts as another machine; the
    # port is closed, so the connection is refused at once.
    name = socket.gethostname()
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        pytest.skip("this machine is named localhost")
    port = refusing_url().rsplit(":", 1)[1]
    host = f"http://{name}:{port}"
    result = localsight("models", "--host", host, home=localsight_home)
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith(f"localsight: warning: Ollama at {host} is reached over plain http")
    assert lines[1].startswith("localsight: error: Ollama is not reachable at")
    assert len(lines) == 2


def test_ollama_host_and_api_key_from_the_environment(
    server: OllamaServer, localsight_home: Path
) -> None:
    # The settings say llama.cpp; the environment names the server and its token.
    env = {"OLLAMA_HOST": server.url.removeprefix("http://"), "OLLAMA_API_KEY": "s3cret"}
    result = localsight("models", "--backend", "ollama", "--json", home=localsight_home, env=env)
    assert result.returncode == 0, result.stderr
    assert VISION_MODEL in {row["id"] for row in json.loads(result.stdout)}
    assert server.requests and all(
        r.headers.get("authorization") == "Bearer s3cret" for r in server.requests
    )
