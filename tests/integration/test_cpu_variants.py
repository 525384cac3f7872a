"""The first answer works on every CPU: the portable build, the probe, the fallback, doctor.

What is real here: the installed llama-cpp-python is the portable build with every CPU
variant (``packaging/llama_wheel.sh``), the probe children load those libraries and run the
probe model through llama.cpp, and a rejected variant is one whose process really died by
SIGILL.  Where this machine runs every variant its CPU claims, the test hooks make a chosen
variant execute an illegal instruction (``ud2``/``udf``) at the moment it would first compute
— in the probe (``LOCALSIGHT_CPU_TEST_TRAP``) or in the engine mid-answer
(``LOCALSIGHT_ENGINE_TEST_TRAP``) — which kills the process exactly as a variant above the
CPU's abilities does.  Nothing asserts what a tiny model answers (that changes with the
kernels: "L'Étoile…" instead of "Paris" on one machine), only that it answers.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import CancelToken, ChatRequest, Done, EngineCrashed, Message, TextDelta
from backends.base import GenerationOptions as Options
from backends.engine import EngineBackend
from backends.engine.child import TEST_TRAP_ENV as ENGINE_TRAP_ENV
from backends.llama_cpp import cpu_variants
from backends.llama_cpp.cpu_probe import TEST_TRAP_ENV as PROBE_TRAP_ENV
from tests.helpers.cli import localsight


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A verdict cache of its own (a "first launch"), and this process's choice forgotten
    before and after, so other tests decide again from the session's shared cache."""
    cache = tmp_path / "cpu-cache"
    monkeypatch.setenv(cpu_variants.CACHE_ENV, str(cache))
    monkeypatch.delenv(cpu_variants.FORCE_ENV, raising=False)
    cpu_variants.forget()
    yield cache
    cpu_variants.forget()


def _no_probing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, starting a probe child fails the test: a later launch must not probe."""

    def refuse(argv: list[str], timeout_s: float) -> Any:
        raise AssertionError(f"probed again: {argv[0]}")

    monkeypatch.setattr(cpu_variants, "_spawn", refuse)


def _claimed() -> list[str]:
    """The variants this CPU claims, best first (ggml's own scores, read in a child)."""
    lib_dir = cpu_variants.llama_lib_dir()
    assert lib_dir is not None
    scores = cpu_variants._survey(lib_dir)
    return [name for name, score in sorted(scores.items(), key=lambda i: -i[1]) if score > 0]


def _verdicts(cache: Path) -> dict[str, Any]:
    store = json.loads((cache / cpu_variants.VERDICTS_FILE).read_text())
    (record,) = store["machines"].values()
    verdicts: dict[str, Any] = record["verdicts"]
    return verdicts


def test_the_installed_llama_cpp_is_the_portable_build() -> None:
    """One build for every CPU of this architecture: the CPU code is in variant libraries,
    from the baseline up, and the choice among them is LocalSight's, not ggml's."""
    lib_dir = cpu_variants.llama_lib_dir()
    assert lib_dir is not None
    names = {p.name for p in cpu_variants.variant_libraries(lib_dir)}
    baseline = (
        "libggml-cpu-x64.so" if platform.machine() == "x86_64" else "libggml-cpu-armv8.0_1.so"
    )
    assert baseline in names
    assert len(names) >= 7
    assert not (lib_dir / "libggml-cpu.so").exists()  # no single (native) CPU backend
    claimed = _claimed()
    assert claimed and claimed[-1] in ("x64", "armv8.0_1")  # every CPU runs the baseline


def test_first_launch_probes_later_launches_do_not(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choice = cpu_variants.current()
    assert choice.dispatched and choice.variant and choice.library
    assert choice.variant in dict(choice.claimed)
    assert choice.probed_now and choice.probed_now[-1] == choice.variant
    assert choice.probe_s > 0 and choice.first_probe_s > 0
    verdicts = _verdicts(fresh_cache)
    assert verdicts[choice.variant]["ok"] is True
    assert (fresh_cache / "cpu-probe-v1.gguf").is_file()

    cpu_variants.forget()  # "the next launch"
    _no_probing(monkeypatch)
    again = cpu_variants.current()
    assert again.variant == choice.variant
    assert again.probed_now == () and again.probe_s == 0
    assert again.first_probe_s == choice.first_probe_s
    assert "(cached)" in again.why


def test_a_variant_that_traps_is_rejected_and_the_next_one_chosen(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    best = _claimed()[0]
    monkeypatch.setenv(PROBE_TRAP_ENV, best)
    choice = cpu_variants.current()
    assert choice.variant != best
    assert cpu_variants.Rejection(best, "stopped by SIGILL during the probe") in choice.rejected
    assert choice.probed_now[:2] == (best, choice.variant)
    assert f"({best} rejected)" in choice.why
    verdicts = _verdicts(fresh_cache)
    assert verdicts[best]["ok"] is False and verdicts[choice.variant]["ok"] is True

    # The verdict is remembered: the next launch neither probes nor reconsiders `best`,
    # even with the trap gone.
    monkeypatch.delenv(PROBE_TRAP_ENV)
    cpu_variants.forget()
    _no_probing(monkeypatch)
    again = cpu_variants.current()
    assert again.variant == choice.variant and again.probed_now == ()


def test_verdicts_are_kept_per_machine(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home folder shared by two computers keeps one verdict for each."""
    first = cpu_variants.current()
    identity = cpu_variants.cpu_identity()
    other = {**identity, "flags": identity.get("flags", "") + " imaginary_feature"}
    monkeypatch.setattr(cpu_variants, "cpu_identity", lambda: other)
    cpu_variants.forget()
    second = cpu_variants.current()
    assert second.machine_key != first.machine_key
    assert second.probed_now  # a new machine is probed
    store = json.loads((fresh_cache / cpu_variants.VERDICTS_FILE).read_text())
    assert set(store["machines"]) == {first.machine_key, second.machine_key}


def test_when_no_variant_runs_the_error_says_so(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed = _claimed()
    monkeypatch.setenv(PROBE_TRAP_ENV, ",".join(claimed))
    with pytest.raises(cpu_variants.NoUsableVariant) as caught:
        cpu_variants.current()
    message = str(caught.value)
    assert "No CPU variant of llama.cpp runs on this computer" in message
    assert f"{claimed[0]}: stopped by SIGILL during the probe" in message


def test_a_build_without_variants_is_used_as_it_is(
    tmp_path: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cpu_variants, "llama_lib_dir", lambda: tmp_path)
    choice = cpu_variants.current()
    assert not choice.dispatched and choice.library is None
    assert "not a dispatched build" in choice.why


def test_forcing_a_variant_skips_the_probe(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _claimed()[-1]
    monkeypatch.setenv(cpu_variants.FORCE_ENV, last)
    _no_probing(monkeypatch)
    choice = cpu_variants.current()
    assert choice.variant == last and "forced" in choice.why
    monkeypatch.setenv(cpu_variants.FORCE_ENV, "no-such-variant")
    cpu_variants.forget()
    with pytest.raises(cpu_variants.NoUsableVariant, match="names no CPU variant"):
        cpu_variants.current()


# -- the engine: a variant that passed its probe dies mid-answer ---------------------------


def _ask(backend: EngineBackend, model: Path) -> tuple[str, Done]:
    request = ChatRequest(
        str(model.resolve()),
        (Message("user", "What is the capital of France?"),),
        Options(max_tokens=8, temperature=0.0),
    )
    text, done = [], None
    for chunk in backend.stream_chat(request, CancelToken()):
        if isinstance(chunk, TextDelta):
            text.append(chunk.text)
        elif isinstance(chunk, Done):
            done = chunk
    assert done is not None
    return "".join(text), done


def test_sigill_mid_answer_switches_variant_and_answers_once_more(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch, smollm2: Path
) -> None:
    chosen = cpu_variants.current().variant
    assert chosen is not None
    monkeypatch.setenv(ENGINE_TRAP_ENV, chosen)  # the engine traps once a model is loaded
    with EngineBackend(extra_models=[smollm2], include_embedded=False) as backend:
        text, done = _ask(backend, smollm2)
        assert text.strip()
        assert "processor rejected an instruction set" in done.notice
        assert f"({chosen} → " in done.notice
        switched = cpu_variants.current()
        assert switched.variant != chosen
        rejected = {r.variant: r.reason for r in switched.rejected}
        assert rejected[chosen] == "stopped by SIGILL while answering"
        # The new engine keeps answering, with no notice this time.
        text, done = _ask(backend, smollm2)
        assert text.strip() and done.notice == ""
    assert _verdicts(fresh_cache)[chosen]["ok"] is False


def test_an_engine_that_dies_by_sigill_twice_gives_a_clear_error(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch, smollm2: Path
) -> None:
    monkeypatch.setenv(ENGINE_TRAP_ENV, ",".join(_claimed()))
    with (
        EngineBackend(extra_models=[smollm2], include_embedded=False) as backend,
        pytest.raises(EngineCrashed) as caught,
    ):
        _ask(backend, smollm2)
    assert caught.value.signal == 4  # SIGILL
    assert "processor rejected an instruction" in str(caught.value)
    assert "reinstall" not in str(caught.value).lower()


# -- the CLI: never dies silently, says what it chose ----------------------------------------


def test_cli_answers_on_a_machine_whose_best_variant_traps(tmp_path: Path) -> None:
    """`localsight ask` on a "fresh install": the best variant traps, the answer comes anyway,
    `doctor` says why, and a second launch does not probe again."""
    best = _claimed()[0]
    env = {cpu_variants.CACHE_ENV: str(tmp_path / "cache"), PROBE_TRAP_ENV: best}
    asked = localsight("ask", "What is the capital of France?", "--max-tokens", "12", env=env)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert "error" not in asked.stderr

    doctor = localsight("doctor", "--json", env=env)
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["rejected"] == [{"variant": best, "reason": "stopped by SIGILL during the probe"}]
    assert report["probe"]["probed_now"] == []  # the second launch read the cache
    assert report["probe"]["on_this_machine_s"] > 0
    assert report["variant"].startswith(report["claimed"][1][0])

    text = localsight("doctor", env=env).stdout
    for label in ("llama.cpp", "CPU variant", "Rejected", "Probe", "Threads", "Memory", "Qt"):
        assert f"\n{label} " in "\n" + text
    assert "portable build with" in text


def test_cli_turns_a_crash_into_one_line(tmp_path: Path) -> None:
    """Every variant traps in the engine: one clear line and exit 1, not a death by signal."""
    env = {
        cpu_variants.CACHE_ENV: str(tmp_path / "cache"),
        ENGINE_TRAP_ENV: ",".join(_claimed()),
    }
    asked = localsight("ask", "hi", "--max-tokens", "4", env=env)
    assert asked.returncode == 1
    lines = asked.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("localsight: error: ")
    assert "processor rejected an instruction" in lines[0]


def test_cli_when_nothing_runs_says_what_to_do(tmp_path: Path) -> None:
    env = {cpu_variants.CACHE_ENV: str(tmp_path / "cache"), PROBE_TRAP_ENV: ",".join(_claimed())}
    asked = localsight("ask", "hi", "--max-tokens", "4", env=env)
    assert asked.returncode == 1
    assert "No CPU variant of llama.cpp runs on this computer" in asked.stderr
    assert "localsight doctor" in asked.stderr
    assert len(asked.stderr.strip().splitlines()) == 1


def test_a_sigill_after_text_was_shown_keeps_it_and_asks_for_retry() -> None:
    """Text already on screen cannot be taken back: the switch is made for the next attempt
    and the error says so, with the partial answer kept (not retried behind the person's back)."""
    from backends.engine.host import _SelfHealingStream

    switched: list[str] = []

    class Backend:
        def _recover_from_illegal_instruction(self, crash: EngineCrashed) -> str:
            switched.append("yes")
            return "This computer's processor rejected an instruction set; LocalSight switched."

        def _open_stream(self, request: Any, cancel: Any) -> Any:
            raise AssertionError("retried after text was shown")

    def stream() -> Iterator[Any]:
        yield TextDelta("The capital")
        raise EngineCrashed("crashed", partial_text="The capital", signal=4)

    request = ChatRequest("m", (Message("user", "hi"),), Options())
    healing = _SelfHealingStream(Backend(), stream(), request, CancelToken())  # type: ignore[arg-type]
    assert next(healing) == TextDelta("The capital")
    with pytest.raises(EngineCrashed) as caught:
        next(healing)
    assert switched == ["yes"]
    assert str(caught.value).endswith("Press Retry to answer again.")
    assert caught.value.partial_text == "The capital"


def test_a_cache_that_cannot_be_written_still_gives_a_variant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only or full cache folder costs a probe per launch, never the model."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(cpu_variants.CACHE_ENV, str(blocker / "cache"))
    cpu_variants.forget()
    try:
        choice = cpu_variants.current()
        assert choice.dispatched and choice.variant and choice.probed_now
        cpu_variants.forget()
        assert cpu_variants.current().probed_now  # nothing was remembered
    finally:
        cpu_variants.forget()
