"""The llama.cpp backend's and the engine's errors read in Chinese, every word of them.

Each test drives real code to a real failure -- a missing file, a GGUF cut short, a header
with an impossible number, a folder named like a model, an Ollama manifest whose blob is
gone, a model too big for the memory, a chat template that runs too long, the engine process
sending its error back over the pipe, the engine dying -- and renders the sentence with
``desktop_app.core.i18n.Catalog`` made of this file's translations (issue 19).  What is left
once the values (paths, names, numbers, llama.cpp's own words) are taken out must hold no
English: a sentence made with an f-string, or a part of one that is not a ``message``,
shows up here as English words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import (
    BackendError,
    ChatRequest,
    EngineCrashed,
    InvalidModelFile,
    Message,
    ModelNotFound,
    OutOfMemory,
    TemplateBudgetExceeded,
    VisionNotSupported,
    check_request,
)
from backends.engine import EngineBackend
from backends.engine.protocol import Failure, dumps, error_from_wire, error_to_wire, loads
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.gguf_check import inspect_gguf
from backends.memory import GIB, MemoryReading
from backends.messages import Message as Sentence
from backends.messages import sentence_of
from backends.safe_names import UnsafeName, plain_file_name
from desktop_app.core.i18n import Catalog
from tests.helpers.backend_contract import ask, collect
from tests.helpers.crashing_models import patch_metadata, write_abort_on_answer_model
from tests.helpers.tiny_models import write_tiny_text_model

#: Latin words a Chinese sentence keeps: names, formats and technical words (the style guide).
KEPT = {
    "BERT",
    "CPU",
    "F32",
    "GGUF",
    "JSON",
    "LocalSight",
    "NUL",
    "Ollama",
    "RMS",
    "UTF",
    "cpp",
    "epsilon",
    "gguf",
    "id",
    "llama",
    "mmproj",
    "token",
}

#: The translations these sentences need (as in the helper's JSON the lead merges into the
#: .ts), kept here so the test does not depend on the committed translation file.
ZH: dict[str, str] = {
    "Ollama model {model}: {problem}": "Ollama 模型 {model}：{problem}",
    (
        "The file may be damaged or made for a newer llama.cpp; the app is fine, pick "
        "another model."
    ): ("文件可能已损坏，或需要更新版本的 llama.cpp；应用本身没有问题，请选择其他模型。"),
    "The model crashed {stage} (llama.cpp stopped with {detail}). {advice}": (
        "模型在{stage}崩溃了（llama.cpp 停止原因：{detail}）。{advice}"
    ),
    "The model engine failed unexpectedly: {error}": "模型引擎意外出错：{error}",
    "The model file {path} does not exist.": "模型文件 {path} 不存在。",
    "The {what} {name} is not a plain file name: {problem}.": (
        "{what} {name} 不是普通的文件名：{problem}。"
    ),
    (
        "This model's chat template {detail} and was stopped; the model file may be damaged "
        "or hostile, so pick another model."
    ): ("此模型的对话模板{detail}，已被停止；模型文件可能已损坏或带有恶意，请选择其他模型。"),
    "file name": "文件名",
    "is a folder, not a file": "是文件夹，不是文件",
    "it contains a path separator, ':' or NUL": "它包含路径分隔符、“:”或 NUL",
    "its blob {blob} is missing (is Ollama still pulling it?)": (
        "它的数据文件 {blob} 不存在（Ollama 是否仍在拉取？）"
    ),
    "its {what} is {value}": "它的{what}为 {value}",
    "layer norm rms epsilon": "层归一化 RMS epsilon 值",
    "ran for more than {seconds} seconds": "运行了超过 {seconds} 秒",
    "rename it": "请重命名",
    "signal {signal}": "信号 {signal}",
    "tensor {name} lies beyond the end of the file (truncated download?)": (
        "张量 {name} 超出了文件末尾（下载不完整？）"
    ),
    "the file ends early (truncated download?)": "文件提前结束（下载不完整？）",
    "the manifest is not valid JSON ({error})": "清单文件不是有效的 JSON（{error}）",
    "this machine has {total} and the system keeps about {reserve} of it": (
        "这台电脑共有 {total} 内存，其中约 {reserve} 由系统保留"
    ),
    "while answering": "回答时",
    "{how}: {reason}": "{how}：{reason}",
    (
        "{model} cannot see images. Remove the images, or pick a model with vision (for a "
        "GGUF file, also give its mmproj projector file)."
    ): (
        "{model} 无法识别图片。请移除图片，或选择视觉模型"
        "（GGUF 文件还需同时提供它的 mmproj 视觉投影文件）。"
    ),
    (
        "{name} is a vision projector (mmproj), not a language model. Pass it with --mmproj "
        "and give the model file with --model."
    ): (
        "{name} 是视觉投影文件（mmproj），不是语言模型。"
        "请用 --mmproj 传入它，并用 --model 指定模型文件。"
    ),
    "{name} is not a usable model file: {reason}. Download it again or pick another file.": (
        "{name} 不是可用的模型文件：{reason}。请重新下载或选择其他文件。"
    ),
    "{name} needs about {size} of memory with a {tokens}-token context": (
        "{name} 在 {tokens} token 的上下文下约需 {size} 内存"
    ),
    (
        "{need}, but only {free} is free. Close other programs, lower the context size, or "
        "choose a smaller model."
    ): ("{need}，但只有 {free} 可用。请关闭其他程序、调小上下文长度，或选择更小的模型。"),
    "{need}; {limit}. Lower the context size or choose a smaller model.": (
        "{need}；{limit}。请调小上下文长度或选择更小的模型。"
    ),
    "{path} {problem}; {advice}.": "{path} {problem}；{advice}。",
}


def catalog() -> Catalog:
    return Catalog({("Messages", english): (chinese,) for english, chinese in ZH.items()})


def values_of(text: object) -> list[str]:
    """The plain values inside a sentence, at any depth: what a translation keeps as it is."""
    if not isinstance(text, Sentence):
        return []
    found: list[str] = []
    for value in text.values.values():
        found += values_of(value) if isinstance(value, Sentence) else [str(value)]
    return found


def chinese(text: object) -> str:
    """``text`` rendered in Chinese; fails if any English is left besides its values."""
    assert isinstance(text, Sentence), f"not a message: {text!r}"
    shown = catalog().shown(text)
    rest = shown
    for value in sorted(values_of(text), key=len, reverse=True):
        rest = rest.replace(value, " ")
    rest = re.sub(r"--[\w-]+|`[^`]*`", " ", rest)  # option names and commands stay as typed
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", rest)) - KEPT
    assert not words, f"English left in {shown!r}: {sorted(words)}"
    assert re.search(r"[\u4e00-\u9fff]", shown), shown
    return shown


def chinese_error(error: BaseException) -> str:
    return chinese(sentence_of(error))


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=False)
    yield backend
    backend.close()


@pytest.fixture
def truncated(tmp_path: Path, tiny_text_model: Path) -> Path:
    """A tiny model cut in half, like an interrupted download."""
    path = tmp_path / "half.gguf"
    data = tiny_text_model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# -- files --------------------------------------------------------------------------------


def test_a_missing_model_file(backend: LlamaCppBackend, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as raised:
        backend.register(tmp_path / "missing.gguf")
    assert chinese_error(raised.value).startswith("模型文件 ")


def test_a_truncated_model_file(truncated: Path) -> None:
    with pytest.raises(InvalidModelFile) as raised:
        inspect_gguf(truncated)
    shown = chinese_error(raised.value)
    assert "half.gguf 不是可用的模型文件：" in shown and "下载不完整" in shown


def test_a_header_with_an_impossible_number(tmp_path: Path, backend: LlamaCppBackend) -> None:
    model = write_tiny_text_model(tmp_path / "eps.gguf")
    patch_metadata(model, "llama.attention.layer_norm_rms_epsilon", -1.0)
    with pytest.raises(InvalidModelFile) as raised:
        backend.register(model)
    assert "它的层归一化 RMS epsilon 值为 -1.0。" in chinese_error(raised.value)


def test_a_folder_named_like_a_model_is_a_problem_in_chinese(
    tmp_path: Path, tiny_text_model: Path
) -> None:
    folder = tmp_path / "models"
    (folder / "folder.gguf").mkdir(parents=True)
    (folder / "half.gguf").write_bytes(tiny_text_model.read_bytes()[:100])
    backend = LlamaCppBackend([folder], include_embedded=False, include_stores=False)
    assert backend.list_models() == []
    shown = sorted(chinese(problem) for problem in backend.problems)
    assert any("是文件夹，不是文件；请重命名。" in line for line in shown)
    assert any("不是可用的模型文件" in line for line in shown)


def test_a_projector_given_as_the_model(tmp_path: Path, tiny_vlm: tuple[Path, Path]) -> None:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    with pytest.raises(InvalidModelFile) as raised:
        backend.register(tiny_vlm[1])
    assert "--mmproj" in chinese_error(raised.value)


def test_an_ollama_model_whose_blob_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "ollama"
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / "tiny" / "latest"
    manifest.parent.mkdir(parents=True)
    layer = {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "ab" * 32}
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [layer]}))
    backend = LlamaCppBackend(include_embedded=False)
    assert backend.list_models() == []
    (problem,) = backend.problems
    assert chinese(problem).startswith("Ollama 模型 tiny:latest：它的数据文件 ")
    with pytest.raises(ModelNotFound) as raised:
        backend.model_info("tiny")
    assert "Ollama 是否仍在拉取" in chinese_error(raised.value)


def test_an_ollama_manifest_that_is_not_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "ollama"
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / "tiny" / "7b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{not json")
    backend = LlamaCppBackend(include_embedded=False)
    backend.list_models()
    (problem,) = backend.problems
    assert "清单文件不是有效的 JSON" in chinese(problem)


# -- requests -----------------------------------------------------------------------------


def test_a_model_too_big_for_this_machine(tiny_text_model: Path) -> None:
    from backends.llama_cpp.fit import ensure_fits

    summary = inspect_gguf(tiny_text_model)
    tiny_machine = MemoryReading(total=GIB, available=GIB // 100)
    with pytest.raises(OutOfMemory) as raised:
        ensure_fits(summary, None, 4096, tiny_machine)
    assert "由系统保留" in chinese_error(raised.value)
    with pytest.raises(OutOfMemory) as raised:
        ensure_fits(summary, None, 4096, MemoryReading(total=None, available=1))
    assert "请关闭其他程序" in chinese_error(raised.value)


def test_images_for_a_text_model(tiny_text_model: Path, red_image: object) -> None:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    info = backend.register(tiny_text_model)
    request = ChatRequest(info.id, (Message("user", "hi", (red_image,)),))  # type: ignore[arg-type]
    with pytest.raises(VisionNotSupported) as raised:
        check_request(info, request)
    assert "无法识别图片" in chinese_error(raised.value)


def test_a_chat_template_that_runs_too_long() -> None:
    from backends.llama_cpp import template_budget

    limits = template_budget.BudgetLimits.for_conversation(0, 1)
    template = template_budget.BudgetedEnvironment().from_string(
        "{% for i in range(50000) %}{{ i }}{% endfor %}"
    )
    with pytest.raises(TemplateBudgetExceeded) as raised:
        template_budget.render(template, limits.with_seconds(0.0), {})
    assert "运行了超过 0 秒" in chinese_error(raised.value)


def test_a_file_name_from_data_that_is_not_plain() -> None:
    with pytest.raises(UnsafeName) as raised:
        plain_file_name("../x.gguf")
    assert "不是普通的文件名" in chinese_error(raised.value)


# -- the engine ---------------------------------------------------------------------------


def test_a_sentence_crosses_the_pipe_whole() -> None:
    """What the engine sends back is the sentence with its parts, not its English."""
    try:
        inspect_gguf("/nonexistent/folder/gone.gguf")
    except BackendError as error:
        sent = loads(dumps(Failure(1, error_to_wire(error))))
    received = error_from_wire(sent.error)
    assert isinstance(received, ModelNotFound)
    assert chinese_error(received) == "模型文件 /nonexistent/folder/gone.gguf 不存在。"
    unexpected = error_from_wire(loads(dumps(Failure(2, error_to_wire(KeyError("boom"))))).error)
    assert chinese_error(unexpected).startswith("模型引擎意外出错：")


@pytest.fixture
def engine() -> Iterator[EngineBackend]:
    backend = EngineBackend(include_embedded=False, hard_stop_s=1.0)
    yield backend
    backend.close()


def test_the_engine_reports_in_chinese(
    engine: EngineBackend, truncated: Path, tmp_path: Path
) -> None:
    with pytest.raises(InvalidModelFile) as raised:
        engine.register(truncated)
    assert "不是可用的模型文件" in chinese_error(raised.value)
    model = write_abort_on_answer_model(tmp_path / "f16-norm.gguf")
    with pytest.raises(EngineCrashed) as crashed:
        collect(engine.stream_chat(ask(str(model), "hi")))
    shown = chinese_error(crashed.value)
    assert shown.startswith("模型在回答时崩溃了（llama.cpp 停止原因：信号 SIGABRT")
    assert "请选择其他模型" in shown
