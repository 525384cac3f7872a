"""Leaves out the llama.cpp arm64 CPU variants that the given C compiler cannot build.

llama.cpp's portable arm64 build (GGML_CPU_ALL_VARIANTS) compiles one library per ARM
architecture level, up to ``-march=armv9.2-a+dotprod+fp16+sve+i8mm+sme``. Debian 12
Bookworm's GCC 12 (the native compiler of Raspberry Pi OS Bookworm, and Debian's aarch64
cross compiler) refuses ``armv9.2-a``, so the whole build stops with "unknown value for
-march" on a Pi. No Raspberry Pi has the SVE or SME those variants are for, so the other
variants are built: each ``ggml_add_cpu_backend_variant(armvX.Y_N FEATURES...)`` line whose
``-march`` (worked out from its features exactly as ggml-cpu/CMakeLists.txt does) the
compiler refuses is commented out of the unpacked llama-cpp-python source.

Used by packaging/llama_wheel.sh on an aarch64 machine and by packaging/arm64-check.sh for
its cross-compile:

    python packaging/arm_variants.py LLAMA_CPP_PYTHON_SOURCE COMPILER
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

VARIANT = re.compile(r"^(\s*)ggml_add_cpu_backend_variant\((armv[0-9.]+_\d+)((?:\s+\w+)*)\s*\)")

# ggml-cpu/CMakeLists.txt, GGML_CPU_ALL_VARIANTS on ARM: each feature, in the order CMake
# checks them, raises the base architecture to the first that has it and adds its tag.
FEATURE_MARCH: dict[str, tuple[str | None, str]] = {
    "DOTPROD": ("armv8.2-a", "+dotprod"),
    "FP16_VECTOR_ARITHMETIC": ("armv8.2-a", "+fp16"),
    "SVE": ("armv8.2-a", "+sve"),
    "MATMUL_INT8": ("armv8.6-a", "+i8mm"),
    "SVE2": ("armv8.6-a", "+sve2"),
    "NOSVE": (None, "+nosve"),
    "SME": ("armv9.2-a", "+sme"),
}


def variant_march(features: list[str]) -> str:
    """The ``-march`` value llama.cpp compiles a variant with these features for."""
    base, tags = "armv8-a", ""
    for feature, (raises_to, tag) in FEATURE_MARCH.items():
        if feature in features:
            base = raises_to or base
            tags += tag
    return base + tags


def compiler_accepts(compiler: str, march: str) -> bool:
    """Whether ``compiler`` compiles an empty C file with ``-march=march``."""
    result = subprocess.run(  # CC may carry arguments ("ccache gcc")
        [*shlex.split(compiler), f"-march={march}", "-x", "c", "-c", "-", "-o", "/dev/null"],
        input=b"",
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def cmake_file(source: Path) -> Path:
    """The ggml CMakeLists.txt that lists the variants, in a llama-cpp-python source tree."""
    return source / "vendor" / "llama.cpp" / "ggml" / "src" / "CMakeLists.txt"


def drop_unsupported(source: Path, compiler: str) -> tuple[list[str], list[str]]:
    """Comments out the variants ``compiler`` cannot build: (kept, dropped) as name=march."""
    cmake = cmake_file(source)
    lines = cmake.read_text().splitlines(keepends=True)
    verdicts: dict[str, bool] = {}
    kept: list[str] = []
    dropped: list[str] = []
    for index, line in enumerate(lines):
        match = VARIANT.match(line)
        if match is None:
            continue
        name, features = match.group(2), match.group(3).split()
        march = variant_march(features)
        if march not in verdicts:
            verdicts[march] = compiler_accepts(compiler, march)
        if verdicts[march]:
            kept.append(f"{name}={march}")
        else:
            lines[index] = f"{match.group(1)}# {line.lstrip()}"
            dropped.append(f"{name}={march}")
    if not kept and not dropped:
        # Not the list this script knows (a future llama.cpp may write it otherwise): leave
        # the source as it is rather than stop an install that may well work.
        print(f"warning: no arm64 variant list found in {cmake}; left unchanged", file=sys.stderr)
        return kept, dropped
    if not kept:
        raise SystemExit(f"{compiler} accepts none of llama.cpp's arm64 variants")
    cmake.write_text("".join(lines))
    return kept, dropped


def main() -> None:
    """Prints ``kept:`` and ``dropped:`` lines, one per variant."""
    kept, dropped = drop_unsupported(Path(sys.argv[1]), sys.argv[2])
    for entry in kept:
        print(f"kept: {entry}")
    for entry in dropped:
        print(f"dropped (the compiler refuses its -march): {entry}")


if __name__ == "__main__":
    main()
