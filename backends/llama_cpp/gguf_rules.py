"""The hyper-parameter rules a GGUF file must keep before llama.cpp may see it.

``gguf_check`` proves a file is well-formed (counts, lengths, every tensor inside the
file).  A well-formed file can still carry numbers llama.cpp trusts without checking, and
some of those end in a ``GGML_ASSERT`` -- an abort() that kills the process: the audit of
issue 16 found 59 of 1000 mutated files did so (a negative or NaN RMS epsilon, a projector
whose head count does not divide its width, a patch size larger than its image, a
duplicated vocabulary token, a WordPiece tokenizer on a generative model, integer-typed
weights).  The engine process contains such a death, but a refusal here says *what* is wrong,
costs no process, and works where no engine runs (``ask`` and ``describe`` in-process users).

Each rule is one every real model keeps -- checked against the vendored converters
(``convert_hf_to_gguf.py`` and the legacy projector scripts), the family stand-ins and the
real files at hand -- and where llama.cpp already throws a clean C++ error (it becomes a
Python ``ValueError`` and a clear message) or only warns, no rule is added.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from backends.messages import message

if TYPE_CHECKING:
    from backends.llama_cpp.gguf_check import GGUFSummary

#: ggml's integer and float64 tensor types.  No vision-language or chat model takes its
#: weights in these (only draft-model and expert-routing tables do: EAGLE-3's ``d2t``); a
#: matrix multiplication with one aborts (seen with I8/I16/I32/I64).
NON_WEIGHT_TYPES = frozenset({24, 25, 26, 27, 28})

#: Tokenizers llama.cpp's vocabulary loader knows (``src/llama-vocab.cpp``).  ``bert``
#: (WordPiece) belongs to the BERT family of embedding models only: on a generative model
#: its default special tokens (101, 102, 103) and missing newline token abort the loader.
KNOWN_TOKENIZERS = frozenset(
    {"llama", "gpt2", "bert", "t5", "rwkv", "plamo2", "gemma4", "none", "no_vocab"}
    | {"hybriddna", "whitespace", "test"}
)

#: Widths, lengths and counts beyond these are no model that fits a desktop's memory: the
#: largest real values are ~16k (embedding), ~500 (layers), 128 (heads).
MAX_WIDTH = 1 << 17
MAX_LAYERS = 4096
MAX_HEADS = 4096


def _int(value: Any) -> int | None:
    """``value`` as an integer, or None when it is absent or of another type (bools too)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _positive(value: Any, what: str, limit: int, *, zero_ok: bool = False) -> str | None:
    """A count or width out of ``(0, limit]``; other types are llama.cpp's to refuse (it does)."""
    number = _int(value)
    if number is not None and not (0 if zero_ok else 1) <= number <= limit:
        return message("its {what} is {value}", what=what, value=str(number))
    return None


def _epsilon(value: Any, what: str) -> str | None:
    """Norm epsilons must be small positive numbers; ggml asserts ``eps >= 0``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return message("its {what} is not a number", what=what)
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        return message("its {what} is {value}", what=what, value=str(value))
    return None


def text_model_problem(summary: GGUFSummary) -> str | None:
    """The first broken rule of a language model's header, or None."""
    arch = summary.arch_value
    width = _int(arch("embedding_length"))
    for key, what, limit in (
        ("embedding_length", message("embedding width"), MAX_WIDTH),
        ("block_count", message("layer count"), MAX_LAYERS),
        ("context_length", message("context length"), 1 << 31),
    ):
        if problem := _positive(arch(key), what, limit):
            return problem
    for key, what in (
        ("attention.layer_norm_rms_epsilon", message("layer norm rms epsilon")),
        ("attention.layer_norm_epsilon", message("layer norm epsilon")),
    ):
        if problem := _epsilon(arch(key), what):
            return problem
    heads = _int(arch("attention.head_count"))
    heads_kv = _int(arch("attention.head_count_kv"))
    key_length = _int(arch("attention.key_length"))
    if heads is not None and heads > MAX_HEADS:
        return message("its attention head count is {count}", count=str(heads))
    if heads and width and key_length is None and width % heads:
        return message(
            "its {count} attention heads do not divide its width {width}",
            count=str(heads),
            width=str(width),
        )
    if heads and heads_kv is not None and (heads_kv > heads or (heads_kv and heads % heads_kv)):
        return message(
            "its {kv_count} key/value heads do not divide its {count} attention heads",
            kv_count=str(heads_kv),
            count=str(heads),
        )
    rope_dims = _int(arch("rope.dimension_count"))
    head_dim = key_length or (width // heads if width and heads else None)
    if rope_dims is not None and head_dim and not 0 <= rope_dims <= head_dim:
        return message(
            "its rotary dimension {dimension} exceeds its head size {head_size}",
            dimension=str(rope_dims),
            head_size=str(head_dim),
        )
    return _tokenizer_problem(summary)


def _tokenizer_problem(summary: GGUFSummary) -> str | None:
    tokenizer = summary.metadata.get("tokenizer.ggml.model")
    if tokenizer is not None and tokenizer not in KNOWN_TOKENIZERS:
        return message("its tokenizer {tokenizer} is unknown", tokenizer=repr(tokenizer))
    if tokenizer == "bert" and "bert" not in summary.architecture:
        return message("it pairs a BERT tokenizer with a generative model")
    n_vocab = summary.array_lengths.get("tokenizer.ggml.tokens")
    if tokenizer not in (None, "none", "no_vocab") and not n_vocab:
        return message("its vocabulary is empty")
    declared = _int(summary.arch_value("vocab_size"))
    if declared is not None and n_vocab and declared != n_vocab:
        return message(
            "it declares {declared} tokens but lists {listed}",
            declared=str(declared),
            listed=str(n_vocab),
        )
    for key in ("scores", "token_type"):
        length = summary.array_lengths.get(f"tokenizer.ggml.{key}")
        if length is not None and n_vocab and length != n_vocab:
            if key == "scores":
                return message(
                    "its vocabulary has {tokens} tokens but {count} scores",
                    tokens=str(n_vocab),
                    count=str(length),
                )
            return message(
                "its vocabulary has {tokens} tokens but {count} token types",
                tokens=str(n_vocab),
                count=str(length),
            )
    return None


_UINT32, _INT32, _FLOAT32, _BOOL, _STRING = 4, 5, 6, 7, 8
_CLIP_U32 = (
    "{m}.attention.head_count {m}.attention.head_count_kv {m}.attention.head_dim "
    "{m}.block_count {m}.embedding_length {m}.feed_forward_length {m}.projection_dim "
    "clip.audio.chunk_size clip.audio.conv_kernel_size clip.audio.local_block_count "
    "clip.audio.local_group_size clip.audio.max_pos_emb clip.audio.num_mel_bins "
    "clip.audio.projector.downsample_rate clip.audio.projector.head_count "
    "clip.audio.projector.stack_factor clip.audio.projector.window_size "
    "clip.audio.rvq.num_quantizers clip.audio.subsampling_factor clip.audio.window_size "
    "clip.minicpmv_query_num clip.vision.expert_used_count clip.vision.image_max_pixels "
    "clip.vision.image_min_pixels clip.vision.image_size clip.vision.n_wa_pattern "
    "clip.vision.patch_size clip.vision.preproc_image_size clip.vision.preproc_max_tiles "
    "clip.vision.preproc_min_tiles clip.vision.projector.query_side "
    "clip.vision.projector.scale_factor clip.vision.projector.window_side "
    "clip.vision.sam.block_count clip.vision.sam.embedding_length clip.vision.sam.head_count "
    "clip.vision.spatial_merge_size clip.vision.window_size"
)
_CLIP_OTHER = {
    "{m}.attention.layer_norm_epsilon": _FLOAT32,
    "clip.vision.swiglu_clamp": _FLOAT32,
    "clip.minicpmv_version": _INT32,
    "clip.has_audio_encoder": _BOOL,
    "clip.has_gen_audio_encoder": _BOOL,
    "clip.has_vision_encoder": _BOOL,
    "clip.use_gelu": _BOOL,
    "clip.use_silu": _BOOL,
    "clip.projector_type": _STRING,
    "clip.vision.projector_type": _STRING,
    "clip.audio.projector_type": _STRING,
    "clip.vision.mm_patch_merge_type": _STRING,
}


def _clip_key_types() -> dict[str, int]:
    table = {key: _UINT32 for key in _CLIP_U32.split()} | _CLIP_OTHER
    return {
        key.format(m=f"clip.{modality}"): kind
        for key, kind in table.items()
        for modality in ("vision", "audio")
    }


#: The scalar keys llama.cpp's projector loader reads and the GGUF type it reads each as
#: (``tools/mtmd/clip.cpp``, its ``get_u32``/``get_f32``/``get_bool``/... helpers).  Unlike the
#: language-model loader, which throws a clean error for a key of the wrong type, these
#: helpers call ``gguf_get_val_u32`` and friends, which *assert* the type: a head count
#: written as a float aborted the process (issue 16).
CLIP_KEY_TYPES = _clip_key_types()
_TYPE_NAMES = {_UINT32: "UINT32", _INT32: "INT32", _FLOAT32: "FLOAT32", _BOOL: "BOOL"}
_TYPE_NAMES[_STRING] = "STRING"


def projector_problem(summary: GGUFSummary) -> str | None:
    """The first broken rule of a vision projector's header (``clip.vision.*``), or None."""
    meta = summary.metadata
    for key, kind in summary.metadata_types.items():
        wanted = CLIP_KEY_TYPES.get(key)
        if wanted is not None and kind != wanted:
            return message(
                "its {key} is stored as type {type}, not {wanted}",
                key=key,
                type=str(kind),
                wanted=_TYPE_NAMES[wanted],
            )
    if not summary.has_vision_encoder:
        return None  # audio-only projectors: LocalSight does not load them
    for key, what, limit in (
        ("embedding_length", message("vision width"), MAX_WIDTH),
        ("patch_size", message("patch size"), 65_535),
    ):
        if problem := _positive(meta.get(f"clip.vision.{key}"), what, limit):
            return problem
    # Converters have written 0 for these (legacy MiniCPM-V's projection width, the old
    # Qwen2-VL script's feed-forward width, Gemma 4's unified vision-audio header) and
    # llama.cpp copes; only absurd sizes are refused.
    for key, what, limit in (
        ("block_count", message("vision layer count"), MAX_LAYERS),
        ("attention.head_count", message("vision head count"), MAX_HEADS),
        ("feed_forward_length", message("vision feed-forward width"), MAX_WIDTH * 8),
        ("projection_dim", message("projection width"), MAX_WIDTH),
    ):
        if problem := _positive(meta.get(f"clip.vision.{key}"), what, limit, zero_ok=True):
            return problem
    # 0 means "any size" (dynamic-resolution encoders); llama.cpp caps it at 8192.
    image_size = meta.get("clip.vision.image_size")
    if problem := _positive(image_size, message("image size"), 8192, zero_ok=True):
        return problem
    epsilon = meta.get("clip.vision.attention.layer_norm_epsilon")
    if problem := _epsilon(epsilon, message("norm epsilon")):
        return problem
    width = _int(meta.get("clip.vision.embedding_length"))
    heads = _int(meta.get("clip.vision.attention.head_count"))
    if width and heads and width % heads:
        return message(
            "its {count} vision heads do not divide its width {width}",
            count=str(heads),
            width=str(width),
        )
    patch = _int(meta.get("clip.vision.patch_size"))
    image = _int(meta.get("clip.vision.image_size"))
    if patch and image and patch > image:
        return message(
            "its patch size {patch} exceeds its image size {image}",
            patch=str(patch),
            image=str(image),
        )
    if problem := _vision_shape_problem(summary, width, patch):
        return problem
    layers = _int(meta.get("clip.vision.block_count"))
    if layers:
        present = {n.split(".")[2] for n in summary.tensor_names if n.startswith("v.blk.")}
        missing = [i for i in range(layers) if str(i) not in present]
        if missing:
            return message(
                "it declares {count} vision layers but layer {layer} has no weights",
                count=str(layers),
                layer=str(missing[0]),
            )
    return None


#: Matrices of a vision block that read the block's input: their ``ne0`` is the width.  The
#: names are llama.cpp's own (``TN_ATTN_*``/``TN_FFN_*`` in ``tools/mtmd/clip-impl.h``).
_READS_WIDTH = ("attn_q", "attn_k", "attn_v", "attn_qkv", "ffn_gate")


def _vision_shape_problem(summary: GGUFSummary, width: int | None, patch: int | None) -> str | None:
    """Tensor shapes that contradict the header or each other: the projector's warm-up at
    load time builds its graph from them and aborts in a reshape or a matrix product when
    they disagree (issue 16: a changed width or patch size, a wider feed-forward matrix).

    The feed-forward pair is checked against itself, not against the header's
    ``feed_forward_length``: converters have written that as 0 or as the language model's
    width (Qwen2-VL), which llama.cpp never uses; and files converted before mid-2025 name
    the two matrices the other way round, which llama.cpp detects and swaps (``clip.cpp``,
    "ffn up/down are swapped") -- so this does too.
    """
    shapes = summary.tensor_shapes
    for name in ("v.patch_embd.weight", "v.patch_embd.weight.1"):
        dims = shapes.get(name)
        if dims is None or len(dims) != 4:
            continue
        if patch and (dims[0], dims[1]) != (patch, patch):
            return message(
                "its patch size {patch} does not match its patch embedding {shape}",
                patch=str(patch),
                shape=str(dims[:2]),
            )
        if width and dims[3] != width:
            return message(
                "its vision width {width} does not match its patch embedding ({size})",
                width=str(width),
                size=str(dims[3]),
            )
    if not width:
        return None
    for name, dims in shapes.items():
        parts = name.split(".")
        if len(parts) != 5 or parts[:2] != ["v", "blk"] or parts[4] != "weight":
            continue
        if parts[3] in _READS_WIDTH and (len(dims) < 2 or dims[0] != width):
            return message(
                "its tensor {name} is {shape}, which does not take {width} inputs",
                name=repr(name),
                shape=str(list(dims)),
                width=str(width),
            )
        if parts[3] == "ffn_up":
            down = shapes.get(f"v.blk.{parts[2]}.ffn_down.weight")
            if down is not None and (problem := _ffn_problem(name, dims, down, width)):
                return problem
    return None


def _ffn_problem(name: str, up: tuple[int, ...], down: tuple[int, ...], width: int) -> str | None:
    """A feed-forward pair reads the width and gives it back: up [width, n], down [n, width]."""
    if len(up) != 2 or len(down) != 2:
        return message("its feed-forward matrices around {name} are not matrices", name=repr(name))
    if down[0] == width and up[0] != width:
        up, down = down, up  # the legacy naming, as llama.cpp reads it
    if up[0] != width or down != (up[1], width):
        return message(
            "its feed-forward matrices around {name} ({up}, {down}) do not fit",
            name=repr(name),
            up=str(list(up)),
            down=str(list(down)),
        )
    return None


def hyperparameter_problem(summary: GGUFSummary) -> str | None:
    """The first rule ``summary`` breaks, as a phrase for "…is not a usable model file: …"."""
    if summary.is_projector:
        return projector_problem(summary)
    return text_model_problem(summary)
