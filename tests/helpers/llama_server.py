"""Run a real llama.cpp ``llama-server`` on loopback for tests.

The binary comes from ``tests.helpers.llama_tools.ensure_tool("llama-server")`` (built once from the
llama.cpp the installed llama-cpp-python vendors).  llama-server cannot bind port 0, so a
free port is picked here and the start is retried on another if someone took it meanwhile.
The server's output goes to a log file whose tail is shown when it fails to start.

Run ``python -m tests.helpers.llama_server MODEL.gguf [MMPROJ.gguf]`` to serve a model by hand.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tests.helpers.llama_tools import tool_env

__all__ = ["LlamaServer", "free_port"]

START_TIMEOUT_S = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """One llama-server process: ``start()``, ``base_url``, ``stop()`` or ``kill()``."""

    def __init__(
        self,
        binary: Path,
        *,
        model: Path | None = None,
        mmproj: Path | None = None,
        alias: str | None = None,
        models_dir: Path | None = None,
        api_key_file: Path | None = None,
        threads: int = 1,
        ctx: int = 2048,
        extra: Sequence[str] = (),
        log_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.binary = binary
        self.model = model
        self.mmproj = mmproj
        self.alias = alias
        self.models_dir = models_dir
        self.api_key_file = api_key_file
        self.threads = threads
        self.ctx = ctx
        self.extra = tuple(extra)
        self.env = dict(env or {})
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="llama-server-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.log_dir / "llama-server.log"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def command(self) -> list[str]:
        command = [str(self.binary), "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--threads", str(self.threads), "--ctx-size", str(self.ctx)]
        command += ["--parallel", "1", "--no-webui", "--no-warmup"]
        if self.model is not None:
            command += ["--model", str(self.model)]
        if self.mmproj is not None:
            command += ["--mmproj", str(self.mmproj)]
        if self.alias is not None:
            command += ["--alias", self.alias]
        if self.models_dir is not None:
            command += ["--models-dir", str(self.models_dir), "--models-max", "2"]
        if self.api_key_file is not None:
            command += ["--api-key-file", str(self.api_key_file)]
        return [*command, *self.extra]

    def start(self, attempts: int = 3) -> LlamaServer:
        for attempt in range(attempts):
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.command(),
                    env={**tool_env(), **self.env},  # tool_env: the app's CPU variant
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Its own process group: kill() takes router-mode children with it.
                    start_new_session=True,
                )
            if self._wait_healthy():
                return self
            self.stop()
            if attempt == attempts - 1 or "bind" not in self.log_tail().lower():
                break
        raise RuntimeError(f"llama-server did not start; {self.log_path}:\n{self.log_tail()}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.root_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "".join(text.splitlines(True)[-lines:])

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no goodbye on any connection."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self._signal(signal.SIGKILL)  # router-mode children may outlive their parent
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(10)
        self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    from tests.helpers.llama_tools import ensure_tool

    args = list(argv if argv is not None else sys.argv[1:])
    if not args:
        raise SystemExit("usage: python -m tests.helpers.llama_server MODEL.gguf [MMPROJ.gguf]")
    server = LlamaServer(
        ensure_tool("llama-server"),
        model=Path(args[0]),
        mmproj=Path(args[1]) if len(args) > 1 else None,
    ).start()
    print(f"Serving on {server.base_url} (log: {server.log_path})", flush=True)
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
