"""Tiny synthetic LLaVA-style GGUF model pairs, generated at test time.

Why this exists: the llama.cpp backend must be tested against the real llama.cpp (through
llama-cpp-python) loading real GGUF files; mocks would not catch wrong metadata, a missing
chat template, an mmproj that fails to load or an image that never reaches the model. Real
vision models are gigabytes and need a download, so these helpers write a structurally
faithful but microscopic pair in milliseconds with the ``gguf`` package instead:

* a ``llama``-architecture text model with a SentencePiece-style byte vocabulary and a
  Jinja chat template (``write_tiny_text_model``), and
* a CLIP vision tower with the LLaVA ``mlp`` projector (``write_tiny_mmproj``), the file
  ``MTMDChatHandler(clip_model_path=...)`` expects.

The weights are seeded random numbers, so the text that comes out is gibberish, but it is
deterministic for a given seed and different images give different answers. The output head
only scores the printable single-character tokens, so whatever the model generates is
readable ASCII and never stops early on ``</s>``.

The mmproj writer is parametric enough to write the CLIP ViT-L/14-336 shape of LLaVA 1.5
(``VIT_L_14_336``, about 1.2 GB in F32) for benchmarks; tensors are streamed to disk one at a
time so that does not need the whole model in memory.

The building blocks are shared with the family stand-ins (``family_models.py`` and the
``family_*.py`` modules): the tensor list written with seeded random data (``_write_gguf``),
linear layers with and without a bias, layer norms, a vision tower's patch convolution and
CLIP blocks, and for the text models the writer's common keys (``_text_writer``), the
byte-level SentencePiece vocabulary and its keys (``_spm_vocab``, ``_spm_tokenizer``), the
embeddings and output head (``_text_io``), llama-style attention and the gated MLP, and for
the projectors the mmproj writer's common keys (``_vision_writer``).

Run ``python tests/helpers/tiny_models.py OUTDIR [--vit-l]`` to write a pair by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, Keys, TokenType

TEXT_MODEL_FILENAME = "tiny-vlm.gguf"
MMPROJ_FILENAME = "tiny-vlm-mmproj.gguf"

# Text model shape. n_ff differs from n_embd so no loader can mistake one for the other.
TEXT_N_EMBD = 64
TEXT_N_LAYER = 2
TEXT_N_HEAD = 4
TEXT_N_FF = 128
# Long enough that an answer running to the end of the context outlasts a kill test's
# timing even on the fast path (thousands of tokens per second on this model).
TEXT_CONTEXT_LENGTH = 8192

UNK_ID = 0
BOS_ID = 1
EOS_ID = 2

# LLaVA 1.5 / Vicuna style. llama-cpp-python renders with trim_blocks=True, so every line
# ends in a block tag and newlines are written as Jinja string literals. MTMDChatHandler
# passes user content as a list of {"type": "text"} parts (images become the media marker),
# plain chat passes a string; both are handled.
DEFAULT_TEMPLATE = (
    "{% for message in messages %}\n"
    "{% if message['content'] is string %}\n"
    "{% set content = message['content'] %}\n"
    "{% elif message['content'] is none %}\n"
    "{% set content = '' %}\n"
    "{% else %}\n"
    "{% set content = message['content'] | selectattr('type', 'equalto', 'text')"
    " | map(attribute='text') | join('') %}\n"
    "{% endif %}\n"
    "{% if message['role'] == 'system' %}\n"
    "{{ content + '\\n\\n' }}{% elif message['role'] == 'user' %}\n"
    "{{ 'USER: ' + content + '\\n' }}{% elif message['role'] == 'assistant' %}\n"
    "{{ 'ASSISTANT: ' + content + eos_token + '\\n' }}{% endif %}\n"
    "{% endfor %}\n"
    "{% if add_generation_prompt %}\n"
    "{{ 'ASSISTANT:' }}{% endif %}\n"
)

# OpenAI CLIP preprocessing constants, as in every LLaVA 1.5 mmproj.
CLIP_IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)
# SigLIP's, as in the mmproj files of the families built on it.
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class VisionShape:
    """Shape parameters of a CLIP vision tower plus LLaVA MLP projector."""

    image_size: int
    patch_size: int
    width: int
    n_blocks: int
    n_heads: int
    ffn: int
    projector_hidden: int | None = None


TINY_VISION = VisionShape(image_size=64, patch_size=16, width=64, n_blocks=2, n_heads=4, ffn=128)

# The CLIP ViT-L/14-336 tower of LLaVA 1.5. LLaVA reads the features of the second to last
# of its 24 layers, so its converter drops the last layer and real mmproj files hold 23
# blocks; clip.cpp then runs block_count - 1 of them. 23 keeps the benchmark compute and
# memory equal to a real llava-v1.5 mmproj (in F32 instead of F16).
VIT_L_14_336 = VisionShape(
    image_size=336,
    patch_size=14,
    width=1024,
    n_blocks=23,
    n_heads=16,
    ffn=4096,
    projector_hidden=1024,
)

_Init = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


@dataclass(frozen=True)
class _Tensor:
    """A tensor to write: its GGUF name, numpy shape (rows first) and how to fill it."""

    name: str
    shape: tuple[int, ...]
    init: _Init


def _gaussian(std: float) -> _Init:
    def init(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        values = rng.standard_normal(shape, dtype=np.float32)
        values *= np.float32(std)
        return values

    return init


def _constant(value: float) -> _Init:
    def init(_rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.full(shape, value, dtype=np.float32)

    return init


def _linear(name: str, n_out: int, n_in: int) -> _Tensor:
    """A weight matrix with variance-preserving init, so signals survive the layers."""
    return _Tensor(name, (n_out, n_in), _gaussian(1.0 / math.sqrt(n_in)))


def _biased(name: str, n_out: int, n_in: int) -> list[_Tensor]:
    """A linear layer with a bias: ``name.weight`` (as ``_linear``) and a zero ``name.bias``."""
    return [
        _linear(f"{name}.weight", n_out, n_in),
        _Tensor(f"{name}.bias", (n_out,), _constant(0.0)),
    ]


def _layer_norm(name: str, width: int) -> list[_Tensor]:
    """A layer norm as it starts out: ``name.weight`` of ones and ``name.bias`` of zeros."""
    return [
        _Tensor(f"{name}.weight", (width,), _constant(1.0)),
        _Tensor(f"{name}.bias", (width,), _constant(0.0)),
    ]


def _patch_embd(width: int, patch_size: int, name: str = "v.patch_embd.weight") -> _Tensor:
    """A vision tower's patch convolution: ``width`` filters over 3 x patch x patch pixels."""
    return _Tensor(
        name,
        (width, 3, patch_size, patch_size),
        _gaussian(1.0 / math.sqrt(3 * patch_size * patch_size)),
    )


def _write_gguf(writer: GGUFWriter, tensors: Sequence[_Tensor], seed: int) -> None:
    """Write metadata already added to ``writer``, then stream ``tensors`` one by one."""
    try:
        for tensor in tensors:
            nbytes = math.prod(tensor.shape) * np.dtype(np.float32).itemsize
            writer.add_tensor_info(tensor.name, tensor.shape, np.dtype(np.float32), nbytes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        rng = np.random.default_rng(seed)
        for tensor in tensors:
            writer.write_tensor_data(tensor.init(rng, tensor.shape))
    finally:
        writer.close()


def clip_blocks(width: int, ffn: int, n_blocks: int) -> list[_Tensor]:
    """The transformer blocks of a CLIP/SigLIP vision tower as clip.cpp names them: layer
    norms, biased attention projections and a biased two-layer MLP per block."""
    tensors: list[_Tensor] = []
    for i in range(n_blocks):
        blk = f"v.blk.{i}"
        tensors += _layer_norm(f"{blk}.ln1", width)
        for proj in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += _biased(f"{blk}.{proj}", width, width)
        tensors += _layer_norm(f"{blk}.ln2", width)
        tensors += _biased(f"{blk}.ffn_up", ffn, width)
        tensors += _biased(f"{blk}.ffn_down", width, ffn)
    return tensors


def _spm_vocab() -> tuple[list[str], list[int], list[int]]:
    """SentencePiece-style vocabulary: specials, 256 byte tokens, printable characters.

    Returns the tokens, their types and the ids of the printable (NORMAL) tokens. The SPM
    tokenizer turns spaces into "▁" and falls back to ``<0xXX>`` byte tokens for anything
    else it cannot find, so every UTF-8 string round-trips.
    """
    tokens = ["<unk>", "<s>", "</s>"]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [TokenType.BYTE] * 256
    printable = ["▁", *(chr(code) for code in range(0x21, 0x7F))]
    printable_ids = list(range(len(tokens), len(tokens) + len(printable)))
    tokens += printable
    types += [TokenType.NORMAL] * len(printable)
    return tokens, [int(t) for t in types], printable_ids


def _printable_output_head(printable_ids: Sequence[int], n_embd: int) -> _Init:
    """Output projection that scores printable tokens only (the other rows are zero).

    The final RMS norm makes hidden states about sqrt(n_embd) long, so rows of std
    4 / sqrt(n_embd) give printable tokens logits of std about 4: the best of them scores
    about 10 while specials and bytes stay at 0. Generation, greedy or sampled, thus yields
    readable ASCII instead of stray bytes (half a UTF-8 sequence streams as nothing) or an
    immediate end of sequence.
    """
    std = 4.0 / math.sqrt(n_embd)

    def init(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        head = np.zeros(shape, dtype=np.float32)
        head[list(printable_ids)] = _gaussian(std)(rng, (len(printable_ids), shape[1]))
        return head

    return init


def _text_writer(
    path: Path,
    arch: str,
    name: str,
    *,
    context_length: int,
    n_embd: int,
    n_layer: int,
    n_ff: int | Sequence[int],
    n_head: int,
    n_head_kv: int | Sequence[int],
    description: str | None = None,
) -> GGUFWriter:
    """A text model's writer holding the keys every one starts with, in this order: its name
    (and ``description``), F32, the context length, widths, block and head counts.

    ``n_ff`` and ``n_head_kv`` may be per layer (Gemma 4's MLPs, LFM2's convolution layers).
    """
    writer = GGUFWriter(path, arch)
    writer.add_name(name)
    if description is not None:
        writer.add_description(description)
    writer.add_file_type(0)  # ALL_F32
    writer.add_context_length(context_length)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    return writer


def _spm_tokenizer(
    writer: GGUFWriter,
    tokens: Sequence[str],
    types: Sequence[int],
    *,
    eos_id: int,
    add_bos: bool,
    add_eos: bool | None = None,
    chat_template: str | None,
) -> None:
    """The keys of a ``_spm_vocab`` vocabulary (plus a model's own tokens after it), from its
    size to the chat template: ``<unk>`` and BOS at their ids 0 and 1, ``eos_id`` as EOS.
    ``add_eos`` None leaves that key out, as ``chat_template`` None does the template."""
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_unk_token_id(UNK_ID)
    writer.add_bos_token_id(BOS_ID)
    writer.add_eos_token_id(eos_id)
    writer.add_add_bos_token(add_bos)
    if add_eos is not None:
        writer.add_add_eos_token(add_eos)
    if chat_template is not None:
        writer.add_chat_template(chat_template)


def _text_io(
    n_vocab: int, n_embd: int, printable_ids: Sequence[int], norm: str = "output_norm"
) -> list[_Tensor]:
    """Token embeddings, the final RMS norm (``norm``, as the architecture names it) and an
    output head that scores the printable tokens only."""
    return [
        _Tensor("token_embd.weight", (n_vocab, n_embd), _gaussian(1.0)),
        _Tensor(f"{norm}.weight", (n_embd,), _constant(1.0)),
        _Tensor("output.weight", (n_vocab, n_embd), _printable_output_head(printable_ids, n_embd)),
    ]


def _attention(block: str, n_embd: int, *, qkv_bias: bool = False) -> list[_Tensor]:
    """Llama-style multi-head attention with its pre-norm, every projection ``n_embd`` wide;
    ``qkv_bias`` gives q, k and v a bias (Qwen2)."""
    tensors = [_Tensor(f"{block}.attn_norm.weight", (n_embd,), _constant(1.0))]
    for name in ("attn_q", "attn_k", "attn_v"):
        if qkv_bias:
            tensors += _biased(f"{block}.{name}", n_embd, n_embd)
        else:
            tensors.append(_linear(f"{block}.{name}.weight", n_embd, n_embd))
    tensors.append(_linear(f"{block}.attn_output.weight", n_embd, n_embd))
    return tensors


def _gated_ffn(block: str, n_embd: int, n_ff: int) -> list[_Tensor]:
    """The gated (SwiGLU) MLP of a text block with its pre-norm."""
    return [
        _Tensor(f"{block}.ffn_norm.weight", (n_embd,), _constant(1.0)),
        _linear(f"{block}.ffn_gate.weight", n_ff, n_embd),
        _linear(f"{block}.ffn_up.weight", n_ff, n_embd),
        _linear(f"{block}.ffn_down.weight", n_embd, n_ff),
    ]


def write_tiny_text_model(
    path: Path,
    *,
    seed: int = 0,
    chat_template: str | None = DEFAULT_TEMPLATE,
) -> Path:
    """Write a 2-layer ``llama``-architecture GGUF (n_embd 64) with a byte-level SPM vocab.

    ``chat_template`` is stored as ``tokenizer.chat_template``; pass None to leave the key
    out (``MTMDChatHandler`` refuses such a model). Returns ``path``.
    """
    path = Path(path)
    tokens, token_types, printable_ids = _spm_vocab()
    n_vocab = len(tokens)
    n_embd, n_ff = TEXT_N_EMBD, TEXT_N_FF

    writer = _text_writer(
        path,
        "llama",
        "LocalSight tiny test VLM",
        description="Random-weight test model generated by tests/tiny_models.py",
        context_length=TEXT_CONTEXT_LENGTH,
        n_embd=n_embd,
        n_layer=TEXT_N_LAYER,
        n_ff=n_ff,
        n_head=TEXT_N_HEAD,
        n_head_kv=TEXT_N_HEAD,
    )
    writer.add_rope_dimension_count(n_embd // TEXT_N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    _spm_tokenizer(
        writer,
        tokens,
        token_types,
        eos_id=EOS_ID,
        add_bos=True,
        add_eos=False,
        chat_template=chat_template,
    )

    tensors = _text_io(n_vocab, n_embd, printable_ids)
    for i in range(TEXT_N_LAYER):
        blk = f"blk.{i}"
        tensors += _attention(blk, n_embd) + _gated_ffn(blk, n_embd, n_ff)
    _write_gguf(writer, tensors, seed)
    return path


def _vision_writer(
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
    mean: tuple[float, ...] = SIGLIP_MEAN,
    std: tuple[float, ...] = SIGLIP_STD,
    eps: float = 1e-6,
    name: str | None = None,
    description: str | None = None,
    llava_projector: bool = False,
) -> GGUFWriter:
    """An mmproj writer with the vision keys every projector type reads, in this order.

    ``name`` defaults to "LocalSight ``projector`` stand-in projector"; ``llava_projector``
    adds the legacy LLaVA flag before the projector type."""
    writer = GGUFWriter(path, "clip")
    writer.add_name(name or f"LocalSight {projector} stand-in projector")
    if description is not None:
        writer.add_description(description)
    writer.add_file_type(0)  # ALL_F32
    writer.add_clip_has_vision_encoder(True)
    if llava_projector:
        writer.add_bool(Keys.Clip.HAS_LLAVA_PROJECTOR, True)
    writer.add_clip_projector_type(projector)
    writer.add_vision_image_size(image_size)
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(n_blocks)
    writer.add_vision_head_count(n_heads)
    writer.add_vision_projection_dim(n_embd_text)
    writer.add_vision_attention_layernorm_eps(eps)
    writer.add_vision_image_mean(list(mean))
    writer.add_vision_image_std(list(std))
    return writer


def write_tiny_mmproj(
    path: Path,
    *,
    n_embd_text: int = TEXT_N_EMBD,
    seed: int = 0,
    image_size: int = TINY_VISION.image_size,
    patch_size: int = TINY_VISION.patch_size,
    width: int = TINY_VISION.width,
    n_blocks: int = TINY_VISION.n_blocks,
    n_heads: int = TINY_VISION.n_heads,
    ffn: int = TINY_VISION.ffn,
    projector_hidden: int | None = None,
) -> Path:
    """Write a CLIP vision tower with a LLaVA ``mlp`` projector as an mmproj GGUF (F32).

    The projector maps ``width`` -> ``projector_hidden`` (default ``n_embd_text``) -> GELU ->
    ``n_embd_text``, which must equal the text model's n_embd. An image becomes
    ``(image_size // patch_size) ** 2`` embeddings. Returns ``path``.
    """
    if n_blocks < 2:
        raise ValueError("n_blocks must be at least 2: the LLaVA graph runs n_blocks - 1 blocks")
    if ffn == width:
        # clip.cpp swaps ffn_up/ffn_down of legacy LLaVA files whose ffn_down has n_embd
        # columns, which a square FFN would trigger by accident.
        raise ValueError("ffn must differ from width")
    if width % n_heads:
        raise ValueError("width must be a multiple of n_heads")
    if image_size % patch_size:
        raise ValueError("image_size must be a multiple of patch_size")
    path = Path(path)
    hidden = n_embd_text if projector_hidden is None else projector_hidden
    n_patches = (image_size // patch_size) ** 2

    writer = _vision_writer(
        path,
        "mlp",
        name="LocalSight tiny test CLIP",
        description="Random-weight image encoder for LLaVA, by tests/tiny_models.py",
        llava_projector=True,
        image_size=image_size,
        patch_size=patch_size,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
        eps=1e-5,
        mean=CLIP_IMAGE_MEAN,
        std=CLIP_IMAGE_STD,
    )
    writer.add_vision_use_gelu(False)  # CLIP uses quick GELU

    # No v.post_ln: LLaVA's converter drops the post-layernorm because the projector reads
    # an inner layer, and clip.cpp treats it as optional.
    tensors = [
        _patch_embd(width, patch_size),
        _Tensor("v.class_embd", (width,), _gaussian(0.02)),
        _Tensor("v.position_embd.weight", (n_patches + 1, width), _gaussian(0.02)),
        *_layer_norm("v.pre_ln", width),
    ]
    tensors += clip_blocks(width, ffn, n_blocks)
    tensors += _biased("mm.0", hidden, width) + _biased("mm.2", n_embd_text, hidden)
    _write_gguf(writer, tensors, seed)
    return path


def write_tiny_vlm(directory: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write the tiny text model and its mmproj into ``directory``; return both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = write_tiny_text_model(directory / TEXT_MODEL_FILENAME, seed=seed)
    mmproj = write_tiny_mmproj(directory / MMPROJ_FILENAME, seed=seed + 1)
    return model, mmproj


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a tiny random-weight GGUF VLM pair.")
    parser.add_argument("outdir", type=Path, help="directory to write the two GGUF files into")
    parser.add_argument(
        "--vit-l",
        action="store_true",
        help="write a CLIP ViT-L/14-336 shaped mmproj (about 1.2 GB) for benchmarks",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    args.outdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model = write_tiny_text_model(args.outdir / TEXT_MODEL_FILENAME, seed=args.seed)
    shape = VIT_L_14_336 if args.vit_l else TINY_VISION
    mmproj = write_tiny_mmproj(
        args.outdir / MMPROJ_FILENAME, seed=args.seed + 1, **dataclasses.asdict(shape)
    )
    elapsed = time.perf_counter() - start
    for path in (model, mmproj):
        print(f"{path}  {path.stat().st_size:,} bytes")
    print(f"written in {elapsed:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
