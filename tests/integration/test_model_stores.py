"""Models already on disk: Ollama's store and the Hugging Face cache, run in-process.

The layouts are built for real from the tiny GGUF pair: Ollama's content-addressed blobs
with a manifest naming the model and projector layers, and the hub cache's snapshot
symlinks into ``blobs/``.  The chat test runs ``localsight ask`` as a user would.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from backends.base import ModelNotFound
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.llama_cpp.hf_cache import hub_cache_root
from backends.llama_cpp.ollama_store import has_packed_vision, parse_name, store_root
from tests.helpers.cli import NO_OLLAMA, localsight
from tests.helpers.images import png_bytes

MODEL_MEDIA = "application/vnd.ollama.image.model"
PROJECTOR_MEDIA = "application/vnd.ollama.image.projector"


def _blob(root: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    blobs = root / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / f"sha256-{digest}").write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def build_ollama_store(
    root: Path,
    model: Path,
    projector: Path | None,
    *,
    name: str = "tiny",
    tag: str = "latest",
    namespace: str = "library",
) -> Path:
    """Write Ollama's layout: blobs named by sha256 and a manifest listing the layers."""
    layers = [{"mediaType": MODEL_MEDIA, **_blob(root, model.read_bytes())}]
    if projector is not None:
        layers.append({"mediaType": PROJECTOR_MEDIA, **_blob(root, projector.read_bytes())})
    template = b"{{ .Prompt }}"
    layers.append({"mediaType": "application/vnd.ollama.image.template", **_blob(root, template)})
    config = _blob(root, b'{"model_format":"gguf"}')
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config},
        "layers": layers,
    }
    path = root / "manifests" / "registry.ollama.ai" / namespace / name / tag
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))
    return path


def build_hf_cache(cache: Path, repo: str, files: list[Path], revision: str = "c0ffee") -> Path:
    """Write the hub cache's layout: blobs by sha256, snapshot symlinks, refs/main."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (folder / "blobs").mkdir()
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text(revision)
    for file in files:
        data = file.read_bytes()
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    return snapshot


def test_the_roots_follow_the_environment(tmp_path: Path) -> None:
    assert store_root({"OLLAMA_MODELS": str(tmp_path)}) == tmp_path
    assert store_root({}).parts[-2:] == (".ollama", "models")
    assert hub_cache_root({"HF_HUB_CACHE": "/x"}) == Path("/x")
    assert hub_cache_root({"HF_HOME": "/h"}) == Path("/h/hub")
    assert hub_cache_root({"XDG_CACHE_HOME": "/c"}) == Path("/c/huggingface/hub")


def test_ollama_names_parse_like_ollama() -> None:
    short = {
        n: (p.short if (p := parse_name(n)) else None)
        for n in (
            "llava",
            "llava:7b",
            "me/model:q4",
            "hf.co/org/repo:Q4_K_M",
            "/abs.gguf",
            "../x",
            "a:",
        )
    }
    assert short == {
        "llava": "llava:latest",
        "llava:7b": "llava:7b",
        "me/model:q4": "me/model:q4",
        "hf.co/org/repo:Q4_K_M": "hf.co/org/repo:Q4_K_M",
        "/abs.gguf": None,
        "../x": None,
        "a:": None,
    }


def test_a_pulled_vision_model_is_offered_by_its_ollama_name(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ollama"
    build_ollama_store(root, *tiny_vlm, name="tiny")
    build_ollama_store(root, tiny_vlm[0], None, name="tinytext", tag="1b")
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    backend = LlamaCppBackend(include_embedded=False)
    try:
        models = {m.id: m for m in backend.list_models()}
        assert set(models) == {"tiny:latest", "tinytext:1b"}
        assert models["tiny:latest"].capabilities.vision is True
        assert models["tinytext:1b"].capabilities.vision is False
        assert models["tiny:latest"].name == "tiny:latest"
        assert backend.model_info("tiny").id == "tiny:latest"  # no tag means latest
        assert backend.model_info("registry.ollama.ai/library/tiny:latest").id == "tiny:latest"
        with pytest.raises(ModelNotFound):
            backend.model_info("tiny:13b")
    finally:
        backend.close()


def test_a_hostile_or_broken_store_is_reported_not_followed(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ollama"
    build_ollama_store(root, *tiny_vlm, name="good")
    manifests = root / "manifests" / "registry.ollama.ai" / "library"
    escape = {"layers": [{"mediaType": MODEL_MEDIA, "digest": "sha256:../../../etc/passwd"}]}
    (manifests / "escape").mkdir()
    (manifests / "escape" / "latest").write_text(json.dumps(escape))
    missing = {"layers": [{"mediaType": MODEL_MEDIA, "digest": "sha256:" + "0" * 64}]}
    (manifests / "missing").mkdir()
    (manifests / "missing" / "latest").write_text(json.dumps(missing))
    (manifests / "garbage").mkdir()
    (manifests / "garbage" / "latest").write_text("{not json")
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    backend = LlamaCppBackend(include_embedded=False)
    try:
        assert [m.id for m in backend.list_models()] == ["good:latest"]
        problems = "\n".join(backend.problems)
        for name, words in (("escape", "malformed"), ("missing", "missing"), ("garbage", "JSON")):
            assert f"{name}:latest" in problems and words in problems
    finally:
        backend.close()


def test_a_model_with_vision_packed_inside_is_recognised(tmp_path: Path) -> None:
    packed = GGUFSummary(tmp_path / "x", 3, 1, {}, {}, frozenset({"v.patch_embd.weight", "x"}))
    plain = GGUFSummary(tmp_path / "y", 3, 1, {}, {}, frozenset({"token_embd.weight"}))
    assert has_packed_vision(packed) and not has_packed_vision(plain)


def test_the_hf_cache_is_used_in_place(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "hf" / "hub"
    snapshot = build_hf_cache(cache, "someone/Tiny-VLM-GGUF", list(tiny_vlm))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    backend = LlamaCppBackend(include_embedded=False)
    try:
        (model,) = backend.list_models()
        assert model.id == str(snapshot / tiny_vlm[0].name)
        # Named by the snapshot's file (tiny-vlm.gguf), not the hash-named blob behind it.
        assert model.name == "tiny vlm (F32)"
        assert backend.model_info(tiny_vlm[0].stem).id == model.id
        assert model.capabilities.vision is True
        assert backend.model_info(model.id).capabilities.vision is True
    finally:
        backend.close()


def test_a_catalog_pair_in_a_subfolder_pairs_with_its_own_projector(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], tiny_text_model: Path
) -> None:
    """Two downloads whose projectors share a file name stay apart in their own folders."""
    models = tmp_path / "models"
    for name in ("one", "two"):
        (models / name).mkdir(parents=True)
        shutil.copy(tiny_vlm[0], models / name / f"{name}.gguf")
        shutil.copy(tiny_vlm[1], models / name / "mmproj-model-f16.gguf")
    shutil.copy(tiny_text_model, models / "loose-text.gguf")
    backend = LlamaCppBackend([models], include_embedded=False)
    try:
        found = {Path(m.id).name: m for m in backend.list_models()}
        assert set(found) == {"one.gguf", "two.gguf", "loose-text.gguf"}
        assert found["one.gguf"].capabilities.vision and found["two.gguf"].capabilities.vision
        assert not found["loose-text.gguf"].capabilities.vision
    finally:
        backend.close()


def test_ask_runs_an_ollama_pulled_model_in_process_with_an_image(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], localsight_home: Path
) -> None:
    root = tmp_path / "ollama"
    build_ollama_store(root, *tiny_vlm, name="tiny")
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes((220, 20, 20)))
    env = {**NO_OLLAMA, "OLLAMA_MODELS": str(root)}
    result = localsight(
        "ask",
        "What is in the image?",
        "--model",
        "tiny:latest",
        "--image",
        str(image),
        "--max-tokens",
        "8",
        "--temperature",
        "0",
        "--seed",
        "1",
        "--stats",
        home=localsight_home,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    stats = json.loads(result.stderr.strip().splitlines()[-1])
    assert stats["completion_tokens"] > 0
    # The image was really encoded: the prompt holds more than the text's tokens.
    text_only = localsight(
        "ask",
        "What is in the image?",
        "--model",
        "tiny",
        "--max-tokens",
        "8",
        "--temperature",
        "0",
        "--seed",
        "1",
        "--stats",
        home=localsight_home,
        env=env,
    )
    assert text_only.returncode == 0, text_only.stderr
    text_stats = json.loads(text_only.stderr.strip().splitlines()[-1])
    assert stats["prompt_tokens"] > text_stats["prompt_tokens"]


def test_models_list_shows_every_source_and_where_it_lives(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], localsight_home: Path
) -> None:
    root = tmp_path / "ollama"
    build_ollama_store(root, *tiny_vlm, name="tiny")
    cache = tmp_path / "hf" / "hub"
    build_hf_cache(cache, "someone/Tiny-VLM-GGUF", list(tiny_vlm))
    folder = localsight_home / "data" / "models" / "mine"
    folder.mkdir(parents=True)
    for file in tiny_vlm:
        shutil.copy(file, folder / file.name)
    env = {**NO_OLLAMA, "OLLAMA_MODELS": str(root), "HF_HUB_CACHE": str(cache)}
    result = localsight("models", "list", "--json", home=localsight_home, env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    where = {r["location"]: r for r in rows}
    assert set(where) == {"Ollama store", "Hugging Face cache", "models folder", "built in"}
    assert where["Ollama store"]["id"] == "tiny:latest"
    for place in ("Ollama store", "Hugging Face cache", "models folder"):
        assert where[place]["vision"] is True and where[place]["backend"] == "llama-cpp"
    text = localsight("models", "list", home=localsight_home, env=env)
    assert text.returncode == 0, text.stderr
    assert "tiny:latest" in text.stdout and "Ollama is not running" in text.stderr
