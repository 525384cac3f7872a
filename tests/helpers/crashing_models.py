"""GGUF files that pass LocalSight's pure-Python validator but make llama.cpp abort().

Why this exists: crash isolation (the engine process) must be tested against real native
crashes, not only a simulated ``os.abort()``.  The validator (``gguf_check`` and its rules,
``gguf_rules``) refuses what it can know from the header -- a negative epsilon, heads that do
not divide the width, non-F32 vectors, ... -- so these are damage it does not look for
(found with llama-cpp-python 0.3.36 by ``tests.helpers.gguf_mutations``):

* ``write_abort_on_answer_model``: a text model whose output norm, a vector, is stored as
  an F16 *matrix* of one column ([64, 1]).  llama.cpp loads it (trailing ones are allowed),
  then the first prompt evaluation aborts in ggml's element-wise multiply: "binary_op:
  unsupported types".  The validator's rule covers vectors as every converter writes them
  (one dimension); this one is left to the engine on purpose, to prove the engine.
* ``write_abort_on_load_mmproj``: the tiny LLaVA-style projector relabelled as a Qwen2-VL
  merger.  Every key has the right type and every tensor the header's shape, but the merger's
  graph expects what the tiny tower does not have, so the projector's warm-up at load time
  aborts the process (SIGABRT).

``patch_metadata`` edits one 32-bit value in place, for tests that need a single number changed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.helpers.tiny_models import write_tiny_mmproj, write_tiny_text_model

_GGUF_UINT32 = 4
_GGUF_FLOAT32 = 6


def patch_metadata(path: Path, key: str, value: float) -> None:
    """Overwrite the scalar value of metadata ``key`` in place (same type, same size)."""
    data = bytearray(path.read_bytes())
    encoded = key.encode()
    needle = struct.pack("<Q", len(encoded)) + encoded
    start = data.find(needle)
    if start < 0:
        raise KeyError(key)
    type_at = start + len(needle)
    (value_type,) = struct.unpack_from("<I", data, type_at)
    formats = {_GGUF_UINT32: "<I", _GGUF_FLOAT32: "<f"}
    if value_type not in formats:
        raise TypeError(f"{key} has GGUF type {value_type}, not a 32-bit scalar")
    struct.pack_into(formats[value_type], data, type_at + 4, value)
    path.write_bytes(bytes(data))


def write_abort_on_answer_model(path: Path) -> Path:
    """A tiny text model that loads, then aborts llama.cpp at its first prompt evaluation."""
    from tests.helpers.gguf_mutations import read_doc, write_doc

    write_tiny_text_model(path)
    doc = read_doc(path)
    norm = next(t for t in doc.tensors if t.name == "output_norm.weight")
    norm.type_id, norm.dims = 1, [norm.dims[0], 1]  # F16, as a one-column matrix
    norm.data = norm.data[: 2 * norm.dims[0]]
    return write_doc(doc, path)


def write_abort_on_load_mmproj(path: Path) -> Path:
    """A tiny projector (for the tiny text model) that aborts llama.cpp while loading."""
    from tests.helpers.gguf_mutations import read_doc, write_doc

    write_tiny_mmproj(path)
    doc = read_doc(path)
    kind = doc.find("clip.projector_type")
    assert kind is not None
    kind.value = b"qwen2vl_merger"
    return write_doc(doc, path)
