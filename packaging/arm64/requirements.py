"""Prints what pip must find for the arm64 install, one requirement a line.

The app's own requirements with its ``test`` extra, read from its built wheel, less
llama-cpp-python (PyPI has only its source; the check cross-compiles it), plus
llama-cpp-python's own requirements read from its source archive's pyproject.toml. pip
download then fetches the aarch64 wheels of all of them and of what they need.

    python packaging/arm64/requirements.py localsight-X-py3-none-any.whl llama_cpp_python-V.tar.gz
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser

import tomllib

SKIP = "llama-cpp-python"


def app_requirements(wheel: str) -> list[str]:
    """Requires-Dist of the app's wheel, the ``test`` extra's markers dropped."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    found = []
    for requirement in metadata.get_all("Requires-Dist") or []:
        spec, _, marker = requirement.partition(";")
        if marker and "extra" in marker and "test" not in marker:
            continue
        if spec.strip().lower().replace("_", "-").startswith(SKIP):
            continue
        found.append(spec.strip())
    return found


def llama_requirements(sdist: str) -> list[str]:
    """The ``dependencies`` of llama-cpp-python's pyproject.toml, inside its sdist."""
    with tarfile.open(sdist) as archive:
        member = next(
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")
        )
        data = archive.extractfile(member)
        assert data is not None
        project = tomllib.loads(data.read().decode())["project"]
    return [str(r) for r in project.get("dependencies", [])]


def main() -> None:
    """Prints the union, in order, without repeats."""
    seen: dict[str, None] = {}
    for requirement in app_requirements(sys.argv[1]) + llama_requirements(sys.argv[2]):
        seen.setdefault(requirement, None)
    print("\n".join(seen))


if __name__ == "__main__":
    main()
