"""What the HTTP backends tell a person reads wholly in Chinese (issue 19).

Each case drives the real Ollama or OpenAI-compatible backend, over real HTTP, to a real
failure on loopback -- a refused port, a server that stalls, answers 404, 429, 500 or 503,
demands a key, drops the connection mid-answer, or sends an error event -- and renders the
error's sentence through ``desktop_app.core.i18n.Catalog``, as the CLI does and as the window
does with the same rule.  What may stay in Latin letters is only what is not LocalSight's to
translate: the address, the model's name, the server's own error text, commands and option
names, and product names.

The Chinese comes from the committed ``localsight_zh_CN.ts`` (read as the CLI reads it): a
sentence the code gained without a translation fails here, naming its template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from backends.base import (
    BackendError,
    BackendUnavailable,
    ChatRequest,
    GenerationFailed,
    GenerationOptions,
    InvalidModelFile,
    Message,
    ModelNotFound,
)
from backends.llama_cpp import LlamaCppBackend
from backends.messages import MESSAGES_CONTEXT, sentence_of
from backends.messages import Message as Sentence
from backends.ollama import OllamaBackend
from backends.ollama.backend import PullProgress
from backends.openai_compat import OpenAICompatBackend, normalize_base_url
from desktop_app.core.i18n import TRANSLATIONS_DIR, Catalog
from tests.helpers.ollama_models import served_model
from tests.helpers.ollama_server import Fault, OllamaServer, refusing_url
from tests.helpers.openai_stub import Script, StubServer

#: Words that stay in Latin letters in Chinese text: names of products, protocols, commands,
#: options and files, and the parts of a command line.
NAMES = (
    "localsight models pull --backend ollama",
    "localsight models --backend openai --base-url URL",
    "ollama.com/library",
    "OpenAI-compatible",
    "LocalSight",
    "OLLAMA_HOST",
    "ollama serve",
    "--api-key-env",
    "--base-url",
    "--preset",
    "--host",
    "llama-server",
    "llamafile",
    "LM Studio",
    "vLLM",
    "OpenAI",
    "Ollama",
    "HTTP",
    "https",
    "http",
    "API",
    "sha256",
    "/models",
    "/v1",
)
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def chinese() -> Catalog:
    return Catalog.read(TRANSLATIONS_DIR / "localsight_zh_CN.ts")


def untranslated(text: object, catalog: Catalog) -> list[str]:
    """The templates in ``text`` (itself and its values, recursively) with no translation."""
    if not isinstance(text, Sentence):
        return []
    missing = [] if (MESSAGES_CONTEXT, text.template) in catalog.sentences else [text.template]
    for value in text.values.values():
        missing += untranslated(value, catalog)
    return missing


def assert_chinese(text: object, catalog: Catalog, *kept: str) -> str:
    """``text`` rendered in Chinese, checked: a ``Message`` all of whose parts are translated,
    with no English word left once ``kept`` (the address, the model, the server's own text)
    and ``NAMES`` are taken out."""
    assert isinstance(text, Sentence), f"not a message, so never translated: {text!r}"
    assert untranslated(text, catalog) == []
    shown = catalog.shown(text)
    assert CJK.search(shown), shown
    rest = shown
    for part in sorted({*kept, *NAMES} - {""}, key=len, reverse=True):
        rest = rest.replace(part, " ")
    assert WORD.findall(rest) == [], f"English left in {shown!r}"
    return shown


def digests(status: str) -> list[str]:
    """The layer digest a pull step names ("pulling 8934d96d3f08"), which stays as it is."""
    return re.findall(r"\b[0-9a-f]{12}\b", status)


def raised(call: Callable[[], object]) -> BackendError:
    with pytest.raises(BackendError) as error:
        call()
    return error.value


# -- Ollama ---------------------------------------------------------------------------------

MODEL = "tiny:latest"
PULLABLE = "llava:7b"


@pytest.fixture(scope="module")
def ollama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OllamaServer]:
    """An Ollama server with one model listed (its file is never run: every request here
    fails before a model would load) and one model in its library to pull."""
    folder = tmp_path_factory.mktemp("messages-ollama")
    weights = folder / "tiny.gguf"
    weights.write_bytes(b"GGUF" + bytes(60))  # lists as a damaged download does
    llama = LlamaCppBackend(include_embedded=False)
    server = OllamaServer(llama)
    server.add(served_model(MODEL, weights))
    server.add(served_model(PULLABLE, weights), pullable_only=True)
    with server:
        yield server
    llama.close()


@pytest.fixture
def ollama(ollama_server: OllamaServer) -> Iterator[OllamaBackend]:
    ollama_server.clear()
    backend = OllamaBackend(ollama_server.url, timeout=30)
    yield backend
    backend.close()
    ollama_server.remove(PULLABLE)


def chat(backend: OllamaBackend | OpenAICompatBackend, model: str) -> BackendError:
    request = ChatRequest(
        model, (Message("user", "Hello"),), GenerationOptions(max_tokens=8, seed=1)
    )
    return raised(lambda: list(backend.stream_chat(request)))


def test_ollama_not_running_is_chinese(chinese: Catalog) -> None:
    host = refusing_url()
    backend = OllamaBackend(host)
    try:
        error = raised(backend.list_models)
    finally:
        backend.close()
    assert isinstance(error, BackendUnavailable)
    shown = assert_chinese(sentence_of(error), chinese, host)
    assert shown.startswith(f"Ollama 未在 {host} 运行")


def test_ollama_model_not_found_is_chinese(ollama: OllamaBackend, chinese: Catalog) -> None:
    error = raised(lambda: ollama.model_info("no-such-model:1b"))
    assert isinstance(error, ModelNotFound)
    assert_chinese(sentence_of(error), chinese, "no-such-model:1b")

    error = raised(lambda: ollama.delete("no-such-model:1b"))
    assert isinstance(error, ModelNotFound)
    assert_chinese(sentence_of(error), chinese, "no-such-model:1b")


def test_ollama_http_errors_are_chinese(
    ollama: OllamaBackend, ollama_server: OllamaServer, chinese: Catalog
) -> None:
    busy = "server busy, please try again.  maximum pending requests exceeded"
    ollama_server.inject(Fault.status_code(429, busy, "/api/chat"))
    error = chat(ollama, MODEL)
    assert isinstance(error, GenerationFailed)
    assert "HTTP 429" in assert_chinese(sentence_of(error), chinese, busy.rstrip("."))

    crashed = "llama runner process has terminated: exit status 2"
    ollama_server.inject(Fault.status_code(500, crashed, "/api/chat"))
    error = chat(ollama, MODEL)
    assert isinstance(error, InvalidModelFile)
    assert_chinese(sentence_of(error), chinese, crashed, MODEL)

    ollama_server.inject(Fault.status_code(500, "unexpected EOF", "/api/tags"))
    error = raised(ollama.list_models)
    assert_chinese(sentence_of(error), chinese, "unexpected EOF")

    ollama_server.inject(Fault.status_code(403, "Forbidden", "/api/tags"))
    error = raised(ollama.list_models)
    assert isinstance(error, BackendUnavailable)
    assert_chinese(sentence_of(error), chinese, ollama.host, "Forbidden")

    ollama_server.inject(Fault.status_code(404, f'model "{MODEL}" not found', "/api/chat"))
    error = chat(ollama, MODEL)
    assert isinstance(error, ModelNotFound)
    assert_chinese(sentence_of(error), chinese, MODEL)


def test_a_pull_dropped_mid_way_is_chinese_and_so_are_its_steps(
    ollama: OllamaBackend, ollama_server: OllamaServer, chinese: Catalog
) -> None:
    ollama_server.inject(Fault.close_after(2, "/api/pull"))
    lines: list[PullProgress] = []

    def pull() -> None:
        lines.extend(ollama.pull(PULLABLE))

    error = raised(pull)
    assert isinstance(error, GenerationFailed)
    assert_chinese(sentence_of(error), chinese, ollama.host)
    assert [line.status for line in lines][:1] == ["pulling manifest"]
    assert len(lines) == 2
    for line in lines:
        assert_chinese(line.status, chinese, *digests(line.status))


def test_a_whole_pull_shows_its_steps_in_chinese(ollama: OllamaBackend, chinese: Catalog) -> None:
    steps = {line.status for line in ollama.pull(PULLABLE)}
    assert "success" in steps
    for step in steps:
        assert_chinese(step, chinese, *digests(step))


def test_pulling_a_model_the_library_lacks_is_chinese(
    ollama: OllamaBackend, chinese: Catalog
) -> None:
    error = raised(lambda: list(ollama.pull("no-such-model:1b")))
    assert isinstance(error, ModelNotFound)
    assert_chinese(
        sentence_of(error), chinese, "no-such-model:1b", "pull model manifest: file does not exist"
    )


def test_an_ollama_that_stalls_is_chinese(ollama_server: OllamaServer, chinese: Catalog) -> None:
    ollama_server.clear()
    ollama_server.inject(Fault.hang("/api/tags"))
    backend = OllamaBackend(ollama_server.url, timeout=0.3)
    try:
        error = raised(backend.list_models)
    finally:
        backend.close()
    assert isinstance(error, BackendUnavailable)
    shown = assert_chinese(sentence_of(error), chinese, backend.host)
    assert "已等待 0.3 秒" in shown


def test_the_plain_http_warning_for_ollama_is_chinese(chinese: Catalog) -> None:
    backend = OllamaBackend("http://192.0.2.7:11434")  # never contacted
    try:
        (warning,) = backend.warnings
    finally:
        backend.close()
    assert_chinese(warning, chinese, backend.host)


# -- OpenAI-compatible servers --------------------------------------------------------------


def openai_error(stub: StubServer, script: Script) -> tuple[str, BackendError]:
    """The address as shown, and the error of a chat the stub answers with ``script``."""
    stub.scripts.append(script)
    client = OpenAICompatBackend(stub.base_url, timeout=30)
    try:
        return client.base_url, chat(client, "stub-model")
    finally:
        client.close()


def test_no_openai_server_running_is_chinese(chinese: Catalog) -> None:
    url = refusing_url() + "/v1"
    backend = OpenAICompatBackend(url)
    try:
        error = raised(backend.list_models)
    finally:
        backend.close()
    assert isinstance(error, BackendUnavailable)
    assert_chinese(sentence_of(error), chinese, url)


def test_openai_http_errors_are_chinese(chinese: Catalog) -> None:
    with StubServer() as stub:
        where, error = openai_error(
            stub,
            Script(fault="status", status=429, body={"error": {"message": "Rate limit reached"}}),
        )
        assert "HTTP 429" in assert_chinese(
            sentence_of(error), chinese, where, "Rate limit reached"
        )

        where, error = openai_error(
            stub, Script(fault="status", status=500, body={"error": {"message": "kaboom"}})
        )
        assert isinstance(error, GenerationFailed)
        assert_chinese(sentence_of(error), chinese, where, "kaboom")

        where, error = openai_error(stub, Script(fault="status", status=503, body=None))
        assert isinstance(error, BackendUnavailable)
        assert_chinese(sentence_of(error), chinese, where)

        missing = "model 'stub-model' not found"
        where, error = openai_error(
            stub, Script(fault="status", status=404, body={"error": {"message": missing}})
        )
        assert isinstance(error, ModelNotFound)
        assert_chinese(sentence_of(error), chinese, where, missing, "stub-model")

        client = OpenAICompatBackend(stub.base_url)
        try:
            error = raised(lambda: client.model_info("other-model"))
        finally:
            client.close()
        assert isinstance(error, ModelNotFound)
        assert_chinese(sentence_of(error), chinese, client.base_url, "other-model")


def test_a_dropped_or_failed_openai_stream_is_chinese(chinese: Catalog) -> None:
    with StubServer() as stub:
        where, error = openai_error(stub, Script(fault="cut"))
        assert isinstance(error, GenerationFailed)
        assert error.partial_text
        assert_chinese(sentence_of(error), chinese, where)

        where, error = openai_error(stub, Script(fault="error_event"))
        assert_chinese(sentence_of(error), chinese, where, "the runner crashed")

        where, error = openai_error(stub, Script(fault="close_quietly"))
        assert_chinese(sentence_of(error), chinese, where)


def test_a_server_that_wants_a_key_is_chinese(chinese: Catalog) -> None:
    with StubServer(api_key="right") as stub:
        for key in (None, "wrong"):
            client = OpenAICompatBackend(stub.base_url, api_key=key)
            try:
                error = raised(client.list_models)
            finally:
                client.close()
            assert isinstance(error, BackendUnavailable)
            assert "HTTP 401：Invalid API Key" in assert_chinese(
                sentence_of(error), chinese, client.base_url, "Invalid API Key"
            )


def test_an_openai_server_that_stalls_is_chinese(chinese: Catalog) -> None:
    with StubServer() as stub:
        stub.hang("/v1/models")
        client = OpenAICompatBackend(stub.base_url, timeout=0.3)
        try:
            error = raised(client.list_models)
        finally:
            client.close()
    assert isinstance(error, BackendUnavailable)
    assert "已等待 0.3 秒" in assert_chinese(sentence_of(error), chinese, client.base_url)


def test_bad_addresses_and_plain_http_are_chinese(chinese: Catalog) -> None:
    # "http://[::1/v1": not even splittable, so not shown at all (it could hold a password).
    for address in ("", "ftp://box/v1", "http://box:port/v1", "http://[::1/v1"):
        error = raised(lambda: normalize_base_url(address))  # noqa: B023 -- called at once
        assert_chinese(sentence_of(error), chinese, address)

    for key in (None, "secret"):
        client = OpenAICompatBackend("http://192.0.2.7:8080/v1", api_key=key)  # never contacted
        try:
            (warning,) = client.warnings
        finally:
            client.close()
        assert_chinese(warning, chinese, client.base_url)
