"""The catalog, the fit rule, and the model library's download / status / remove.

The library is driven end to end against the loopback hub serving the tiny vision pair,
and the downloaded pair is then found by the real llama.cpp backend with vision.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import CancelToken
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.downloads.errors import DownloadCancelled, NotEnoughSpace, WillNotFit
from desktop_app.core.downloads.fetch import Progress
from desktop_app.core.models.catalog import (
    Catalog,
    CatalogError,
    CatalogFile,
    load_catalog,
    parse_catalog,
)
from desktop_app.core.models.fit import GIB, Resources, disk_fit, memory_needed, ram_fit
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.settings import app_paths
from tests.helpers import REPO
from tests.helpers.cli import NO_OLLAMA, localsight
from tests.helpers.hf_server import HubFile, HubState, hub_server
from tests.integration.test_model_stores import build_hf_cache, build_ollama_store

BIG = Resources(total_memory=64 * GIB, available_memory=60 * GIB, free_disk=500 * GIB)


def test_the_shipped_catalog_has_the_recommended_models() -> None:
    catalog = load_catalog()
    assert [e.id for e in catalog] == [
        "smolvlm-500m",
        "smolvlm2-2.2b",
        "gemma3-4b",
        "qwen2.5-vl-3b",
        "qwen3-vl-2b",
        "lfm2-vl-1.6b",
        "gemma4-e2b",
        "moondream2",
        "llava-1.5-7b",
    ]
    gemma = catalog.get("Gemma3-4B")
    assert gemma.repo == "ggml-org/gemma-3-4b-it-GGUF"
    assert gemma.files == (
        CatalogFile("gemma-3-4b-it-Q4_K_M.gguf", 2_490_000_000, None),
        CatalogFile("mmproj-model-f16.gguf", 851_000_000, None),
    )
    assert gemma.ollama_tag == "gemma3:4b"
    assert catalog.get("smolvlm-500m").ollama_tag is None
    assert all("256M" not in e.name for e in catalog)
    for entry in catalog:
        assert entry.ram_bytes > entry.download_bytes * 0.9
        assert 256 <= entry.image_long_edge <= 2048
        assert entry.licence and entry.chat_format and entry.good_for
    with pytest.raises(CatalogError, match="smolvlm-500m"):
        catalog.get("smolvlm-256m")


def _raw(**changes: object) -> str:
    raw = json.loads((REPO / "desktop_app/core/models/catalog.json").read_text())
    raw["models"][0].update(changes)
    return json.dumps(raw)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"model_file": {"filename": "../evil.gguf", "size": 1, "sha256": None}}, "file name"),
        ({"mmproj_file": {"filename": "x.gguf", "size": 1, "sha256": "XYZ"}}, "sha256"),
        ({"repo": "no-slash"}, "org/name"),
        ({"id": "smolvlm2-2.2b"}, "duplicate"),
        ({"ram_bytes": "lots"}, "ram_bytes"),
        ({"ram_bytes": True}, "ram_bytes"),
    ],
)
def test_a_malformed_catalog_is_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(CatalogError, match=words):
        parse_catalog(_raw(**changes))


# -- the fit rule ---------------------------------------------------------------------------


def test_memory_fit_judges_the_machine_by_its_total_and_now_by_what_is_free() -> None:
    needed = memory_needed(3 * GIB)
    assert 3.6 * GIB < needed < 4.0 * GIB  # files + ~0.77 GiB at 4096 tokens
    assert memory_needed(3 * GIB, 8192) - needed == 512 * 1024**2
    # 8 GiB laptop with plenty free: fits.
    assert ram_fit(3 * GIB, 6 * GIB, total=8 * GIB).level == "fits"
    # Same laptop with a browser open: tight, and the reason says what to do.
    tight = ram_fit(3 * GIB, 3 * GIB, total=8 * GIB)
    assert tight.level == "tight" and "close other programs" in tight.reason
    # 4 GiB machine: the OS keeps ~1.4 GiB, so ~3.8 GiB can never fit, whatever is free.
    too_big = ram_fit(3 * GIB, int(3.9 * GIB), total=4 * GIB)
    assert too_big.level == "too-big" and too_big.label == "too big"
    assert "4.0 GB" in too_big.reason and "smaller model" in too_big.reason
    assert ram_fit(None, 8 * GIB, total=16 * GIB).level == "unknown"


def test_disk_fit_keeps_room_for_the_system() -> None:
    assert disk_fit(GIB, 10 * GIB).level == "fits"
    assert disk_fit(GIB, GIB + GIB // 2).level == "tight"
    full = disk_fit(2 * GIB, GIB)
    assert full.level == "too-big" and "free some space" in full.reason
    assert disk_fit(GIB, None).level == "unknown"


def test_the_first_run_suggestion_follows_memory(tmp_path: Path) -> None:
    library = ModelLibrary(app_paths())
    machines = {
        2: None,
        4: "smolvlm2-2.2b",
        8: "gemma3-4b",
        16: "gemma3-4b",
    }
    for gib, expected in machines.items():
        resources = Resources(gib * GIB, gib * GIB // 2, 100 * GIB)
        entry = library.recommend(resources)
        assert (entry.id if entry else None) == expected, gib


# -- the library against the loopback hub ---------------------------------------------------


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, HubState]]:
    with hub_server() as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield url, state


@pytest.fixture
def tiny_catalog(tmp_path: Path, tiny_vlm: tuple[Path, Path]) -> Catalog:
    """The shipped catalog with its first entry pointing at the tiny pair (real sizes)."""
    shipped = load_catalog()
    first = shipped.entries[0]
    tiny = dataclasses.replace(
        first,
        id="tiny-vlm",
        repo="localsight/Tiny-VLM-GGUF",
        model_file=CatalogFile(tiny_vlm[0].name, tiny_vlm[0].stat().st_size, None),
        mmproj_file=CatalogFile(tiny_vlm[1].name, tiny_vlm[1].stat().st_size, None),
        ram_bytes=64 * 1024**2,
        ollama_tag="tiny:latest",
    )
    return Catalog((tiny, *shipped.entries[1:]))


def _serve_tiny(state: HubState, tiny_vlm: tuple[Path, Path]) -> None:
    for file in tiny_vlm:
        state.add("localsight/Tiny-VLM-GGUF", file.name, HubFile(file.read_bytes()))


def test_download_then_the_backend_offers_it_with_vision_then_remove(
    hub: tuple[str, HubState], tiny_catalog: Catalog, tiny_vlm: tuple[Path, Path]
) -> None:
    _, state = hub
    _serve_tiny(state, tiny_vlm)
    paths = app_paths().ensure()
    library = ModelLibrary(paths, tiny_catalog)
    before = library.status("tiny-vlm", BIG)
    assert before.installed is None and before.action == "download"
    assert before.fit.level == "fits"
    reports: list[Progress] = []
    pair = library.download("tiny-vlm", progress=reports.append, resources=BIG)
    assert pair.model_path.read_bytes() == tiny_vlm[0].read_bytes()
    assert pair.model_path.parent == paths.models_dir / "tiny-vlm"
    assert reports[-1].phase == "done" and reports[-1].fraction == 1.0
    after = library.status("tiny-vlm", BIG)
    assert after.installed == pair and after.action == "use"
    assert after.fit.disk.needed == 0
    backend = LlamaCppBackend([paths.models_dir], include_embedded=False)
    try:
        info = backend.model_info(pair.model_id)
        assert info.capabilities.vision is True
    finally:
        backend.close()
    freed = library.remove("tiny-vlm")
    assert freed == sum(f.stat().st_size for f in tiny_vlm)
    assert not (paths.models_dir / "tiny-vlm").exists()
    assert library.status("tiny-vlm", BIG).installed is None
    assert library.remove("tiny-vlm") == 0


def test_refused_up_front_when_it_cannot_fit(
    hub: tuple[str, HubState], tiny_catalog: Catalog, tiny_vlm: tuple[Path, Path]
) -> None:
    _, state = hub
    _serve_tiny(state, tiny_vlm)
    library = ModelLibrary(app_paths().ensure(), tiny_catalog)
    small = Resources(total_memory=GIB, available_memory=GIB // 2, free_disk=500 * GIB)
    with pytest.raises(WillNotFit, match="Nothing was downloaded"):
        library.download("tiny-vlm", resources=small)
    no_disk = Resources(total_memory=64 * GIB, available_memory=60 * GIB, free_disk=1000)
    with pytest.raises(NotEnoughSpace):
        library.download("tiny-vlm", resources=no_disk)
    assert state.log == []
    library.download("tiny-vlm", resources=small, ignore_memory=True)


def test_a_cancelled_download_shows_as_resumable(
    hub: tuple[str, HubState], tiny_catalog: Catalog, tiny_vlm: tuple[Path, Path]
) -> None:
    _, state = hub
    cancel = CancelToken()
    _serve_tiny(state, tiny_vlm)
    library = ModelLibrary(app_paths().ensure(), tiny_catalog)

    def cancel_once_bytes_arrive(progress: Progress) -> None:
        if progress.phase == "downloading" and progress.done > 0:
            cancel.cancel()

    with pytest.raises(DownloadCancelled):
        library.download(
            "tiny-vlm", cancel=cancel, progress=cancel_once_bytes_arrive, resources=BIG
        )
    status = library.status("tiny-vlm", BIG)
    assert status.installed is None and status.action == "resume" and status.partial_bytes > 0
    assert status.fit.disk.needed < tiny_catalog.get("tiny-vlm").download_bytes
    library.download("tiny-vlm", resources=BIG)
    assert state.ranges()
    library.remove("tiny-vlm")
    assert not (library.paths.models_dir / "tiny-vlm").exists()


def test_a_pair_in_the_hf_cache_is_used_not_downloaded_and_never_removed(
    hub: tuple[str, HubState], tiny_catalog: Catalog, tiny_vlm: tuple[Path, Path], tmp_path: Path
) -> None:
    _, state = hub
    cache = tmp_path / "hf-home" / "hub"
    snapshot = build_hf_cache(cache, "localsight/Tiny-VLM-GGUF", list(tiny_vlm))
    library = ModelLibrary(app_paths().ensure(), tiny_catalog)
    pair = library.download("tiny-vlm", resources=BIG)
    assert pair.location == "Hugging Face cache"
    assert pair.model_path == snapshot / tiny_vlm[0].name
    assert state.log == []
    assert library.remove("tiny-vlm") == 0
    assert pair.model_path.is_file()


def test_ollama_having_the_family_is_shown(
    tiny_catalog: Catalog, tiny_vlm: tuple[Path, Path], tmp_path: Path
) -> None:
    build_ollama_store(tmp_path / "ollama-models", *tiny_vlm, name="tiny")
    library = ModelLibrary(app_paths().ensure(), tiny_catalog)
    assert library.status("tiny-vlm", BIG).ollama_name == "tiny:latest"
    assert library.status("gemma3-4b", BIG).ollama_name is None


# -- the command line ---------------------------------------------------------------------------


def test_cli_catalog_shows_fit_for_every_entry(localsight_home: Path) -> None:
    result = localsight("models", "catalog", "--json", home=localsight_home, env=NO_OLLAMA)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == len(load_catalog().entries)
    assert all(r["fit"] in ("fits", "tight", "too-big", "unknown") for r in rows)
    assert all(r["memory_fit"] and r["disk_fit"] for r in rows)
    text = localsight("models", "catalog", home=localsight_home, env=NO_OLLAMA)
    assert text.returncode == 0, text.stderr
    for entry in load_catalog():
        assert entry.id in text.stdout
    assert "memory" in text.stdout


def test_cli_download_prints_progress_and_remove_cleans_up(
    hub: tuple[str, HubState], localsight_home: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    """The real catalog entry, served by the loopback hub with the tiny files' bytes."""
    _, state = hub
    entry = load_catalog().get("smolvlm-500m")
    for catalog_file, file in zip(entry.files, tiny_vlm, strict=True):
        state.add(entry.repo, catalog_file.filename, HubFile(file.read_bytes()))
    result = localsight("models", "download", "smolvlm-500m", home=localsight_home, env=NO_OLLAMA)
    assert result.returncode == 0, result.stderr
    folder = localsight_home / "data" / "models" / "smolvlm-500m"
    assert (folder / entry.model_file.filename).read_bytes() == tiny_vlm[0].read_bytes()
    assert "100%" in result.stderr and "MB/s" in result.stderr and "ETA" in result.stderr
    assert "(1/2)" in result.stderr and "(2/2)" in result.stderr
    assert str(folder) in result.stdout
    listed = localsight("models", "catalog", "--json", home=localsight_home, env=NO_OLLAMA)
    row = next(r for r in json.loads(listed.stdout) if r["id"] == "smolvlm-500m")
    assert row["location"] == "models folder"
    removed = localsight("models", "remove", "smolvlm-500m", home=localsight_home, env=NO_OLLAMA)
    assert removed.returncode == 0, removed.stderr
    assert "Removed SmolVLM 500M" in removed.stdout
    assert not folder.exists()


def test_cli_download_errors_are_one_clear_line(
    hub: tuple[str, HubState], localsight_home: Path
) -> None:
    result = localsight("models", "download", "smolvlm-500m", home=localsight_home, env=NO_OLLAMA)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("localsight: error:")]
    assert len(lines) == 1 and "404" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    unknown = localsight("models", "download", "nope", home=localsight_home, env=NO_OLLAMA)
    assert unknown.returncode == 1 and "smolvlm-500m" in unknown.stderr


def test_first_run_offers_what_is_already_here_before_a_download() -> None:
    from backends.base import Capabilities, ModelInfo
    from desktop_app.core.models.first_run import plan_first_run

    text = ModelInfo("/smollm2.gguf", "SmolLM2", size=98)
    local = ModelInfo("tiny:latest", "tiny", size=5, capabilities=Capabilities(vision=True))
    remote = ModelInfo("gemma3:4b", "gemma3", size=9, capabilities=Capabilities(vision=True))
    gemma = load_catalog().get("gemma3-4b")
    plan = plan_first_run([text, local], [remote], gemma, text.id)
    assert (plan.offer, plan.model) == ("local-vision", local)
    plan = plan_first_run([text], [remote], gemma, text.id)
    assert (plan.offer, plan.backend, plan.model) == ("ollama-vision", "ollama", remote)
    plan = plan_first_run([text], None, gemma, text.id)
    assert (plan.offer, plan.download, plan.text_model_id) == ("download", gemma, text.id)
