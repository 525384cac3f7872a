"""A loopback stand-in for the Hugging Face hub, speaking the hub's download protocol.

What it serves, as the hub does (point ``HF_ENDPOINT`` at ``server.url``):

* ``HEAD|GET /{org}/{repo}/resolve/{revision}/{filename}``.  An LFS file answers ``302``
  with ``X-Linked-Etag`` (its sha256, quoted), ``X-Linked-Size``, ``X-Repo-Commit`` and a
  ``Location`` on a "CDN" path of the same server; a plain git file answers ``200`` with a
  40-hex git ``ETag``.  Unknown files answer ``404`` with ``X-Error-Code: EntryNotFound``.
* ``GET /cdn/{sha256}``: the bytes, ``Accept-Ranges: bytes``; ``Range: bytes=N-`` gets
  ``206`` with ``Content-Range``, as the hub's CDN does.

Faults for the tests, set per file on ``HubFile``: close the connection after N body bytes
(once), advertise a wrong sha256, ignore Range, redirect to an arbitrary URL, or pause after
every piece (a slow network, so a test can watch progress and cancel mid-file).  Every
request is logged with its headers, and every body served with its Range, so a test can
assert that a resume really sent ``Range``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
PIECE = 64 * 1024


@dataclass
class HubFile:
    """One file in a repo, with the faults to inject when serving it."""

    data: bytes
    lfs: bool = True
    close_after: int | None = None  # close mid-body after this many bytes, once
    wrong_sha: bool = False  # advertise a sha256 that is not the content's
    ignore_range: bool = False
    redirect_to: str | None = None  # Location for the resolve redirect
    piece_delay_s: float = 0.0  # pause after each 64 KiB piece: a slow network to watch
    served_bodies: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def advertised_sha(self) -> str:
        return hashlib.sha256(b"not the file").hexdigest() if self.wrong_sha else self.sha256

    @property
    def git_etag(self) -> str:
        return hashlib.sha1(b"blob " + self.data).hexdigest()


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HubState:
    files: dict[tuple[str, str, str], HubFile] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    served: list[str | None] = field(default_factory=list)  # Range of each body served
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: str, filename: str, file: HubFile, revision: str = "main") -> HubFile:
        self.files[(repo, revision, filename)] = file
        return file

    def by_sha(self, sha: str) -> HubFile | None:
        return next((f for f in self.files.values() if f.sha256 == sha), None)

    def ranges(self) -> list[str]:
        """The Range headers of the requests that were answered with bytes."""
        return [r for r in self.served if r is not None]


_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_CDN = re.compile(r"^/cdn/([0-9a-f]{64})$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, *, head: bool) -> None:
        state = self.server.state
        with state.lock:
            state.log.append(
                Logged(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            )
        resolve = _RESOLVE.match(self.path)
        if resolve:
            repo, revision, filename = resolve.groups()
            file = state.files.get((repo, revision, filename))
            if file is None:
                self._empty(404, {"X-Error-Code": "EntryNotFound"})
                return
            if file.lfs:
                location = file.redirect_to or f"{self.server.url}/cdn/{file.sha256}"
                self._empty(
                    302,
                    {
                        "Location": location,
                        "X-Linked-Etag": f'"{file.advertised_sha}"',
                        "X-Linked-Size": str(len(file.data)),
                        "X-Repo-Commit": COMMIT,
                        "ETag": f'"{file.git_etag}"',
                    },
                )
                return
            self._body(file, head, {"ETag": f'"{file.git_etag}"', "X-Repo-Commit": COMMIT})
            return
        cdn = _CDN.match(self.path)
        file = state.by_sha(cdn.group(1)) if cdn else None
        if file is None:
            self._empty(404, {})
            return
        self._body(file, head, {"ETag": f'"{file.sha256}"'})

    def _empty(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self, file: HubFile, head: bool, headers: dict[str, str]) -> None:
        start = 0
        wanted = self.headers.get("Range")
        if not head:
            with self.server.state.lock:
                self.server.state.served.append(wanted)
        match = re.match(r"^bytes=(\d+)-$", wanted or "")
        if match and not file.ignore_range:
            start = int(match.group(1))
            if start >= len(file.data):
                self._empty(416, {"Content-Range": f"bytes */{len(file.data)}"})
                return
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(file.data) - 1}/{len(file.data)}"
            )
        else:
            self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(file.data) - start))
        self.end_headers()
        if head:
            return
        body = file.data[start:]
        cut = None
        if file.close_after is not None and file.served_bodies == 0:
            cut = max(file.close_after - start, 0)
        file.served_bodies += 1
        sent = 0
        while sent < len(body):
            end = min(sent + PIECE, len(body), cut if cut is not None else len(body))
            if cut is not None and sent >= cut:
                self.close_connection = True  # mid-body: the client sees a short read
                return
            self.wfile.write(body[sent:end])
            self.wfile.flush()
            sent = end
            if file.piece_delay_s:
                time.sleep(file.piece_delay_s)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState
    url: str

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up (cancel, refused redirects) are part of the tests


@contextmanager
def hub_server() -> Iterator[tuple[str, HubState]]:
    """Serve a fresh ``HubState`` on 127.0.0.1 (a free port) for the ``with`` block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = HubState()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.url, server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
