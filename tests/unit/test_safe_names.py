"""The rules every name taken from data obeys before it becomes part of a path (issue 16, item 5).

Allow-lists, checked exactly: a sha256 is 64 lowercase hex digits and nothing more (not even
a final newline, which ``re.match`` with ``$`` lets through), an Ollama digest is
``sha256:`` and one, and a plain file name joined to a folder always names an entry directly
in that folder.  The seeded fuzz suite checks that last promise on names built from the
characters attacks are made of.
"""

from __future__ import annotations

import os
import random
from pathlib import PurePosixPath, PureWindowsPath

import pytest

from backends.safe_names import (
    MAX_NAME_BYTES,
    UnsafeName,
    is_sha256,
    ollama_digest_hex,
    plain_file_name,
    plain_name_problem,
)
from tests.helpers.fuzz import SEED, fuzz_count

HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "value",
    [
        "../../../x",
        "/etc/passwd",
        HEX.upper(),
        HEX[:63],
        HEX + "0",
        HEX + "\n",
        "\n" + HEX,
        HEX[:60] + "../x"[:4],
        HEX[:63] + "g",
        "",
        None,
        64,
        HEX.encode(),
    ],
)
def test_only_64_lowercase_hex_digits_are_a_sha256(value: object) -> None:
    assert not is_sha256(value)


def test_a_real_sha256_is_one() -> None:
    assert is_sha256(HEX)


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:../../../etc/passwd",
        "/etc/passwd",
        "sha256:/" + HEX[:63],
        "sha256-" + HEX,  # the blob file's spelling, never a manifest's
        "sha256:" + HEX + "\n",
        "sha256:" + HEX.upper(),
        "sha512:" + HEX + HEX,
        " sha256:" + HEX,
        HEX,
        None,
        ["sha256:" + HEX],
    ],
)
def test_an_ollama_digest_is_exactly_sha256_colon_hex(digest: object) -> None:
    assert ollama_digest_hex(digest) is None


def test_an_ollama_digest_gives_its_hex() -> None:
    assert ollama_digest_hex("sha256:" + HEX) == HEX


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../x.gguf",
        "a/b.gguf",
        "a\\b.gguf",
        "..\\..\\x.gguf",
        "/abs.gguf",
        "C:x.gguf",
        "x.gguf:stream",
        "x\x00.gguf",
        "x\n.gguf",
        "x\x1b[2J.gguf",
        "x" * (MAX_NAME_BYTES + 1),
        "é" * (MAX_NAME_BYTES // 2 + 1),  # 2 bytes each in UTF-8
        "\ud800.gguf",
        None,
        b"x.gguf",
    ],
)
def test_names_that_could_leave_their_folder_are_refused(name: object) -> None:
    assert plain_name_problem(name) is not None
    with pytest.raises(UnsafeName, match="not a plain file name"):
        plain_file_name(name, "model file name")


@pytest.mark.parametrize(
    "name", ["model.gguf", "mmproj-model-f16.gguf", "..gguf", "x..y", "日本語.gguf", "a b"]
)
def test_ordinary_names_pass_unchanged(name: str) -> None:
    assert plain_file_name(name) == name


def test_the_refusal_quotes_the_name_so_it_cannot_forge_the_message() -> None:
    with pytest.raises(UnsafeName) as caught:
        plain_file_name("x\nlocalsight: everything is fine", "file name")
    assert "\n" not in str(caught.value)


_ALPHABET = ["a", "b", ".", "..", "/", "\\", ":", "\x00", "\n", "~", "C:", "é", " ", "%2e"]


@pytest.mark.fuzz
def test_fuzz_an_accepted_name_always_stays_in_its_folder() -> None:
    """Names built from the pieces attacks use: each accepted one is a single child of the
    folder on both POSIX and Windows path rules, and never ``.`` or ``..``."""
    rng = random.Random(SEED + 5)
    accepted = 0
    for _ in range(fuzz_count(3_000, 200_000)):
        name = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 8)))
        if plain_name_problem(name) is not None:
            continue
        accepted += 1
        for flavour in (PurePosixPath, PureWindowsPath):
            joined = flavour("base") / name
            assert joined.parent == flavour("base"), (flavour, name)
            assert joined.name == name, (flavour, name)
        assert os.path.normpath(os.path.join("base", name)).startswith("base" + os.sep)
        assert name not in {".", ".."}
    assert accepted > 0
