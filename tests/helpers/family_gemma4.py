"""A faithful stand-in for Gemma 4's small models (gemma-4-E2B-it / E4B-it), written at test time.

No Gemma 4 weights are reachable here and no small ``gemma4`` text model is on PyPI, so both
files are synthetic, like the qwen2.5-vl stand-in in ``family_models.py``: random
weights and a microscopic vocabulary, but the architecture, metadata keys, tensor names and
shapes, special tokens, chat template and image geometry that the vendored llama.cpp reads
for the real E2B files (``src/models/gemma4.cpp``, ``tools/mtmd/clip.cpp``,
``tools/mtmd/models/gemma4v.cpp``, ``tools/mtmd/mtmd.cpp``; keys as
``conversion/gemma.py``'s ``Gemma4Model`` / ``Gemma4VisionAudioModel`` write them).

* **Real**: the ``gemma4`` architecture with E2B's layout: 35 layers, 4 sliding-window layers
  (window 512, rope base 10k) then 1 full-attention layer (rope base 1M, "proportional" rope
  through ``rope_freqs``, a quarter of the head rotated), wider heads on full layers, 1 KV
  head, the last 20 layers reusing the KV cache of layers 13/14, double-width MLPs on those
  shared layers, per-layer embeddings (``per_layer_token_embd`` & co.), per-layer output
  scales, tied embeddings, final logit soft-capping at 30; the width of 1536, because
  mtmd decodes gemma4v images causally only for 1536 (E2B) and 2560 (E4B)
  (``mtmd_decode_use_non_causal``); the ``gemma4`` BPE tokenizer (SentencePiece-style ``▁``
  and ``<0xXX>`` byte fallback, merges) with Gemma 4's special tokens: ``<pad>`` ``<eos>``
  ``<bos>`` ``<unk>`` ``<mask>`` at ids 0-4, control tokens ``<|turn>`` / ``<turn|>``
  (end of turn, an EOG by name), ``<|image>`` / ``<image|>`` (what mtmd writes around an
  image's embeddings), ``<|image|>`` (the template's image placeholder), the audio, video,
  thinking and tool tokens, the "visible" ones (``<|channel>``, ``<|tool_call>``, ``<|"|>``
  ...) user-defined as the converter makes them; E2B's chat template (``GEMMA4_TEMPLATE``).
  The projector is ``gemma4v`` with the real geometry: patch 16, learned 2-D position
  tables of 10 240 rows, 2-D rope, 3x3 average pooling (llama.cpp's default; the real file
  does not set it), variable resolution within llama.cpp's 70 to 1120 tokens, pixels in
  [0, 1] (mean 0, std 1), clipped linears as the on-device vision tower has, the
  ``clip.vision.projector_type`` key of a mixed-modality mmproj, image size 224 (unused).
  mtmd makes an 800x600 photo 816x624 px, 51x39 patches, 17x13 = 221 tokens, as it does
  with the real E2B projector.
* **Synthetic**: the weights (seeded random); tiny heads (2 query heads of 8 / 16 dims
  where E2B has 8 of 256 / 512), MLP (8 wide), per-layer embeddings (4 per layer) and
  vocabulary (~400 tokens; Gemma 4 has 262 144, so the special tokens sit at other ids);
  a 2-block, 32-wide vision tower (E2B: 16 blocks, 768); no audio tower (the real E2B
  mmproj also carries a ``gemma4a`` conformer); no k/v weights on the KV-sharing layers
  (optional for llama.cpp, which never reads them).  The embedding table doubles as the
  output head (tied, as in Gemma 4) and is initialised so that only readable text tokens
  score: answers are printable ASCII and never end early.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, TokenType

from tests.helpers.tiny_models import (
    _constant,
    _gated_ffn,
    _gaussian,
    _Init,
    _linear,
    _patch_embd,
    _Tensor,
    _text_writer,
    _write_gguf,
)

# models/templates/google-gemma-4-31B-it.jinja of the vendored llama.cpp, byte for byte.
GEMMA4_31B_TEMPLATE = r"""{%- macro format_parameters(properties, required) -%}
    {%- set standard_keys = ['description', 'type', 'properties', 'required', 'nullable'] -%}
    {%- set ns = namespace(found_first=false) -%}
    {%- for key, value in properties | dictsort -%}
        {%- set add_comma = false -%}
        {%- if key not in standard_keys -%}
            {%- if ns.found_first %},{% endif -%}
            {%- set ns.found_first = true -%}
            {{ key }}:{
            {%- if value['description'] -%}
                description:<|"|>{{ value['description'] }}<|"|>
                {%- set add_comma = true -%}
            {%- endif -%}
            {%- if value['type'] | upper == 'STRING' -%}
                {%- if value['enum'] -%}
                    {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                    enum:{{ format_argument(value['enum']) }}
                {%- endif -%}
            {%- elif value['type'] | upper == 'ARRAY' -%}
                {%- if value['items'] is mapping and value['items'] -%}
                    {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                    items:{
                    {%- set ns_items = namespace(found_first=false) -%}
                    {%- for item_key, item_value in value['items'] | dictsort -%}
                        {%- if item_value is not none -%}
                            {%- if ns_items.found_first %},{% endif -%}
                            {%- set ns_items.found_first = true -%}
                            {%- if item_key == 'properties' -%}
                                properties:{
                                {%- if item_value is mapping -%}
                                    {{- format_parameters(item_value, value['items']['required'] | default([])) -}}
                                {%- endif -%}
                                }
                            {%- elif item_key == 'required' -%}
                                required:[
                                {%- for req_item in item_value -%}
                                    <|"|>{{- req_item -}}<|"|>
                                    {%- if not loop.last %},{% endif -%}
                                {%- endfor -%}
                                ]
                            {%- elif item_key == 'type' -%}
                                {%- if item_value is string -%}
                                    type:{{ format_argument(item_value | upper) }}
                                {%- else -%}
                                    type:{{ format_argument(item_value | map('upper') | list) }}
                                {%- endif -%}
                            {%- else -%}
                                {{ item_key }}:{{ format_argument(item_value) }}
                            {%- endif -%}
                        {%- endif -%}
                    {%- endfor -%}
                    }
                {%- endif -%}
            {%- endif -%}
            {%- if value['nullable'] %}
                {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                nullable:true
            {%- endif -%}
            {%- if value['type'] | upper == 'OBJECT' -%}
                {%- if value['properties'] is defined and value['properties'] is mapping -%}
                    {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                    properties:{
                    {{- format_parameters(value['properties'], value['required'] | default([])) -}}
                    }
                {%- elif value is mapping -%}
                    {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                    properties:{
                    {{- format_parameters(value, value['required'] | default([])) -}}
                    }
                {%- endif -%}
                {%- if value['required'] -%}
                    {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
                    required:[
                    {%- for item in value['required'] | default([]) -%}
                        <|"|>{{- item -}}<|"|>
                        {%- if not loop.last %},{% endif -%}
                    {%- endfor -%}
                    ]
                {%- endif -%}
            {%- endif -%}
            {%- if add_comma %},{%- else -%} {%- set add_comma = true -%} {% endif -%}
            type:<|"|>{{ value['type'] | upper }}<|"|>}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro -%}
{%- macro format_function_declaration(tool_data) -%}
    declaration:{{- tool_data['function']['name'] -}}{description:<|"|>{{- tool_data['function']['description'] -}}<|"|>
    {%- set params = tool_data['function']['parameters'] -%}
    {%- if params -%}
        ,parameters:{
        {%- if params['properties'] -%}
            properties:{ {{- format_parameters(params['properties'], params['required']) -}} },
        {%- endif -%}
        {%- if params['required'] -%}
            required:[
            {%- for item in params['required'] -%}
                <|"|>{{- item -}}<|"|>
                {{- ',' if not loop.last -}}
            {%- endfor -%}
            ],
        {%- endif -%}
        {%- if params['type'] -%}
            type:<|"|>{{- params['type'] | upper -}}<|"|>}
        {%- endif -%}
    {%- endif -%}
    {%- if 'response' in tool_data['function'] -%}
        {%- set response_declaration = tool_data['function']['response'] -%}
        ,response:{
        {%- if response_declaration['description'] -%}
            description:<|"|>{{- response_declaration['description'] -}}<|"|>,
        {%- endif -%}
        {%- if response_declaration['type'] | upper == 'OBJECT' -%}
            type:<|"|>{{- response_declaration['type'] | upper -}}<|"|>}
        {%- endif -%}
    {%- endif -%}
    }
{%- endmacro -%}
{%- macro format_argument(argument, escape_keys=True) -%}
    {%- if argument is string -%}
        {{- '<|"|>' + argument + '<|"|>' -}}
    {%- elif argument is boolean -%}
        {{- 'true' if argument else 'false' -}}
    {%- elif argument is mapping -%}
        {{- '{' -}}
        {%- set ns = namespace(found_first=false) -%}
        {%- for key, value in argument | dictsort -%}
            {%- if ns.found_first %},{% endif -%}
            {%- set ns.found_first = true -%}
            {%- if escape_keys -%}
                {{- '<|"|>' + key + '<|"|>' -}}
            {%- else -%}
                {{- key -}}
            {%- endif -%}
            :{{- format_argument(value, escape_keys=escape_keys) -}}
        {%- endfor -%}
        {{- '}' -}}
    {%- elif argument is sequence -%}
        {{- '[' -}}
        {%- for item in argument -%}
            {{- format_argument(item, escape_keys=escape_keys) -}}
            {%- if not loop.last %},{% endif -%}
        {%- endfor -%}
        {{- ']' -}}
    {%- else -%}
        {{- argument -}}
    {%- endif -%}
{%- endmacro -%}
{%- macro strip_thinking(text) -%}
    {%- set ns = namespace(result='') -%}
    {%- for part in text.split('<channel|>') -%}
        {%- if '<|channel>' in part -%}
            {%- set ns.result = ns.result + part.split('<|channel>')[0] -%}
        {%- else -%}
            {%- set ns.result = ns.result + part -%}
        {%- endif -%}
    {%- endfor -%}
    {{- ns.result | trim -}}
{%- endmacro -%}

{%- macro format_tool_response_block(tool_name, response) -%}
    {{- '<|tool_response>' -}}
    {%- if response is mapping -%}
        {{- 'response:' + tool_name + '{' -}}
        {%- for key, value in response | dictsort -%}
            {{- key -}}:{{- format_argument(value, escape_keys=False) -}}
            {%- if not loop.last %},{% endif -%}
        {%- endfor -%}
        {{- '}' -}}
    {%- else -%}
        {{- 'response:' + tool_name + '{value:' + format_argument(response, escape_keys=False) + '}' -}}
    {%- endif -%}
    {{- '<tool_response|>' -}}
{%- endmacro -%}

{%- set ns = namespace(prev_message_type=None) -%}
{%- set loop_messages = messages -%}
{{- bos_token -}}
{#- Handle System/Tool Definitions Block -#}
{%- if (enable_thinking is defined and enable_thinking) or tools or messages[0]['role'] in ['system', 'developer'] -%}
    {{- '<|turn>system\n' -}}

    {#- Inject Thinking token at the very top of the FIRST system turn -#}
    {%- if enable_thinking is defined and enable_thinking -%}
        {{- '<|think|>\n' -}}
        {%- set ns.prev_message_type = 'think' -%}
    {%- endif -%}

    {%- if messages[0]['role'] in ['system', 'developer'] -%}
        {{- messages[0]['content'] | trim -}}
        {%- set loop_messages = messages[1:] -%}
    {%- endif -%}

    {%- if tools -%}
        {%- for tool in tools %}
            {{- '<|tool>' -}}
            {{- format_function_declaration(tool) | trim -}}
            {{- '<tool|>' -}}
        {%- endfor %}
        {%- set ns.prev_message_type = 'tool' -%}
    {%- endif -%}

    {{- '<turn|>\n' -}}
{%- endif %}

{#- Pre-scan: find last user message index for reasoning guard -#}
{%- set ns_turn = namespace(last_user_idx=-1) -%}
{%- for i in range(loop_messages | length) -%}
    {%- if loop_messages[i]['role'] == 'user' -%}
        {%- set ns_turn.last_user_idx = i -%}
    {%- endif -%}
{%- endfor -%}

{#- Loop through messages -#}
{%- for message in loop_messages -%}
    {%- if message['role'] != 'tool' -%}
    {%- set ns.prev_message_type = None -%}
    {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
    {#- Detect continuation: suppress duplicate <|turn>model when previous non-tool message was also assistant -#}
    {%- set prev_nt = namespace(role=None, found=false) -%}
    {%- if loop.index0 > 0 -%}
        {%- for j in range(loop.index0 - 1, -1, -1) -%}
            {%- if not prev_nt.found -%}
                {%- if loop_messages[j]['role'] != 'tool' -%}
                    {%- set prev_nt.role = loop_messages[j]['role'] -%}
                    {%- set prev_nt.found = true -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set continue_same_model_turn = (role == 'model' and prev_nt.role == 'assistant') -%}
    {%- if not continue_same_model_turn -%}
        {{- '<|turn>' + role + '\n' }}
    {%- endif -%}

    {#- Render reasoning/reasoning_content as thinking channel -#}
    {%- set thinking_text = message.get('reasoning') or message.get('reasoning_content') -%}
    {%- if thinking_text and loop.index0 > ns_turn.last_user_idx and message.get('tool_calls') -%}
        {{- '<|channel>thought\n' + thinking_text + '\n<channel|>' -}}
    {%- endif -%}

            {%- if message['tool_calls'] -%}
                {%- for tool_call in message['tool_calls'] -%}
                    {%- set function = tool_call['function'] -%}
                    {{- '<|tool_call>call:' + function['name'] + '{' -}}
                    {%- if function['arguments'] is mapping -%}
                        {%- set ns_args = namespace(found_first=false) -%}
                        {%- for key, value in function['arguments'] | dictsort -%}
                            {%- if ns_args.found_first %},{% endif -%}
                            {%- set ns_args.found_first = true -%}
                            {{- key -}}:{{- format_argument(value, escape_keys=False) -}}
                        {%- endfor -%}
                    {%- elif function['arguments'] is string -%}
                        {{- function['arguments'] -}}
                    {%- endif -%}
                    {{- '}<tool_call|>' -}}
                {%- endfor -%}
                {%- set ns.prev_message_type = 'tool_call' -%}
            {%- endif -%}

            {%- set ns_tr_out = namespace(flag=false) -%}
            {%- if message.get('tool_responses') -%}
                {#- Legacy: tool_responses embedded on the assistant message (Google/Gemma native) -#}
                {%- for tool_response in message['tool_responses'] -%}
                    {{- format_tool_response_block(tool_response['name'] | default('unknown'), tool_response['response']) -}}
                    {%- set ns_tr_out.flag = true -%}
                    {%- set ns.prev_message_type = 'tool_response' -%}
                {%- endfor -%}
            {%- elif message.get('tool_calls') -%}
                {#- OpenAI Chat Completions: forward-scan consecutive role:tool messages -#}
                {%- set ns_tool_scan = namespace(stopped=false) -%}
                {%- for k in range(loop.index0 + 1, loop_messages | length) -%}
                    {%- if ns_tool_scan.stopped -%}
                    {%- elif loop_messages[k]['role'] != 'tool' -%}
                        {%- set ns_tool_scan.stopped = true -%}
                    {%- else -%}
                        {%- set follow = loop_messages[k] -%}
                        {#- Resolve tool_call_id to function name -#}
                        {%- set ns_tname = namespace(name=follow.get('name') | default('unknown')) -%}
                        {%- for tc in message['tool_calls'] -%}
                            {%- if tc.get('id') == follow.get('tool_call_id') -%}
                                {%- set ns_tname.name = tc['function']['name'] -%}
                            {%- endif -%}
                        {%- endfor -%}
                        {#- Handle content as string or content-parts array -#}
                        {%- set tool_body = follow.get('content') -%}
                        {%- if tool_body is string -%}
                            {{- format_tool_response_block(ns_tname.name, tool_body) -}}
                        {%- elif tool_body is sequence and tool_body is not string -%}
                            {%- set ns_txt = namespace(s='') -%}
                            {%- for part in tool_body -%}
                                {%- if part.get('type') == 'text' -%}
                                    {%- set ns_txt.s = ns_txt.s + (part.get('text') | default('')) -%}
                                {%- endif -%}
                            {%- endfor -%}
                            {{- format_tool_response_block(ns_tname.name, ns_txt.s) -}}
                        {%- else -%}
                            {{- format_tool_response_block(ns_tname.name, tool_body) -}}
                        {%- endif -%}
                        {%- set ns_tr_out.flag = true -%}
                        {%- set ns.prev_message_type = 'tool_response' -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}

            {%- if message['content'] is string -%}
                {%- if role == 'model' -%}
                    {{- strip_thinking(message['content']) -}}
                {%- else -%}
                    {{- message['content'] | trim -}}
                {%- endif -%}
            {%- elif message['content'] is sequence -%}
                {%- for item in message['content'] -%}
                    {%- if item['type'] == 'text' -%}
                        {%- if role == 'model' -%}
                            {{- strip_thinking(item['text']) -}}
                        {%- else -%}
                            {{- item['text'] | trim -}}
                        {%- endif -%}
                    {%- elif item['type'] == 'image' -%}
                        {{- '<|image|>' -}}
                        {%- set ns.prev_message_type = 'image' -%}
                    {%- elif item['type'] == 'audio' -%}
                        {{- '<|audio|>' -}}
                        {%- set ns.prev_message_type = 'audio' -%}
                    {%- elif item['type'] == 'video' -%}
                        {{- '<|video|>' -}}
                        {%- set ns.prev_message_type = 'video' -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}

        {%- if ns.prev_message_type == 'tool_call' and not ns_tr_out.flag -%}
            {{- '<|tool_response>' -}}
        {%- elif not (ns_tr_out.flag and not message.get('content')) -%}
            {{- '<turn|>\n' -}}
        {%- endif -%}
    {%- endif -%}
{%- endfor -%}

{%- if add_generation_prompt -%}
    {%- if ns.prev_message_type != 'tool_response' and ns.prev_message_type != 'tool_call' -%}
        {{- '<|turn>model\n' -}}
        {%- if not enable_thinking | default(false) -%}
            {{- '<|channel>thought\n<channel|>' -}}
        {%- endif -%}
    {%- endif -%}
{%- endif -%}
"""  # noqa: E501

# gemma-4-E2B-it and E4B-it ship the same template except for the end of the generation
# prompt: with thinking off, the 26B/31B models are primed with an empty, closed thought
# block, the small ones are not (their prompt ends at "<|turn>model\n"); Google's model cards
# say E2B/E4B emit no thought block when thinking is off.  (Checked against the E2B template
# of the same revision, kept in ollama's model/renderers/testdata.)
_EMPTY_THOUGHT = (
    "        {%- if not enable_thinking | default(false) -%}\n"
    "            {{- '<|channel>thought\\n<channel|>' -}}\n"
    "        {%- endif -%}\n"
)
if GEMMA4_31B_TEMPLATE.count(_EMPTY_THOUGHT) != 1:
    raise RuntimeError("the Gemma 4 template changed: re-check the E2B difference")
GEMMA4_TEMPLATE = GEMMA4_31B_TEMPLATE.replace(_EMPTY_THOUGHT, "")

# Gemma 4's vocabulary starts with these five control tokens; per-layer embeddings of image
# positions use row 0 (<pad>) (src/models/gemma4.cpp, TAG_GEMMA4_IMG_PADDING).
GEMMA4_FIRST = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
GEMMA4_CONTROL = [
    "<|turn>",  # a turn starts: "<|turn>user\n"
    "<turn|>",  # a turn ends (an end-of-generation token by name in llama-vocab.cpp)
    "<|think|>",
    "<|image>",  # mtmd writes <|image> ... embeddings ... <image|> (mtmd.cpp)
    "<image|>",
    "<|image|>",  # the template's image placeholder (typed image parts)
    "<|audio>",
    "<audio|>",
    "<|audio|>",
    "<|video|>",
    "<|tool>",
    "<tool|>",
]
# Rendered as text so the chat parser sees them (conversion/gemma.py, visible_tokens).
GEMMA4_VISIBLE = [
    "<|channel>",
    "<channel|>",
    "<|tool_call>",
    "<tool_call|>",
    "<|tool_response>",
    "<tool_response|>",
    '<|"|>',
]
_MERGES = [("▁", "t"), ("h", "e"), ("i", "n"), ("e", "r"), ("a", "n"), ("o", "n"), ("▁t", "he")]

# gemma-4-E2B's text width: mtmd_decode_use_non_causal() decodes gemma4v images causally only
# for 1536 (E2B) and 2560 (E4B), non-causally for every other width.
GEMMA4_E2B_N_EMBD = 1536


def gemma4_vocab() -> tuple[list[str], list[int], list[str], list[int]]:
    """Tokens, their types, BPE merges and the ids of the readable text tokens."""
    tokens = [*GEMMA4_FIRST, *GEMMA4_CONTROL, *GEMMA4_VISIBLE]
    types = [TokenType.CONTROL] * (len(GEMMA4_FIRST) + len(GEMMA4_CONTROL))
    types += [TokenType.USER_DEFINED] * len(GEMMA4_VISIBLE)
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [TokenType.BYTE] * 256
    tokens += ["\n", "\n\n"]
    types += [TokenType.NORMAL] * 2
    first_readable = len(tokens)
    tokens += ["▁", *(chr(code) for code in range(0x21, 0x7F))]
    tokens += [left + right for left, right in _MERGES]
    types += [TokenType.NORMAL] * (len(tokens) - first_readable)
    merges = [f"{left} {right}" for left, right in _MERGES]
    return tokens, [int(t) for t in types], merges, list(range(first_readable, len(tokens)))


def _tied_embedding(readable_ids: list[int], n_embd: int) -> _Init:
    """Token embeddings that are also the output head (Gemma 4 ties them): readable tokens
    get rows of std 4 / sqrt(n_embd), so their logits have std about 4 against the final
    norm's output, and every other row is 40 times smaller (logits near 0): greedy and
    sampled answers are readable text that never stops on <turn|> by chance."""
    std = 4.0 / math.sqrt(n_embd)

    def init(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        table = _gaussian(std / 40.0)(rng, shape)
        table[readable_ids] = _gaussian(std)(rng, (len(readable_ids), shape[1]))
        return table

    return init


def _proportional_rope(head_dim: int, rotated_fraction: float = 0.25) -> _Init:
    """``rope_freqs`` of the full-attention layers: Gemma 4's "proportional" rope rotates a
    quarter of each head; the converter gives the other pairs a frequency factor of 1e30."""
    n_rot = int(head_dim * rotated_fraction / 2)

    def init(_rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        values = np.full(shape, 1e30, dtype=np.float32)
        values[:n_rot] = 1.0
        return values

    return init


def write_gemma4_text(
    path: Path,
    *,
    n_embd: int = GEMMA4_E2B_N_EMBD,
    n_layer: int = 35,
    n_kv_shared_layers: int = 20,
    swa_period: int = 5,
    sliding_window: int = 512,
    n_head: int = 2,
    n_head_kv: int = 1,
    head_dim_swa: int = 8,
    head_dim_full: int = 16,
    n_ff: int = 8,
    n_embd_per_layer: int = 4,
    seed: int = 0,
) -> Path:
    """A tiny ``gemma4`` text model with E2B's layer layout (see the module docstring).

    Layer ``i`` uses full attention when ``(i + 1) % swa_period == 0`` (E2B: 4 sliding, then
    1 full); the last ``n_kv_shared_layers`` layers have no KV of their own and read that of
    the last sliding / full layer before them, which llama.cpp requires to be those types.
    """
    tokens, types, merges, readable = gemma4_vocab()
    n_vocab = len(tokens)
    is_swa = [(i + 1) % swa_period != 0 for i in range(n_layer)]
    first_shared = n_layer - n_kv_shared_layers
    if first_shared < 2 or is_swa[first_shared - 1] or not is_swa[first_shared - 2]:
        raise ValueError("the last KV layer must be full attention and the one before it sliding")
    # use_double_wide_mlp: the KV-sharing layers have twice the MLP width (conversion/gemma.py).
    n_ff_per_layer = [n_ff if i < first_shared else 2 * n_ff for i in range(n_layer)]

    writer = _text_writer(
        path,
        "gemma4",
        "LocalSight gemma4 (E2B) stand-in",
        context_length=131_072,
        n_embd=n_embd,
        n_layer=n_layer,
        n_ff=n_ff_per_layer,
        n_head=n_head,
        n_head_kv=n_head_kv,
    )
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_key_length(head_dim_full)
    writer.add_value_length(head_dim_full)
    writer.add_key_length_swa(head_dim_swa)
    writer.add_value_length_swa(head_dim_swa)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_rope_freq_base_swa(10_000.0)
    writer.add_rope_dimension_count(head_dim_full)
    writer.add_rope_dimension_count_swa(head_dim_swa)
    writer.add_sliding_window(sliding_window)
    writer.add_sliding_window_pattern(is_swa)
    writer.add_shared_kv_layers(n_kv_shared_layers)
    writer.add_embedding_length_per_layer_input(n_embd_per_layer)
    writer.add_final_logit_softcapping(30.0)

    writer.add_tokenizer_model("gemma4")
    writer.add_tokenizer_pre("gemma4")
    writer.add_token_list(tokens)
    writer.add_token_scores([float(i) for i in range(n_vocab)])
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(GEMMA4_FIRST.index("<bos>"))
    writer.add_eos_token_id(GEMMA4_FIRST.index("<eos>"))
    writer.add_unk_token_id(GEMMA4_FIRST.index("<unk>"))
    writer.add_pad_token_id(GEMMA4_FIRST.index("<pad>"))
    writer.add_mask_token_id(GEMMA4_FIRST.index("<mask>"))
    writer.add_add_space_prefix(False)
    writer.add_add_bos_token(True)
    writer.add_chat_template(GEMMA4_TEMPLATE)

    n_per_layer = n_embd_per_layer * n_layer
    ones = _constant(1.0)
    tensors = [
        # No output.weight: llama.cpp uses token_embd as the output head.
        _Tensor("token_embd.weight", (n_vocab, n_embd), _tied_embedding(readable, n_embd)),
        _Tensor(
            "per_layer_token_embd.weight",
            (n_vocab, n_per_layer),
            _gaussian(1.0 / math.sqrt(n_embd_per_layer)),
        ),
        _linear("per_layer_model_proj.weight", n_per_layer, n_embd),
        _Tensor("per_layer_proj_norm.weight", (n_embd_per_layer,), ones),
        _Tensor("output_norm.weight", (n_embd,), ones),
        _Tensor("rope_freqs.weight", (head_dim_full // 2,), _proportional_rope(head_dim_full)),
    ]
    for i in range(n_layer):
        block = f"blk.{i}"
        head_dim = head_dim_swa if is_swa[i] else head_dim_full
        tensors += [
            _Tensor(f"{block}.attn_norm.weight", (n_embd,), ones),
            _linear(f"{block}.attn_q.weight", n_head * head_dim, n_embd),
            _Tensor(f"{block}.attn_q_norm.weight", (head_dim,), ones),
        ]
        if i < first_shared:
            tensors += [
                _linear(f"{block}.attn_k.weight", n_head_kv * head_dim, n_embd),
                _linear(f"{block}.attn_v.weight", n_head_kv * head_dim, n_embd),
                _Tensor(f"{block}.attn_k_norm.weight", (head_dim,), ones),
            ]
        tensors += [
            _linear(f"{block}.attn_output.weight", n_embd, n_head * head_dim),
            _Tensor(f"{block}.post_attention_norm.weight", (n_embd,), ones),
            *_gated_ffn(block, n_embd, n_ff_per_layer[i]),
            _Tensor(f"{block}.post_ffw_norm.weight", (n_embd,), ones),
            _linear(f"{block}.inp_gate.weight", n_embd_per_layer, n_embd),
            _linear(f"{block}.proj.weight", n_embd, n_embd_per_layer),
            _Tensor(f"{block}.post_norm.weight", (n_embd,), ones),
            _Tensor(f"{block}.layer_output_scale.weight", (1,), ones),
        ]
    _write_gguf(writer, tensors, seed)
    return path


def _clipped(name: str, n_out: int, n_in: int, bound: float = 1000.0) -> list[_Tensor]:
    """A linear layer of the on-device vision tower (``use_clipped_linears``): its weight and
    the input/output clamp scalars clip.cpp reads for it (wide here, so they never bind)."""
    stem = name.removesuffix(".weight")
    return [
        _linear(name, n_out, n_in),
        _Tensor(f"{stem}.input_min", (1,), _constant(-bound)),
        _Tensor(f"{stem}.input_max", (1,), _constant(bound)),
        _Tensor(f"{stem}.output_min", (1,), _constant(-bound)),
        _Tensor(f"{stem}.output_max", (1,), _constant(bound)),
    ]


def write_gemma4v_mmproj(
    path: Path,
    *,
    n_embd_text: int = GEMMA4_E2B_N_EMBD,
    patch_size: int = 16,
    position_embedding_size: int = 10_240,
    width: int = 32,
    ffn: int = 48,
    n_blocks: int = 2,
    n_heads: int = 2,
    seed: int = 0,
) -> Path:
    """A ``gemma4v`` projector: Gemma 4's vision tower (no patch bias, x/y position tables,
    2-D rope, RMS-normed q/k/v, sandwich norms, gated MLP, layer scalars), 3x3 average
    pooling, then an RMS norm and ``mm.input_projection`` into the text model's width."""
    head_dim = width // n_heads
    writer = GGUFWriter(path, "clip")
    writer.add_name("LocalSight gemma4v (E2B) stand-in projector")
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    # A mixed-modality key, as in the real (vision + audio) mmproj; no pooling key: clip.cpp
    # defaults to 3 (Gemma 4's pooling_kernel_size); no use_gelu, as the converter writes none.
    writer.add_clip_vision_projector_type("gemma4v")
    writer.add_vision_projection_dim(n_embd_text)
    writer.add_vision_image_size(224)  # unused: images keep their aspect ratio
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(n_blocks)
    writer.add_vision_head_count(n_heads)
    writer.add_vision_attention_layernorm_eps(1e-6)
    # Gemma4ImageProcessor: rescale to [0, 1], no normalisation (the graph maps to [-1, 1]).
    writer.add_vision_image_mean([0.0, 0.0, 0.0])
    writer.add_vision_image_std([1.0, 1.0, 1.0])

    ones = _constant(1.0)
    tensors = [
        _patch_embd(width, patch_size),
        # ggml [width, rows, 2]: one table for x, one for y.
        _Tensor("v.position_embd.weight", (2, position_embedding_size, width), _gaussian(0.02)),
    ]
    for i in range(n_blocks):
        block = f"v.blk.{i}"
        tensors += [_Tensor(f"{block}.ln1.weight", (width,), ones)]
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += _clipped(f"{block}.{name}.weight", width, width)
        tensors += [
            _Tensor(f"{block}.attn_q_norm.weight", (head_dim,), ones),
            _Tensor(f"{block}.attn_k_norm.weight", (head_dim,), ones),
            _Tensor(f"{block}.attn_post_norm.weight", (width,), ones),
            _Tensor(f"{block}.ln2.weight", (width,), ones),
        ]
        tensors += _clipped(f"{block}.ffn_gate.weight", ffn, width)
        tensors += _clipped(f"{block}.ffn_up.weight", ffn, width)
        tensors += _clipped(f"{block}.ffn_down.weight", width, ffn)
        tensors += [
            _Tensor(f"{block}.ffn_post_norm.weight", (width,), ones),
            _Tensor(f"{block}.out_scale.weight", (1,), ones),
        ]
    # ggml ne = [width, n_embd_text]: clip.cpp's n_mmproj_embd for gemma4v is its ne[1].
    tensors.append(_linear("mm.input_projection.weight", n_embd_text, width))
    _write_gguf(writer, tensors, seed)
    return path


def write_gemma4_pair(folder: Path, _source: Path | None = None) -> tuple[Path, Path]:
    """The gemma4 (E2B) family in ``folder``: (text model, mmproj)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = write_gemma4_text(folder / "gemma-4-e2b-standin.gguf")
    mmproj = write_gemma4v_mmproj(folder / "mmproj-gemma-4-e2b-standin.gguf")
    return model, mmproj
