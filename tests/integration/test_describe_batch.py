"""``describe --export-batch`` / ``--import-batch`` against a real llama-server.

The claims: the request file is the OpenAI Batch input format, one request per distinct
image still to do, carrying the *normalised* image and what LocalSight itself would send;
results run by a batch runner (here: each body POSTed to a real llama-server, its answers
written as OpenAI batch output lines) come back as the same rows a local
``localsight describe --base-url`` run writes at temperature 0; errors, malformed lines,
unknown ids and partial results are handled without a duplicate or a gap.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop_app.cli.app import main
from desktop_app.core.describe.run import DEFAULT_PROMPT, file_sha256
from desktop_app.core.images import ImagePolicy, normalize_image
from desktop_app.core.settings import Settings
from tests.helpers.llama_server import LlamaServer
from tests.helpers.llama_tools import ensure_tool

BROKEN = "notes-renamed.jpg"
GOOD = ("big.jpg", "a.png", "b.png", "c.jpg")
COPY = "copy-of-a.png"


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four distinct images (one larger than the long-edge setting), a copy, a fake."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("batch") / "photos"
    folder.mkdir()
    Image.effect_noise((1500, 900), 40).convert("RGB").save(folder / "big.jpg", quality=85)
    Image.new("RGB", (40, 30), (200, 30, 30)).save(folder / "a.png")
    Image.new("RGB", (33, 50), (20, 160, 90)).save(folder / "b.png")
    Image.new("RGB", (64, 48), (10, 20, 230)).save(folder / "c.jpg", quality=90)
    shutil.copy(folder / "a.png", folder / COPY)
    (folder / BROKEN).write_text("shopping list: eggs, milk\n")
    return folder


@pytest.fixture(scope="module")
def server(tiny_vlm: tuple[Path, Path]) -> Iterator[LlamaServer]:
    model, mmproj = tiny_vlm
    with LlamaServer(
        ensure_tool("llama-server"), model=model, mmproj=mmproj, alias="tiny-vlm"
    ) as running:
        yield running


def _args(photos: Path, out: Path, base_url: str, *extra: str) -> list[str]:
    return [
        "describe",
        str(photos),
        "--out",
        str(out),
        "--base-url",
        base_url,
        "--model",
        "tiny-vlm",
        "--max-tokens",
        "8",
        "--temperature",
        "0",
        "--seed",
        "1",
        "--no-progress",
        *extra,
    ]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _run_batch(server: LlamaServer, requests: Path, results: Path) -> list[dict[str, Any]]:
    """A batch runner: each request's body to the server, answers as OpenAI output lines."""
    lines = []
    with httpx.Client(timeout=120) as client:
        for number, request in enumerate(_jsonl(requests)):
            assert request["url"] == "/v1/chat/completions"
            response = client.post(server.root_url + request["url"], json=request["body"])
            lines.append(
                {
                    "id": f"batch_req_{number}",
                    "custom_id": request["custom_id"],
                    "response": {
                        "status_code": response.status_code,
                        "request_id": f"req_{number}",
                        "body": response.json(),
                    },
                    "error": None,
                }
            )
    results.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return lines


def _by_path(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_path = {
        Path(row["path"]).name: {k: v for k, v in row.items() if k != "seconds"} for row in rows
    }
    assert len(by_path) == len(rows), "duplicate rows"
    return by_path


def test_export_is_the_openai_batch_input_with_the_normalised_image(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    requests = tmp_path / "requests.jsonl"
    # No server is needed to export: the address is a closed port.
    dead = "http://127.0.0.1:9/v1"
    args = _args(photos, out, dead, "--export-batch", str(requests), "--batch-dialect", "llama.cpp")
    assert main(args) == 0
    assert "4 requests written" in capsys.readouterr().err

    lines = _jsonl(requests)
    policy = ImagePolicy(max_long_edge=Settings().image_long_edge)
    by_id = {file_sha256(photos / name): name for name in GOOD}
    assert sorted(line["custom_id"] for line in lines) == sorted(by_id)  # the copy shares one
    for line in lines:
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        body = line["body"]
        assert body["model"] == "tiny-vlm"
        assert "stream" not in body and "stream_options" not in body
        assert body["temperature"] == 0 and body["max_tokens"] == 8 and body["seed"] == 1
        assert body["top_p"] == 0.95 and body["top_k"] == 40 and body["repeat_penalty"] == 1.1
        [message] = body["messages"]
        assert message["role"] == "user"
        image_part, text_part = message["content"]
        assert text_part == {"type": "text", "text": DEFAULT_PROMPT}
        header, _, data = image_part["image_url"]["url"].partition(",")
        expected = normalize_image(photos / by_id[line["custom_id"]], policy=policy)
        assert header == f"data:{expected.mime};base64"
        assert base64.b64decode(data) == expected.data
        if by_id[line["custom_id"]] == "big.jpg":  # resized to the long-edge setting
            assert max(expected.width, expected.height) == policy.max_long_edge < 1500

    # The unreadable file is its error row already, as a local run writes it.
    [row] = _jsonl(out)
    assert Path(row["path"]).name == BROKEN and row["error"] and not row["text"]

    # The portable dialect sends only OpenAI's parameters.
    plain = tmp_path / "plain.jsonl"
    assert main(_args(photos, tmp_path / "o2.jsonl", dead, "--export-batch", str(plain))) == 0
    for line in _jsonl(plain):
        assert "top_k" not in line["body"] and "repeat_penalty" not in line["body"]
    assert main([*_args(photos, out, dead), "--import-batch", str(requests)]) == 0  # not results
    err = capsys.readouterr().err
    assert "line 1: not a batch result" in err and "5 images still to do" in err
    assert len(_jsonl(out)) == 1


@pytest.fixture(scope="module")
def exported(
    photos: Path, server: LlamaServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list[dict[str, Any]]]:
    """(requests, results, result lines) of one export run through the real server."""
    folder = tmp_path_factory.mktemp("exported")
    requests, results = folder / "requests.jsonl", folder / "results.jsonl"
    args = _args(photos, folder / "scratch.jsonl", server.base_url)
    assert main([*args, "--export-batch", str(requests), "--batch-dialect", "llama.cpp"]) == 0
    return requests, results, _run_batch(server, requests, results)


def test_imported_rows_equal_a_local_run(
    photos: Path,
    server: LlamaServer,
    exported: tuple[Path, Path, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, results, _ = exported
    local = tmp_path / "local.jsonl"
    assert main(_args(photos, local, server.base_url)) == 0
    batch = tmp_path / "batch.jsonl"
    args = _args(photos, batch, server.base_url)
    assert main([*args, "--export-batch", str(tmp_path / "r.jsonl")]) == 0  # the error row
    assert main([*args, "--import-batch", str(results)]) == 0
    err = capsys.readouterr().err
    assert "0 images still to do" in err and "ignored" not in err

    local_rows, batch_rows = _by_path(_jsonl(local)), _by_path(_jsonl(batch))
    assert len(batch_rows) == len(GOOD) + 2
    assert batch_rows == local_rows
    assert all(batch_rows[name]["text"] for name in GOOD)
    assert batch_rows[COPY]["text"] == batch_rows["a.png"]["text"]
    # A local run over the imported file has nothing left to do.
    before = batch.read_bytes()
    assert main(_args(photos, batch, server.base_url)) == 0
    assert batch.read_bytes() == before


def test_errors_malformed_unknown_and_a_partial_import(
    photos: Path,
    exported: tuple[Path, Path, list[dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, results, lines = exported
    dead = "http://127.0.0.1:9/v1"
    names = {file_sha256(photos / name): name for name in GOOD}
    ordered = sorted(lines, key=lambda line: GOOD.index(names[line["custom_id"]]))
    _, a, b, _ = ordered
    failed = {  # a request the server refused: a verdict on it, so its error row
        "id": "batch_req_x",
        "custom_id": b["custom_id"],
        "response": {
            "status_code": 400,
            "body": {"error": {"message": "the image could not be decoded"}},
        },
        "error": None,
    }
    unknown = {**a, "custom_id": "f" * 64}
    partial = tmp_path / "partial.jsonl"
    partial.write_text(
        "\n".join([json.dumps(a), "{not json", json.dumps(unknown), json.dumps(failed)]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    args = _args(photos, out, dead)
    assert main([*args, "--export-batch", str(tmp_path / "requests.jsonl")]) == 0  # the fake's row
    assert main([*args, "--import-batch", str(partial)]) == 0
    err = capsys.readouterr().err
    assert f"{partial}, line 2: not a batch result" in err
    assert "1 result ignored: no image of this run has that sha256" in err
    assert "2 images still to do" in err  # big.jpg and c.jpg
    rows = _by_path(_jsonl(out))
    assert set(rows) == {"a.png", COPY, "b.png", BROKEN}
    assert rows["a.png"]["text"] and rows[COPY]["text"] == rows["a.png"]["text"]
    assert "the image could not be decoded" in rows["b.png"]["error"] and not rows["b.png"]["text"]

    # The whole results file: only the two missing images are added; b.png stays an error
    # (done, as a local run's error rows are) and nothing is written twice.
    assert main([*args, "--import-batch", str(results)]) == 0
    assert "0 images still to do" in capsys.readouterr().err
    rows = _by_path(_jsonl(out))
    assert set(rows) == {*GOOD, COPY, BROKEN}
    assert rows["b.png"]["error"]
    before = out.read_bytes()
    assert main([*args, "--import-batch", str(results)]) == 0
    assert out.read_bytes() == before

    # Resume: an export now has nothing to ask; --retry-errors asks again for b.png only.
    again = tmp_path / "again.jsonl"
    assert main([*args, "--export-batch", str(again)]) == 0
    assert _jsonl(again) == []
    assert main([*args, "--export-batch", str(again), "--retry-errors"]) == 0
    assert [line["custom_id"] for line in _jsonl(again)] == [b["custom_id"]]
    # ...and importing its answer replaces the error as a local --retry-errors run does.
    assert main([*args, "--retry-errors", "--import-batch", str(results)]) == 0
    newest = _jsonl(out)[-1]
    assert Path(newest["path"]).name == "b.png" and not newest["error"]
    assert newest["text"] == b["response"]["body"]["choices"][0]["message"]["content"].strip()
