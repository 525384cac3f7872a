"""How many cases a seeded fuzz suite runs: a fast sample in CI, the audit's full count on demand.

The hardening suites (mutated GGUF files, hostile images, template payloads, malformed
settings) are seeded, so a failure is the same case on every run and every machine.  CI runs
a sample that finishes in seconds to a minute; ``LOCALSIGHT_FUZZ_FULL=1`` runs the full count
the audit used (issue 16), which takes long enough that only a person asks for it::

    LOCALSIGHT_FUZZ_FULL=1 .venv/bin/python -m pytest -m fuzz
"""

from __future__ import annotations

import os

#: The seed every suite starts from; a suite adds its own offset so suites never share cases.
SEED = 20261206


def full_run() -> bool:
    """True when the full counts were asked for (``LOCALSIGHT_FUZZ_FULL=1``)."""
    return os.environ.get("LOCALSIGHT_FUZZ_FULL") == "1"


def fuzz_count(fast: int, full: int) -> int:
    """``full`` cases when asked for, else the CI sample of ``fast``."""
    return full if full_run() else fast
