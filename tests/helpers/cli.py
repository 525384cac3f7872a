"""The ``localsight`` command as a user runs it: a real process, as every CLI test starts it.

``localsight(*args)`` runs ``python -m desktop_app *args`` from the checkout (its root as the
working folder and on ``PYTHONPATH``, so the command and every child it starts import this
code) and returns the finished process, output as text.  What the developer's shell may hold
never reaches it: ``LOCALSIGHT_DEBUG`` (tracebacks), an Ollama address or key, an API key for
an OpenAI-compatible server.  ``home`` sets ``LOCALSIGHT_HOME`` (otherwise the test's own,
set by the autouse fixture, is inherited); ``env`` is applied last, over all of that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.helpers import REPO

#: Removed from the inherited environment of every run (``env`` may set them again).
UNSET = (
    "LOCALSIGHT_DEBUG",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
    "LOCALSIGHT_OPENAI_API_KEY",
    "OPENAI_API_KEY",
)

#: An Ollama address where nothing listens (the discard port), for runs that must not reach
#: an Ollama the developer may be running.
NO_OLLAMA = {"OLLAMA_HOST": "127.0.0.1:9"}


def localsight(
    *args: str,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """Run ``localsight *args`` in a real process and wait for it (``check=False``)."""
    environ = {**os.environ}
    for name in UNSET:
        environ.pop(name, None)
    pythonpath = environ.get("PYTHONPATH")
    environ["PYTHONPATH"] = str(REPO) + (os.pathsep + pythonpath if pythonpath else "")
    if home is not None:
        environ["LOCALSIGHT_HOME"] = str(home)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """A failure told in one line of stderr, ``localsight: error: …``, naming each of
    ``words`` (case-insensitive), with a non-zero exit code and no traceback."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("localsight: error:")
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
