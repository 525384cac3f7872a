"""Checks a cross-compiled llama-cpp-python wheel before it is cached for the arm64 check.

A wheel that pip would refuse on aarch64 (wrong platform tag), that holds x86-64 code, or that
lacks the per-CPU variant libraries would turn a cross-compile mistake into a confusing failure
far later, inside the emulated install; this says what is wrong at once.
"""

from __future__ import annotations

import struct
import sys
import zipfile
from pathlib import Path

EM_AARCH64 = 183


def elf_machine(data: bytes) -> int | None:
    """The e_machine field of an ELF image, or None when the bytes are no ELF."""
    if data[:4] != b"\x7fELF" or len(data) < 20:
        return None
    endian = "<" if data[5] == 1 else ">"
    machine: int = struct.unpack_from(endian + "H", data, 18)[0]
    return machine


def problems(path: Path) -> list[str]:
    """Everything that keeps the wheel from being the portable aarch64 build."""
    found: list[str] = []
    if not path.name.endswith("_aarch64.whl"):
        found.append(f"{path.name}: the platform tag is not aarch64")
    with zipfile.ZipFile(path) as wheel:
        libraries = [n for n in wheel.namelist() if n.endswith(".so") or ".so." in n]
        variants = [n for n in libraries if "llama_cpp/lib/libggml-cpu-" in n]
        if not variants:
            found.append("no CPU variant libraries (llama_cpp/lib/libggml-cpu-*.so)")
        if not any(n.endswith("libllama.so") for n in libraries):
            found.append("no libllama.so")
        for name in libraries:
            machine = elf_machine(wheel.read(name)[:64])
            if machine is not None and machine != EM_AARCH64:
                found.append(f"{name} is built for ELF machine {machine}, not aarch64")
        print(f"    {path.name}: {len(libraries)} libraries, CPU variants:", file=sys.stderr)
        for name in sorted(variants):
            print(f"      {name.rsplit('/', 1)[-1]}", file=sys.stderr)
    return found


def main() -> None:
    """Exits non-zero with the reasons when the wheel is not right."""
    found = problems(Path(sys.argv[1]))
    for line in found:
        print(f"check_wheel: {line}", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
