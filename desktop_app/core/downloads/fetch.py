"""Downloading model files: resumable, verified, atomic, cancellable, with honest progress.

Peers' downloads fail to resume or arrive corrupt (Jan #7066, GPT4All #3629), so every file
goes through the same steps:

1. Ask the hub what the file is (``HEAD``: size, LFS etag = sha256, commit) before any byte
   is fetched; refuse up front if the disk cannot hold what remains.
2. Write to ``.<name>.part`` beside the final name, with a small ``.part.json`` saying which
   file (by hash/etag) the partial belongs to.  A partial of another version is discarded.
3. Resume with ``Range: bytes=N-`` after an interruption, automatically (a few retries with
   back-off) and across runs; a server that ignores Range (200) restarts from zero.
4. Hash while writing (one pass; the bytes already on disk are read once when resuming),
   then compare with the expected sha256: the catalog's, else the hub's LFS etag, else the
   hash recorded on the first download (``verified.py``).  A mismatch deletes the file.
5. ``fsync`` and rename to the final name, so the final name only ever holds a complete,
   verified file.

Names are data (the catalog's, or a caller's): a file name must be one plain name and a repo
two (``backends.safe_names``) before it reaches a URL or a path, since ``../`` in either would
fetch another repository's file (URLs are normalised) or write outside the models folder.
Nothing from a server's answer (headers, redirects) ever becomes a path.  The temporary
names beside the file are never written *through*: a link, a pipe or a folder found there
is refused (``InTheWay``) rather than followed, opened (a pipe would block) or replaced.

Why plain httpx rather than ``huggingface_hub``: its ``hf_hub_download`` respects
``HF_ENDPOINT`` and the HF cache, but it cannot be cancelled (only by raising from a tqdm
subclass), does not verify sha256, and since 1.x routes Xet-backed repos through the native
``hf_xet`` client: what users would run would not be what the loopback tests exercise, and
it pulls a Rust extension plus click/fsspec/pyyaml into a desktop app.  Here the same
conventions are kept (``HF_ENDPOINT``, the ``/resolve/`` URLs, ``X-Linked-Etag``, ``HF_TOKEN``
sent only to the hub itself) in ~400 lines with exactly the behaviour tested, and the
user's existing HF cache is still used: files already there are found and run in place
(``backends.llama_cpp.hf_cache``), never downloaded again.  httpx is already installed (the
``ollama`` client uses it).

Threads: everything here blocks; run it on a worker thread.  The progress callback runs on
that thread (a Qt worker re-emits it as a signal); a ``CancelToken`` from any thread stops
the transfer between chunks, or within the read timeout if the network has stalled.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import urljoin, urlsplit

import httpx

from backends.base import CancelToken
from backends.messages import message
from backends.safe_names import plain_name_problem
from desktop_app.core.downloads.errors import (
    AccessDenied,
    ChecksumMismatch,
    DownloadBusy,
    DownloadCancelled,
    DownloadError,
    InTheWay,
    NetworkError,
    NotEnoughSpace,
    NotFoundOnHub,
    UnsafeFileName,
    plain_network_problem,
)
from desktop_app.core.downloads.hub import (
    RemoteFile,
    check_url,
    hub_endpoint,
    normalize_etag,
    resolve_url,
)
from desktop_app.core.downloads.verified import VerifiedRecord, file_key

CHUNK_BYTES = 1024 * 1024
PROGRESS_INTERVAL_S = 0.1
SPEED_WINDOW_S = 5.0
MAX_REDIRECTS = 5
USER_AGENT = "LocalSight/0.1"
TOKEN_ENV = "HF_TOKEN"
_REDIRECTS = (301, 302, 303, 307, 308)
_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))

Phase = Literal["checking", "downloading", "verifying", "done"]
VerifiedBy = Literal["catalog", "hub", "first-download", "record"]


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report; ``overall_*`` cover every file of the request (a model pair)."""

    filename: str
    file_index: int
    file_count: int
    phase: Phase
    done: int
    total: int | None
    overall_done: int
    overall_total: int | None
    speed: float
    eta_s: float | None
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        if not self.overall_total:
            return None
        return min(1.0, self.overall_done / self.overall_total)


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class FileRequest:
    """One file to fetch from the hub into ``dest``; ``sha256`` is the catalog's, if any."""

    repo: str
    revision: str
    filename: str
    dest: Path
    sha256: str | None = None

    @property
    def key(self) -> str:
        return file_key(self.repo, self.revision, self.filename)


@dataclass(frozen=True, slots=True)
class DownloadResult:
    path: Path
    sha256: str
    size: int
    how: Literal["downloaded", "resumed", "already-there"]
    verified_by: VerifiedBy


class SpeedMeter:
    """Bytes per second over the last few seconds, so the ETA follows the network's mood."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, window_s: float = SPEED_WINDOW_S
    ) -> None:
        self._clock = clock
        self._window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, transferred: int) -> None:
        """Record the running count of bytes transferred in this session."""
        now = self._clock()
        self._samples.append((now, transferred))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window_s:
            self._samples.popleft()

    @property
    def speed(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


class _Reporter:
    """Turns byte counts into throttled ``Progress`` reports with speed and ETA."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        overall_total: int | None,
        file_count: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._overall_total = overall_total
        self._file_count = file_count
        self._finished_bytes = 0
        self._transferred = 0
        self._meter = SpeedMeter(clock)
        self._last_emit = float("-inf")
        self._first_data = True
        self._current = Progress("", 0, file_count, "checking", 0, None, 0, overall_total, 0, None)

    def start(self, index: int, filename: str, total: int | None, resumed_from: int) -> None:
        self._current = replace(
            self._current,
            filename=filename,
            file_index=index,
            total=total,
            done=resumed_from,
            resumed_from=resumed_from,
            phase="checking",
        )
        self._first_data = True
        self._emit(force=True)

    def phase(self, phase: Phase) -> None:
        self._current = replace(self._current, phase=phase)
        self._emit(force=True)

    def moved(self, done: int, transferred: int = 0) -> None:
        """``done``: bytes of this file on disk; ``transferred``: new bytes just received."""
        self._transferred += transferred
        if transferred:
            self._meter.add(self._transferred)
        self._current = replace(self._current, done=done, phase="downloading")
        # The first bytes of a file are shown at once: the bar starts moving immediately.
        self._emit(force=self._first_data)
        self._first_data = False

    def finish_file(self, size: int) -> None:
        self._finished_bytes += size
        self._current = replace(self._current, done=size, phase="done")
        self._emit(force=True)

    def _emit(self, *, force: bool) -> None:
        if self._callback is None:
            return
        now = self._clock()
        if not force and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        current = self._current
        overall_done = self._finished_bytes + (current.done if current.phase != "done" else 0)
        speed = self._meter.speed
        eta = None
        if self._overall_total is not None and speed > 0:
            eta = max(self._overall_total - overall_done, 0) / speed
        self._current = replace(current, overall_done=overall_done, speed=speed, eta_s=eta)
        self._callback(self._current)


class _Restart(Exception):
    """The server sent something other than the range asked for: start the file again."""


class _Incomplete(Exception):
    """The body ended early without a transport error: resume from where it stopped."""


@dataclass(slots=True)
class _State:
    offset: int
    hasher: hashlib._Hash


def _sha256_of(path: Path, cancel: CancelToken, limit: int | None = None) -> hashlib._Hash:
    hasher = hashlib.sha256()
    remaining = limit
    with path.open("rb") as handle:
        while remaining is None or remaining > 0:
            if cancel.cancelled:
                raise DownloadCancelled(message("The download was cancelled."))
            size = CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining)
            block = handle.read(size)
            if not block:
                break
            hasher.update(block)
            if remaining is not None:
                remaining -= len(block)
    return hasher


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its rename is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One download per model folder at a time, across processes (window + CLI)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks on folders; the .part check still helps
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DownloadBusy(
                message(
                    "Another download into {folder} is running (in another window or a "
                    "terminal). Wait for it to finish, or cancel it.",
                    folder=str(folder),
                )
            ) from None
        yield
    finally:
        os.close(fd)


def _mb(value: int) -> str:
    return f"{value / 1e6:,.0f} MB"


def _disk_full(path: Path, done: int, total: int | None) -> NotEnoughSpace:
    if total:
        return NotEnoughSpace(
            message(
                "The disk holding {folder} is full: {name} stopped at {done} of {total}. "
                "Free some space and download again; it resumes where it stopped.",
                folder=str(path.parent),
                name=path.name,
                done=_mb(done),
                total=_mb(total),
            )
        )
    return NotEnoughSpace(
        message(
            "The disk holding {folder} is full: {name} stopped at {done}. Free some space "
            "and download again; it resumes where it stopped.",
            folder=str(path.parent),
            name=path.name,
            done=_mb(done),
        )
    )


class Downloader:
    """Fetches files from the hub (``HF_ENDPOINT``) over one connection pool."""

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        client: httpx.Client | None = None,
        retries: int = 3,
        retry_delay_s: float = 1.0,
        token: str | None = None,
    ) -> None:
        self.endpoint = (endpoint or hub_endpoint()).rstrip("/")
        check_url(self.endpoint)
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(30.0, connect=15.0),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )
        self._owns_client = client is None
        self._retries = retries
        self._retry_delay_s = retry_delay_s
        self._token = token if token is not None else os.environ.get(TOKEN_ENV)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- HTTP -----------------------------------------------------------------------------

    def _headers(self, url: str, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        # The token is for the hub only, never for the CDN it redirects to.
        if self._token and urlsplit(url).netloc == urlsplit(self.endpoint).netloc:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _send(
        self, method: str, url: str, headers: dict[str, str], *, stop_at_hub_headers: bool
    ) -> httpx.Response:
        """Send, following redirects by hand so every hop passes ``check_url``."""
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            request = self._client.build_request(method, url, headers=self._headers(url, headers))
            response = self._client.send(request, stream=True)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            if stop_at_hub_headers and (
                "X-Linked-Etag" in response.headers or "X-Repo-Commit" in response.headers
            ):
                return response  # the hub's own answer; the CDN's headers are not the file's
            response.close()
            url = urljoin(url, location)
        raise NetworkError(message("Too many redirects while fetching {url}.", url=url))

    def _http_error(self, response: httpx.Response, what: str) -> DownloadError:
        status = response.status_code
        if status == 404:
            return NotFoundOnHub(
                message(
                    "{what} was not found on {host} (HTTP 404). The repository or file may "
                    "have been renamed or removed; update LocalSight's catalog or check the "
                    "name.",
                    what=what,
                    host=urlsplit(self.endpoint).netloc,
                )
            )
        if status in (401, 403):
            return AccessDenied(
                message(
                    "{what} needs permission (HTTP {status}): the repository may be gated. "
                    "Accept its licence on the Hugging Face website and set HF_TOKEN, then "
                    "try again.",
                    what=what,
                    status=status,
                )
            )
        return NetworkError(
            message(
                "The server answered HTTP {status} for {what}. Try again later.",
                status=status,
                what=what,
            )
        )

    def _with_retries(
        self, what: str, cancel: CancelToken, action: Callable[[], RemoteFile]
    ) -> RemoteFile:
        failures = 0
        while True:
            try:
                return action()
            except httpx.TransportError as error:
                failures += 1
                if failures > self._retries:
                    # Issue 17: "[Errno -2] … HF_ENDPOINT" was shown offline; plain words now.
                    host = urlsplit(self.endpoint).netloc
                    raise NetworkError(plain_network_problem(error, host)) from None
                self._pause(failures, cancel)

    def _pause(self, failures: int, cancel: CancelToken) -> None:
        if cancel.wait(self._retry_delay_s * 2 ** (failures - 1)):
            raise DownloadCancelled(message("The download was cancelled."))

    def remote_file(
        self, repo: str, revision: str, filename: str, cancel: CancelToken | None = None
    ) -> RemoteFile:
        """What the hub says about a file: its etag (sha256 for LFS), size and commit."""
        url = resolve_url(repo, revision, filename, self.endpoint)
        what = f"{repo}/{filename}"

        def head() -> RemoteFile:
            response = self._send("HEAD", url, {}, stop_at_hub_headers=True)
            response.close()
            if response.status_code >= 400:
                raise self._http_error(response, what)
            headers = response.headers
            size_text = headers.get("X-Linked-Size") or headers.get("Content-Length")
            size = int(size_text) if size_text and size_text.isdigit() else None
            return RemoteFile(
                url=url,
                etag=normalize_etag(headers.get("X-Linked-Etag") or headers.get("ETag")),
                size=size,
                commit=headers.get("X-Repo-Commit"),
            )

        return self._with_retries(what, cancel or CancelToken(), head)

    # -- files ----------------------------------------------------------------------------

    def download(
        self,
        requests: Sequence[FileRequest],
        *,
        record: VerifiedRecord | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        free_disk: Callable[[Path], int | None] | None = None,
    ) -> list[DownloadResult]:
        """Fetch every file (a model and its projector) or raise a ``DownloadError``.

        Files already complete and verified are not fetched again; partial files resume.
        ``free_disk`` (bytes free in a folder) is checked against what remains to fetch,
        with the hub's real sizes, before the first byte.
        """
        cancel = cancel or CancelToken()
        for request in requests:
            check_names(request)
        remotes = [self.remote_file(r.repo, r.revision, r.filename, cancel) for r in requests]
        jobs = [
            _Job(request, remote, *self._expected(request, remote, record), index)
            for index, (request, remote) in enumerate(zip(requests, remotes, strict=True), 1)
        ]
        sizes = [remote.size for remote in remotes]
        overall = None if None in sizes else sum(s or 0 for s in sizes)
        if free_disk is not None:
            _check_space(jobs, free_disk)
        run = _Run(_Reporter(progress, overall, len(jobs)), record, cancel)
        results: list[DownloadResult] = []
        for job in jobs:
            if cancel.cancelled:
                raise DownloadCancelled(message("The download was cancelled."))
            dest = job.request.dest
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise _in_the_way(dest.parent, message("not a folder")) from None
            with _folder_lock(dest.parent):
                present = self._already_there(job, run)
                results.append(present or self._transfer_file(job, run))
        return results

    @staticmethod
    def _expected(
        request: FileRequest, remote: RemoteFile, record: VerifiedRecord | None
    ) -> tuple[str | None, VerifiedBy]:
        """The sha256 to insist on, and who vouches for it (see the module docstring)."""
        hub_sha = remote.sha256
        if request.sha256 is not None:
            if hub_sha is not None and hub_sha != request.sha256:
                raise ChecksumMismatch(
                    message(
                        "The hub's {name} (sha256 {hub}…) is not the file LocalSight's catalog "
                        "expects (sha256 {catalog}…); nothing was downloaded. The repository "
                        "changed: update LocalSight.",
                        name=request.filename,
                        hub=hub_sha[:12],
                        catalog=request.sha256[:12],
                    )
                )
            return request.sha256, "catalog"
        if hub_sha is not None:
            return hub_sha, "hub"
        known = record.get(request.key) if record is not None else None
        if known is not None:
            return known.sha256, "record"
        return None, "first-download"

    @staticmethod
    def _already_there(job: _Job, run: _Run) -> DownloadResult | None:
        """A complete, matching file already at the final name is kept, not fetched again."""
        request, dest = job.request, job.request.dest
        if not dest.is_file():
            return None
        size = dest.stat().st_size
        if job.remote.size is not None and size != job.remote.size:
            return None
        run.reporter.start(job.index, request.filename, job.remote.size, size)
        current = run.record.is_current(request.key, dest) if run.record is not None else None
        if current is not None and (job.sha is None or current.sha256 == job.sha):
            run.reporter.finish_file(size)
            return DownloadResult(dest, current.sha256, size, "already-there", "record")
        run.reporter.phase("verifying")
        digest = _sha256_of(dest, run.cancel).hexdigest()
        if job.sha is not None and digest != job.sha:
            return None  # a different or damaged copy: fetch a good one to replace it
        if run.record is not None:
            run.record.record(request.key, digest, dest, job.source)
        run.reporter.finish_file(size)
        return DownloadResult(dest, digest, size, "already-there", job.source)

    def _transfer_file(self, job: _Job, run: _Run) -> DownloadResult:
        request, remote, dest = job.request, job.remote, job.request.dest
        part, meta = _part_path(dest), _meta_path(dest)
        _check_writable_entry(dest, allow_link=True)
        _check_writable_entry(part, allow_link=False)
        _check_writable_entry(meta, allow_link=False)
        identity = job.sha or remote.etag
        offset = _resumable_bytes(part, meta, identity, remote.size)
        meta.write_text(json.dumps({"identity": identity, "url": remote.url, "size": remote.size}))
        run.reporter.start(job.index, request.filename, remote.size, offset)
        fd = os.open(part, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        # Unbuffered: a full disk must surface at the write that failed, not at close().
        with os.fdopen(fd, "r+b", buffering=0) as handle:
            handle.truncate(offset)
            handle.seek(offset)
            if offset:
                run.reporter.phase("checking")
            state = _State(offset, _sha256_of(part, run.cancel, offset))
            self._receive(job, run, handle, state)
            try:
                os.fsync(handle.fileno())
            except OSError as error:
                if error.errno in _DISK_FULL:
                    raise _disk_full(dest, state.offset, remote.size) from None
                raise
        run.reporter.phase("verifying")
        digest = state.hasher.hexdigest()
        wrong_size = remote.size is not None and state.offset != remote.size
        if wrong_size or (job.sha is not None and digest != job.sha):
            discard_partial(dest)
            if job.sha:
                sentence = message(
                    "{name} arrived damaged (got sha256 {got}… and {size} bytes, expected "
                    "sha256 {expected}…). The bad copy was deleted; download it again.",
                    name=request.filename,
                    got=digest[:12],
                    size=state.offset,
                    expected=job.sha[:12],
                )
            else:
                sentence = message(
                    "{name} arrived damaged (got sha256 {got}… and {size} bytes, expected "
                    "{expected} bytes). The bad copy was deleted; download it again.",
                    name=request.filename,
                    got=digest[:12],
                    size=state.offset,
                    expected=remote.size,
                )
            raise ChecksumMismatch(sentence)
        os.replace(part, dest)
        _fsync_dir(dest.parent)
        meta.unlink(missing_ok=True)
        if run.record is not None:
            run.record.record(request.key, digest, dest, job.source)
        run.reporter.finish_file(state.offset)
        how: Literal["resumed", "downloaded"] = "resumed" if offset else "downloaded"
        return DownloadResult(dest, digest, state.offset, how, job.source)

    def _receive(self, job: _Job, run: _Run, handle: BinaryIO, state: _State) -> None:
        """The transfer loop: resume with Range after each failure, ``retries`` in a row."""
        failures = 0
        while True:
            if run.cancel.cancelled:
                raise _cancelled(job.request, state)
            before = state.offset
            try:
                self._attempt(job, run, handle, state)
                return
            except _Restart:
                _reset(handle, state)
                failures += 1
                problem: str = message("the server did not honour the requested range")
            except httpx.TransportError as error:
                failures = 1 if state.offset > before else failures + 1
                if failures > self._retries:
                    host = urlsplit(job.remote.url).netloc
                    raise NetworkError(
                        message(
                            "{problem} ({name}: {kept} kept: the download resumes where it "
                            "stopped.)",
                            problem=plain_network_problem(error, host),
                            name=job.request.filename,
                            kept=_mb(state.offset),
                        )
                    ) from None
                self._pause(failures, run.cancel)
                continue
            except _Incomplete as error:
                failures = 1 if state.offset > before else failures + 1
                problem = str(error) or message("the body ended early")
            if failures > self._retries:
                raise NetworkError(
                    message(
                        "The connection kept failing while downloading {name} ({problem}); "
                        "{kept} is kept. Try again: the download resumes where it stopped.",
                        name=job.request.filename,
                        problem=problem,
                        kept=_mb(state.offset),
                    )
                )
            self._pause(failures, run.cancel)

    def _attempt(self, job: _Job, run: _Run, handle: BinaryIO, state: _State) -> None:
        headers = {"Range": f"bytes={state.offset}-"} if state.offset else {}
        response = self._send("GET", job.remote.url, headers, stop_at_hub_headers=False)
        try:
            status = response.status_code
            if status == 416 and state.offset == job.remote.size:
                return  # everything was already here
            if status == 416:
                raise _Restart()
            if status == 206:
                if _range_start(response.headers.get("Content-Range")) != state.offset:
                    raise _Restart()
            elif status == 200:
                _reset(handle, state)  # no Range asked, or the server ignored it
            else:
                raise self._http_error(response, f"{job.request.repo}/{job.request.filename}")
            for chunk in response.iter_raw():  # as received: a cut loses nothing buffered
                if run.cancel.cancelled:
                    raise _cancelled(job.request, state)
                self._write(handle, chunk, job.request.dest, state, job.remote.size)
                state.hasher.update(chunk)
                state.offset += len(chunk)
                run.reporter.moved(state.offset, len(chunk))
        finally:
            response.close()
        if job.remote.size is not None and state.offset < job.remote.size:
            raise _Incomplete()

    @staticmethod
    def _write(
        handle: BinaryIO, chunk: bytes, dest: Path, state: _State, total: int | None
    ) -> None:
        """The one place bytes hit the disk (tests inject a full disk here)."""
        view = memoryview(chunk)
        try:
            while view:
                written = handle.write(view)
                view = view[written or 0 :]
        except OSError as error:
            if error.errno in _DISK_FULL:
                raise _disk_full(dest, state.offset, total) from None
            raise


@dataclass(frozen=True, slots=True)
class _Job:
    """One file of a request, with what the hub said and the hash it must have."""

    request: FileRequest
    remote: RemoteFile
    sha: str | None
    source: VerifiedBy
    index: int


@dataclass(frozen=True, slots=True)
class _Run:
    """What every file of one ``download`` call shares."""

    reporter: _Reporter
    record: VerifiedRecord | None
    cancel: CancelToken


def _reset(handle: BinaryIO, state: _State) -> None:
    handle.seek(0)
    handle.truncate(0)
    state.offset, state.hasher = 0, hashlib.sha256()


def _check_space(jobs: Sequence[_Job], free_disk: Callable[[Path], int | None]) -> None:
    remaining = 0
    for job in jobs:
        if job.remote.size is None or job.request.dest.is_file():
            continue
        remaining += max(job.remote.size - partial_bytes(job.request.dest), 0)
    if not jobs:
        return
    folder = jobs[0].request.dest.parent
    free = free_disk(folder)
    if free is not None and remaining > free:
        raise NotEnoughSpace(
            message(
                "The download needs {needed} more, but the disk holding {folder} has only "
                "{free} free. Free some space or choose another models folder.",
                needed=_mb(remaining),
                folder=str(folder),
                free=_mb(free),
            )
        )


def _cancelled(request: FileRequest, state: _State) -> DownloadCancelled:
    return DownloadCancelled(
        message(
            "The download was cancelled; {kept} of {name} is kept and the next download "
            "resumes from there.",
            kept=_mb(state.offset),
            name=request.filename,
        )
    )


def check_names(request: FileRequest) -> None:
    """Refuse names that could reach another file or URL, before anything is fetched.

    The file name must be one plain name (the catalog's files are; a hub path with folders
    is not supported), the repo ``org/name`` with two plain parts, and the revision not
    ``.``/``..`` (it is %-encoded, so a branch name with ``/`` stays one URL segment).
    """
    problem = plain_name_problem(request.filename)  # the backends' words: a value
    what = message("the file name {name}", name=repr(request.filename))
    parts = request.repo.split("/")
    if problem is None and (
        len(parts) != 2 or any(plain_name_problem(part) is not None for part in parts)
    ):
        problem = message("it is not org/name")
        what = message("the repository {name}", name=repr(request.repo))
    if problem is None and request.revision in {"", ".", ".."}:
        problem = message("it is not a branch, tag or commit")
        what = message("the revision {name}", name=repr(request.revision))
    if problem is not None:
        raise UnsafeFileName(
            message(
                "Refusing to download: {what} could name another file ({problem}); nothing "
                "was downloaded. Update LocalSight's catalog or fix the name.",
                what=what,
                problem=problem,
            )
        )


def _in_the_way(path: Path, kind: str) -> InTheWay:
    return InTheWay(
        message(
            "{path} is in the way of the download ({kind}). Move or delete it, then download "
            "again.",
            path=str(path),
            kind=kind,
        )
    )


def _check_writable_entry(path: Path, *, allow_link: bool) -> None:
    """What is at ``path`` may be replaced by a rename: a plain file, or nothing.

    ``allow_link`` for the final name only: a model linked in from another disk is the
    user's choice, and the rename replaces the link itself, never what it points at.
    The temporary names are opened and written, so a link there would be written through.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    mode = info.st_mode
    if stat.S_ISREG(mode) or (allow_link and stat.S_ISLNK(mode)):
        return
    if stat.S_ISDIR(mode):
        raise _in_the_way(path, message("a folder"))
    if stat.S_ISLNK(mode):
        raise _in_the_way(path, message("a symbolic link"))
    raise _in_the_way(path, message("not a regular file"))


def _part_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part")


def _meta_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part.json")


def partial_bytes(dest: Path) -> int:
    """Bytes of ``dest`` already downloaded and kept for resuming (0 if none)."""
    part = _part_path(dest)
    try:
        return part.stat().st_size
    except OSError:
        return 0


def discard_partial(dest: Path) -> None:
    _part_path(dest).unlink(missing_ok=True)
    _meta_path(dest).unlink(missing_ok=True)


def _resumable_bytes(part: Path, meta: Path, identity: str | None, size: int | None) -> int:
    """How much of ``part`` can be kept: all of it if it is the same file, else nothing."""
    if not part.is_file():
        return 0
    try:
        saved = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    have = part.stat().st_size
    same = isinstance(saved, dict) and identity is not None and saved.get("identity") == identity
    if not same or (size is not None and have > size):
        part.unlink(missing_ok=True)
        return 0
    return have


def _range_start(content_range: str | None) -> int | None:
    """``bytes 100-199/200`` → 100."""
    if not content_range or not content_range.startswith("bytes "):
        return None
    first = content_range[6:].split("-", 1)[0].strip()
    return int(first) if first.isdigit() else None
