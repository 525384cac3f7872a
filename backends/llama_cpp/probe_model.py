"""The tiny GGUF model a CPU-variant probe runs (``cpu_probe``), written once to the cache.

Why a real model and not a few hand-built ggml matmuls: a variant is trusted only after it
has done what a chat will ask of it, through the same code llama.cpp runs for a real model
— weight repacking into the variant's extra buffer types (AMX tiles on Sapphire Rapids, the
AVX2/AVX-512 ``Q4_0`` repack), quantised matmuls with one row (decoding) and many rows
(prompt evaluation, where the AMX tile kernels run), ``F16`` and ``F32`` matmuls, RMS norm,
RoPE, softmax and SiLU.  The machine this was written for trapped on the first tile
instruction of a 2-row ``Q4_0`` matmul, which only a many-row prompt reaches.

Shapes are multiples of 32 (the AMX kernels' tile width) so every weight type below is
eligible for every extra buffer type that exists.  Weights are seeded random numbers: the
probe checks that the logits are finite, not what they say.  About 0.6 MB; written
atomically, so two processes probing at once never read half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Bumped whenever the file's content changes, so an old file in a cache is never reused.
PROBE_MODEL_VERSION = 1
PROBE_MODEL_NAME = f"cpu-probe-v{PROBE_MODEL_VERSION}.gguf"

N_EMBD = 256
N_FF = 512
N_HEAD = 4
N_LAYER = 2
N_VOCAB = 320  # 3 specials + 256 bytes + padding up to a multiple of 32
CONTEXT_LENGTH = 256


def probe_model_path(cache_dir: Path) -> Path:
    """The probe model in ``cache_dir``, written there first if it is missing."""
    path = cache_dir / PROBE_MODEL_NAME
    if not path.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".cpu-probe-", suffix=".gguf", dir=cache_dir)
        os.close(fd)
        try:
            _write(Path(temporary))
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
    return path


def _write(path: Path) -> None:
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFWriter, TokenType
    from gguf.quants import quantize

    rng = np.random.default_rng(20261202)
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("LocalSight CPU probe")
    writer.add_description("Random weights: exercises llama.cpp's CPU kernels, answers nothing")
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(N_VOCAB)

    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{byte:02X}>" for byte in range(256)]
    tokens += [f"▁p{index}" for index in range(N_VOCAB - len(tokens))]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    types += [TokenType.BYTE] * 256 + [TokenType.NORMAL] * (N_VOCAB - 259)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * N_VOCAB)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)

    q4_0, q4_1, q8_0 = (
        GGMLQuantizationType.Q4_0,
        GGMLQuantizationType.Q4_1,
        GGMLQuantizationType.Q8_0,
    )
    f16, f32 = GGMLQuantizationType.F16, GGMLQuantizationType.F32

    def add(name: str, rows: int, cols: int, kind: GGMLQuantizationType) -> None:
        data = (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)
        if kind == f16:
            writer.add_tensor(name, data.astype(np.float16))
        elif kind == f32:
            writer.add_tensor(name, data)
        else:
            writer.add_tensor(name, quantize(data, kind), raw_dtype=kind)

    def norm(name: str) -> None:
        writer.add_tensor(name, np.ones(N_EMBD, dtype=np.float32))

    add("token_embd.weight", N_VOCAB, N_EMBD, q8_0)
    norm("output_norm.weight")
    add("output.weight", N_VOCAB, N_EMBD, q4_0)
    # Each layer mixes the types a real GGUF has, so each kernel family runs.
    for layer in range(N_LAYER):
        block = f"blk.{layer}"
        norm(f"{block}.attn_norm.weight")
        add(f"{block}.attn_q.weight", N_EMBD, N_EMBD, q4_0)
        add(f"{block}.attn_k.weight", N_EMBD, N_EMBD, q4_1)
        add(f"{block}.attn_v.weight", N_EMBD, N_EMBD, q8_0)
        add(f"{block}.attn_output.weight", N_EMBD, N_EMBD, f16)
        norm(f"{block}.ffn_norm.weight")
        add(f"{block}.ffn_gate.weight", N_FF, N_EMBD, q4_0)
        add(f"{block}.ffn_up.weight", N_FF, N_EMBD, q8_0 if layer else f32)
        add(f"{block}.ffn_down.weight", N_EMBD, N_FF, q4_0)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
