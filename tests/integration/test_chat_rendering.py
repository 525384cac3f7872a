"""The prompt LocalSight renders equals the one llama.cpp's own chat code renders.

For each real family template and each message shape (text only, a system prompt, several
turns, an image turn, two images, an image turn followed by a text turn), the exact prompt
string of LocalSight's fast path is compared with what a real ``llama-server`` (built from
the same vendored llama.cpp, ``--jinja``) answers on ``/apply-template`` for the same
messages, with the same model and projector loaded.  The media marker is pinned with
``LLAMA_MEDIA_MARKER`` to mtmd's default, the one LocalSight uses.

The bug this guards against: SmolVLM's template reads only typed content parts, and a
plain-string message rendered as nothing — the question vanished from the prompt.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import CancelToken, ChatRequest, GenerationOptions, ImageInput, Message
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.backend import _openai_messages
from backends.llama_cpp.native import llama_module
from backends.llama_cpp.prompt_render import RenderedPrompt, content_caps, render_template
from tests.helpers.family_gemma4 import GEMMA4_TEMPLATE
from tests.helpers.family_lfm2vl import LFM2VL_TEMPLATE
from tests.helpers.family_qwen3vl import QWEN3VL_TEMPLATE
from tests.helpers.family_templates import GEMMA3, QWEN25VL, SMOLVLM, smollm2_template
from tests.helpers.images import png_bytes
from tests.helpers.llama_server import LlamaServer
from tests.helpers.llama_tools import ensure_tool
from tests.helpers.tiny_models import DEFAULT_TEMPLATE, write_tiny_mmproj, write_tiny_text_model

pytestmark = pytest.mark.llama_server

MARKER = "<__media__>"


def _image(seed: int) -> ImageInput:
    import hashlib

    data = png_bytes((40 * seed % 255, 90, 160), size=(32, 32))
    return ImageInput(data, "image/png", hashlib.sha256(data).hexdigest(), 32, 32)


QUESTION = "What is the capital of France?"
SHAPES: dict[str, tuple[Message, ...]] = {
    "text": (Message("user", QUESTION),),
    "system": (Message("system", "Answer in one word."), Message("user", QUESTION)),
    "turns": (
        Message("user", QUESTION),
        Message("assistant", "Paris."),
        Message("user", "And of Italy?"),
    ),
    "image": (Message("user", "What is in this picture?", images=(_image(1),)),),
    "two images": (Message("user", "Which is brighter?", images=(_image(1), _image(2))),),
    "image, then text": (
        Message("user", "What is in this picture?", images=(_image(1),)),
        Message("assistant", "A red square."),
        Message("user", "Are you sure?"),
    ),
}


def _templates(smollm2: Path) -> dict[str, str]:
    return {
        "smolvlm": SMOLVLM,
        "gemma3": GEMMA3,
        "qwen2.5-vl": QWEN25VL,
        "qwen3-vl": QWEN3VL_TEMPLATE,
        "lfm2-vl": LFM2VL_TEMPLATE,
        "gemma4": GEMMA4_TEMPLATE,
        "chatml (SmolLM2)": smollm2_template(smollm2),
        "llava-style": DEFAULT_TEMPLATE,
    }


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, smollm2: Path
) -> Iterator[dict[str, tuple[LlamaServer, Path]]]:
    """One llama-server per template: the tiny model carrying it, with the tiny projector."""
    binary = ensure_tool("llama-server")
    started: dict[str, tuple[LlamaServer, Path]] = {}
    try:
        for name, template in _templates(smollm2).items():
            folder = tmp_path_factory.mktemp("family")
            model = write_tiny_text_model(folder / "model.gguf", chat_template=template)
            mmproj = write_tiny_mmproj(folder / "mmproj.gguf")
            server = _serve(binary, model, mmproj)
            started[name] = (server, model)
        yield started
    finally:
        for server, _ in started.values():
            server.stop()


def _serve(binary: Path, model: Path, mmproj: Path) -> LlamaServer:
    """llama-server with llama.cpp's own Jinja chat code and mtmd's default media marker."""
    return LlamaServer(
        binary, model=model, mmproj=mmproj, extra=("--jinja",), env={"LLAMA_MEDIA_MARKER": MARKER}
    ).start()


def _llama_cpp_prompt(server: LlamaServer, messages: list[dict[str, Any]]) -> str:
    """llama.cpp's rendering with thinking off, as LocalSight renders (llama-server turns it
    on by default: Gemma 4's template then opens with a ``<|think|>`` system turn)."""
    body = {"messages": messages, "chat_template_kwargs": {"enable_thinking": False}}
    request = urllib.request.Request(
        f"{server.root_url}/apply-template",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["prompt"])


@pytest.fixture(scope="module")
def backends(
    servers: dict[str, tuple[LlamaServer, Path]],
) -> Iterator[dict[str, LlamaCppBackend]]:
    """LocalSight's own backend on each family's model (projector paired), loaded."""
    loaded: dict[str, LlamaCppBackend] = {}
    try:
        for name, (_server, model) in servers.items():
            backend = LlamaCppBackend(model_dirs=[model.parent], include_embedded=False)
            assert backend.model_info(str(model.resolve())).capabilities.vision
            request = ChatRequest(
                str(model.resolve()),
                (Message("user", "hi"),),
                GenerationOptions(max_tokens=1, temperature=0.0),
            )
            list(backend.stream_chat(request, CancelToken()))
            loaded[name] = backend
        yield loaded
    finally:
        for backend in loaded.values():
            backend.close()


def _app_prompt(backend: LlamaCppBackend, messages: list[dict[str, Any]]) -> RenderedPrompt:
    """The prompt the app's fast path renders for ``messages`` (what it then evaluates)."""
    fast = backend._loaded.fast if backend._loaded is not None else None
    assert fast is not None, "the fast path serves this model"
    return fast._render(messages)


def _expected(family: str, llama_cpps: str) -> str:
    """llama.cpp's prompt, but for the one deliberate difference: SmolVLM's template writes
    "User:" with no space before an image part ("User:<image>What…", as SmolVLM was trained
    and as transformers renders it); llama.cpp hands it the image as text and gets
    "User: <__media__>What…".  LocalSight gives the template its image parts."""
    if family == "smolvlm":
        return llama_cpps.replace(f"User: {MARKER}", f"User:{MARKER}")
    return llama_cpps


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize(
    "family",
    [
        "smolvlm",
        "gemma3",
        "gemma4",
        "qwen2.5-vl",
        "qwen3-vl",
        "lfm2-vl",
        "chatml (SmolLM2)",
        "llava-style",
    ],
)
def test_prompt_equals_llama_cpps_own_rendering(
    servers: dict[str, tuple[LlamaServer, Path]],
    backends: dict[str, LlamaCppBackend],
    family: str,
    shape: str,
) -> None:
    server, _model = servers[family]
    messages = _openai_messages(SHAPES[shape])
    ours = _app_prompt(backends[family], messages)
    assert ours.text == _expected(family, _llama_cpp_prompt(server, messages))
    assert len(ours.images) == sum(len(m.images) for m in SHAPES[shape])
    assert ours.text.count(MARKER) == len(ours.images)
    for message in SHAPES[shape]:
        assert message.text in ours.text  # nothing the person wrote is dropped


def _render_smolvlm(messages: list[dict[str, Any]]) -> str:
    """SmolVLM's template rendered as the fast path renders it (special tokens aside)."""
    return render_template(
        llama_module(),
        SMOLVLM,
        messages,
        bos_token="",
        eos_token="",
        marker=MARKER,
        add_special=True,
    ).text


def test_smolvlm_reads_only_typed_parts_and_keeps_every_turn() -> None:
    caps = content_caps(llama_module(), SMOLVLM)
    assert caps.only_typed
    messages = _openai_messages(SHAPES["turns"])
    text = _render_smolvlm(messages)
    assert text == (
        "<|im_start|>User: What is the capital of France?<end_of_utterance>\n"
        "Assistant: Paris.<end_of_utterance>\n"
        "User: And of Italy?<end_of_utterance>\n"
        "Assistant:"
    )


# -- the faithful family stand-ins: real vocabularies, real projector types -----------------

STANDINS = ["gemma3", "gemma4", "smolvlm", "qwen2.5-vl", "qwen3-vl", "lfm2-vl"]


@pytest.fixture(scope="module")
def real_families() -> Iterator[dict[str, tuple[LlamaServer, LlamaCppBackend]]]:
    """Each stand-in pair served by llama-server and loaded in LocalSight's backend."""
    from tests.helpers.family_models import cached_family

    binary = ensure_tool("llama-server")
    opened: dict[str, tuple[LlamaServer, LlamaCppBackend]] = {}
    try:
        for name in STANDINS:
            model, mmproj = cached_family(name)
            server = _serve(binary, model, mmproj)
            backend = LlamaCppBackend(include_embedded=False, include_stores=False)
            model_id = backend.register(model, mmproj).id
            request = ChatRequest(
                model_id, (Message("user", "hi"),), GenerationOptions(max_tokens=1, temperature=0.0)
            )
            list(backend.stream_chat(request, CancelToken()))
            opened[name] = (server, backend)
        yield opened
    finally:
        for server, backend in opened.values():
            backend.close()
            server.stop()


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("family", STANDINS)
def test_family_standin_prompt_equals_llama_cpps(
    real_families: dict[str, tuple[LlamaServer, LlamaCppBackend]], family: str, shape: str
) -> None:
    """With the family's real vocabulary (Gemma: ``<bos>`` written by the template and
    added by the tokenizer, so cut once from the text, as llama.cpp does)."""
    server, backend = real_families[family]
    messages = _openai_messages(SHAPES[shape])
    assert _app_prompt(backend, messages).text == _expected(
        family, _llama_cpp_prompt(server, messages)
    )


def test_smolvlm_image_turns_read_as_trained() -> None:
    """An image first: "User:<__media__>…" (no space), the marker where SmolVLM's template
    writes "<image>"; a user who types "<image>" gets llama.cpp's rendering instead."""
    messages = _openai_messages(SHAPES["image"])
    text = _render_smolvlm(messages)
    assert text == (
        f"<|im_start|>User:{MARKER}What is in this picture?<end_of_utterance>\nAssistant:"
    )
    tricky = _openai_messages((Message("user", "Is <image> a tag?", images=(_image(1),)),))
    text = _render_smolvlm(tricky)
    assert text.count(MARKER) == 1 and "Is <image> a tag?" in text
