"""GGUF files that pass LocalSight's pure-Python validator but make llama.cpp abort().

Why this exists: crash isolation (the engine process) must be tested against real native
crashes, not only a simulated ``os.abort()``.  Most inconsistent metadata makes llama.cpp
throw a C++ exception, which the binding turns into a ``ValueError`` (a clean "invalid model
file").  These values instead trip a ``GGML_ASSERT`` and kill the process with SIGABRT
(found with llama-cpp-python 0.3.36 / ggml 0.25.3):

* ``write_abort_on_answer_model``: a text model whose RMS-norm epsilon is negative.  It
  loads fine; the first prompt evaluation fails ``GGML_ASSERT(eps >= 0.0f)``.
* ``write_abort_on_load_mmproj``: a projector whose head count (3) does not divide its width
  (64).  The projector's warm-up at load time fails
  ``GGML_ASSERT(ggml_nelements(a) == ne0*ne1*ne2)`` in a reshape.

Both are the tiny models of ``tests.helpers.tiny_models`` with one metadata value patched in place.
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
    write_tiny_text_model(path)
    patch_metadata(path, "llama.attention.layer_norm_rms_epsilon", -1.0)
    return path


def write_abort_on_load_mmproj(path: Path) -> Path:
    """A tiny projector (for the tiny text model) that aborts llama.cpp while loading."""
    write_tiny_mmproj(path)
    patch_metadata(path, "clip.vision.attention.head_count", 3)
    return path
