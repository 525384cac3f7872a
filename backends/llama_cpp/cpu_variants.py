"""Which CPU variant of llama.cpp this computer runs: proven by a probe, remembered per machine.

LocalSight installs llama.cpp the way llama.cpp's own releases are built: portable, with the
CPU code in one library per instruction set (``libggml-cpu-haswell.so``,
``…-sapphirerapids.so``, ``…-armv8.2_1.so``), so one build serves every x86-64 or arm64
machine.  ggml would choose among them by CPUID alone, and CPUID can lie: a VM that
advertises AMX but traps the first tile instruction killed the very first answer of a fresh
install with SIGILL.  So a variant is trusted only after it has run a tiny real model in a
child process (``cpu_probe``); one that dies there is rejected with the reason, and the next
best is tried.  The verdicts are kept in the cache folder, keyed on what decides them — the
CPU (vendor, model, stepping, flags), the kernel and the llama.cpp build — so the probe runs
once per machine and costs nothing on later launches, and a home folder shared by several
computers keeps one verdict per computer.

If a trusted variant still dies by SIGILL while answering, the engine calls ``reject``: the
verdict is recorded and the next variant chosen (``backends.engine.host`` restarts on it).

Everything here runs without importing ``llama_cpp``: the window decides before it starts its
engine process and hands the decision over (``adopt``), so the engine never probes.  A build
without variant libraries (a llama-cpp-python built by hand with its CPU code linked in) is
reported as not dispatched and used as it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import io
import json
import multiprocessing
import os
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from backends.llama_cpp.cpu_probe import VARIANT_PREFIX, variant_name
from backends.messages import message

CACHE_ENV = "LOCALSIGHT_CPU_CACHE"
# Names the variant to use, skipping the probe: for comparing variants and for support.
FORCE_ENV = "LOCALSIGHT_CPU_VARIANT"
VERDICTS_FILE = "cpu-variants.json"
PROBE_TIMEOUT_S = 180.0  # a Raspberry Pi 4 on a slow SD card imports llama_cpp slowly
_SCHEMA = 1
_MAX_MACHINES = 16


@dataclass(frozen=True, slots=True)
class Rejection:
    """A variant this machine cannot use, and why."""

    variant: str
    reason: str


@dataclass(frozen=True, slots=True)
class CpuChoice:
    """The CPU code llama.cpp runs with here, and how that was decided."""

    dispatched: bool
    lib_dir: str | None = None
    variant: str | None = None
    library: str | None = None
    why: str = ""
    rejected: tuple[Rejection, ...] = ()
    claimed: tuple[tuple[str, int], ...] = ()  # (variant, ggml's score) the CPU claims, best first
    variants: tuple[str, ...] = ()  # every variant the build has
    probed_now: tuple[str, ...] = ()  # variants probed by this process
    probe_s: float = 0.0  # seconds this process spent probing
    first_probe_s: float = 0.0  # seconds the first launch on this machine spent probing
    machine_key: str = ""


class NoUsableVariant(RuntimeError):
    """Every CPU variant of this llama.cpp build failed on this machine."""


class _State:
    """This process's decision and configuration (one per process, guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache: Path | None = None
        self.current: CpuChoice | None = None


_state = _State()


# -- where things are ------------------------------------------------------------------


def configure(cache_dir: Path) -> None:
    """Keep verdicts in ``cache_dir`` (the app's cache folder) from now on."""
    _state.cache = Path(cache_dir)


def cache_dir() -> Path:
    """Where the verdicts and the probe model live.

    The app passes its own cache folder (``configure``); ``LOCALSIGHT_CPU_CACHE`` overrides
    it (tests share one across their many processes); otherwise the app's default cache
    folder, found the way ``desktop_app.core.settings`` finds it.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if _state.cache is not None:
        return _state.cache
    home = os.environ.get("LOCALSIGHT_HOME")
    if home:
        return Path(home).expanduser().resolve() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("localsight", appauthor=False))


def llama_lib_dir() -> Path | None:
    """``llama_cpp/lib`` of the installed binding, found without importing it."""
    try:
        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib"
    return folder if folder.is_dir() else None


def variant_libraries(lib_dir: Path) -> list[Path]:
    return sorted(lib_dir.glob(f"{VARIANT_PREFIX}*.so"))


# -- what identifies a machine ------------------------------------------------------------


_CPU_FIELDS = (
    "vendor_id", "model name", "cpu family", "model", "stepping", "flags",  # x86
    "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "CPU revision",  # arm
    "Features",
)  # fmt: skip


def cpu_identity() -> dict[str, str]:
    """The first processor's identity and flags from /proc/cpuinfo (empty elsewhere)."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if not line.strip():
                if fields:
                    break
                continue
            key, _, value = line.partition(":")
            key = key.strip()
            if key in _CPU_FIELDS and key not in fields:
                fields[key] = (
                    " ".join(sorted(value.split()))
                    if key in ("flags", "Features")
                    else value.strip()
                )
    return fields


def machine_key(lib_dir: Path) -> str:
    """What a verdict depends on: the CPU, the kernel and the exact llama.cpp libraries."""
    build = []
    for library in sorted(lib_dir.glob("lib*.so*")):
        with contextlib.suppress(OSError):
            stat = library.stat()
            build.append((library.name, stat.st_size, stat.st_mtime_ns))
    identity = {
        "cpu": cpu_identity(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "build": build,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


# -- the verdict store ------------------------------------------------------------------


@contextlib.contextmanager
def _locked_store(folder: Path) -> Iterator[dict[str, Any]]:
    """The verdict file's content, locked against other processes; saved when changed.

    A cache that cannot be written (a read-only home, a full disk) must not stop llama.cpp
    from loading: the decision is then made afresh on every launch.
    """
    path = folder / VERDICTS_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock_file = open(folder / "cpu-variants.lock", "a+")  # noqa: SIM115 - closed below
    except OSError:
        yield {"schema": _SCHEMA, "machines": {}}
        return
    with lock_file:
        try:
            import fcntl

            fcntl.flock(lock_file, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not a POSIX system
            pass
        try:
            store = json.loads(path.read_text())
            if not isinstance(store, dict) or store.get("schema") != _SCHEMA:
                raise ValueError("old or foreign schema")
        except (OSError, ValueError):
            store = {"schema": _SCHEMA, "machines": {}}
        before = json.dumps(store, sort_keys=True)
        yield store
        if json.dumps(store, sort_keys=True) != before:
            machines = store["machines"]
            while len(machines) > _MAX_MACHINES:  # oldest first: dicts keep insertion order
                machines.pop(next(iter(machines)))
            _save(store, folder, path)


def _save(store: dict[str, Any], folder: Path, path: Path) -> None:
    try:
        fd, temporary = tempfile.mkstemp(prefix=".cpu-variants-", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(store, handle, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError:  # a full disk: this launch's verdicts are simply not kept
        Path(temporary).unlink(missing_ok=True)


# -- probing in child processes -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    ok: bool
    reason: str
    seconds: float
    conclusive: bool = True  # False: the probe itself failed (not the variant)


def _child_entry(conn: Any, argv: list[str], log_path: str) -> None:
    """Runs in the spawned child: llama.cpp's output to a private log, the result up the pipe."""
    from backends.llama_cpp import cpu_probe

    cpu_probe.prepare_native_child(log_path)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            code = cpu_probe.main(argv)
        conn.send((code, output.getvalue()))
    except BaseException as error:  # a Python failure is the probe's, not the variant's
        conn.send((3, f"{type(error).__name__}: {error}"))


def _spawn(argv: list[str], timeout_s: float) -> tuple[int | None, str, str]:
    """(exit code, what the child reported, the tail of its log) of one probe child.

    ``multiprocessing`` rather than ``python -m``: it works the same in the PyInstaller
    bundle, whose executable is not a Python interpreter.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    fd, log_path = tempfile.mkstemp(prefix="localsight-cpu-probe-", suffix=".log")
    os.close(fd)
    try:
        process = context.Process(
            target=_child_entry, args=(sender, argv, log_path), name="localsight-cpu-probe"
        )
        process.start()
        sender.close()
        reported, report = None, ""
        if receiver.poll(timeout_s):
            with contextlib.suppress(EOFError, OSError):
                reported, report = receiver.recv()
        process.join(5.0)
        if process.exitcode is None:
            process.kill()
            process.join(5.0)
            # Hung before it reported: a timeout; reported and then lingered: its report.
            return reported if isinstance(reported, int) else None, report, ""
        tail = Path(log_path).read_text(errors="replace")[-2000:]
        code = process.exitcode
        if code == 0 and reported != 0:  # it said it failed (or said nothing) yet exited
            code = reported if isinstance(reported, int) and reported > 0 else 3
        return code, report, tail
    finally:
        receiver.close()
        Path(log_path).unlink(missing_ok=True)


def _survey(lib_dir: Path) -> dict[str, int]:
    """ggml's own score for every variant, read in a child (loading runs only CPUID)."""
    code, report, _tail = _spawn(["scores", str(lib_dir)], 60.0)
    if code != 0:
        raise NoUsableVariant(
            message("The CPU variants of llama.cpp could not be read ({how}).", how=_how(code))
        )
    scores = json.loads(report)
    return {str(name): int(score) for name, score in scores.items()}


def _probe(lib_dir: Path, library: Path, model: Path) -> _Outcome:
    started = time.perf_counter()
    code, report, tail = _spawn(["run", str(lib_dir), str(library), str(model)], PROBE_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if code == 0:
        return _Outcome(True, f"passed the probe in {seconds:.1f} s", seconds)
    if code is None:
        return _Outcome(False, f"the probe did not finish in {PROBE_TIMEOUT_S:.0f} s", seconds)
    if code < 0:
        return _Outcome(False, f"stopped by {_how(code)} during the probe", seconds)
    detail = report.strip().splitlines()[-1] if report.strip() else _last_line(tail)
    return _Outcome(False, f"the probe failed: {detail}", seconds, conclusive=False)


def _how(code: int | None) -> str:
    import signal

    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


# -- the decision ---------------------------------------------------------------------------


def _decide(new_rejections: dict[str, str]) -> CpuChoice:
    lib_dir = llama_lib_dir()
    libraries = {variant_name(path): path for path in variant_libraries(lib_dir)} if lib_dir else {}
    if lib_dir is None or not libraries:
        return CpuChoice(
            dispatched=False,
            lib_dir=str(lib_dir) if lib_dir else None,
            why="this llama.cpp build has its CPU code built in (not a dispatched build)",
        )
    key = machine_key(lib_dir)
    forced = os.environ.get(FORCE_ENV, "").strip()
    if forced:
        if forced not in libraries:
            raise NoUsableVariant(
                message(
                    "{setting} names no CPU variant of this build (there are: {variants}).",
                    setting=f"{FORCE_ENV}={forced}",
                    variants=", ".join(sorted(libraries)),
                )
            )
        return CpuChoice(
            dispatched=True,
            lib_dir=str(lib_dir),
            variant=forced,
            library=str(libraries[forced]),
            why=f"forced by {FORCE_ENV} (not probed)",
            variants=tuple(sorted(libraries)),
            machine_key=key,
        )
    folder = cache_dir()
    probed: list[str] = []
    spent = 0.0
    with _locked_store(folder) as store:
        record = store["machines"].setdefault(key, {})
        scores: dict[str, int] = record.get("scores") or _survey(lib_dir)
        record["scores"] = scores
        verdicts: dict[str, dict[str, Any]] = record.setdefault("verdicts", {})
        for name, reason in new_rejections.items():
            verdicts[name] = {"ok": False, "reason": reason, "when": _now()}
        claimed = sorted(
            ((name, score) for name, score in scores.items() if score > 0 and name in libraries),
            key=lambda item: -item[1],
        )
        chosen: str | None = None
        why = ""
        for name, _ in claimed:
            verdict = verdicts.get(name)
            if verdict is not None and not verdict.get("ok"):
                continue
            if verdict is not None:
                chosen, why = name, f"{verdict.get('reason', 'passed the probe')} (cached)"
                break
            outcome = _probe(lib_dir, libraries[name], _probe_model(folder))
            probed.append(name)
            spent += outcome.seconds
            if not outcome.conclusive:  # the probe broke, not the variant: use it unproven
                chosen, why = name, f"not verified ({outcome.reason})"
                break
            verdicts[name] = {"ok": outcome.ok, "reason": outcome.reason, "when": _now()}
            if outcome.ok:
                chosen, why = name, outcome.reason
                break
        if probed:
            record["first_probe_s"] = round(record.get("first_probe_s", 0.0) + spent, 3)
        rejected = tuple(
            Rejection(name, str(verdicts[name].get("reason", "")))
            for name, _ in claimed
            if name in verdicts and not verdicts[name].get("ok")
        )
        first_probe_s = float(record.get("first_probe_s", 0.0))
    if chosen is None:
        reasons = "; ".join(f"{r.variant}: {r.reason}" for r in rejected) or message(
            "none is supported"
        )
        # The reasons are the probes' records (``localsight doctor`` shows them too): English.
        raise NoUsableVariant(
            message(
                "No CPU variant of llama.cpp runs on this computer ({reasons}).", reasons=reasons
            )
        )
    best = claimed[0][0]
    if chosen == best:
        why = f"the best variant this CPU supports; {why}"
    else:
        names = ", ".join(r.variant for r in rejected)
        why = f"the best variant that runs here ({names} rejected); {why}"
    return CpuChoice(
        dispatched=True,
        lib_dir=str(lib_dir),
        variant=chosen,
        library=str(libraries[chosen]),
        why=why,
        rejected=rejected,
        claimed=tuple(claimed),
        variants=tuple(sorted(libraries)),
        probed_now=tuple(probed),
        probe_s=round(spent, 3),
        first_probe_s=first_probe_s,
        machine_key=key,
    )


def _probe_model(folder: Path) -> Path:
    """The probe model, in the cache folder or, where that cannot be written, a temporary one."""
    from backends.llama_cpp.probe_model import probe_model_path

    try:
        return probe_model_path(folder)
    except OSError:
        return probe_model_path(Path(tempfile.gettempdir()) / f"localsight-cpu-{os.getuid()}")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def current() -> CpuChoice:
    """This process's choice: decided (and probed, the first time on a machine) once."""
    with _state.lock:
        if _state.current is None:
            _state.current = _decide({})
        return _state.current


def adopt(library: str | None) -> None:
    """Use the variant the parent process chose (engine processes never probe)."""
    with _state.lock:
        if library is None:
            _state.current = CpuChoice(dispatched=False, why="decided by the app: not dispatched")
            return
        path = Path(library)
        _state.current = CpuChoice(
            dispatched=True,
            lib_dir=str(path.parent),
            variant=variant_name(path),
            library=library,
            why="chosen by the app",
        )


def reject(variant: str, reason: str) -> CpuChoice:
    """Record that ``variant`` failed here and choose again (probing the next if needed)."""
    with _state.lock:
        _state.current = _decide({variant: reason})
        return _state.current


def forget() -> None:
    """Decide afresh on the next ``current()`` (tests; after a reinstall in place)."""
    with _state.lock:
        _state.current = None


def summary(choice: CpuChoice) -> dict[str, Any]:
    """The choice as plain data, for ``localsight doctor --json`` and bug reports."""
    data = dataclasses.asdict(choice)
    data["rejected"] = [dataclasses.asdict(r) for r in choice.rejected]
    data["claimed"] = [list(pair) for pair in choice.claimed]
    return data
