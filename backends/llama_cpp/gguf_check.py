"""Check a GGUF file in pure Python before any native code sees it.

Crafted GGUF files have caused heap overflows in ggml and asserts that abort the process
(docs/failures.md, item 2), so every model and projector file is read here first: the header,
every metadata entry and every tensor record, with hard limits on counts and lengths and
every tensor's bytes checked to lie inside the file, then the hyper-parameter rules of
``gguf_rules`` (numbers llama.cpp trusts and asserts on).  A file that fails gets an
``InvalidModelFile`` naming the reason, and never reaches llama.cpp.

Why not ``gguf.GGUFReader``: it builds numpy views of every metadata array, which took 6 s
for SmolLM2's 49k-token vocabulary here (the model itself loads in 0.1 s), and it trusts the
counts in the header.  This reader streams through the same layout in tens of milliseconds
and uses the ``gguf`` package's own type tables, so the two never disagree on sizes.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from backends.base import InvalidModelFile
from backends.llama_cpp.gguf_rules import NON_WEIGHT_TYPES, hyperparameter_problem
from backends.messages import message, sentence_of

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 65_536
MAX_KV = 65_536
MAX_STRING_BYTES = 16 * 1024 * 1024
MAX_ARRAY_ITEMS = 16 * 1024 * 1024
MAX_DIMS = 4
VOCABULARY_KEY = "tokenizer.ggml.tokens"
F32 = 0
# Metadata arrays we keep the length of but never load (vocabularies can be huge).
_SCALAR_TYPES: dict[int, tuple[str, int]] = {
    0: ("<B", 1),  # UINT8
    1: ("<b", 1),  # INT8
    2: ("<H", 2),  # UINT16
    3: ("<h", 2),  # INT16
    4: ("<I", 4),  # UINT32
    5: ("<i", 4),  # INT32
    6: ("<f", 4),  # FLOAT32
    7: ("<?", 1),  # BOOL
    10: ("<Q", 8),  # UINT64
    11: ("<q", 8),  # INT64
    12: ("<d", 8),  # FLOAT64
}
_STRING = 8
_ARRAY = 9


@dataclass(frozen=True, slots=True)
class GGUFSummary:
    """What LocalSight needs to know about a GGUF file, read without native code."""

    path: Path
    version: int
    size: int
    metadata: dict[str, Any] = field(repr=False)
    array_lengths: dict[str, int] = field(repr=False)
    tensor_names: frozenset[str] = field(repr=False)
    #: The GGUF value type of each scalar in ``metadata`` (``gguf.GGUFValueType``'s numbers):
    #: llama.cpp's projector loader asserts a key has the type it reads it as.
    metadata_types: dict[str, int] = field(repr=False, default_factory=dict)
    #: Each tensor's dimensions, ggml's order (``ne0`` first: a matrix's input width).
    tensor_shapes: dict[str, tuple[int, ...]] = field(repr=False, default_factory=dict)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def is_projector(self) -> bool:
        """True for an mmproj (CLIP-style vision/audio encoder + projector) file."""
        return self.architecture == "clip"

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return str(value) if value else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    def arch_value(self, key: str) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}")

    @property
    def context_length(self) -> int | None:
        value = self.arch_value("context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def embedding_length(self) -> int | None:
        value = self.arch_value("embedding_length")
        return int(value) if isinstance(value, int) else None

    @property
    def projection_dim(self) -> int | None:
        """For a projector: the width of the embeddings it feeds the language model."""
        value = self.metadata.get("clip.vision.projection_dim")
        return int(value) if isinstance(value, int) else None

    @property
    def has_vision_encoder(self) -> bool:
        return bool(self.metadata.get("clip.has_vision_encoder", False)) or any(
            name.startswith("v.") for name in self.tensor_names
        )

    @property
    def quantization(self) -> str | None:
        file_type = self.metadata.get("general.file_type")
        if not isinstance(file_type, int):
            return None
        try:
            import gguf

            return gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            return None


class _Reader:
    """Bounds-checked little-endian reads from a file of known size."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise _Invalid(_ENDS_EARLY)
        data = self.handle.read(n)
        if len(data) != n:
            raise _Invalid(_ENDS_EARLY)
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise _Invalid(_ENDS_EARLY)
        self.handle.seek(n, 1)
        self.pos += n

    def unpack(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.read(size))[0]

    def u32(self) -> int:
        return int(self.unpack("<I", 4))

    def u64(self) -> int:
        return int(self.unpack("<Q", 8))

    def string(self, what: str) -> str:
        length = self.u64()
        if length > MAX_STRING_BYTES:
            raise _Invalid(
                message("{what} claims a string of {length} bytes", what=what, length=str(length))
            )
        raw = self.read(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Invalid(message("{what} is not valid UTF-8", what=what)) from None


class _Invalid(Exception):
    """Internal: the reason a file is not a usable GGUF (a ``message``, the end of the
    sentence ``inspect_gguf`` raises)."""


_ENDS_EARLY = message("the file ends early (truncated download?)")


def _metadata(key: str) -> str:
    """A metadata entry as the reasons name it: "metadata 'general.name'"."""
    return message("metadata {key}", key=repr(key))


def _check_vocabulary(reader: _Reader, count: int) -> None:
    """Read the token strings only to find a repeated one: llama.cpp maps text to ids and
    asserts both directions hold the same number of entries, so a duplicate aborts it.
    Costs ~0.1 s for Gemma's 262k tokens, once per file (summaries are cached)."""
    seen: set[bytes] = set()
    for index in range(count):
        length = reader.u64()
        if length > MAX_STRING_BYTES:
            raise _Invalid(
                message("{what} holds an oversized string", what=_metadata(VOCABULARY_KEY))
            )
        token = reader.read(length)
        if not token:
            continue  # llama.cpp renames empty tokens "[EMPTY_<id>]": they never clash
        if token in seen:
            raise _Invalid(
                message(
                    "its vocabulary lists the token {token} twice (id {index})",
                    token=repr(token[:40]),
                    index=str(index),
                )
            )
        seen.add(token)


def _read_value(reader: _Reader, value_type: int, key: str) -> tuple[Any, int | None]:
    """Read one metadata value; arrays are skipped and only their length is returned."""
    if value_type in _SCALAR_TYPES:
        fmt, size = _SCALAR_TYPES[value_type]
        return reader.unpack(fmt, size), None
    if value_type == _STRING:
        return reader.string(_metadata(key)), None
    if value_type == _ARRAY:
        item_type = reader.u32()
        count = reader.u64()
        if count > MAX_ARRAY_ITEMS:
            raise _Invalid(
                message("{what} claims {count} items", what=_metadata(key), count=str(count))
            )
        if item_type in _SCALAR_TYPES:
            reader.skip(count * _SCALAR_TYPES[item_type][1])
        elif item_type == _STRING and key == VOCABULARY_KEY:
            _check_vocabulary(reader, count)
        elif item_type == _STRING:
            for _ in range(count):
                length = reader.u64()
                if length > MAX_STRING_BYTES:
                    raise _Invalid(message("{what} holds an oversized string", what=_metadata(key)))
                reader.skip(length)
        else:
            raise _Invalid(
                message(
                    "{what} has an unsupported array type {type}",
                    what=_metadata(key),
                    type=str(item_type),
                )
            )
        return None, count
    raise _Invalid(
        message(
            "{what} has an unknown value type {type}", what=_metadata(key), type=str(value_type)
        )
    )


def _check(handle: BinaryIO, path: Path, size: int) -> GGUFSummary:
    import gguf  # only for its type tables; cheap, pure Python

    reader = _Reader(handle, size)
    if size < 24:
        raise _Invalid(message("the file is too small to be a GGUF model"))
    if reader.read(4) != GGUF_MAGIC:
        raise _Invalid(message("it is not a GGUF file (wrong magic bytes)"))
    version = reader.u32()
    if version not in SUPPORTED_VERSIONS:
        raise _Invalid(message("GGUF version {version} is not supported", version=str(version)))
    tensor_count = reader.u64()
    kv_count = reader.u64()
    if tensor_count > MAX_TENSORS:
        raise _Invalid(message("the header claims {count} tensors", count=str(tensor_count)))
    if kv_count > MAX_KV:
        raise _Invalid(message("the header claims {count} metadata entries", count=str(kv_count)))

    metadata: dict[str, Any] = {}
    metadata_types: dict[str, int] = {}
    array_lengths: dict[str, int] = {}
    for _ in range(kv_count):
        key = reader.string(message("a metadata key"))
        value_type = reader.u32()
        value, length = _read_value(reader, value_type, key)
        if key in metadata or key in array_lengths:
            raise _Invalid(message("{what} appears twice", what=_metadata(key)))
        if length is None:
            metadata[key] = value
            metadata_types[key] = value_type
        else:
            array_lengths[key] = length

    alignment = metadata.get("general.alignment", gguf.GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _Invalid(
            message("the alignment {alignment} is not a power of two", alignment=repr(alignment))
        )

    tensors: list[tuple[str, int, int]] = []
    names: set[str] = set()
    shapes: dict[str, tuple[int, ...]] = {}
    for _ in range(tensor_count):
        name = reader.string(message("a tensor name"))
        tensor = repr(name)
        if name in names:
            raise _Invalid(message("tensor {name} appears twice", name=tensor))
        names.add(name)
        n_dims = reader.u32()
        if not 1 <= n_dims <= MAX_DIMS:
            raise _Invalid(
                message("tensor {name} has {count} dimensions", name=tensor, count=str(n_dims))
            )
        dims = [reader.u64() for _ in range(n_dims)]
        if any(d == 0 or d > 2**40 for d in dims):
            raise _Invalid(
                message(
                    "tensor {name} has an impossible shape {shape}", name=tensor, shape=str(dims)
                )
            )
        type_id = reader.u32()
        offset = reader.u64()
        try:
            block_size, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(type_id)]
        except (ValueError, KeyError):
            raise _Invalid(
                message("tensor {name} has an unknown type {type}", name=tensor, type=str(type_id))
            ) from None
        if type_id in NON_WEIGHT_TYPES:
            kind = gguf.GGMLQuantizationType(type_id).name
            raise _Invalid(
                message(
                    "tensor {name} has the type {type}, which no model's weights use",
                    name=tensor,
                    type=kind,
                )
            )
        if n_dims == 1 and type_id != F32:
            # Norm weights and biases: every converter writes them as F32 and quantizers
            # leave them so; ggml's element-wise ops abort on any other type (issue 16).
            kind = gguf.GGMLQuantizationType(type_id).name
            raise _Invalid(
                message("the vector {name} is stored as {type}, not F32", name=tensor, type=kind)
            )
        if dims[0] % block_size:
            raise _Invalid(
                message("tensor {name} rows do not fit its quantisation blocks", name=tensor)
            )
        n_elements = 1
        for d in dims:
            n_elements *= d
        n_bytes = n_elements // block_size * type_size
        if offset % alignment:
            raise _Invalid(message("tensor {name} is misaligned", name=tensor))
        tensors.append((name, offset, n_bytes))
        shapes[name] = tuple(dims)

    data_start = reader.pos + (-reader.pos % alignment)
    for name, offset, n_bytes in tensors:
        if data_start + offset + n_bytes > size:
            raise _Invalid(
                message(
                    "tensor {name} lies beyond the end of the file (truncated download?)",
                    name=repr(name),
                )
            )
    return GGUFSummary(
        path=path,
        version=version,
        size=size,
        metadata=metadata,
        array_lengths=array_lengths,
        tensor_names=frozenset(names),
        metadata_types=metadata_types,
        tensor_shapes=shapes,
    )


def _require_tensors(summary: GGUFSummary) -> None:
    names = summary.tensor_names
    if summary.is_projector:
        if not any(n.startswith(("mm.", "v.", "a.", "resampler.")) for n in names):
            raise _Invalid(message("the projector file has no encoder or projector tensors"))
        return
    if "token_embd.weight" not in names:
        raise _Invalid(message("the token embedding tensor is missing"))
    if not any(n.startswith("blk.") for n in names):
        raise _Invalid(message("the model has no transformer layers"))


def inspect_gguf(path: str | Path) -> GGUFSummary:
    """Validate ``path`` and return its summary, or raise ``InvalidModelFile`` with the reason."""
    path = Path(path)
    label = path.name
    try:
        # Open first, then look at what was opened: a check of the path before opening
        # could be answered by one file and the read served by another (a link swapped in
        # between).  O_NONBLOCK: opening a named pipe must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InvalidModelFile(message("{name} is not a file.", name=label))
            summary = _check(handle, path, info.st_size)
        _require_tensors(summary)
        if problem := hyperparameter_problem(summary):
            raise _Invalid(problem)
    except _Invalid as reason:
        raise InvalidModelFile(
            message(
                "{name} is not a usable model file: {reason}. Download it again or pick "
                "another file.",
                name=label,
                reason=sentence_of(reason),
            )
        ) from None
    except FileNotFoundError:
        from backends.base import ModelNotFound

        raise ModelNotFound(
            message("The model file {path} does not exist.", path=str(path))
        ) from None
    except OSError as error:
        raise InvalidModelFile(
            message("{name} could not be read: {reason}.", name=label, reason=str(error.strerror))
        ) from None
    return summary
