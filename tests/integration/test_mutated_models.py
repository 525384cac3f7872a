"""Damaged model and projector files never kill the CLI (issue 16, item 1).

The audit's 1000 mutated GGUF files, made repeatable (``tests.helpers.gguf_mutations``):
the validator sweep runs every mutation through the pure-Python checks in-process (they must
refuse with ``InvalidModelFile`` or pass, nothing else), the CLI sweep asks a question with
each through the real ``localsight ask`` and accepts only an answer, a refusal or a
contained crash -- one line each, never a death by signal, a hang or a traceback.  CI runs a
sample; ``LOCALSIGHT_FUZZ_FULL=1`` the audit's full count (``benchmarks/mutated_models.py``
prints the counts as a table).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from backends.base import InvalidModelFile, ModelNotFound
from backends.llama_cpp.gguf_check import inspect_gguf
from tests.helpers.fuzz import SEED, fuzz_count
from tests.helpers.gguf_mutations import Bases, mutations, run_case, write_bases

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Bases:
    return write_bases(tmp_path_factory.mktemp("bases"))


def test_the_validator_refuses_or_passes_every_mutation(bases: Bases, tmp_path: Path) -> None:
    """Pure Python on hostile bytes: a refusal with a reason, or a summary -- no other error."""
    outcomes: Counter[str] = Counter()
    for case in mutations(bases, tmp_path, SEED + 1, fuzz_count(300, 1000)):
        for path in (case.model, case.mmproj):
            if path is None or path in (bases.model,):
                continue
            try:
                inspect_gguf(path)
                outcomes["passed"] += 1
            except InvalidModelFile as error:
                assert str(error).count("\n") == 0, error
                outcomes["refused"] += 1
            except ModelNotFound:  # pragma: no cover - every case file exists
                raise
    assert outcomes["refused"] and outcomes["passed"], outcomes


def test_no_damaged_file_kills_the_cli(bases: Bases, tmp_path: Path) -> None:
    """Every run ends as an answer, a refusal or a contained crash, in one line."""
    home = tmp_path / "home"
    seen: Counter[str] = Counter()
    bad: list[str] = []
    for case in mutations(bases, tmp_path / "cases", SEED + 2, fuzz_count(14, 1000)):
        outcome = run_case(case, bases.image, home)
        seen[outcome.kind] += 1
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        if not outcome.ok or len(lines) > 2:
            bad.append(f"{case.index} {case.target} {case.description}: {outcome}")
    assert not bad, "\n".join(bad)
    assert sum(seen.values()) == fuzz_count(14, 1000)
