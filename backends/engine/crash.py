"""Turning a dead engine into a sentence a person can act on.

The engine's exit code says how it died (a signal such as SIGABRT, or an exit status); the
last lines it wrote to its private log often say why (ggml prints the failed assert before
it aborts).  Both go into the message, with advice that depends on the cause: SIGKILL is
usually the kernel's out-of-memory killer, SIGILL a CPU without the instructions llama.cpp
was built for, the rest a file llama.cpp cannot handle.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from typing import BinaryIO

from backends.engine.protocol import Stage
from backends.messages import message

_LOG_TAIL_BYTES = 16 * 1024
_REASON_PATTERNS = (
    re.compile(r"(GGML_ASSERT\(.*\) failed)"),
    re.compile(r"(GGML_ABORT.*|ggml_abort.*)"),
    re.compile(r"terminate called after throwing.*|what\(\):.*"),
    # ggml_abort's own format, "<source file>:<line>: <message>", for aborts that are not
    # an assert ("binary_op: unsupported types: dst: f32, src0: f32, src1: f16").
    re.compile(r"\.(?:c|cc|cpp|h):\d+: (.+)$"),
)


@dataclass(frozen=True, slots=True)
class EngineExit:
    """How an engine process ended, posted to every request still waiting on it."""

    exitcode: int | None
    reason: str = ""
    intentional: bool = False

    @property
    def how(self) -> str:
        """How llama.cpp stopped: "signal SIGABRT", "exit code 3", ..."""
        code = self.exitcode
        if code is None:
            return message("no exit status")
        if code < 0:
            try:
                return message("signal {signal}", signal=signal.Signals(-code).name)
            except ValueError:
                return message("signal {signal}", signal=str(-code))
        return message("exit code {code}", code=str(code))


def read_reason(log: BinaryIO) -> str:
    """The failed assert (or similar) at the end of the engine's log, or ""."""
    try:
        size = log.seek(0, 2)
        log.seek(max(0, size - _LOG_TAIL_BYTES))
        tail = log.read().decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""
    for line in reversed(tail.splitlines()):
        for pattern in _REASON_PATTERNS:
            match = pattern.search(line)
            if match:
                return match.group(match.lastindex or 0).strip()[:200]
    return ""


def exit_detail(exit: EngineExit) -> str:
    """How the engine stopped and, when its log says, why: "signal SIGABRT: GGML_ASSERT(…)
    failed" (the reason is llama.cpp's own words, a value of the ``message``)."""
    if exit.reason:
        return message("{how}: {reason}", how=exit.how, reason=exit.reason)
    return exit.how


def crash_message(exit: EngineExit, stage: Stage) -> str:
    """What the user reads when the engine died during ``stage`` (a ``message``; the last
    line of the engine's log, llama.cpp's own words, goes in as it is)."""
    what = {
        "starting": message("while starting"),
        "loading": message("while loading"),
        "answering": message("while answering"),
        "working": message("while reading model files"),
    }[stage]
    detail = exit_detail(exit)
    if exit.exitcode == -signal.SIGKILL:
        advice = message(
            "The system may have run out of memory; close other programs or pick a smaller "
            "model. The app is fine."
        )
    elif exit.exitcode == -signal.SIGILL:
        advice = message(
            "This computer's processor rejected an instruction llama.cpp used. The app is "
            "fine; run `localsight doctor` for details."
        )
    else:
        advice = message(
            "The file may be damaged or made for a newer llama.cpp; the app is fine, pick "
            "another model."
        )
    return message(
        "The model crashed {stage} (llama.cpp stopped with {detail}). {advice}",
        stage=what,
        detail=detail,
        advice=advice,
    )
