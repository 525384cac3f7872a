"""A faithful stand-in for Liquid AI's LFM2-VL family (LFM2-VL-450M / LFM2-VL-1.6B).

No real LFM2 weights are reachable here (no small LFM2 text GGUF is on PyPI), so both files
are synthetic, as for qwen2.5-vl in ``family_models.py``: tiny random weights, but the
architecture, tensor names, metadata keys, tokens and chat template the vendored llama.cpp
reads for the real models, so the code paths are the real ones.

* **text**: a tiny ``lfm2`` model, the hybrid LFM2 backbone: short-convolution layers
  (``shortconv.in_proj`` -> B, C, x gates, a depthwise causal convolution over
  ``shortconv.l_cache`` = 3 tokens, ``shortconv.out_proj``) mixed with grouped-query
  attention layers (with q/k RMS norms); which layer is which is given, as in the real
  GGUFs, by the per-layer ``attention.head_count_kv`` array (0 = convolution).  In llama.cpp
  its memory is hybrid: a KV cache for the attention layers and a recurrent state for the
  convolution layers.  The real special tokens: ``<|startoftext|>`` (BOS),
  ``<|im_start|>``, ``<|im_end|>`` (EOS), ``<image>``, the 100 ``<|img_row_R_col_C|>`` tile
  markers, ``<|img_thumbnail|>``, ``<|image_start|>``, ``<|image_end|>``, as control tokens.
  Synthetic: the vocabulary around them (a byte-level SentencePiece one, not LFM2's 65 536
  BPE tokens), the dimensions, and a separate output head that scores only printable
  characters (the real models tie it to the embeddings).
* **template**: LFM2-VL's own (``chat_template.jinja`` of the Hugging Face repos): ChatML
  after ``<|startoftext|>``, no default system prompt, typed image parts written as
  ``<image>``.
* **mmproj**: an ``lfm2`` projector: a SigLIP2 NaFlex tower (patch 16, 16x16 learned
  position embeddings that clip.cpp resizes to each image's patch grid, a post-norm) on
  images of dynamic size, pixel-unshuffled by the real downsample factor 2, then a
  layer-normed two-layer GELU MLP.  clip.cpp itself sets the real token budget (64 to 256
  tokens per tile, i.e. up to 512x512 px) and mtmd the real tiling: an 800x600 photo fits
  one tile, resized to 576x416 -> 18x13 = 234 tokens in ``<|image_start|>...<|image_end|>``;
  a bigger one is cut into 512 px tiles, each after its ``<|img_row_R_col_C|>``, plus a
  thumbnail after ``<|img_thumbnail|>``.  Synthetic: the width and depth of the tower.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.family_models import _siglip_projector
from tests.helpers.tiny_models import (
    _biased,
    _constant,
    _gated_ffn,
    _gaussian,
    _layer_norm,
    _linear,
    _spm_tokenizer,
    _spm_vocab,
    _Tensor,
    _text_io,
    _text_writer,
    _write_gguf,
)

# LiquidAI/LFM2-VL-1.6B and -450M, chat_template.jinja (the processor's template; the GGUFs
# carry the same).  Rendered as the binding renders (trim_blocks, lstrip_blocks): there are
# no newlines outside string literals, so nothing is trimmed.
LFM2VL_TEMPLATE = (
    "{{bos_token}}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}"
    "{{ '<image>' }}{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}{{'<|im_end|>\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{'<|im_start|>assistant\n' }}{% endif %}"
)

# The real vocabulary's specials that a chat with images uses, in their real order (ids 6, 7
# and 396-499 there).  mtmd looks the wrapper, tile and thumbnail tokens up by text.
LFM2_CHAT_SPECIALS = ["<|im_start|>", "<|im_end|>"]
LFM2VL_IMAGE_SPECIALS = [
    "<image>",
    *(f"<|img_row_{row}_col_{col}|>" for row in range(1, 11) for col in range(1, 11)),
    "<|img_thumbnail|>",
    "<|image_start|>",
    "<|image_end|>",
    "<|image_split|>",
]

#: LFM2-VL-450M's layer pattern, first four layers (the real one has 16, 6 of attention).
LFM2_LAYER_TYPES = ("conv", "conv", "full_attention", "conv")


def write_lfm2_text(
    path: Path,
    *,
    n_embd: int = 64,
    n_ff: int = 128,
    n_head: int = 4,
    n_head_kv: int = 2,
    layer_types: tuple[str, ...] = LFM2_LAYER_TYPES,
    l_cache: int = 3,
    seed: int = 0,
) -> Path:
    """A tiny ``lfm2`` text model: short-convolution and attention layers, LFM2's tokens."""
    from gguf import TokenType

    tokens, types, printable = _spm_vocab()
    tokens[1], tokens[2] = "<|startoftext|>", "<|endoftext|>"  # CONTROL, as <s> and </s> were
    specials = LFM2_CHAT_SPECIALS + LFM2VL_IMAGE_SPECIALS
    tokens += specials
    types += [int(TokenType.CONTROL)] * len(specials)
    head_dim = n_embd // n_head
    kv_heads = [0 if kind == "conv" else n_head_kv for kind in layer_types]
    arch = "lfm2"
    writer = _text_writer(
        path,
        arch,
        "LocalSight lfm2 stand-in",
        context_length=128_000,
        n_embd=n_embd,
        n_layer=len(layer_types),
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=kv_heads,  # an array: 0 marks a convolution layer
    )
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_uint32(f"{arch}.shortconv.l_cache", l_cache)
    _spm_tokenizer(
        writer,
        tokens,
        types,
        eos_id=tokens.index("<|im_end|>"),
        add_bos=True,  # tokenizer_config: add_bos_token true
        add_eos=False,
        chat_template=LFM2VL_TEMPLATE,
    )
    # token_embd_norm: llama.cpp's name for LFM2's final norm (LLM_TENSOR_OUTPUT_NORM_LFM2).
    tensors = _text_io(len(tokens), n_embd, printable, norm="token_embd_norm")
    for i, kind in enumerate(layer_types):
        block = f"blk.{i}"
        tensors.append(_Tensor(f"{block}.attn_norm.weight", (n_embd,), _constant(1.0)))
        if kind == "conv":
            tensors += [
                # ggml ne = [l_cache, n_embd]: one causal kernel per channel.
                _Tensor(
                    f"{block}.shortconv.conv.weight",
                    (n_embd, l_cache),
                    _gaussian(1.0 / l_cache**0.5),
                ),
                _linear(f"{block}.shortconv.in_proj.weight", 3 * n_embd, n_embd),
                _linear(f"{block}.shortconv.out_proj.weight", n_embd, n_embd),
            ]
        else:
            tensors += [
                _Tensor(f"{block}.attn_q_norm.weight", (head_dim,), _constant(1.0)),
                _Tensor(f"{block}.attn_k_norm.weight", (head_dim,), _constant(1.0)),
                _linear(f"{block}.attn_q.weight", n_embd, n_embd),
                _linear(f"{block}.attn_k.weight", head_dim * n_head_kv, n_embd),
                _linear(f"{block}.attn_v.weight", head_dim * n_head_kv, n_embd),
                _linear(f"{block}.attn_output.weight", n_embd, n_embd),
            ]
        tensors += _gated_ffn(block, n_embd, n_ff)
    _write_gguf(writer, tensors, seed)
    return path


def write_lfm2vl_mmproj(
    path: Path,
    *,
    n_embd_text: int,
    patch_size: int = 16,
    downsample_factor: int = 2,
    width: int = 32,
    ffn: int = 48,
    n_blocks: int = 1,
    n_heads: int = 2,
    projector_hidden: int = 80,
    seed: int = 0,
) -> Path:
    """An ``lfm2`` projector (LFM2-VL's SigLIP2 NaFlex tower and pixel-unshuffle MLP)."""
    # The converter writes image_size 256 ("for dynamic resolution image_size is not
    # specified"); 256 position embeddings (16x16, SigLIP2's num_patches) are resized per image.
    image_size = 256
    writer, tensors = _siglip_projector(
        path,
        "lfm2",
        image_size=image_size,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
    )
    writer.add_uint32("clip.vision.projector.scale_factor", downsample_factor)
    unshuffled = width * downsample_factor * downsample_factor
    tensors += _layer_norm("mm.input_norm", unshuffled)
    tensors += _biased("mm.1", projector_hidden, unshuffled)
    tensors += _biased("mm.2", n_embd_text, projector_hidden)
    _write_gguf(writer, tensors, seed)
    return path


def write_lfm2vl_pair(folder: Path, _source: Path | None = None) -> tuple[Path, Path]:
    """The lfm2-vl family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = write_lfm2_text(folder / "lfm2-vl-standin.gguf")
    mmproj = write_lfm2vl_mmproj(folder / "mmproj-lfm2-vl-standin.gguf", n_embd_text=64)
    return model, mmproj
