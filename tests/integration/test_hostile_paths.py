"""Hostile entries and hostile names: nothing unreadable blocks the rest, no name leaves its folder.

Issue 16, item 2: one symlink loop in the models folder made every model unusable (``ask``
with the default model and ``models`` died with "unexpected error: RuntimeError: Symlink
loop").  Every kind of entry a folder can hold that is not a readable file -- a link loop
(to itself, and two links to each other), a link to nothing, a named pipe, a folder, a
device, a socket, an entry without read permission -- is put beside a good model, and each
must be skipped with one note naming it while the good model is still offered.  A named
pipe blocks whoever opens it for reading, so these runs also prove nothing opens it.

Issue 16, item 5: ``export`` wrote outside ``--out`` for a chat database holding
``images.sha256 = '../../../x'``.  Every place a path or URL is built from data gets an
attack: hostile image rows in a database, hostile Ollama manifest digests, hostile names in
the Hugging Face cache lookup, catalog entries and download requests with ``../`` or
separators, and links or folders where a download writes its temporary files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.discovery import SummaryCache
from backends.llama_cpp.hf_cache import find_cached_file, scan_hub_cache
from backends.llama_cpp.ollama_store import scan_store
from desktop_app.core.chat.export import JSON_FILENAME
from desktop_app.core.downloads.errors import InTheWay, UnsafeFileName
from desktop_app.core.downloads.fetch import Downloader, FileRequest
from desktop_app.core.images import normalize_image
from desktop_app.core.models.catalog import (
    CatalogError,
    CatalogFile,
    load_catalog,
    parse_catalog,
)
from desktop_app.core.settings import app_paths
from desktop_app.core.store.database import Store
from tests.helpers import REPO
from tests.helpers.cli import NO_OLLAMA, localsight
from tests.helpers.hf_server import HubFile, HubState, hub_server
from tests.helpers.images import png_bytes

HEX = hashlib.sha256(b"not an image").hexdigest()
MODEL_MEDIA = "application/vnd.ollama.image.model"
PROJECTOR_MEDIA = "application/vnd.ollama.image.projector"
#: A bound on a run that must not hang: a liveness guard, not a speed assertion.
NO_HANG_S = 120
T = TypeVar("T")


def finishes(action: Callable[[], T]) -> T:
    """Run ``action`` on a daemon thread; fail (rather than hang the suite) if it blocks."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(action())
        except BaseException as error:  # re-raised on the test thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(NO_HANG_S)
    assert not thread.is_alive(), "blocked: something opened a named pipe or a device"
    if errors:
        raise errors[0]
    return result[0]


# -- item 2: unreadable entries in the models folder ------------------------------------------


def add_hostile_entries(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every kind of entry that is not a readable model file; name -> words its note says."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "loop.gguf").symlink_to("loop.gguf")
    (folder / "loop-a.gguf").symlink_to("loop-b.gguf")
    (folder / "loop-b.gguf").symlink_to("loop-a.gguf")
    (folder / "dangling.gguf").symlink_to("deleted-long-ago.gguf")
    os.mkfifo(folder / "fifo.gguf")
    (folder / "folder.gguf").mkdir()
    (folder / "device.gguf").symlink_to(os.devnull)
    (folder / "loop-folder").symlink_to("loop-folder")  # a subfolder link loop: no note needed
    # A socket's path must fit in ~100 bytes: bind by a relative name from inside the folder.
    monkeypatch.chdir(folder)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("socket.gguf")
    monkeypatch.undo()
    return {
        "loop.gguf": "link loop",
        "loop-a.gguf": "link loop",
        "loop-b.gguf": "link loop",
        "dangling.gguf": "deleted-long-ago.gguf, which does not exist",
        "fifo.gguf": "named pipe",
        "folder.gguf": "folder",
        "device.gguf": "device",
        "socket.gguf": "socket",
    }


def copy_pair(tiny_vlm: tuple[Path, Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for file in tiny_vlm:
        (folder / file.name).write_bytes(file.read_bytes())


def test_every_unreadable_entry_is_skipped_with_a_note_and_the_good_model_is_offered(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    copy_pair(tiny_vlm, models)
    expected = add_hostile_entries(models, monkeypatch)
    backend = LlamaCppBackend([models], include_embedded=False, include_stores=False)
    try:
        (model,) = finishes(backend.list_models)
        assert Path(model.id).name == tiny_vlm[0].name and model.capabilities.vision
        for name, words in expected.items():
            (note,) = [p for p in backend.problems if f"{os.sep}{name} " in p]
            assert words in note and note.endswith("."), note
        assert len(backend.problems) == len(expected), backend.problems
    finally:
        backend.close()


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads any file whatever its permissions, so nothing is unreadable to it",
)
def test_an_entry_without_read_permission_is_skipped_with_a_note(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    models = tmp_path / "models"
    copy_pair(tiny_vlm, models)
    locked = models / "locked.gguf"
    locked.write_bytes(tiny_vlm[0].read_bytes())
    locked.chmod(0)
    closed = models / "closed"
    copy_pair(tiny_vlm, closed)
    closed.chmod(0)
    backend = LlamaCppBackend([models], include_embedded=False, include_stores=False)
    try:
        (model,) = backend.list_models()
        assert Path(model.id).parent == models.resolve()
        problems = "\n".join(backend.problems)
        assert "locked.gguf cannot be read (permission denied)" in problems
        assert f"{closed}: Permission denied" in problems
    finally:
        closed.chmod(0o755)
        backend.close()


def test_the_cli_lists_models_and_answers_beside_a_hostile_models_folder(
    localsight_home: Path, tiny_vlm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = localsight_home / "data" / "models"
    copy_pair(tiny_vlm, models)
    expected = add_hostile_entries(models, monkeypatch)

    listing = localsight("models", "--json", home=localsight_home, env=NO_OLLAMA)
    assert listing.returncode == 0, listing.stderr
    names = {Path(row["id"]).name for row in json.loads(listing.stdout)}
    assert {tiny_vlm[0].name, "SmolLM2-135M-Instruct.Q4_1.gguf"} <= names
    skipped = [line for line in listing.stderr.splitlines() if "skipped:" in line]
    for name, words in expected.items():
        (line,) = [s for s in skipped if f"{os.sep}{name} " in s]
        assert line.startswith("localsight: skipped: ") and words in line
    assert "unexpected error" not in listing.stderr and "Traceback" not in listing.stderr

    # The default model (no --model at all) still answers: the listing runs first.
    answer = localsight(
        "ask",
        "Say hi.",
        "--max-tokens",
        "2",
        "--temperature",
        "0",
        home=localsight_home,
        env=NO_OLLAMA,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip()
    assert "unexpected error" not in answer.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "loop"])
def test_a_hostile_entry_given_as_the_model_is_one_clear_line(
    localsight_home: Path, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.gguf"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to(os.devnull)
    else:
        path.symlink_to(path.name)
    result = localsight("ask", "hi", "--model", str(path), home=localsight_home, env=NO_OLLAMA)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("localsight: error:"), result.stderr
    assert f"{kind}.gguf" in lines[0] and "unexpected" not in lines[0]
    said = {"fifo": "named pipe", "device": "device", "loop": "link loop"}[kind]
    assert said in lines[0] and "does not exist" not in lines[0], lines[0]


# -- item 2 and 5: the other model stores -----------------------------------------------------


def _blob(root: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / f"sha256-{digest}").write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _manifest(root: Path, name: str, layers: list[dict[str, object]]) -> Path:
    path = root / "manifests" / "registry.ollama.ai" / "library" / name / "latest"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))
    return path


def test_ollama_manifests_cannot_name_a_file_outside_the_blobs(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    root = tmp_path / "ollama"
    good = [
        {"mediaType": MODEL_MEDIA, **_blob(root, tiny_vlm[0].read_bytes())},
        {"mediaType": PROJECTOR_MEDIA, **_blob(root, tiny_vlm[1].read_bytes())},
    ]
    _manifest(root, "good", good)
    model_hex = str(good[0]["digest"]).removeprefix("sha256:")
    # A real model file outside the blobs, where a traversal would land.
    outside = tmp_path / "outside.gguf"
    outside.write_bytes(tiny_vlm[0].read_bytes())
    hostile = {
        "dotdot": "sha256:../../outside.gguf",
        "absolute": str(outside),
        "absolute-after-prefix": f"sha256:{outside}",
        "dash-form": f"sha256-{model_hex}",
        "newline": f"sha256:{model_hex}\n",
        "upper": f"sha256:{model_hex.upper()}",
        "not-text": 12345,
    }
    for name, digest in hostile.items():
        _manifest(root, name, [{"mediaType": MODEL_MEDIA, "digest": digest}])
    models, problems = finishes(lambda: scan_store(root, SummaryCache()))
    assert [m.id for m in models] == ["good:latest"]
    for name in hostile:
        (note,) = [p for p in problems if f"{name}:latest" in p]
        assert "malformed" in note, note


def test_ollama_blobs_and_manifests_that_cannot_be_read_are_notes(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    root = tmp_path / "ollama"
    _manifest(root, "good", [{"mediaType": MODEL_MEDIA, **_blob(root, tiny_vlm[0].read_bytes())}])
    blobs = root / "blobs"
    loop_hex, fifo_hex = "1" * 64, "2" * 64
    (blobs / f"sha256-{loop_hex}").symlink_to(f"sha256-{loop_hex}")
    os.mkfifo(blobs / f"sha256-{fifo_hex}")
    _manifest(root, "loop", [{"mediaType": MODEL_MEDIA, "digest": f"sha256:{loop_hex}"}])
    _manifest(root, "pipe", [{"mediaType": MODEL_MEDIA, "digest": f"sha256:{fifo_hex}"}])
    fifo_manifest = root / "manifests" / "registry.ollama.ai" / "library" / "fifo" / "latest"
    fifo_manifest.parent.mkdir(parents=True)
    os.mkfifo(fifo_manifest)
    models, problems = finishes(lambda: scan_store(root, SummaryCache()))
    assert [m.id for m in models] == ["good:latest"]
    text = "\n".join(problems)
    assert "loop:latest: its blob" in text and "link loop" in text
    assert "pipe:latest: its blob" in text and "named pipe" in text
    assert "fifo:latest: its manifest is a named pipe" in text


def _hf_snapshot(cache: Path, repo: str, files: list[Path]) -> Path:
    folder = cache / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / "c0ffee"
    snapshot.mkdir(parents=True)
    (folder / "blobs").mkdir()
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("c0ffee")
    for file in files:
        blob = folder / "blobs" / hashlib.sha256(file.read_bytes()).hexdigest()
        blob.write_bytes(file.read_bytes())
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    return snapshot


def test_the_hf_cache_notes_entries_it_cannot_read_and_keeps_the_good_pair(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    cache = tmp_path / "hub"
    snapshot = _hf_snapshot(cache, "someone/Tiny-VLM-GGUF", list(tiny_vlm))
    (snapshot / "loop.gguf").symlink_to("loop.gguf")
    (snapshot / "deleted.gguf").symlink_to("../../blobs/" + "3" * 64)
    os.mkfifo(snapshot / "fifo.gguf")
    models, problems = finishes(lambda: scan_hub_cache(cache, SummaryCache()))
    assert [Path(m.id).name for m in models] == [tiny_vlm[0].name]
    assert models[0].projector is not None
    for name, words in (
        ("loop.gguf", "link loop"),
        ("deleted.gguf", "which does not exist"),
        ("fifo.gguf", "named pipe"),
    ):
        (note,) = [p for p in problems if f"{os.sep}{name} " in p]
        assert words in note, note


def test_the_hf_cache_lookup_never_leaves_the_cache(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    cache = tmp_path / "hub"
    snapshot = _hf_snapshot(cache, "someone/Tiny-VLM-GGUF", list(tiny_vlm))
    secret = tmp_path / "secret.gguf"
    secret.write_bytes(b"GGUF")
    # Each of these names a real file outside the snapshot when joined naively.
    climb = os.path.relpath(secret, snapshot)
    assert (snapshot / climb).is_file()
    assert find_cached_file(cache, "someone/Tiny-VLM-GGUF", climb) is None
    assert find_cached_file(cache, "someone/Tiny-VLM-GGUF", str(secret)) is None
    # A repo's "/" becomes "--", so only a Windows separator or a "." part could climb.
    for repo in ("someone\\..\\..\\x/y", "someone/..", "../x", "a/b/c"):
        assert find_cached_file(cache, repo, tiny_vlm[0].name) is None
    assert find_cached_file(cache, "someone/Tiny-VLM-GGUF", tiny_vlm[0].name) is not None


# -- item 5: a hostile chat database ------------------------------------------------------------


def _files_outside(root: Path, out: Path, home: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the export folder and the app's own home."""
    return {
        str(p): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and out not in p.parents and home not in p.parents
    }


@pytest.fixture
def hostile_history(localsight_home: Path, tmp_path: Path) -> Iterator[list[str]]:
    """A history with one good image and image rows named by hostile strings."""
    absolute = str(tmp_path / "absolute-target")
    hostile = [
        "../../../x",
        "images/../../../y",
        "..",
        absolute,
        HEX.upper(),  # a valid hash in the wrong case: not a name LocalSight writes
        HEX + "\n",
        "nul\x00byte",
    ]
    paths = app_paths().ensure()
    good = normalize_image(png_bytes((10, 200, 30), size=(32, 24)), name="good.png")
    with Store.open(paths.database_path) as store:
        first = store.create_conversation(title="Hostile images")
        message = store.add_message(first, "user", "Look at these.", [good])
        store.add_message(first, "assistant", "I see them.")
        second = store.create_conversation(title="Plain text")
        store.add_message(second, "user", "Only words here.")
    conn = sqlite3.connect(paths.database_path)
    with conn:
        for ordinal, name in enumerate(hostile, start=1):
            conn.execute(
                "INSERT INTO images (sha256, mime, width, height, data, thumbnail, created_at) "
                "VALUES (?, 'image/png', 1, 1, ?, x'', 0)",
                (name, b"attacker bytes"),
            )
            conn.execute(
                "INSERT INTO message_images (message_id, sha256, ordinal) VALUES (?, ?, ?)",
                (message.id, name, ordinal),
            )
    conn.close()
    yield [good.sha256, *hostile]


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_of_a_hostile_history_writes_only_inside_out(
    localsight_home: Path, tmp_path: Path, hostile_history: list[str], fmt: str
) -> None:
    good, *hostile = hostile_history
    out = tmp_path / "deep" / "a" / "b" / "out"
    before = _files_outside(tmp_path, out, localsight_home)
    result = localsight("export", "--format", fmt, "--out", str(out), home=localsight_home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert _files_outside(tmp_path, out, localsight_home) == before, "wrote outside --out"
    assert not (tmp_path / "deep" / "a" / "x.png").exists()
    # The good image is there, under its sha256, and nothing else is in images/.
    assert sorted(p.name for p in (out / "images").iterdir()) == [f"{good}.png"]
    assert all(p.parent in (out, out / "images") for p in out.rglob("*"))
    if fmt == "md":
        documents = sorted(out.glob("*.md"))
        assert [d.name for d in documents] == ["1-hostile-images.md", "2-plain-text.md"]
        text = documents[0].read_text(encoding="utf-8")
        assert f"](images/{good}.png)" in text
        assert text.count("was left out") == len(hostile)
        assert "../" not in text
        assert "Only words here." in documents[1].read_text(encoding="utf-8")
    else:
        document = json.loads((out / JSON_FILENAME).read_text(encoding="utf-8"))
        assert [c["title"] for c in document["conversations"]] == ["Hostile images", "Plain text"]
        images = document["conversations"][0]["messages"][0]["images"]
        assert images[0]["file"] == f"images/{good}.png" and "problem" not in images[0]
        assert [i["sha256"] for i in images[1:]] == hostile  # kept as data, never as a path
        assert all(i["file"] is None and "left out" in i["problem"] for i in images[1:])
    # Each refusal is said once on stderr, in a sentence.
    assert result.stderr.count("was left out of the export") == len(hostile)


# -- item 5: the catalog and downloads ----------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    [
        "../evil.gguf",
        "../../../evil.gguf",
        "sub/evil.gguf",
        "..\\evil.gguf",
        "/abs.gguf",
        "evil.gguf\n",
        "C:evil.gguf",
    ],
)
def test_a_catalog_file_name_that_could_leave_its_folder_is_refused_however_made(
    filename: str,
) -> None:
    with pytest.raises(CatalogError, match=r"plain \.gguf file name"):
        CatalogFile(filename, 1, None)
    entry = load_catalog().entries[0]
    with pytest.raises(CatalogError, match=r"plain \.gguf file name"):
        dataclasses.replace(entry.model_file, filename=filename)
    raw = json.loads((REPO / "desktop_app/core/models/catalog.json").read_text())
    raw["models"][0]["model_file"]["filename"] = filename
    with pytest.raises(CatalogError, match="file name"):
        parse_catalog(json.dumps(raw))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "../escape"),
        ("id", "a/b"),
        ("id", "ok\n"),
        ("repo", "../../x/y"),
        ("repo", "org/.."),
        ("repo", "org/name\n"),
        ("repo", "org/name/extra"),
    ],
)
def test_a_catalog_id_or_repo_that_could_leave_its_folder_is_refused(
    field: str, value: str
) -> None:
    entry = load_catalog().entries[0]
    with pytest.raises(CatalogError):
        if field == "id":
            dataclasses.replace(entry, id=value)
        else:
            dataclasses.replace(entry, repo=value)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubState]:
    with hub_server() as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield state


def test_a_download_name_with_separators_cannot_fetch_another_repos_file(
    hub: HubState, tmp_path: Path
) -> None:
    """URLs are normalised, so ``../`` in a file name would fetch another repository's file
    (and the hub's etag would then "verify" it)."""
    hub.add("evil-org/evil", "tiny.gguf", HubFile(b"evil bytes " * 100))
    hub.add("ggml-org/Tiny-GGUF", "tiny.gguf", HubFile(b"good bytes " * 100))
    dest = tmp_path / "models" / "tiny" / "tiny.gguf"
    for repo, revision, filename in (
        ("ggml-org/Tiny-GGUF", "main", "../../../../evil-org/evil/resolve/main/tiny.gguf"),
        ("ggml-org/Tiny-GGUF", "main", "sub/tiny.gguf"),
        ("ggml-org/Tiny-GGUF", "main", "..\\tiny.gguf"),
        ("ggml-org/Tiny-GGUF", "..", "tiny.gguf"),
        ("../../evil-org/evil", "main", "tiny.gguf"),
        ("ggml-org/Tiny-GGUF/../../evil-org/evil", "main", "tiny.gguf"),
    ):
        with Downloader(retry_delay_s=0) as downloader, pytest.raises(UnsafeFileName) as caught:
            downloader.download([FileRequest(repo, revision, filename, dest)])
        assert "nothing was downloaded" in str(caught.value)
    assert hub.log == [], "a request reached the hub"
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("which", ["part", "meta", "dest"])
@pytest.mark.parametrize("kind", ["link", "folder", "fifo"])
def test_a_link_pipe_or_folder_where_a_download_writes_is_refused_not_followed(
    hub: HubState, tmp_path: Path, which: str, kind: str
) -> None:
    data = b"model bytes " * 1000
    hub.add("ggml-org/Tiny-GGUF", "tiny.gguf", HubFile(data))
    folder = tmp_path / "models" / "tiny"
    folder.mkdir(parents=True)
    entry = {
        "part": folder / ".tiny.gguf.part",
        "meta": folder / ".tiny.gguf.part.json",
        "dest": folder / "tiny.gguf",
    }[which]
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    if kind == "link":
        entry.symlink_to(victim)
    elif kind == "folder":
        entry.mkdir()
    else:
        os.mkfifo(entry)
    request = FileRequest("ggml-org/Tiny-GGUF", "main", "tiny.gguf", folder / "tiny.gguf")

    def download() -> object:
        with Downloader(retry_delay_s=0) as downloader:
            return downloader.download([request])

    if which == "dest" and kind == "link":
        # The final name may be a link (a model kept on another disk): the finished file
        # replaces the link itself, and what it pointed at is untouched.
        finishes(download)
        assert (folder / "tiny.gguf").read_bytes() == data
        assert not (folder / "tiny.gguf").is_symlink()
    else:
        with pytest.raises(InTheWay, match="in the way of the download"):
            finishes(download)
    assert victim.read_text() == "not yours"
