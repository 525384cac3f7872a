"""Seeded, structure-aware mutations of GGUF files, and the CLI run that judges each one.

Why this exists: issue 16's audit fed 1000 mutated model and projector files to the CLI and
59 killed it by a signal.  This makes that audit repeatable: ``mutations(seed, count)``
yields the same damaged files on every machine, ``run_case`` asks a question with one
through the real ``localsight ask`` and names what happened (``Outcome``).  The suites
(``tests/integration/test_mutated_models.py``) and the benchmark
(``benchmarks/mutated_models.py``) both use it.

Most mutations keep the file well-formed -- a GGUF is parsed into its fields and tensors
(``read_doc``), one thing is changed, and it is written again (``write_doc``) with correct
offsets -- because that is what reaches llama.cpp: hyper-parameters out of range, wrong
types, tensors of another type or shape, a repeated vocabulary token, a foreign tokenizer.
A few are raw byte flips and truncations, which the pure-Python validator must refuse.
"""

from __future__ import annotations

import math
import random
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gguf

_SCALAR_FORMATS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING = 8
_ARRAY = 9
_INT_TYPES = (0, 1, 2, 3, 4, 5, 10, 11)
_FLOAT_TYPES = (6, 12)


@dataclass(slots=True)
class Field:
    """One metadata entry: ``value`` is a scalar, a ``bytes`` string or a list of either."""

    key: str
    value_type: int
    value: Any
    item_type: int | None = None


@dataclass(slots=True)
class Tensor:
    name: str
    dims: list[int]
    type_id: int
    data: bytes


@dataclass(slots=True)
class GGUFDoc:
    fields: list[Field]
    tensors: list[Tensor]
    alignment: int = 32
    version: int = 3

    def find(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)


def read_doc(path: Path) -> GGUFDoc:
    """Parse a (valid) GGUF file into fields and tensors, raw tensor bytes included."""
    reader = gguf.GGUFReader(path)
    raw = path.read_bytes()
    fields: list[Field] = []
    for item in reader.fields.values():
        if item.name.startswith("GGUF."):
            continue
        kind = int(item.types[0])
        if kind == _ARRAY:
            item_type = int(item.types[1])
            if item_type == _STRING:
                values: list[Any] = [bytes(item.parts[i]) for i in item.data]
            else:
                values = [item.parts[i][0].item() for i in item.data]
            fields.append(Field(item.name, kind, values, item_type))
        elif kind == _STRING:
            fields.append(Field(item.name, kind, bytes(item.parts[item.data[0]])))
        else:
            fields.append(Field(item.name, kind, item.parts[item.data[0]][0].item()))
    tensors = [
        Tensor(
            t.name,
            [int(d) for d in t.shape],
            int(t.tensor_type),
            raw[t.data_offset : t.data_offset + t.n_bytes],
        )
        for t in reader.tensors
    ]
    return GGUFDoc(fields, tensors, reader.alignment)


def _value_bytes(value_type: int, value: Any) -> bytes:
    if value_type == _STRING:
        data = value if isinstance(value, bytes) else str(value).encode()
        return struct.pack("<Q", len(data)) + data
    fmt = _SCALAR_FORMATS[value_type]
    if fmt in ("<f", "<d"):
        return struct.pack(fmt, float(value))
    if fmt == "<?":
        return struct.pack(fmt, bool(value))
    bits = struct.calcsize(fmt) * 8
    signed = fmt[1].islower()
    number = int(value)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return struct.pack(fmt, min(max(number, low), high))


def _name(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_doc(doc: GGUFDoc, path: Path) -> Path:
    """Write ``doc`` as a GGUF file with consistent offsets (whatever its values say)."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", doc.version, len(doc.tensors), len(doc.fields)))
    for item in doc.fields:
        out += _name(item.key) + struct.pack("<I", item.value_type)
        if item.value_type == _ARRAY:
            assert item.item_type is not None
            out += struct.pack("<IQ", item.item_type, len(item.value))
            for value in item.value:
                out += _value_bytes(item.item_type, value)
        else:
            out += _value_bytes(item.value_type, item.value)
    offsets: list[int] = []
    cursor = 0
    for tensor in doc.tensors:
        offsets.append(cursor)
        cursor += len(tensor.data) + (-len(tensor.data) % doc.alignment)
    for tensor, offset in zip(doc.tensors, offsets, strict=True):
        out += _name(tensor.name) + struct.pack("<I", len(tensor.dims))
        out += b"".join(struct.pack("<Q", d) for d in tensor.dims)
        out += struct.pack("<IQ", tensor.type_id, offset)
    out += b"\0" * (-len(out) % doc.alignment)
    for tensor in doc.tensors:
        out += tensor.data + b"\0" * (-len(tensor.data) % doc.alignment)
    path.write_bytes(bytes(out))
    return path


def tensor_bytes(dims: list[int], type_id: int) -> int:
    """The bytes ggml expects for a tensor of ``dims`` and ``type_id`` (0 if impossible)."""
    try:
        block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(type_id)]
    except (ValueError, KeyError):
        return 0
    count = math.prod(dims)
    return count // block * size if dims[0] % block == 0 else 0


# -- mutations --------------------------------------------------------------------------------

_TOKENIZERS = ["llama", "gpt2", "bert", "t5", "rwkv", "plamo2", "none", "no_vocab", "x", ""]
_PROJECTORS = ["mlp", "ldp", "ldpv2", "resampler", "idefics3", "qwen2vl_merger", "gemma3"]
_PROJECTORS += ["pixtral", "lfm2", "ultravox", "bogus", ""]
_ARCHES = ["llama", "gemma3", "qwen2", "bert", "clip", "mamba", "t5", "x"]


def _mutate_scalar(item: Field, rng: random.Random) -> str:
    if item.value_type in _INT_TYPES:
        v = int(item.value)
        extremes = [0, 1, -1, 2, 3, 7, 2**31 - 1, 2**32 - 1, 2**63 - 1]
        item.value = rng.choice([*extremes, v * 2, v + 1, v // 2, rng.randrange(1 << 20)])
    elif item.value_type in _FLOAT_TYPES:
        v = float(item.value)
        item.value = rng.choice(
            [0.0, -1.0, math.nan, math.inf, -math.inf, 1e30, 1e-30, -v, v * 1e6]
        )
    elif item.value_type == 7:
        item.value = not item.value
    return f"{item.key}={item.value!r}"


def _mutate_string(doc: GGUFDoc, rng: random.Random) -> str:
    options = [
        ("tokenizer.ggml.model", _TOKENIZERS),
        ("clip.projector_type", _PROJECTORS),
        ("general.architecture", _ARCHES),
    ]
    present = [(k, v) for k, v in options if doc.find(k) is not None]
    if not present:
        return "no string to change"
    key, values = rng.choice(present)
    item = doc.find(key)
    assert item is not None
    item.value = rng.choice(values).encode()
    return f"{key}={item.value!r}"


def _retype(item: Field, rng: random.Random) -> str:
    new_type = rng.choice(
        [t for t in (*_INT_TYPES, *_FLOAT_TYPES, 7, _STRING) if t != item.value_type]
    )
    if new_type == _STRING:
        item.value = str(item.value).encode()
    elif new_type in _FLOAT_TYPES:
        item.value = float(item.value) if not isinstance(item.value, bytes) else 1.0
    elif isinstance(item.value, bytes):
        item.value = len(item.value)
    else:
        item.value = int(item.value) if math.isfinite(float(item.value)) else 0
    item.value_type = new_type
    return f"{item.key} retyped to {new_type}"


def _mutate_array(doc: GGUFDoc, rng: random.Random) -> str:
    arrays = [f for f in doc.fields if f.value_type == _ARRAY and f.value]
    if not arrays:
        return "no array"
    item = rng.choice(arrays)
    kind = rng.choice(["duplicate", "shorten", "extend", "empty"])
    if item.key == "tokenizer.ggml.tokens" and rng.random() < 0.5:
        kind = "duplicate"
    if kind == "duplicate" and len(item.value) > 1:
        i, j = rng.sample(range(len(item.value)), 2)
        item.value[j] = item.value[i]
    elif kind == "shorten":
        item.value = item.value[: rng.randrange(len(item.value))]
    elif kind == "extend":
        item.value = item.value + item.value[: rng.randrange(1, 8)]
    else:
        item.value = []
    return f"{item.key} array {kind}"


def _mutate_tensor(doc: GGUFDoc, rng: random.Random) -> str:
    if not doc.tensors:
        return "no tensor"
    index = rng.randrange(len(doc.tensors))
    tensor = doc.tensors[index]
    kind = rng.choice(["type", "type", "shape", "shape", "drop", "rename", "ndims"])
    if kind == "type":
        tensor.type_id = rng.choice([int(t) for t in gguf.GGMLQuantizationType])
    elif kind == "shape":
        axis = rng.randrange(len(tensor.dims))
        tensor.dims[axis] = max(
            1, rng.choice([1, 2, tensor.dims[axis] * 2, tensor.dims[axis] // 2])
        )
    elif kind == "ndims":
        tensor.dims = [math.prod(tensor.dims)] if len(tensor.dims) > 1 else [*tensor.dims, 1]
    elif kind == "drop":
        del doc.tensors[index]
        return f"tensor {tensor.name} dropped"
    else:
        tensor.name = rng.choice(["x", tensor.name + ".x", tensor.name.replace("0", "9")])
    needed = tensor_bytes(tensor.dims, tensor.type_id)
    if needed and needed <= 64 * 1024 * 1024:
        data = tensor.data
        tensor.data = (data * (needed // max(1, len(data)) + 1))[:needed]
    return f"tensor {tensor.name} {kind}: {tensor.dims} type {tensor.type_id}"


def mutate(doc: GGUFDoc, rng: random.Random) -> tuple[GGUFDoc, str]:
    """One seeded, well-formed mutation of a copy of ``doc`` and its description."""
    doc = GGUFDoc(
        [
            replace(f, value=list(f.value) if isinstance(f.value, list) else f.value)
            for f in doc.fields
        ],
        [replace(t, dims=list(t.dims)) for t in doc.tensors],
        doc.alignment,
        doc.version,
    )
    kind = rng.choices(
        ["scalar", "string", "retype", "array", "tensor", "remove"], weights=[45, 8, 8, 12, 22, 5]
    )[0]
    scalars = [f for f in doc.fields if f.value_type in (*_INT_TYPES, *_FLOAT_TYPES, 7)]
    if kind == "scalar" and scalars:
        return doc, _mutate_scalar(rng.choice(scalars), rng)
    if kind == "retype" and scalars:
        return doc, _retype(rng.choice(scalars), rng)
    if kind == "string":
        return doc, _mutate_string(doc, rng)
    if kind == "array":
        return doc, _mutate_array(doc, rng)
    if kind == "tensor":
        return doc, _mutate_tensor(doc, rng)
    victim = rng.choice(doc.fields)
    doc.fields.remove(victim)
    return doc, f"{victim.key} removed"


def damage_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Raw damage the validator must refuse: flipped bytes in the header, or a truncation."""
    if rng.random() < 0.3:
        cut = rng.randrange(len(data))
        return data[:cut], f"truncated at {cut}"
    out = bytearray(data)
    header_end = min(len(out), 4096)
    flips = rng.randrange(1, 6)
    for _ in range(flips):
        out[rng.randrange(header_end)] = rng.randrange(256)
    return bytes(out), f"{flips} header bytes flipped"


# -- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One damaged file, ready to run: a text model alone, or the tiny model with a projector."""

    index: int
    target: str  # "model" or "mmproj"
    description: str
    model: Path
    mmproj: Path | None


@dataclass(slots=True)
class Bases:
    """The valid files every mutation starts from, parsed once."""

    model: Path
    mmproj: Path
    image: Path
    docs: dict[str, GGUFDoc] = field(default_factory=dict)

    def doc(self, target: str) -> GGUFDoc:
        if target not in self.docs:
            self.docs[target] = read_doc(self.model if target == "model" else self.mmproj)
        return self.docs[target]


def write_bases(directory: Path) -> Bases:
    """The tiny text model, its projector and a test image, written into ``directory``."""
    from tests.helpers.images import png_bytes
    from tests.helpers.tiny_models import write_tiny_vlm

    model, mmproj = write_tiny_vlm(directory / "base")
    image = directory / "photo.png"
    image.write_bytes(png_bytes(size=(48, 32)))
    return Bases(model, mmproj, image)


def mutations(bases: Bases, directory: Path, seed: int, count: int) -> Iterator[Case]:
    """``count`` seeded damaged files (about a third projectors, one in eight raw damage)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        target = "mmproj" if rng.random() < 0.35 else "model"
        # A folder each: a text model is paired with a projector beside it, and a damaged
        # one of another case must not be (it would be that case run twice).
        path = directory / f"case-{index:04d}" / f"case-{index:04d}-{target}.gguf"
        path.parent.mkdir()
        if rng.random() < 0.125:
            source = bases.model if target == "model" else bases.mmproj
            data, description = damage_bytes(source.read_bytes(), rng)
            path.write_bytes(data)
        else:
            doc, description = mutate(bases.doc(target), rng)
            write_doc(doc, path)
        if target == "model":
            yield Case(index, target, description, path, None)
        else:
            yield Case(index, target, description, bases.model, path)


# -- running one ------------------------------------------------------------------------------

#: What a run of ``localsight ask`` with a damaged file may end as.
GOOD_OUTCOMES = frozenset({"answered", "refused", "llama.cpp refused", "contained crash"})


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # answered | refused | llama.cpp refused | contained crash | other error |
    #            signal | hang | traceback
    returncode: int | None
    stderr: str

    @property
    def ok(self) -> bool:
        return self.kind in GOOD_OUTCOMES


def classify(returncode: int | None, stderr: str) -> str:
    """Name the end of one CLI run from its exit status and what it printed."""
    if returncode is None:
        return "hang"
    if returncode < 0 or returncode >= 128:
        return "signal"
    if "Traceback" in stderr or "unexpected error" in stderr:
        return "traceback"
    if returncode == 0:
        return "answered"
    refusals = (
        "not a usable model file",
        "is not a file",
        "does not belong to",
        "projector (mmproj)",
    )
    if any(words in stderr for words in refusals):
        return "refused"
    if "crashed" in stderr or "stopped with signal" in stderr:
        return "contained crash"
    if "could not load" in stderr or "llama.cpp" in stderr:
        return "llama.cpp refused"
    return "other error"


def run_case(case: Case, image: Path, home: Path, *, timeout: float = 120) -> Outcome:
    """``localsight ask`` with the case's files (and an image for a projector case)."""
    from tests.helpers.cli import localsight

    args = ["ask", "--model", str(case.model), "--max-tokens", "4", "--seed", "1"]
    if case.mmproj is not None:
        args += ["--mmproj", str(case.mmproj), "--image", str(image)]
    args.append("What is this?" if case.mmproj else "Hi")
    try:
        done = localsight(*args, home=home, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome("hang", None, "")
    return Outcome(classify(done.returncode, done.stderr), done.returncode, done.stderr)
