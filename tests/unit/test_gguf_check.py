"""The pure-Python GGUF validator: every damaged file is refused with a reason, nothing else.

No native code runs here, on purpose: these are the files that must never reach llama.cpp.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from backends.base import InvalidModelFile, ModelNotFound
from backends.llama_cpp.gguf_check import inspect_gguf
from tests.helpers.tiny_models import write_tiny_mmproj, write_tiny_text_model


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_tiny_text_model(tmp_path_factory.mktemp("valid") / "m.gguf").read_bytes()


def _write(tmp_path: Path, data: bytes, name: str = "m.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_reads_a_valid_model(tmp_path: Path, valid: bytes) -> None:
    summary = inspect_gguf(_write(tmp_path, valid))
    assert summary.architecture == "llama"
    assert summary.embedding_length == 64
    assert summary.chat_template
    assert "token_embd.weight" in summary.tensor_names
    assert summary.array_lengths["tokenizer.ggml.tokens"] > 256
    assert not summary.is_projector


def test_reads_a_projector(tmp_path: Path) -> None:
    summary = inspect_gguf(write_tiny_mmproj(tmp_path / "p.gguf"))
    assert summary.is_projector and summary.has_vision_encoder
    assert summary.projection_dim == 64


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: b"GGML" + d[4:], "magic"),
        (lambda d: d[:4] + struct.pack("<I", 99) + d[8:], "version 99"),
        (lambda d: d[:8] + struct.pack("<Q", 2**40) + d[16:], "tensors"),
        (lambda d: d[:16] + struct.pack("<Q", 2**40) + d[24:], "metadata"),
        (lambda d: d[: len(d) // 2], "truncated"),
        (lambda d: d[:100], "ends early"),
        (lambda d: b"", "too small"),
        (lambda d: b"hello world, I am a text file pretending" * 4, "magic"),
    ],
)
def test_damaged_files_are_refused(tmp_path: Path, valid: bytes, mutate, reason: str) -> None:
    with pytest.raises(InvalidModelFile, match=reason):
        inspect_gguf(_write(tmp_path, mutate(valid)))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        inspect_gguf(tmp_path / "nope.gguf")


def test_missing_tensors_are_refused(tmp_path: Path) -> None:
    import gguf

    path = tmp_path / "empty.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    import numpy as np

    writer.add_tensor("blk.0.attn_norm.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(InvalidModelFile, match="token embedding"):
        inspect_gguf(path)


def test_random_byte_flips_never_escape_as_other_errors(tmp_path: Path, valid: bytes) -> None:
    """Fuzz the header and metadata region: only InvalidModelFile, or a clean summary."""
    rng = random.Random(1234)
    # The header, metadata and tensor table live in the first part of the file.
    header_end = min(len(valid), 24_000)
    refused = 0
    for trial in range(300):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(header_end)] = rng.randrange(256)
        path = _write(tmp_path, bytes(data), f"f{trial}.gguf")
        try:
            inspect_gguf(path)
        except InvalidModelFile as error:
            refused += 1
            assert "not a usable model file" in str(error) or "could not be read" in str(error)
    assert refused > 0
