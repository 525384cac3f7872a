"""The in-process llama.cpp backend against real GGUF files: contract, real answers, safety."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import (
    BackendError,
    CancelToken,
    ChatRequest,
    GenerationOptions,
    ImageInput,
    InvalidModelFile,
    Message,
    ModelNotFound,
)
from backends.llama_cpp import LlamaCppBackend
from tests.helpers.backend_contract import GREEDY, BackendContract, ask, collect
from tests.helpers.tiny_models import write_tiny_text_model


@pytest.fixture(scope="session")
def broken_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_text_model: Path) -> Path:
    """A tiny model cut in half, like an interrupted download."""
    path = tmp_path_factory.mktemp("broken") / "half.gguf"
    data = tiny_text_model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


class TestLlamaCppContract(BackendContract):
    @pytest.fixture
    def backend(self, llama_backend: LlamaCppBackend) -> LlamaCppBackend:
        return llama_backend

    @pytest.fixture
    def text_model_id(self, smollm2: Path) -> str:
        return str(smollm2.resolve())

    @pytest.fixture
    def vision_model_id(self, llama_backend: LlamaCppBackend, tiny_vlm: tuple[Path, Path]) -> str:
        return llama_backend.register(*tiny_vlm).id

    @pytest.fixture
    def text_only_model_id(self, tiny_text_model: Path) -> str:
        return str(tiny_text_model)

    @pytest.fixture
    def broken_model_id(self, broken_gguf: Path) -> str:
        return str(broken_gguf)


def test_smollm2_knows_paris(llama_backend: LlamaCppBackend, smollm2: Path) -> None:
    request = ChatRequest(
        str(smollm2),
        (Message("user", "What is the capital of France? Answer in one sentence."),),
        GenerationOptions(temperature=0.0, max_tokens=32),
    )
    text, done = collect(llama_backend.stream_chat(request))
    assert "Paris" in text
    assert done.reason == "stop"
    # Timings come from llama.cpp's own counters.
    assert done.stats.prompt_tokens > 10
    assert 0 < done.stats.completion_tokens <= 32
    assert done.stats.prompt_s > 0 and done.stats.decode_s > 0


def test_system_prompt_and_history_reach_the_model(
    llama_backend: LlamaCppBackend, smollm2: Path
) -> None:
    request = ChatRequest(
        str(smollm2),
        (
            Message("system", "You are a helpful assistant."),
            Message("user", "My name is Ada."),
            Message("assistant", "Nice to meet you, Ada."),
            Message("user", "What is my name? Answer with the name only."),
        ),
        GenerationOptions(temperature=0.0, max_tokens=16),
    )
    text, _ = collect(llama_backend.stream_chat(request))
    assert "Ada" in text


def test_different_images_give_different_answers(
    llama_backend: LlamaCppBackend,
    tiny_vlm: tuple[Path, Path],
    red_image: ImageInput,
    noise_image: ImageInput,
) -> None:
    model_id = llama_backend.register(*tiny_vlm).id
    options = GenerationOptions(temperature=0.0, max_tokens=12, seed=3, num_ctx=2048)
    red, _ = collect(
        llama_backend.stream_chat(ask(model_id, "Describe.", images=[red_image], options=options))
    )
    noise, _ = collect(
        llama_backend.stream_chat(ask(model_id, "Describe.", images=[noise_image], options=options))
    )
    again, _ = collect(
        llama_backend.stream_chat(ask(model_id, "Describe.", images=[red_image], options=options))
    )
    assert red == again
    assert red != noise


def test_projector_is_found_beside_the_model(tiny_vlm: tuple[Path, Path]) -> None:
    backend = LlamaCppBackend(model_dirs=[tiny_vlm[0].parent], include_embedded=False)
    try:
        [info] = backend.list_models()
        assert info.capabilities.vision
        assert info.size == tiny_vlm[0].stat().st_size + tiny_vlm[1].stat().st_size
    finally:
        backend.close()


def test_list_models_reports_broken_files_without_failing(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    shutil.copy(tiny_vlm[0], tmp_path / "good.gguf")
    (tmp_path / "junk.gguf").write_bytes(b"GGUF" + b"\xff" * 40)
    backend = LlamaCppBackend(model_dirs=[tmp_path], include_embedded=False)
    try:
        models = backend.list_models()
        assert [Path(m.id).name for m in models] == ["good.gguf"]
        assert not models[0].capabilities.vision  # no projector beside this copy
        assert any("junk.gguf" in problem for problem in backend.problems)
    finally:
        backend.close()


def test_projector_as_model_and_mismatched_projector(
    tmp_path: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    from tests.helpers.tiny_models import write_tiny_mmproj

    backend = LlamaCppBackend(include_embedded=False)
    with pytest.raises(InvalidModelFile, match="projector"):
        backend.register(tiny_vlm[1])
    wrong = write_tiny_mmproj(tmp_path / "wide-mmproj.gguf", n_embd_text=128)
    with pytest.raises(InvalidModelFile, match="does not belong"):
        backend.register(tiny_vlm[0], wrong)
    with pytest.raises(ModelNotFound):
        backend.register(tmp_path / "missing.gguf")


def test_long_prompt_evaluation_is_aborted(llama_backend: LlamaCppBackend, smollm2: Path) -> None:
    """Stop must work while llama.cpp is still reading a long prompt, not only between tokens."""
    long_prompt = "Summarise this. " + " ".join(f"word{i}" for i in range(1500))
    options = GenerationOptions(temperature=0.0, max_tokens=8, num_ctx=8192)
    request = ChatRequest(str(smollm2), (Message("user", long_prompt),), options)
    # Make sure the model is loaded so the cancel lands in prompt evaluation.
    collect(llama_backend.stream_chat(ask(str(smollm2), "hi", options=options)))
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    started = time.perf_counter()
    text, done = collect(llama_backend.stream_chat(request, cancel))
    elapsed = time.perf_counter() - started
    timer.cancel()
    assert done.reason == "cancelled"
    assert text == ""
    assert done.stats.completion_tokens == 0
    print(f"aborted a ~5000-token prompt evaluation after {elapsed:.2f} s")
    # The model is left usable.
    again, _ = collect(
        llama_backend.stream_chat(
            ChatRequest(
                str(smollm2),
                (Message("user", "What is the capital of France? Answer in one sentence."),),
                GenerationOptions(temperature=0.0, max_tokens=32, num_ctx=8192),
            )
        )
    )
    assert "Paris" in again


def test_chat_template_injection_runs_nothing(
    tmp_path: Path, llama_backend: LlamaCppBackend
) -> None:
    """CVE-2024-34359: a GGUF chat template that reaches os.popen must be stopped."""
    marker = tmp_path / "pwned"
    payload = (
        "{% for c in [].__class__.__base__.__subclasses__() %}"
        "{% if c.__name__ == 'catch_warnings' %}"
        "{{ c()._module.__builtins__['__import__']('os').popen('touch " + str(marker) + "') }}"
        "{% endif %}{% endfor %}"
        "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    )
    model = write_tiny_text_model(tmp_path / "evil.gguf", chat_template=payload)
    with pytest.raises(BackendError) as raised:
        collect(llama_backend.stream_chat(ask(str(model), "hello")))
    assert "template" in str(raised.value).lower() or "unsafe" in str(raised.value).lower()
    assert not marker.exists()


def test_template_less_model_gets_a_family_format(tmp_path: Path) -> None:
    model = write_tiny_text_model(tmp_path / "plain.gguf", chat_template=None)
    backend = LlamaCppBackend(include_embedded=False)
    try:
        text, done = collect(backend.stream_chat(ask(str(model), "hello")))
        assert text and done.reason == "length"
    finally:
        backend.close()


def test_out_of_memory_is_refused_before_loading(tiny_vlm: tuple[Path, Path]) -> None:
    from backends.base import OutOfMemory
    from backends.llama_cpp.fit import ensure_fits
    from backends.llama_cpp.gguf_check import inspect_gguf
    from backends.memory import GIB, MemoryReading

    model, projector = inspect_gguf(tiny_vlm[0]), inspect_gguf(tiny_vlm[1])
    need = ensure_fits(model, projector, 2048).total  # this machine's own reading
    assert need > model.size
    # Tight by the catalog's margin, but free now: it loads.
    ensure_fits(model, projector, 2048, MemoryReading(64 * GIB, need))
    with pytest.raises(OutOfMemory, match=r"only 0\.0 GB is free\. Close other programs"):
        ensure_fits(model, projector, 2048, MemoryReading(64 * GIB, 1024 * 1024))
    # More than the machine can ever give: said as the catalog says it, not "close programs".
    with pytest.raises(OutOfMemory, match=r"this machine has 1\.0 GB and the system") as too_big:
        ensure_fits(model, projector, 2048, MemoryReading(GIB, GIB))
    assert "Close other programs" not in str(too_big.value)


@pytest.fixture
def fresh_backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=False)
    yield backend
    backend.close()


def test_unload_frees_and_reloads(
    fresh_backend: LlamaCppBackend, tiny_vlm: tuple[Path, Path]
) -> None:
    model_id = fresh_backend.register(*tiny_vlm).id
    _, first = collect(fresh_backend.stream_chat(ask(model_id, "hi")))
    _, second = collect(fresh_backend.stream_chat(ask(model_id, "hi")))
    assert first.stats.load_s > 0
    assert second.stats.load_s == 0  # reported once, with the request that loaded it
    fresh_backend.unload()
    _, third = collect(fresh_backend.stream_chat(ask(model_id, "hi", options=GREEDY)))
    assert third.stats.load_s > 0
