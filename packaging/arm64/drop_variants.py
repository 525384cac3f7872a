"""Leaves out the llama.cpp arm64 CPU variants that the given C compiler cannot build.

llama.cpp's portable arm64 build (GGML_CPU_ALL_VARIANTS) compiles one library per ARM
architecture level, up to ``-march=armv9.2-a+...+sme``. Debian 12 Bookworm's GCC 12 (its
aarch64 cross compiler, and the native compiler of Raspberry Pi OS Bookworm) refuses
``armv9.2-a``, so that build stops with "unknown value for -march". No Raspberry Pi has the
SVE or SME those variants are for, so the check builds the others: each
``ggml_add_cpu_backend_variant(armvX.Y_N ...)`` line whose ``-march=armvX.Y-a`` the compiler
refuses is commented out of the unpacked source, and the dropped ones are printed.

    python packaging/arm64/drop_variants.py LLAMA_CPP_PYTHON_SOURCE COMPILER
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

VARIANT = re.compile(r"^(\s*)ggml_add_cpu_backend_variant\((armv(\d+)\.(\d+))_\d+\b")


def compiler_accepts(compiler: str, march: str) -> bool:
    """Whether ``compiler`` compiles an empty C file with ``-march=march``."""
    result = subprocess.run(
        [compiler, f"-march={march}", "-x", "c", "-c", "-", "-o", "/dev/null"],
        input=b"",
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def drop_unsupported(source: Path, compiler: str) -> list[str]:
    """Comments out the variants ``compiler`` cannot build; returns their lines."""
    cmake = source / "vendor" / "llama.cpp" / "ggml" / "src" / "CMakeLists.txt"
    lines = cmake.read_text().splitlines(keepends=True)
    verdicts: dict[str, bool] = {}
    dropped: list[str] = []
    for index, line in enumerate(lines):
        match = VARIANT.match(line)
        if match is None:
            continue
        major, minor = match.group(3), match.group(4)
        march = f"armv{major}-a" if minor == "0" else f"armv{major}.{minor}-a"  # armv8-a
        if march not in verdicts:
            verdicts[march] = compiler_accepts(compiler, march)
        if not verdicts[march]:
            lines[index] = f"{match.group(1)}# {line.lstrip()}"
            dropped.append(line.strip())
    cmake.write_text("".join(lines))
    return dropped


def main() -> None:
    """Prints ``dropped: ...`` for each variant left out."""
    dropped = drop_unsupported(Path(sys.argv[1]), sys.argv[2])
    for line in dropped:
        print(f"dropped (the compiler refuses its -march): {line}")
    if not dropped:
        print("every arm64 variant is built")


if __name__ == "__main__":
    main()
