"""On a Raspberry Pi, llama.cpp is compiled with the arm64 CPU variants its compiler can build.

Raspberry Pi OS Bookworm's GCC 12 refuses ``-march=armv9.2-a``, so the README's install
stopped there on a Pi: llama.cpp's portable build lists two armv9.2 (SME) variants. Now
``packaging/llama_wheel.sh`` prepares the source on aarch64 with ``packaging/arm_variants.py``,
which leaves out each variant whose ``-march`` the compiler refuses. These tests run that on
the real llama.cpp source the app binds, with stand-in compilers that answer as GCC 12 (and
others) do; ``packaging/arm64-check.sh`` runs it with the real GCC 12 inside an arm64 Bookworm.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.helpers.llama_tools import sdist_archive

_spec = importlib.util.spec_from_file_location("arm_variants", REPO / "packaging/arm_variants.py")
assert _spec is not None and _spec.loader is not None
arm_variants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arm_variants)

GGML_CMAKE = Path("vendor") / "llama.cpp" / "ggml" / "src" / "CMakeLists.txt"


def fake_compiler(folder: Path, refuses: str) -> Path:
    """A C compiler that refuses every -march matching the shell pattern ``refuses``."""
    path = folder / "fake-gcc"
    path.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do case "$arg" in\n'
        f'  -march={refuses}) echo "cc1: error: unknown value for $arg" >&2; exit 1;;\n'
        "esac; done\ncat >/dev/null\nexit 0\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def real_cmake(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The ggml CMakeLists.txt of the llama.cpp the installed llama-cpp-python binds."""
    with tarfile.open(sdist_archive()) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/" + GGML_CMAKE.as_posix()))
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read().decode()


def source_tree(tmp_path: Path, cmake: str) -> Path:
    """A llama-cpp-python source folder holding only the ggml CMakeLists.txt."""
    target = tmp_path / "src" / GGML_CMAKE
    target.parent.mkdir(parents=True)
    target.write_text(cmake)
    return tmp_path / "src"


def arm_variant_lines(cmake: str) -> list[str]:
    return [line for line in cmake.splitlines() if "ggml_add_cpu_backend_variant(armv" in line]


def test_each_variants_march_is_the_one_ggml_compiles_it_with() -> None:
    # ggml-cpu/CMakeLists.txt: each feature raises the base to its first architecture.
    assert arm_variants.variant_march([]) == "armv8-a"
    assert arm_variants.variant_march(["DOTPROD"]) == "armv8.2-a+dotprod"
    assert arm_variants.variant_march(["DOTPROD", "FP16_VECTOR_ARITHMETIC"]) == (
        "armv8.2-a+dotprod+fp16"
    )
    assert arm_variants.variant_march(
        ["DOTPROD", "FP16_VECTOR_ARITHMETIC", "SVE", "MATMUL_INT8", "SVE2"]
    ) == ("armv8.6-a+dotprod+fp16+sve+i8mm+sve2")
    assert arm_variants.variant_march(
        ["DOTPROD", "FP16_VECTOR_ARITHMETIC", "SVE", "MATMUL_INT8", "SME"]
    ) == ("armv9.2-a+dotprod+fp16+sve+i8mm+sme")


def test_gcc_12_leaves_out_only_the_armv9_2_variants(real_cmake: str, tmp_path: Path) -> None:
    source = source_tree(tmp_path, real_cmake)
    compiler = fake_compiler(tmp_path, "armv9.2-a*")

    kept, dropped = arm_variants.drop_unsupported(source, str(compiler))

    assert [entry.split("=")[0] for entry in dropped] == ["armv9.2_1", "armv9.2_2"]
    kept_names = [entry.split("=")[0] for entry in kept]
    assert "armv8.0_1" in kept_names and "armv8.2_2" in kept_names  # a Pi 4's, a Pi 5's
    after = (source / GGML_CMAKE).read_text()
    before_lines, after_lines = real_cmake.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    changed = [(b, a) for b, a in zip(before_lines, after_lines, strict=True) if b != a]
    assert len(changed) == 2
    for before, line in changed:
        assert "armv9.2_" in before and line.strip() == "# " + before.strip()
    for line in arm_variant_lines(after):
        assert ("armv9.2_" in line) == line.strip().startswith("#")


def test_a_compiler_that_builds_every_variant_changes_nothing(
    real_cmake: str, tmp_path: Path
) -> None:
    source = source_tree(tmp_path, real_cmake)
    kept, dropped = arm_variants.drop_unsupported(source, str(fake_compiler(tmp_path, "none")))
    assert dropped == [] and len(kept) == len(arm_variant_lines(real_cmake))
    assert (source / GGML_CMAKE).read_text() == real_cmake


def test_a_compiler_for_another_architecture_is_a_clear_error(
    real_cmake: str, tmp_path: Path
) -> None:
    source = source_tree(tmp_path, real_cmake)
    with pytest.raises(SystemExit, match=r"accepts none of llama\.cpp's arm64 variants"):
        arm_variants.drop_unsupported(source, str(fake_compiler(tmp_path, "*")))
    assert (source / GGML_CMAKE).read_text() == real_cmake  # nothing half-written


def test_install_on_aarch64_compiles_the_prepared_source(tmp_path: Path) -> None:
    """llama_wheel.sh on an aarch64 machine: the sdist (already cached, so offline) is
    unpacked, GCC 12's refused variants left out, and pip compiles *that* folder; the
    wheel lands in the aarch64 cache folder. uname and pip are stand-ins; the shell logic,
    the sdist and arm_variants.py are real."""
    cache = tmp_path / "cache"
    version = "0.3.36"
    sdists = cache / "sdist" / f"llama-cpp-python-{version}"
    sdists.mkdir(parents=True)
    shutil.copy(sdist_archive(), sdists)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uname").write_text("#!/bin/sh\necho aarch64\n")
    # The Python llama_wheel is given: pip wheel records its arguments and writes a wheel
    # with one variant library; everything else is the real interpreter.
    record = tmp_path / "pip-wheel-args"
    fake_pip_wheel = tmp_path / "fake_pip_wheel.py"
    fake_pip_wheel.write_text(
        "import pathlib, sys, zipfile\n"
        f"pathlib.Path({str(record)!r}).write_text('\\n'.join(sys.argv[1:]))\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('-w') + 1])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        f"name = 'llama_cpp_python-{version}-py3-none-linux_aarch64.whl'\n"
        "with zipfile.ZipFile(out / name, 'w') as wheel:\n"
        "    wheel.writestr('llama_cpp/lib/libggml-cpu-armv8.0_1.so', b'')\n"
    )
    (bin_dir / "python").write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2 $3" = "-m pip wheel" ]; then\n'
        f'  exec "{sys.executable}" "{fake_pip_wheel}" "$@"\n'
        'elif [ "$1 $2 $3" = "-m pip download" ]; then\n'
        '  echo "no network in this test" >&2; exit 1\n'
        "fi\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    for name in ("uname", "python"):
        (bin_dir / name).chmod(0o755)
    compiler = fake_compiler(tmp_path, "armv9.2-a*")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CC": str(compiler),
        "LOCALSIGHT_LLAMA_VERSION": version,
    }
    result = subprocess.run(
        [
            "bash",
            "-c",
            'source packaging/llama_wheel.sh && llama_wheel "$0" "$1"',
            str(bin_dir / "python"),
            str(cache),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    wheel = Path(result.stdout.strip())
    assert wheel.is_file()
    assert wheel.parts[-4:-2] == ("llama-cpp-python", "aarch64")
    assert "dropped (the compiler refuses its -march): armv9.2_1" in result.stderr
    arguments = record.read_text().splitlines()
    target = next(arg for arg in arguments if arg.endswith("llama-src"))
    assert not any(arg.startswith("llama-cpp-python==") for arg in arguments)
    assert Path(target) == cache / "llama-src"
    assert not (cache / "llama-src").exists()  # cleaned once the wheel is cached
    with zipfile.ZipFile(wheel) as built:
        assert "llama_cpp/lib/libggml-cpu-armv8.0_1.so" in built.namelist()


def test_a_variant_list_it_does_not_know_is_left_alone(tmp_path: Path) -> None:
    """A llama.cpp that writes its list otherwise must not stop a Pi's install here."""
    cmake = "ggml_add_cpu_backend_variant(\n    armv8.0_1)\n"
    source = source_tree(tmp_path, cmake)
    kept, dropped = arm_variants.drop_unsupported(source, str(fake_compiler(tmp_path, "*")))
    assert (kept, dropped) == ([], [])
    assert (source / GGML_CMAKE).read_text() == cmake


def test_a_compiler_with_arguments_works(real_cmake: str, tmp_path: Path) -> None:
    """CC may be "ccache gcc" or "gcc -O2": the command is split as the shell would."""
    source = source_tree(tmp_path, real_cmake)
    compiler = f"{fake_compiler(tmp_path, 'armv9.2-a*')} -O2"
    _kept, dropped = arm_variants.drop_unsupported(source, compiler)
    assert [entry.split("=")[0] for entry in dropped] == ["armv9.2_1", "armv9.2_2"]
