"""Build llama.cpp's own command-line tools (llama-server, llama-bench, ...) once, and cache them.

Why this exists: tests of the OpenAI-compatible backend need a *real* llama-server, and
benchmarks want raw llama.cpp as a reference. Neither ships as a binary on PyPI, but the
llama-cpp-python sdist that the project already installs carries the exact llama.cpp source
it binds (``vendor/llama.cpp``). Building the tools from that tree means the server and the
in-process backend run the same llama.cpp, with no download beyond PyPI.

Layout, outside the repository (``LOCALSIGHT_LLAMA_TOOLS_CACHE`` overrides the root)::

    ~/.cache/localsight/llama-tools/<llama-cpp-python version>-<machine>-<flavour>/
        sdist/        the downloaded sdist (pip download, hash-checked by pip)
        src/          its vendor/llama.cpp, extracted once
        build/        one cmake build tree shared by every tool
        bin/<name>    finished binaries
        build.log     output of the last configure/build, for failures
        .lock         a file lock: two pytest processes never build at once

``ensure_tool(name)`` returns ``bin/<name>``, building only the target asked for
(``cmake --build build --target <name> -j <nproc>``); later tools reuse the configured tree
and every object already compiled. Two flavours:

* ``dispatch`` (the default; tests and the benchmark's "ours" side): no ``-march=native``
  anywhere and no CPU code compiled at all. The tools are built with ``GGML_BACKEND_DL`` and
  ``GGML_CPU=OFF`` and load, at run time, the very CPU variant library the app itself proved
  on this machine (``backends/llama_cpp/cpu_variants.py``), named in ``GGML_BACKEND_PATH``
  by ``tool_env()``. So they run on every CPU the app runs on, with the app's own kernels,
  and never meet an instruction the machine traps (a native build on a machine that
  advertises AMX it cannot run failed 27 tests).
* ``native`` (only ``python -m benchmarks``): ``-march=native`` without AMX, static, to
  measure what the portable build costs against the best this machine could have.

Run ``python -m tests.helpers.llama_tools llama-server [llama-bench ...]`` to build by hand.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ToolBuildError", "cache_dir", "ensure_tool", "llama_cpp_version", "sdist_archive"]

DIST_NAME = "llama-cpp-python"

# The flags the project standardised on: no network at configure time (the prebuilt web UI
# would be fetched from Hugging Face), no curl/OpenSSL (the tools only ever serve loopback
# here), nothing built that no one asked for.
COMMON_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
)
_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
FLAVOUR_FLAGS = {
    # Shared libraries (backend modules need them); the CPU code comes from the app's wheel.
    "dispatch": (
        "-DBUILD_SHARED_LIBS=ON",
        "-DGGML_NATIVE=OFF",
        "-DGGML_BACKEND_DL=ON",
        "-DGGML_CPU=OFF",
    ),
    # Static, self-contained, tuned for this very CPU (benchmark reference only).
    "native": (
        "-DBUILD_SHARED_LIBS=OFF",
        "-DGGML_NATIVE=ON",
        "-DGGML_AMX_TILE=OFF",
        "-DGGML_AMX_INT8=OFF",
        "-DGGML_AMX_BF16=OFF",
        f"-DCMAKE_C_FLAGS={_NO_AMX}",
        f"-DCMAKE_CXX_FLAGS={_NO_AMX}",
    ),
}
CMAKE_FLAGS = COMMON_FLAGS + FLAVOUR_FLAGS["dispatch"]


class ToolBuildError(RuntimeError):
    """The tool could not be built; the message names the step and the log to read."""


def llama_cpp_version() -> str:
    """The installed llama-cpp-python version: the tools are built from its exact sdist."""
    return importlib.metadata.version(DIST_NAME)


def cache_dir(version: str | None = None, flavour: str = "dispatch") -> Path:
    """The per-version, per-flavour cache folder (not created)."""
    root_env = os.environ.get("LOCALSIGHT_LLAMA_TOOLS_CACHE")
    if root_env:
        root = Path(root_env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg else Path.home() / ".cache"
        root = base / "localsight" / "llama-tools"
    return root / f"{version or llama_cpp_version()}-{platform.machine().lower()}-{flavour}"


def tool_env(flavour: str = "dispatch") -> dict[str, str]:
    """The environment to run a tool of ``flavour`` in: for ``dispatch``, the app's CPU variant.

    Raises ``ToolBuildError`` if the installed llama-cpp-python is not a dispatched build
    (then there is no variant library to load; ``packaging/install.sh`` makes one).
    """
    env = {**os.environ, "GGML_NO_BACKTRACE": "1"}
    if flavour != "dispatch":
        return env
    from backends.llama_cpp import cpu_variants

    choice = cpu_variants.current()
    if not choice.dispatched or not choice.library:
        raise ToolBuildError(
            "the installed llama-cpp-python has no CPU variant libraries for the tools to "
            "load; install it with packaging/install.sh"
        )
    env["GGML_BACKEND_PATH"] = choice.library
    return env


def ensure_tool(name: str, *, jobs: int | None = None, flavour: str = "dispatch") -> Path:
    """Return the path of the llama.cpp tool ``name``, building it first if needed.

    Run it with ``tool_env(flavour)``.
    Safe to call from several processes at once: the first builds, the others wait on the
    lock and then find the binary. Raises ``ToolBuildError`` with the log's tail on failure.
    """
    folder = cache_dir(flavour=flavour)
    binary = folder / "bin" / _exe(name)
    if _usable(binary):
        return binary
    folder.mkdir(parents=True, exist_ok=True)
    with _file_lock(folder / ".lock"):
        if _usable(binary):  # another process built it while we waited
            return binary
        started = time.monotonic()
        source = _ensure_source(folder)
        build = folder / "build"
        log = folder / "build.log"
        if not (build / "CMakeCache.txt").is_file():
            flags = (*COMMON_FLAGS, *FLAVOUR_FLAGS[flavour])
            _run(["cmake", "-S", str(source), "-B", str(build), *flags], log, "configure")
        n_jobs = jobs or os.cpu_count() or 1
        _run(
            ["cmake", "--build", str(build), "--target", name, "-j", str(n_jobs)],
            log,
            f"build {name}",
        )
        built = _find_built(build, name)
        binary.parent.mkdir(parents=True, exist_ok=True)
        staging = binary.with_name(binary.name + ".partial")
        shutil.copy2(built, staging)
        os.replace(staging, binary)  # atomic: a reader never sees half a binary
        elapsed = time.monotonic() - started
        (folder / f"{name}.build-seconds").write_text(f"{elapsed:.0f}\n", encoding="utf-8")
        print(f"[llama_tools] built {name} in {elapsed:.0f} s -> {binary}", file=sys.stderr)
        return binary


def _exe(name: str) -> str:
    return name + ".exe" if os.name == "nt" else name


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _ensure_source(folder: Path) -> Path:
    """Download the sdist (once) and extract its vendored llama.cpp (once)."""
    source = folder / "src"
    if (source / "CMakeLists.txt").is_file():
        return source
    version = folder.name.rsplit("-", 2)[0]
    sdist_dir = folder / "sdist"
    sdist_dir.mkdir(parents=True, exist_ok=True)
    archives = sorted(sdist_dir.glob("*.tar.gz"))
    if not archives:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"{DIST_NAME}=={version}",
            "-d",
            str(sdist_dir),
        ]
        _run(command, folder / "build.log", "download the sdist")
        archives = sorted(sdist_dir.glob("*.tar.gz"))
    if not archives:
        raise ToolBuildError(f"pip download left no sdist in {sdist_dir}")
    staging = Path(tempfile.mkdtemp(prefix="src-", dir=folder))
    try:
        with tarfile.open(archives[0]) as tar:
            members = [m for m in tar.getmembers() if "/vendor/llama.cpp/" in m.name + "/"]
            if hasattr(tarfile, "data_filter"):  # 3.10.12+, 3.11.4+: refuse unsafe members
                tar.extractall(staging, members=members, filter="data")
            else:  # pragma: no cover - older Pythons; the sdist comes from PyPI via pip
                tar.extractall(staging, members=members)
        found = [p for p in staging.glob("*/vendor/llama.cpp") if p.is_dir()]
        if not found:
            raise ToolBuildError(f"{archives[0].name} has no vendor/llama.cpp")
        shutil.rmtree(source, ignore_errors=True)
        os.replace(found[0], source)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return source


def sdist_archive() -> Path:
    """The installed llama-cpp-python's sdist (downloaded once into the tools cache)."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _file_lock(folder / ".lock"):
        _ensure_source(folder)
    return sorted((folder / "sdist").glob("*.tar.gz"))[0]


def _find_built(build: Path, name: str) -> Path:
    for candidate in (build / "bin" / _exe(name), build / "bin" / "Release" / _exe(name)):
        if _usable(candidate):
            return candidate
    raise ToolBuildError(f"cmake built {name} but it is not in {build / 'bin'}")


def _run(command: list[str], log: Path, step: str) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        try:
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
        except FileNotFoundError as exc:
            raise ToolBuildError(
                f"cannot {step}: {exc.filename} is not installed "
                "(cmake and a C++ compiler are needed: apt-get install cmake build-essential)"
            ) from exc
    if result.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-30:])
        raise ToolBuildError(f"cannot {step} (exit {result.returncode}); see {log}:\n{tail}")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive, blocking, cross-process lock; released even if the build fails."""
    with path.open("a+b") as handle:
        if sys.platform == "win32":  # pragma: no cover - CI and development run on POSIX
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or ["llama-server"]
    for name in names:
        print(ensure_tool(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
