"""The pure-Python GGUF validator: every damaged file is refused with a reason, nothing else.

No native code runs here, on purpose: these are the files that must never reach llama.cpp.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from backends.base import InvalidModelFile, ModelNotFound
from backends.llama_cpp.gguf_check import inspect_gguf
from tests.helpers.gguf_mutations import GGUFDoc, read_doc, tensor_bytes, write_doc
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


# -- hyper-parameters llama.cpp asserts on (issue 16, item 1) -----------------------------------
# Each of these files aborted llama.cpp (SIGABRT, a few SIGSEGV) in the audit; the validator
# now says what is wrong before any native code runs.


def _edited(tmp_path: Path, source: Path, edit: Callable[[GGUFDoc], None]) -> Path:
    doc = read_doc(source)
    edit(doc)
    return write_doc(doc, tmp_path / f"edited-{source.name}")


def _set(key: str, value: object) -> Callable[[GGUFDoc], None]:
    def edit(doc: GGUFDoc) -> None:
        item = doc.find(key)
        assert item is not None, key
        item.value = value

    return edit


def _retype(key: str, value_type: int, value: object) -> Callable[[GGUFDoc], None]:
    def edit(doc: GGUFDoc) -> None:
        item = doc.find(key)
        assert item is not None, key
        item.value_type, item.value = value_type, value

    return edit


def _reshape(name: str, dims: list[int]) -> Callable[[GGUFDoc], None]:
    def edit(doc: GGUFDoc) -> None:
        tensor = next(t for t in doc.tensors if t.name == name)
        tensor.dims = dims
        needed = tensor_bytes(dims, tensor.type_id)
        tensor.data = (tensor.data * 2)[:needed]

    return edit


def _vector_as(type_id: int, name: str) -> Callable[[GGUFDoc], None]:
    def edit(doc: GGUFDoc) -> None:
        tensor = next(t for t in doc.tensors if t.name == name)
        tensor.type_id = type_id
        tensor.data = tensor.data[: tensor_bytes(tensor.dims, type_id)]

    return edit


def _duplicate_token(doc: GGUFDoc) -> None:
    tokens = doc.find("tokenizer.ggml.tokens")
    assert tokens is not None
    tokens.value[300] = tokens.value[299]


def _integer_weights(doc: GGUFDoc) -> None:
    tensor = next(t for t in doc.tensors if t.name == "blk.0.attn_q.weight")
    tensor.type_id = 26  # I32: same element size as F32, so the bytes still fit
    assert tensor_bytes(tensor.dims, tensor.type_id) == len(tensor.data)


def _drop_vision_layer(doc: GGUFDoc) -> None:
    doc.tensors = [t for t in doc.tensors if not t.name.startswith("v.blk.1.")]


@pytest.mark.parametrize(
    ("target", "edit", "reason"),
    [
        ("model", _set("llama.attention.layer_norm_rms_epsilon", -1.0), "rms epsilon is -1.0"),
        ("model", _set("llama.attention.layer_norm_rms_epsilon", float("nan")), "epsilon is nan"),
        ("model", _duplicate_token, "lists the token .* twice"),
        ("model", _set("tokenizer.ggml.model", b"bert"), "BERT tokenizer"),
        ("model", _set("tokenizer.ggml.model", b"sentencepiece"), "tokenizer 'sentencepiece'"),
        ("model", _integer_weights, "type I32, which no model"),
        ("model", _set("llama.attention.head_count", 3), "3 attention heads do not divide"),
        ("model", _set("llama.attention.head_count_kv", 3), "key/value heads"),
        ("model", _set("llama.embedding_length", 0), "embedding width is 0"),
        ("model", _set("llama.rope.dimension_count", 64), "rotary dimension 64"),
        ("mmproj", _set("clip.vision.attention.head_count", 3), "3 vision heads do not divide"),
        ("mmproj", _set("clip.vision.patch_size", 96), "patch size 96 exceeds its image"),
        ("mmproj", _set("clip.vision.image_size", 100_000), "image size is 100000"),
        ("mmproj", _set("clip.vision.attention.layer_norm_epsilon", float("inf")), "epsilon"),
        ("mmproj", _set("clip.vision.embedding_length", 0), "vision width is 0"),
        ("mmproj", _drop_vision_layer, "layer 1 has no weights"),
        ("mmproj", _set("clip.vision.patch_size", 8), "patch size 8 does not match its patch"),
        ("mmproj", _set("clip.vision.embedding_length", 32), "width 32 does not match its patch"),
        ("mmproj", _reshape("v.blk.0.ffn_up.weight", [128, 128]), "feed-forward matrices"),
        ("mmproj", _reshape("v.blk.1.ffn_down.weight", [128, 32]), "feed-forward matrices"),
        ("mmproj", _reshape("v.blk.0.attn_q.weight", [32, 64]), "does not take 64 inputs"),
        ("model", _vector_as(1, "output_norm.weight"), "'output_norm.weight' is stored as F16"),
        ("mmproj", _vector_as(2, "v.blk.0.attn_v.bias"), "stored as Q4_0, not F32"),
        ("mmproj", _retype("clip.vision.attention.head_count", 6, 4.0), "stored as type 6"),
        ("mmproj", _retype("clip.use_gelu", 4, 1), "use_gelu is stored as type 4, not BOOL"),
    ],
)
def test_hyperparameters_llama_cpp_asserts_on_are_refused(
    tmp_path: Path, target: str, edit: Callable[[GGUFDoc], None], reason: str
) -> None:
    source = write_tiny_text_model(tmp_path / "m.gguf")
    if target == "mmproj":
        source = write_tiny_mmproj(tmp_path / "p.gguf")
    inspect_gguf(source)  # the unedited file is fine
    with pytest.raises(InvalidModelFile, match=reason):
        inspect_gguf(_edited(tmp_path, source, edit))


def _empty_tokens(doc: GGUFDoc) -> None:
    tokens = doc.find("tokenizer.ggml.tokens")
    assert tokens is not None
    tokens.value[300] = tokens.value[301] = b""


def _swap_ffn_names(doc: GGUFDoc) -> None:
    """The naming of projectors converted before mid-2025: fc1 called down, fc2 called up."""
    for tensor in doc.tensors:
        if ".ffn_up." in tensor.name:
            tensor.name = tensor.name.replace(".ffn_up.", ".ffn_tmp.")
    for tensor in doc.tensors:
        if ".ffn_down." in tensor.name:
            tensor.name = tensor.name.replace(".ffn_down.", ".ffn_up.")
    for tensor in doc.tensors:
        tensor.name = tensor.name.replace(".ffn_tmp.", ".ffn_down.")


@pytest.mark.parametrize(
    ("target", "edit"),
    [
        # the naming of SmolVLM, Gemma 3 and LLaVA projectors converted before mid-2025
        ("mmproj", _swap_ffn_names),
        ("mmproj", _set("clip.vision.feed_forward_length", 0)),  # the old Qwen2-VL script
        ("mmproj", _set("clip.vision.feed_forward_length", 96)),  # Qwen2-VL: the text width
        ("mmproj", _set("clip.vision.projection_dim", 0)),  # legacy MiniCPM-V
        ("model", _set("tokenizer.ggml.eos_token_id", 100_000)),  # llama.cpp only warns
        ("model", _empty_tokens),  # llama.cpp renames them "[EMPTY_<id>]"
    ],
)
def test_what_real_converters_write_is_not_refused(
    tmp_path: Path, target: str, edit: Callable[[GGUFDoc], None]
) -> None:
    """llama.cpp loads and runs each of these (checked with the bundled build): no false refusal."""
    if target == "mmproj":
        source = write_tiny_mmproj(tmp_path / "p.gguf")
    else:
        source = write_tiny_text_model(tmp_path / "m.gguf")
    inspect_gguf(_edited(tmp_path, source, edit))
