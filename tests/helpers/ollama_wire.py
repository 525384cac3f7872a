"""The wire side of the loopback Ollama server: faults, NDJSON streaming, request parsing.

Kept apart from the HTTP handler so each misbehaviour is readable on its own: a ``Fault``
says what goes wrong and after how many lines, ``NdjsonStream`` writes lines as HTTP/1.1
chunks the way Go's ``c.Stream`` does (headers with the first line) and fires the fault,
``DisconnectWatch`` notices a client that hung up, as Ollama's request context does.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from backends.base import (
    BackendError,
    CancelToken,
    Done,
    GenerationOptions,
    ImageInput,
    InvalidImage,
    InvalidModelFile,
    Message,
)
from tests.helpers.ollama_models import created_at

FaultKind = Literal[
    "status",
    "close",
    "truncate",
    "error_line",
    "split",
    "stall",
    "huge_line",
    "malformed",
    "hang",
    "hang_after_headers",
]

#: How long a hang lasts when its client never leaves: long past any test's patience, short
#: enough that a forgotten one frees its thread.
HANG_S = 60.0


@dataclass
class Fault:
    """One misbehaviour, fired at the next request to ``path`` after ``after`` lines."""

    kind: FaultKind
    path: str = "/api/chat"
    after: int = 0
    seconds: float = 0.0
    status: int = 500
    error: str = ""
    size: int = 0

    @classmethod
    def status_code(cls, status: int, error: str, path: str = "/api/chat") -> Fault:
        """Answer with ``status`` and ``{"error": error}`` instead of doing the work."""
        return cls("status", path, status=status, error=error)

    @classmethod
    def close_after(cls, lines: int, path: str = "/api/chat") -> Fault:
        """Drop the connection mid-body, as a crashed server does (no final chunk)."""
        return cls("close", path, after=lines)

    @classmethod
    def truncate_after(cls, lines: int) -> Fault:
        """End the body cleanly but never send the ``done`` line."""
        return cls("truncate", after=lines)

    @classmethod
    def error_after(cls, lines: int, error: str, path: str = "/api/chat") -> Fault:
        """Send ``{"error": error}`` after HTTP 200 and ``lines`` lines, then end."""
        return cls("error_line", path, after=lines, error=error)

    @classmethod
    def split_lines(cls, pause: float = 0.02) -> Fault:
        """Write every line in two chunks with a pause between: lines span TCP segments."""
        return cls("split", seconds=pause)

    @classmethod
    def stall(cls, after: int, seconds: float, path: str = "/api/chat") -> Fault:
        """Send nothing for ``seconds`` after ``after`` lines, then carry on."""
        return cls("stall", path, after=after, seconds=seconds)

    @classmethod
    def hang(cls, path: str, seconds: float = HANG_S) -> Fault:
        """Read the request and never answer (not even a status line) until the client
        leaves: a server wedged in a model load or a lock.  Any path, not only streams."""
        return cls("hang", path, seconds=seconds)

    @classmethod
    def hang_after_headers(cls, path: str, seconds: float = HANG_S) -> Fault:
        """Send ``200`` and the headers (a ``Content-Length`` that is never met, or a chunked
        stream that never gets a chunk), then nothing until the client leaves."""
        return cls("hang_after_headers", path, seconds=seconds)

    @classmethod
    def huge_line(cls, after: int, size: int = 5_000_000) -> Fault:
        """Insert one content line of ``size`` characters."""
        return cls("huge_line", after=after, size=size)

    @classmethod
    def malformed(cls, after: int) -> Fault:
        """Insert a line that is not JSON."""
        return cls("malformed", after=after)


class ClientGone(Exception):
    """The client closed the connection; stop working for it."""


class HangUp(Exception):
    """A fault ended the response; stop generating."""


class Responder(Protocol):
    """The parts of ``BaseHTTPRequestHandler`` a stream writes through."""

    wfile: io.BufferedIOBase
    model_name: str

    def send_response(self, code: int, message: str | None = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...

    def abort_connection(self) -> None: ...

    def stalling(self) -> None:
        """A fault has started to keep the client waiting (tests wait for this, not a clock)."""
        ...


def wire(payload: Any) -> bytes:
    """JSON as Go's encoder writes it: compact, one line, newline-terminated."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


class DisconnectWatch:
    """Fires ``cancel`` when the client hangs up (or the server stops) during a response,
    like the request context Ollama's handlers watch."""

    def __init__(self, connection: socket.socket, cancel: CancelToken, stopping: threading.Event):
        self._connection = connection
        self._cancel = cancel
        self._stopping = stopping
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            if self._stopping.is_set():
                self._cancel.cancel()
                return
            try:
                readable, _, _ = select.select([self._connection], [], [], 0.05)
                if readable and not self._connection.recv(1, socket.MSG_PEEK):
                    self._cancel.cancel()
                    return
            except (OSError, ValueError):
                self._cancel.cancel()
                return

    def __enter__(self) -> DisconnectWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()


class NdjsonStream:
    """An NDJSON response written as HTTP/1.1 chunks, with the fault of its request.

    Headers go out with the first line, as with Go's ``c.Stream``: until then an error can
    still be sent as a plain status code.
    """

    def __init__(self, handler: Responder, fault: Fault | None, cancel: CancelToken) -> None:
        self._handler = handler
        self._fault = fault
        self._cancel = cancel
        self.started = False
        self.lines = 0
        self._fired = False

    def line(self, payload: Any) -> None:
        fault = self._fault
        active = fault is not None and self.lines >= fault.after
        if fault is not None and active and not self._fired:
            self._fired = True
            self._fire(fault)
        pause = fault.seconds if fault is not None and active and fault.kind == "split" else None
        self._write(wire(payload), split_pause=pause)
        self.lines += 1

    def _fire(self, fault: Fault) -> None:
        if fault.kind == "close":
            self._handler.abort_connection()
            raise HangUp
        if fault.kind == "truncate":
            self.end()
            raise HangUp
        if fault.kind == "error_line":
            self._write(wire({"error": fault.error}))
            self.end()
            raise HangUp
        if fault.kind == "stall":
            self._handler.stalling()
            if self._cancel.wait(fault.seconds):
                raise ClientGone
        elif fault.kind == "huge_line":
            self._write(wire(content_line(self._handler.model_name, "x" * fault.size)))
            self.lines += 1
        elif fault.kind == "malformed":
            self._write(b'{"model":"oops", this is not json\n')
            self.lines += 1

    def _write(self, data: bytes, split_pause: float | None = None) -> None:
        try:
            if not self.started:
                self.started = True
                self._handler.send_response(200)
                self._handler.send_header("Content-Type", "application/x-ndjson")
                self._handler.send_header("Transfer-Encoding", "chunked")
                self._handler.end_headers()
            if split_pause is None:
                self._chunk(data)
            else:
                cut = len(data) // 2
                self._chunk(data[:cut])
                time.sleep(split_pause)
                self._chunk(data[cut:])
        except OSError:
            raise ClientGone from None

    def _chunk(self, data: bytes) -> None:
        self._handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self._handler.wfile.flush()

    def end(self) -> None:
        try:
            self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()
        except OSError:
            raise ClientGone from None


def content_line(model: str, text: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": created_at(),
        "message": {"role": "assistant", "content": text},
        "done": False,
    }


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


def final_line(model: str, done: Done, generated: int, total_s: float) -> dict[str, Any]:
    """The last line. ``eval_count`` is the number of tokens streamed, as Ollama counts;
    llama.cpp's own counter leaves out the token sampled from the prompt pass."""
    stats = done.stats
    final: dict[str, Any] = {
        "model": model,
        "created_at": created_at(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": "length" if done.reason == "length" else "stop",
        "done": True,
        "total_duration": _ns(total_s),
        "load_duration": _ns(stats.load_s),
        "prompt_eval_count": stats.prompt_tokens,
        "prompt_eval_duration": _ns(stats.prompt_s),
        "eval_count": generated,
        "eval_duration": _ns(stats.decode_s),
    }
    # Ollama's metrics are `omitempty`: zeros are left out.
    return {k: v for k, v in final.items() if v != 0 or k == "done"}


def _mime(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "image/png"


def parse_messages(raw: Any) -> tuple[Message, ...]:
    """Chat messages; images arrive as base64 strings (Go's []byte in JSON)."""
    if not isinstance(raw, list):
        raise ValueError("json: cannot unmarshal messages")
    messages: list[Message] = []
    for item in raw:
        images: list[ImageInput] = []
        for encoded in item.get("images") or []:
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, TypeError):
                raise ValueError("illegal base64 data at input byte 0") from None
            images.append(ImageInput(data, _mime(data), "0" * 64, 0, 0))
        messages.append(Message(item.get("role", "user"), item.get("content") or "", tuple(images)))
    return tuple(messages)


def parse_options(raw: dict[str, Any]) -> GenerationOptions:
    """Ollama's option names and defaults, as GenerationOptions for llama.cpp."""
    predict = raw.get("num_predict")
    return GenerationOptions(
        temperature=float(raw.get("temperature", 0.8)),
        max_tokens=None if predict is None or predict < 0 else int(predict),
        num_ctx=int(raw.get("num_ctx", 4096)),
        threads=raw.get("num_thread"),
        seed=raw.get("seed"),
        top_p=float(raw.get("top_p", 0.9)),
        top_k=int(raw.get("top_k", 40)),
        repeat_penalty=float(raw.get("repeat_penalty", 1.1)),
        stop=tuple(raw.get("stop") or ()),
    )


def ollama_error(error: BackendError) -> str:
    """What Ollama says for the failure the llama.cpp backend reported."""
    if isinstance(error, InvalidModelFile):
        return f"llama runner process has terminated: error loading model: {error}"
    if isinstance(error, InvalidImage):
        return "failed to process inputs: image: unknown format"
    return str(error)
