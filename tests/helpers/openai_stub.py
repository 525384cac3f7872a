"""A tiny loopback OpenAI-compatible server that misbehaves on demand.

The real llama-server (tests/helpers/llama_server.py) proves the happy path and a real crash, but
it cannot be made to send an SSE error event, stall for ever, cut a chunked stream at a
chosen point, ignore ``stream``, or demand an API key with a particular error body.  This
stub speaks the wire the way llama-server does (HTTP/1.1, chunked ``text/event-stream``,
``data: {json}`` events, ``data: [DONE]``, OpenAI error objects) and scripts those faults.

Each ``Script`` describes how the next chat request is answered; the stub records every
request (path, headers, JSON body) so tests can check what was sent.  ``hang(path, kind)``
makes the next request to any path hang: with no answer at all, or after the headers; the
stub says when a hang (or a ``stall``) begins (``stalled``) and when its client leaves
(``client_gone``), so a test can press Stop during one without a clock.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Fault = Literal[
    "none", "error_data", "error_event", "cut", "close_quietly", "stall", "plain_json", "status"
]
#: How a request hangs: ``no_answer`` sends nothing at all; ``after_headers`` sends ``200`` and
#: the headers (a ``Content-Length`` never met, or an event stream with no event), then nothing.
Hang = Literal["no_answer", "after_headers"]


@dataclass
class Script:
    """How to answer one chat: ``deltas`` pieces of text, then ``fault`` (if any)."""

    deltas: tuple[str, ...] = ("Hello", " from", " the", " stub", ".")
    fault: Fault = "none"
    status: int = 500
    body: Any = None
    finish_reason: str = "stop"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StubServer:
    """``with StubServer(...) as stub:`` serves on 127.0.0.1 on a free port."""

    models: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": "stub-model", "object": "model", "owned_by": "stub"}]
    )
    api_key: str | None = None
    scripts: list[Script] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    client_gone: threading.Event = field(default_factory=threading.Event)
    stalled: threading.Event = field(default_factory=threading.Event)
    hangs: dict[str, Hang] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_script(self) -> Script:
        return self.scripts.pop(0) if self.scripts else Script()

    def hang(self, path: str, kind: Hang = "no_answer") -> None:
        """Make the next request to ``path`` (e.g. ``/v1/models``, ``/props``) hang."""
        self.hangs[path] = kind

    def chats(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], app: StubServer):
        super().__init__(address, handler)
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self, body: Any) -> None:
        self.server.app.requests.append(
            Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        key = self.server.app.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(
            401,
            {"error": {"message": "Invalid API Key", "type": "authentication_error", "code": 401}},
        )
        return False

    def _hung(self) -> bool:
        """Hang here if a hang is armed for this path; True if it was."""
        kind = self.server.app.hangs.pop(self.path, None)
        if kind is None:
            return False
        if kind == "after_headers":
            self.send_response(200)
            if self.path.endswith("/chat/completions"):
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1024")
            self.end_headers()
            self.wfile.flush()
        self._stall()
        return True

    def do_GET(self) -> None:
        self._record(None)
        if self._hung() or not self._authorised():
            return
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": self.server.app.models})
        else:
            self._json(
                404,
                {"error": {"message": "File Not Found", "type": "not_found_error", "code": 404}},
            )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        self._record(body)
        if self._hung() or not self._authorised():
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": "File Not Found", "code": 404}})
            return
        script = self.server.app.next_script()
        if script.fault == "status":
            self._json(script.status, script.body)
            return
        if script.fault == "plain_json":
            text = "".join(script.deltas)
            self._json(
                200,
                {
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": script.finish_reason,
                        }
                    ],
                    "usage": {"prompt_tokens": 7, "completion_tokens": len(script.deltas)},
                },
            )
            return
        self._stream(script)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, payload: Any, event: str | None = None) -> None:
        prefix = f"event: {event}\n" if event else ""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._chunk(f"{prefix}data: {text}\n\n".encode())

    def _stream(self, script: Script) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        if script.fault == "close_quietly":
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            for piece in script.deltas:
                self._event(_delta(piece))
            if script.fault == "error_data":
                self._event({"error": {"code": 500, "message": "boom", "type": "server_error"}})
            elif script.fault == "error_event":
                self._event({"message": "the runner crashed", "type": "server_error"}, "error")
            elif script.fault == "cut":
                self.connection.shutdown(socket.SHUT_RDWR)  # mid-body: no final chunk
                return
            elif script.fault == "close_quietly":
                self._chunk(b"")  # a proper end of body, but no finish_reason, no [DONE]
                self.close_connection = True
                return
            elif script.fault == "stall":
                self._stall()
                return
            else:
                self._event(_delta("", script.finish_reason))
                self._event(
                    {
                        "choices": [],
                        "usage": {"prompt_tokens": 11, "completion_tokens": len(script.deltas)},
                    }
                )
                self._event("[DONE]")
            self._chunk(b"")
        except OSError:
            self.server.app.client_gone.set()
            self.close_connection = True

    def _stall(self) -> None:
        """Send nothing more until the client goes away (or 60 s pass)."""
        self.server.app.stalled.set()
        self.connection.settimeout(0.05)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.connection.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        self.server.app.client_gone.set()
        self.close_connection = True


def _delta(text: str, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [
            {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish_reason}
        ],
    }
