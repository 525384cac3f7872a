"""One engine process as the app sees it: start, send, route replies, notice its death.

A receiver thread reads the pipe and drops each message into the mailbox of the request it
answers, so several callers (a model list from the GUI thread while a worker streams) can
share one pipe.  The same thread is the watchdog: it polls with a timeout, checks that the
process is alive, and when the pipe closes or the process is gone it reaps the exit status
and posts an ``EngineExit`` to every waiting mailbox.  Nobody waits on a dead engine.

Only the receiver thread reaps the process (waitpid from two threads races); ``stop`` and
``kill`` send a message or a signal and then wait for the receiver to see the end.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from backends.base import BackendUnavailable
from backends.engine import child
from backends.engine.crash import EngineExit, exit_detail, read_reason
from backends.engine.protocol import (
    EngineConfig,
    FromEngine,
    Ready,
    Shutdown,
    ToEngine,
    dumps,
    loads,
)
from backends.messages import message

Mailbox = queue.SimpleQueue[Any]  # FromEngine messages, then possibly one EngineExit

# How long the app waits for a new engine to say it is ready (importing llama.cpp and
# numpy, probing nothing yet).  Seconds on a PC; under arm64 emulation it took 41-46 s on a
# busy machine, and a Raspberry Pi 4 reading a slow SD card can come close too (issue 18),
# so the default leaves room and the environment can give more.
START_TIMEOUT_ENV = "LOCALSIGHT_ENGINE_START_TIMEOUT"
DEFAULT_START_TIMEOUT_S = 180.0


def start_timeout_s() -> float:
    """The engine start timeout: ``START_TIMEOUT_ENV`` in seconds when it is a positive
    finite number, else ``DEFAULT_START_TIMEOUT_S`` (a typo must not make the app give up
    at once, nor wait forever)."""
    try:
        value = float(os.environ.get(START_TIMEOUT_ENV, ""))
    except ValueError:
        return DEFAULT_START_TIMEOUT_S
    return value if math.isfinite(value) and value > 0 else DEFAULT_START_TIMEOUT_S


_POLL_S = 0.2
_REAP_S = 2.0


class EngineGone(Exception):
    """The engine is dead; ``exit`` says how."""

    def __init__(self, exit: EngineExit) -> None:
        super().__init__(exit.how)
        self.exit = exit


class EngineProcess:
    """A running engine child process and the pipe to it."""

    def __init__(self, config: EngineConfig, *, start_timeout_s: float) -> None:
        started = time.perf_counter()
        # The engine's log: the app keeps it open and unlinks it once the engine has opened
        # it too, so it vanishes with the two processes whatever kills them.
        fd, log = tempfile.mkstemp(prefix="localsight-engine-", suffix=".log")
        self._log = os.fdopen(fd, "rb")
        self._log_path = Path(log)
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe(duplex=True)
        self._process = context.Process(
            target=child.main,
            args=(child_conn, config, log),
            name="localsight-engine",
            daemon=True,  # terminated by multiprocessing if the app exits without close()
        )
        self._mailboxes: dict[int, Mailbox] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._dead = threading.Event()
        self._exit: EngineExit | None = None
        self._intentional = False
        try:
            self._process.start()
        except Exception as error:
            self._log_path.unlink(missing_ok=True)
            self._log.close()
            raise BackendUnavailable(
                message("The model engine could not start: {error}", error=str(error))
            ) from error
        finally:
            child_conn.close()  # else the pipe never reports the child's end
        self.pid: int = self._process.pid or 0
        try:
            self._wait_ready(start_timeout_s)
        finally:
            self._log_path.unlink(missing_ok=True)
        self.start_s = time.perf_counter() - started
        self._receiver = threading.Thread(
            target=self._receive, name=f"engine-{self.pid}-receiver", daemon=True
        )
        self._receiver.start()

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        timed_out = False
        try:
            while not (timed_out := time.monotonic() >= deadline):
                if self._conn.poll(_POLL_S):
                    if isinstance(loads(self._conn.recv_bytes()), Ready):
                        return
                elif not self._process.is_alive():
                    break
        except (EOFError, OSError):
            pass
        self._process.kill()
        self._process.join(_REAP_S)
        exit = EngineExit(self._process.exitcode, read_reason(self._log))
        self._release()
        if timed_out:  # alive but slow: a busy or slow computer, not a broken install
            raise BackendUnavailable(
                message(
                    "The model engine did not start within {seconds} s. The computer may "
                    "be busy or slow (an SD card); to wait longer, set {variable} to "
                    "a number of seconds.",
                    seconds=f"{timeout_s:.0f}",
                    variable=START_TIMEOUT_ENV,
                )
            )
        raise BackendUnavailable(
            message(
                "The model engine could not start ({detail}). Reinstall LocalSight's dependencies.",
                detail=exit_detail(exit),
            )
        )

    # -- state ----------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """False from the moment the watchdog has seen the end (before the cleanup is done)."""
        return self._exit is None

    @property
    def exit(self) -> EngineExit | None:
        """How the engine ended, once it has."""
        return self._exit

    # -- requests -------------------------------------------------------------------------

    def open(self, request_id: int) -> Mailbox:
        """A mailbox for the replies to ``request_id``; open it before sending the request."""
        mailbox: Mailbox = queue.SimpleQueue()
        with self._lock:
            if self._exit is not None:
                raise EngineGone(self._exit)
            self._mailboxes[request_id] = mailbox
        return mailbox

    def discard(self, request_id: int) -> None:
        """Stop routing replies to ``request_id`` (late ones are dropped)."""
        with self._lock:
            self._mailboxes.pop(request_id, None)

    def send(self, message: ToEngine) -> None:
        data = dumps(message)
        try:
            with self._send_lock:
                self._conn.send_bytes(data)
        except OSError:
            # The receiver posts the EngineExit; give it a moment so the caller learns how.
            self._dead.wait(_REAP_S)
            raise EngineGone(self._exit or EngineExit(None)) from None

    # -- ending ---------------------------------------------------------------------------

    def stop(self, timeout_s: float) -> None:
        """Ask the engine to exit; kill it if it has not within ``timeout_s``. Idempotent."""
        if self._dead.is_set():
            return
        self._intentional = True
        with contextlib.suppress(EngineGone):
            self.send(Shutdown())
        if not self._dead.wait(timeout_s):
            self.kill()

    def kill(self) -> None:
        """SIGKILL now (the hard stop, or a stop that timed out) and wait until it is reaped."""
        self._intentional = True
        if not self._dead.is_set():
            with contextlib.suppress(OSError, ValueError):
                self._process.kill()
            self._dead.wait(_REAP_S + 1.0)

    # -- the receiver / watchdog ----------------------------------------------------------

    def _receive(self) -> None:
        try:
            while True:
                if self._conn.poll(_POLL_S):
                    self._route(loads(self._conn.recv_bytes()))
                elif not self._process.is_alive():
                    break
        except (EOFError, OSError):
            pass  # the engine's end of the pipe closed: it exited or died
        except Exception:  # a message that does not unpickle: the engine is not sane
            with contextlib.suppress(OSError, ValueError):
                self._process.kill()
        self._process.join(_REAP_S)
        if self._process.exitcode is None:  # closed its pipe but lingers: finish it
            with contextlib.suppress(OSError, ValueError):
                self._process.kill()
            self._process.join(_REAP_S)
        exit = EngineExit(
            self._process.exitcode, read_reason(self._log), intentional=self._intentional
        )
        with self._lock:
            self._exit = exit
            mailboxes = list(self._mailboxes.values())
            self._mailboxes.clear()
        for mailbox in mailboxes:
            mailbox.put(exit)
        self._release()
        self._dead.set()

    def _route(self, message: FromEngine) -> None:
        request_id = getattr(message, "id", None)
        with self._lock:
            mailbox = self._mailboxes.get(request_id) if request_id is not None else None
        if mailbox is not None:
            mailbox.put(message)

    def _release(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()
        self._log.close()
        with contextlib.suppress(ValueError, AttributeError):
            self._process.close()
