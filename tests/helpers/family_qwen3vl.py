"""A faithful stand-in for the Qwen3-VL family, generated at test time.

No small real Qwen3-VL text model is on PyPI, so, like the qwen2.5-vl stand-in in
``family_models.py``, both files are synthetic: random weights and tiny widths, but the
architecture, metadata keys, tensor names, shapes and image geometry that the vendored
llama.cpp reads (``src/models/qwen3vl.cpp``, ``tools/mtmd/clip.cpp`` and
``tools/mtmd/models/qwen3vl.cpp``), as ``convert_hf_to_gguf.py`` (``conversion/qwen3vl.py``)
writes them for Qwen/Qwen3-VL-2B-Instruct.

Real:

* the chat template, Qwen3-VL-2B-Instruct's own (``QWEN3VL_TEMPLATE``): ChatML, typed content
  parts, images as ``<|vision_start|><|image_pad|><|vision_end|>``, tool calls and responses;
* the text architecture ``qwen3vl``: Qwen3 layers (no q/k/v biases, per-head RMS norms of q and
  k, gated SiLU MLP), grouped-query attention (2 query heads per KV head, as 16/8), interleaved
  M-RoPE whose ``rope.dimension_sections`` split half the head as the real [24, 20, 20, 0]
  does (here [6, 5, 5, 0] of 16), ``n_deepstack_layers`` = 3, rope base 5e6, RMS eps 1e-6 and
  the 262 144-token trained context; ``<|im_end|>`` is EOS and Qwen's vision tokens are control
  tokens;
* the projector ``qwen3vl_merger``: patch 16 as two convolutions (the temporal pair) with a bias,
  a 48x48 grid of learned position embeddings interpolated bilinearly to the image's patch grid,
  LayerNorm blocks with a fused biased QKV, 2D vision RoPE and a GELU MLP, a post-norm, the 2x2
  merge (``spatial_merge_size`` 2) into a GELU MLP, and three DeepStack mergers (post-shuffle
  LayerNorm and a GELU MLP each) whose outputs are concatenated to the main one: the projector
  hands the text model ``n_embd * (1 + 3)``-wide embeddings, and llama.cpp adds the deepstack
  slices to the first three text layers.  ``projection_dim`` stays the text model's
  ``n_embd``, as the converter writes it.  An 800x600 photo is resized by mtmd to 800x608
  (multiples of 32 px) -> 50x38 patches -> 25x19 = 475 image tokens at max(25, 19) = 25
  M-RoPE positions, wrapped in ``<|vision_start|>`` ... ``<|vision_end|>``.

Synthetic: the tiny widths and depths (text n_embd 64 in 4 layers, head dim 32; vision width
32 in 4 blocks, deepstack after blocks 0-2 where the real tower has 24 with deepstack after 5,
11 and 17 -- the last blocks feed only the main merger in both), the weights, an untied output
head that scores printable tokens only (the real 2B ties it to the embeddings), and the
vocabulary: the byte-level SentencePiece one of ``tiny_models.py`` plus Qwen's control
and tool tokens, not Qwen's 151k BPE.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.family_models import QWEN_SPECIALS
from tests.helpers.tiny_models import (
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
)

# Qwen/Qwen3-VL-2B-Instruct's chat template (the Qwen3-VL Instruct sizes share one): 5292
# bytes, SHA-256 3636d0f0bd6bef02654cdffdc447b79cb2cef8ab02cc75267345946291a489e4, the hash
# of the template in Qwen's own Qwen3-VL-8B-Instruct GGUF.  No default system prompt
# (Qwen2.5-VL's had one); a system message is rendered once, before the loop, and joins the
# tools preamble when tools are given.
QWEN3VL_TEMPLATE = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {%- if messages[0].content is string %}
            {{- messages[0].content }}
        {%- else %}
            {%- for content in messages[0].content %}
                {%- if 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' }}
        {%- if messages[0].content is string %}
            {{- messages[0].content }}
        {%- else %}
            {%- for content in messages[0].content %}
                {%- if 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- set image_count = namespace(value=0) %}
{%- set video_count = namespace(value=0) %}
{%- for message in messages %}
    {%- if message.role == "user" %}
        {{- '<|im_start|>' + message.role + '\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content in message.content %}
                {%- if content.type == 'image' or 'image' in content or 'image_url' in content %}
                    {%- set image_count.value = image_count.value + 1 %}
                    {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                    <|vision_start|><|image_pad|><|vision_end|>
                {%- elif content.type == 'video' or 'video' in content %}
                    {%- set video_count.value = video_count.value + 1 %}
                    {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                    <|vision_start|><|video_pad|><|vision_end|>
                {%- elif 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role + '\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content_item in message.content %}
                {%- if 'text' in content_item %}
                    {{- content_item.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and message.content) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content in message.content %}
                {%- if content.type == 'image' or 'image' in content or 'image_url' in content %}
                    {%- set image_count.value = image_count.value + 1 %}
                    {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                    <|vision_start|><|image_pad|><|vision_end|>
                {%- elif content.type == 'video' or 'video' in content %}
                    {%- set video_count.value = video_count.value + 1 %}
                    {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                    <|vision_start|><|video_pad|><|vision_end|>
                {%- elif 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""  # noqa: E501

# Written by the template besides QWEN_SPECIALS: videos (control) and tool calls (added
# tokens Qwen's tokenizer does not mark special, so user-defined).
QWEN3VL_CONTROL = [*QWEN_SPECIALS, "<|video_pad|>"]
QWEN3VL_USER_DEFINED = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]

# Qwen3-VL's vision tower: 16 px patches over a 48x48 grid of learned position embeddings
# (num_position_embeddings 2304, so the converter's image_size is 48 * 16 = 768).
QWEN3VL_PATCH = 16
QWEN3VL_POSITION_GRID = 48


def write_qwen3vl_text(
    path: Path,
    *,
    n_embd: int = 64,
    n_ff: int = 192,
    n_layer: int = 4,
    n_head: int = 2,
    n_head_kv: int = 1,
    head_dim: int = 32,
    n_deepstack: int = 3,
    seed: int = 0,
) -> Path:
    """A tiny ``qwen3vl`` text model: Qwen3 layers, interleaved M-RoPE and DeepStack inputs.

    ``n_deepstack`` must equal the projector's number of deepstack layers: llama.cpp then
    expects ``n_embd * (1 + n_deepstack)``-wide image embeddings (``n_embd_inp``) and adds
    slice ``i + 1`` to the output of layer ``i``.
    """
    from gguf import TokenType

    if n_layer < n_deepstack:
        raise ValueError("every deepstack slice needs a text layer to join")
    tokens, types, printable = _spm_vocab()
    tokens += QWEN3VL_CONTROL + QWEN3VL_USER_DEFINED
    types += [int(TokenType.CONTROL)] * len(QWEN3VL_CONTROL)
    types += [int(TokenType.USER_DEFINED)] * len(QWEN3VL_USER_DEFINED)
    writer = _text_writer(
        path,
        "qwen3vl",
        "LocalSight qwen3vl stand-in",
        context_length=262_144,
        n_embd=n_embd,
        n_layer=n_layer,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head_kv,
    )
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(5_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    # Qwen3-VL's mrope_section [24, 20, 20] (+ 0) shares half of its 128-wide heads; the
    # same proportions of half of head_dim 32: [6, 5, 5, 0].
    half = head_dim // 2
    height = width = half * 20 // 64
    writer.add_rope_dimension_sections([half - height - width, height, width, 0])
    writer.add_uint32("qwen3vl.n_deepstack_layers", n_deepstack)
    eos = tokens.index("<|im_end|>")
    _spm_tokenizer(writer, tokens, types, eos_id=eos, add_bos=False, chat_template=QWEN3VL_TEMPLATE)
    n_q, n_kv = n_head * head_dim, n_head_kv * head_dim
    tensors = _text_io(len(tokens), n_embd, printable)
    for i in range(n_layer):
        block = f"blk.{i}"
        tensors += [
            _Tensor(f"{block}.attn_norm.weight", (n_embd,), _constant(1.0)),
            _linear(f"{block}.attn_q.weight", n_q, n_embd),
            _linear(f"{block}.attn_k.weight", n_kv, n_embd),
            _linear(f"{block}.attn_v.weight", n_kv, n_embd),
            _Tensor(f"{block}.attn_q_norm.weight", (head_dim,), _constant(1.0)),
            _Tensor(f"{block}.attn_k_norm.weight", (head_dim,), _constant(1.0)),
            _linear(f"{block}.attn_output.weight", n_embd, n_q),
            *_gated_ffn(block, n_embd, n_ff),
        ]
    _write_gguf(writer, tensors, seed)
    return path


def write_qwen3vl_mmproj(
    path: Path,
    *,
    n_embd_text: int,
    width: int = 32,
    ffn: int = 128,
    n_blocks: int = 4,
    n_heads: int = 2,
    deepstack: tuple[int, ...] = (0, 1, 2),
    seed: int = 0,
) -> Path:
    """A ``qwen3vl_merger`` projector (Qwen3-VL's vision tower, patch merger and DeepStack).

    Its embeddings are ``n_embd_text * (1 + len(deepstack))`` wide: the text model must
    declare ``n_deepstack_layers = len(deepstack)``.
    """
    if (width // n_heads) % 4:
        raise ValueError("the vision RoPE splits each head into four sections")
    patch = QWEN3VL_PATCH
    writer = _vision_writer(
        path,
        "qwen3vl_merger",
        image_size=QWEN3VL_POSITION_GRID * patch,
        patch_size=patch,
        width=width,
        ffn=ffn,
        n_blocks=n_blocks,
        n_heads=n_heads,
        n_embd_text=n_embd_text,
    )
    writer.add_vision_use_gelu(True)
    writer.add_uint32("clip.vision.spatial_merge_size", 2)
    writer.add_array("clip.vision.is_deepstack_layers", [i in deepstack for i in range(n_blocks)])
    tensors = [
        _patch_embd(width, patch),
        _patch_embd(width, patch, "v.patch_embd.weight.1"),
        _Tensor("v.patch_embd.bias", (width,), _constant(0.0)),
        _Tensor("v.position_embd.weight", (QWEN3VL_POSITION_GRID**2, width), _gaussian(0.02)),
    ]
    for i in range(n_blocks):
        block = f"v.blk.{i}"
        tensors += _layer_norm(f"{block}.ln1", width)
        tensors += _biased(f"{block}.attn_qkv", 3 * width, width)
        tensors += _biased(f"{block}.attn_out", width, width)
        tensors += _layer_norm(f"{block}.ln2", width)
        tensors += _biased(f"{block}.ffn_up", ffn, width)
        tensors += _biased(f"{block}.ffn_down", width, ffn)
    merged = width * 4  # 2x2 patches side by side
    tensors += _layer_norm("v.post_ln", width)
    tensors += _biased("mm.0", merged, merged)
    tensors += _biased("mm.2", n_embd_text, merged)
    for i in deepstack:
        tensors += _layer_norm(f"v.deepstack.{i}.norm", merged)
        tensors += _biased(f"v.deepstack.{i}.fc1", merged, merged)
        tensors += _biased(f"v.deepstack.{i}.fc2", n_embd_text, merged)
    _write_gguf(writer, tensors, seed)
    return path


def write_qwen3vl_pair(folder: Path, _source: Path | None = None) -> tuple[Path, Path]:
    """The qwen3-vl family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = write_qwen3vl_text(folder / "qwen3-vl-standin.gguf")
    mmproj = write_qwen3vl_mmproj(folder / "mmproj-qwen3-vl-standin.gguf", n_embd_text=64)
    return model, mmproj
