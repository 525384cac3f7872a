"""A results file from elsewhere cannot make ``describe --sidecar`` write outside the run.

Issue 16, item 5 (every path built from data is checked).  ``--out`` may name a results file
that came from another machine, a backup, or someone else: its rows are data.  A re-run
with ``--sidecar`` restores the ``.txt`` of images already described, and it used to do so
for every row of the file, so a row naming any existing file (``~/.bashrc``, a file in
another folder) created ``<that file>.txt`` beside it.  Only the images found this run may
get a sidecar.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from PIL import Image

from backends.base import GenerationOptions
from desktop_app.cli.app import main
from desktop_app.core.describe.output import DescribeRow
from desktop_app.core.describe.run import DescribeJob, file_sha256, restore_sidecars
from desktop_app.core.images import ImagePolicy


def _model_args(tiny_vlm: tuple[Path, Path]) -> list[str]:
    return [
        "--model",
        str(tiny_vlm[0]),
        "--mmproj",
        str(tiny_vlm[1]),
        "--max-tokens",
        "4",
        "--temperature",
        "0",
        "--seed",
        "1",
        "--no-progress",
    ]


def _described_folder(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> tuple[list[str], Path, DescribeRow]:
    """A folder with one photo described with ``--sidecar``: the command, its results file
    and the photo's row."""
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "photo.png"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(photo)
    out = tmp_path / "results.jsonl"
    args = ["describe", str(folder), "--out", str(out), "--sidecar", *_model_args(tiny_vlm)]
    assert main(args) == 0
    (line,) = out.read_text(encoding="utf-8").splitlines()
    good = DescribeRow(**json.loads(line))
    assert good.path == str(photo) and not good.error
    return args, out, good


def _plant(out: Path, good: DescribeRow, *rows: tuple[Path, str]) -> None:
    """Append rows that count as done (same model and prompt) for other files."""
    with out.open("a", encoding="utf-8") as handle:
        for path, sha256 in rows:
            row = dataclasses.replace(good, path=str(path), sha256=sha256, text="planted text")
            handle.write(json.dumps(row.as_dict()) + "\n")


def _other_photo(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = elsewhere / "other.png"
    Image.new("RGB", (32, 24), (30, 200, 30)).save(other)
    return other


def test_a_results_file_cannot_create_a_txt_beside_any_file(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    args, out, good = _described_folder(tmp_path, tiny_vlm)
    photo = Path(good.path)
    victim = tmp_path / "victim.conf"
    victim.write_text("not yours\n")
    climbing = photo.parent / ".." / "victim2.conf"
    climbing.write_text("not yours either\n")
    other = _other_photo(tmp_path)
    # Rows naming files that are not images of this run, with the hash each file really
    # has (a hostile file knows it) and, for the other photo, the hash of another content.
    _plant(
        out,
        good,
        (victim, file_sha256(victim)),
        (climbing, file_sha256(climbing)),
        (other, good.sha256),
    )
    Path(f"{photo}.txt").unlink()

    assert main(args) == 0
    assert Path(f"{photo}.txt").read_text(encoding="utf-8") == f"{good.text}\n"  # restored
    written = sorted(p.name for p in tmp_path.rglob("*.txt"))
    assert written == ["photo.png.txt"], written
    assert victim.read_text() == "not yours\n"


def test_the_cli_restores_no_sidecar_for_an_image_of_another_folder(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    args, out, good = _described_folder(tmp_path, tiny_vlm)
    other = _other_photo(tmp_path)
    _plant(out, good, (other, file_sha256(other)))
    assert main(args) == 0
    assert not Path(f"{other}.txt").exists()


def test_restore_sidecars_writes_only_for_the_images_of_this_run(tmp_path: Path) -> None:
    """The rule itself, on rows whose files all exist with the content the row names."""
    job = DescribeJob("model", "prompt", GenerationOptions(), ImagePolicy(), sidecar=True)
    files = []
    for name in ("mine.png", "theirs.png", "named-on-the-command-line.raw"):
        path = tmp_path / name
        Image.new("RGB", (8, 8), (len(name), 0, 0)).save(path, format="PNG")
        files.append(path)
    mine, theirs, explicit = files
    rows = [
        DescribeRow(str(path), file_sha256(path), 8, 8, "model", "prompt", path.name, 0.1, "")
        for path in files
    ]
    assert restore_sidecars(rows, job, [mine, explicit]) == 2
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == [
        "mine.png.txt",
        "named-on-the-command-line.raw.txt",
    ]
    assert Path(f"{mine}.txt").read_text(encoding="utf-8") == "mine.png\n"
    # A changed image is not given the old description (the run describes it again).
    Path(f"{mine}.txt").unlink()
    mine.write_bytes(theirs.read_bytes())
    assert restore_sidecars(rows, job, [mine]) == 0
    assert not Path(f"{theirs}.txt").exists()
