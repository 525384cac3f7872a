"""Downloads against a loopback hub: resume, verify, atomic rename, cancel, full disk, 404.

Every test talks HTTP to ``tests/helpers/hf_server.py`` (the hub's URLs, headers, redirects and
Range behaviour) through ``HF_ENDPOINT``; nothing is mocked above the socket except the
injected full disk, which also has a real tmpfs variant where mounting is allowed.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from backends.base import CancelToken
from desktop_app.core.downloads.errors import (
    AccessDenied,
    ChecksumMismatch,
    DownloadCancelled,
    InsecureURL,
    NetworkError,
    NotEnoughSpace,
    NotFoundOnHub,
)
from desktop_app.core.downloads.fetch import (
    Downloader,
    FileRequest,
    Progress,
    SpeedMeter,
    _Reporter,
    partial_bytes,
)
from desktop_app.core.downloads.hub import check_url, resolve_url, sha256_from_etag
from desktop_app.core.downloads.verified import VerifiedRecord
from tests.helpers.hf_server import HubFile, HubState, hub_server

REPO = "ggml-org/Tiny-GGUF"
MB = 1_000_000


def payload(size: int, seed: int = 1) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size] if seed == 1 else os.urandom(size)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, HubState]]:
    with hub_server() as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield url, state


def request(tmp_path: Path, filename: str, sha256: str | None = None) -> FileRequest:
    return FileRequest(REPO, "main", filename, tmp_path / "models" / "tiny" / filename, sha256)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_pair_downloads_through_the_hub_redirect_and_is_verified(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    model = state.add(REPO, "tiny.gguf", HubFile(payload(3 * MB + 17)))
    mmproj = state.add(REPO, "mmproj-tiny.gguf", HubFile(payload(MB, seed=2)))
    reports: list[Progress] = []
    record = VerifiedRecord(tmp_path / "verified.json")
    with Downloader(retry_delay_s=0) as downloader:
        results = downloader.download(
            [request(tmp_path, "tiny.gguf"), request(tmp_path, "mmproj-tiny.gguf")],
            record=record,
            progress=reports.append,
        )
    assert [r.path.read_bytes() for r in results] == [model.data, mmproj.data]
    assert [r.verified_by for r in results] == ["hub", "hub"]
    assert [r.sha256 for r in results] == [model.sha256, mmproj.sha256]
    assert leftovers(results[0].path.parent) == ["mmproj-tiny.gguf", "tiny.gguf"]
    # The hub's 302 was followed to the CDN path, and the hash was recorded.
    assert any(entry.path.startswith("/cdn/") for entry in state.log)
    saved = record.get(f"{REPO}@main/tiny.gguf")
    assert saved is not None and saved.sha256 == model.sha256
    # Progress: both files, overall bytes never go backwards and end at the total.
    total = len(model.data) + len(mmproj.data)
    overall = [p.overall_done for p in reports]
    assert overall == sorted(overall)
    assert reports[-1].phase == "done" and reports[-1].overall_done == total
    assert {p.file_index for p in reports} == {1, 2}
    assert all(p.overall_total == total for p in reports)


def test_a_body_cut_mid_way_resumes_with_range(hub: tuple[str, HubState], tmp_path: Path) -> None:
    _, state = hub
    file = state.add(REPO, "tiny.gguf", HubFile(payload(3 * MB), close_after=MB + 5))
    with Downloader(retry_delay_s=0) as downloader:
        (result,) = downloader.download([request(tmp_path, "tiny.gguf")])
    assert result.path.read_bytes() == file.data
    assert state.ranges() == [f"bytes={MB + 5}-"]
    assert leftovers(result.path.parent) == ["tiny.gguf"]


def test_an_interrupted_download_resumes_in_the_next_run(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    file = state.add(REPO, "tiny.gguf", HubFile(payload(2 * MB), close_after=MB))
    target = request(tmp_path, "tiny.gguf")
    with Downloader(retries=0) as downloader, pytest.raises(NetworkError) as caught:
        downloader.download([target])
    assert "resumes" in str(caught.value)
    assert not target.dest.exists()
    assert partial_bytes(target.dest) == MB
    with Downloader(retry_delay_s=0) as downloader:
        (result,) = downloader.download([target])
    assert result.how == "resumed"
    assert result.path.read_bytes() == file.data
    assert state.ranges() == [f"bytes={MB}-"]


def test_a_server_that_ignores_range_restarts_cleanly(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    file = state.add(REPO, "tiny.gguf", HubFile(payload(2 * MB), close_after=MB, ignore_range=True))
    with Downloader(retry_delay_s=0) as downloader:
        (result,) = downloader.download([request(tmp_path, "tiny.gguf")])
    assert state.ranges() == [f"bytes={MB}-"]
    assert result.path.read_bytes() == file.data


def test_a_wrong_checksum_is_rejected_and_nothing_is_left(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB), wrong_sha=True))
    target = request(tmp_path, "tiny.gguf")
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(ChecksumMismatch) as caught:
        downloader.download([target])
    assert "deleted" in str(caught.value)
    assert leftovers(target.dest.parent) == []


def test_the_catalog_hash_wins_and_a_mismatch_downloads_nothing(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB)))
    target = request(tmp_path, "tiny.gguf", sha256="0" * 64)
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(ChecksumMismatch) as caught:
        downloader.download([target])
    assert "nothing was downloaded" in str(caught.value)
    assert [e.method for e in state.log] == ["HEAD"]


def test_a_git_file_is_checked_against_the_catalog_hash(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    """No LFS etag to compare with: the catalog's hash is checked after the download."""
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB), lfs=False))
    target = request(tmp_path, "tiny.gguf", sha256="1" * 64)
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(ChecksumMismatch):
        downloader.download([target])
    assert leftovers(target.dest.parent) == []


def test_first_download_hash_is_recorded_and_checked_next_time(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    original = state.add(REPO, "tiny.gguf", HubFile(payload(MB), lfs=False))
    record = VerifiedRecord(tmp_path / "verified.json")
    target = request(tmp_path, "tiny.gguf")
    with Downloader(retry_delay_s=0) as downloader:
        (first,) = downloader.download([target], record=record)
    assert first.verified_by == "first-download"
    target.dest.unlink()
    record.forget_path(target.dest)
    # Upstream silently serves other bytes under the same name: caught by the record.
    state.add(REPO, "tiny.gguf", HubFile(payload(MB, seed=2), lfs=False))
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(ChecksumMismatch):
        downloader.download([target], record=record)
    assert not target.dest.exists()
    saved = record.get(f"{REPO}@main/tiny.gguf")
    assert saved is not None and saved.sha256 == original.sha256


def test_an_existing_verified_file_is_not_fetched_again(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB)))
    record = VerifiedRecord(tmp_path / "verified.json")
    target = request(tmp_path, "tiny.gguf")
    with Downloader(retry_delay_s=0) as downloader:
        downloader.download([target], record=record)
        state.log.clear()
        (again,) = downloader.download([target], record=record)
    assert again.how == "already-there"
    assert [e.method for e in state.log] == ["HEAD"]


def test_404_is_a_clear_error(hub: tuple[str, HubState], tmp_path: Path) -> None:
    target = request(tmp_path, "missing.gguf")
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(NotFoundOnHub) as caught:
        downloader.download([target])
    message = str(caught.value)
    assert "missing.gguf" in message and "404" in message
    assert not target.dest.parent.exists()


def test_gated_repo_says_how_to_get_access(
    hub: tuple[str, HubState], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB)))
    from tests.helpers import hf_server

    def forbidden(self: hf_server._Handler) -> None:
        self._empty(403, {})

    monkeypatch.setattr(hf_server._Handler, "do_HEAD", forbidden)
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(AccessDenied) as caught:
        downloader.download([request(tmp_path, "tiny.gguf")])
    assert "HF_TOKEN" in str(caught.value)


def test_the_token_goes_to_the_hub_and_never_to_the_cdn(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB)))
    url, _ = hub
    cdn_host = url.replace("127.0.0.1", "localhost")
    state.files[
        (REPO, "main", "tiny.gguf")
    ].redirect_to = f"{cdn_host}/cdn/{state.files[(REPO, 'main', 'tiny.gguf')].sha256}"
    with Downloader(retry_delay_s=0, token="hf_secret") as downloader:
        downloader.download([request(tmp_path, "tiny.gguf")])
    hub_requests = [e for e in state.log if "/resolve/" in e.path]
    cdn_requests = [e for e in state.log if e.path.startswith("/cdn/")]
    assert hub_requests and cdn_requests
    assert all(e.headers.get("authorization") == "Bearer hf_secret" for e in hub_requests)
    assert all("authorization" not in e.headers for e in cdn_requests)


def test_plain_http_is_refused_except_to_loopback(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    for good in (
        "https://huggingface.co/x",
        "http://127.0.0.1:8/x",
        "http://[::1]/x",
        "http://localhost/x",
    ):
        check_url(good)
    for bad in (
        "http://huggingface.co/x",
        "http://192.168.1.5/x",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
    ):
        with pytest.raises(InsecureURL):
            check_url(bad)
    with pytest.raises(InsecureURL):
        Downloader(endpoint="http://mirror.example.com")
    # A redirect to plain http elsewhere is refused before it is followed.
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(MB), redirect_to="http://cdn.example.com/f"))
    target = request(tmp_path, "tiny.gguf")
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(InsecureURL):
        downloader.download([target])
    assert not target.dest.exists()


def test_cancel_mid_download_keeps_the_part_and_resumes(
    hub: tuple[str, HubState], tmp_path: Path
) -> None:
    _, state = hub
    cancel = CancelToken()
    file = state.add(REPO, "tiny.gguf", HubFile(payload(4 * MB)))
    target = request(tmp_path, "tiny.gguf")

    def cancel_once_bytes_arrive(progress: Progress) -> None:
        if progress.phase == "downloading" and progress.done > 0:
            cancel.cancel()  # as the window's Cancel button would, from the progress signal

    with Downloader(retry_delay_s=0) as downloader, pytest.raises(DownloadCancelled) as caught:
        downloader.download([target], cancel=cancel, progress=cancel_once_bytes_arrive)
    assert "resumes" in str(caught.value)
    assert not target.dest.exists()
    kept = partial_bytes(target.dest)
    assert 0 < kept < len(file.data)
    with Downloader(retry_delay_s=0) as downloader:
        (result,) = downloader.download([target])
    assert result.how == "resumed" and result.path.read_bytes() == file.data
    assert state.ranges() == [f"bytes={kept}-"]


def test_a_full_disk_mid_write_is_a_clear_error_and_resumes_later(
    hub: tuple[str, HubState], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = hub
    file = state.add(REPO, "tiny.gguf", HubFile(payload(3 * MB)))
    target = request(tmp_path, "tiny.gguf")
    real_write = Downloader._write
    written: list[int] = []

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def filling(handle, chunk, dest, download_state, total):  # type: ignore[no-untyped-def]
        full = sum(written) >= MB
        written.append(len(chunk))
        target_handle = cast(BinaryIO, FullDisk()) if full else handle
        real_write(target_handle, chunk, dest, download_state, total)

    monkeypatch.setattr(Downloader, "_write", staticmethod(filling))
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(NotEnoughSpace) as caught:
        downloader.download([target])
    assert "full" in str(caught.value) and "resumes" in str(caught.value)
    assert not target.dest.exists()
    monkeypatch.setattr(Downloader, "_write", staticmethod(real_write))
    with Downloader(retry_delay_s=0) as downloader:
        (result,) = downloader.download([target])
    assert result.how == "resumed" and result.path.read_bytes() == file.data


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for the test (needs root; skipped where mount is refused)."""
    mountpoint = tmp_path / "tiny-disk"
    mountpoint.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tiny filesystem here: {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_a_really_full_disk(hub: tuple[str, HubState], tiny_disk: Path) -> None:
    _, state = hub
    state.add(REPO, "tiny.gguf", HubFile(payload(3 * MB)))
    target = FileRequest(REPO, "main", "tiny.gguf", tiny_disk / "m" / "tiny.gguf")
    with Downloader(retry_delay_s=0) as downloader, pytest.raises(NotEnoughSpace):
        downloader.download([target])
    assert not target.dest.exists()
    # With the free-space check, it is refused before the first byte.
    state.log.clear()
    from desktop_app.core.models.fit import free_disk

    with Downloader(retry_delay_s=0) as downloader, pytest.raises(NotEnoughSpace) as caught:
        downloader.download([target], free_disk=free_disk)
    assert "free" in str(caught.value)
    assert all(e.method == "HEAD" for e in state.log)


def test_speed_and_eta_follow_a_clock() -> None:
    now = [0.0]
    meter = SpeedMeter(clock=lambda: now[0], window_s=5.0)
    for second in range(11):
        now[0] = float(second)
        meter.add(second * MB)  # 1 MB/s
    assert meter.speed == pytest.approx(MB)
    reports: list[Progress] = []
    reporter = _Reporter(reports.append, 10 * MB, 1, clock=lambda: now[0])
    reporter.start(1, "f.gguf", 10 * MB, 0)
    for step in range(1, 5):
        now[0] = 100.0 + step
        reporter.moved(step * 2 * MB, 2 * MB)  # 2 MB/s
    last = reports[-1]
    assert last.done == 8 * MB and last.speed == pytest.approx(2 * MB)
    assert last.eta_s == pytest.approx(1.0)
    assert last.fraction == pytest.approx(0.8)


def test_hub_helpers() -> None:
    assert resolve_url("a/b", "main", "x y.gguf", "https://hf.co/") == (
        "https://hf.co/a/b/resolve/main/x%20y.gguf"
    )
    sha = "ab" * 32
    assert sha256_from_etag(f'W/"{sha}"') == sha
    assert sha256_from_etag('"' + "a" * 40 + '"') is None


# -- issue 17: offline and refused connections in plain words --------------------------------


def closed_loopback_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_offline_is_no_internet_connection_not_errno(tmp_path: Path) -> None:
    """A name the resolver cannot find (``.invalid`` never resolves, RFC 6761) is what
    being offline looks like to the app: said plainly, with no ``[Errno -2]``."""
    endpoint = "https://localsight-hub.invalid"
    with (
        Downloader(endpoint=endpoint, retry_delay_s=0, retries=1) as downloader,
        pytest.raises(NetworkError) as caught,
    ):
        downloader.download([request(tmp_path, "tiny.gguf")])
    message = str(caught.value)
    assert message.startswith("No internet connection: the download needs one")
    assert "localsight-hub.invalid" in message
    for jargon in ("Errno", "HF_ENDPOINT", "getaddrinfo", "Name or service"):
        assert jargon not in message


def test_a_refused_connection_says_so_plainly(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{closed_loopback_port()}"
    with (
        Downloader(endpoint=endpoint, retry_delay_s=0, retries=0) as downloader,
        pytest.raises(NetworkError) as caught,
    ):
        downloader.download([request(tmp_path, "tiny.gguf")])
    message = str(caught.value)
    assert "refused the connection" in message and "127.0.0.1" in message
    assert "Errno" not in message and "HF_ENDPOINT" not in message
