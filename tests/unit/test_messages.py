"""``backends.messages``: a sentence stays English for code and logs, translatable for people.

The window and the CLI translate a ``Message`` by its template; these tests pin what makes
that work: the English text, counts, composed sentences, and a ``Message`` raised in the
engine process arriving in the app still a ``Message`` (the wire is pickle with an
allowlist).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from backends.base import BackendUnavailable, EngineCrashed, GenerationFailed
from backends.engine import protocol
from backends.messages import Message, fill, message, render, sentence_of

CHINESE = {
    "Ollama is not running at {host}.": "Ollama 未在 {host} 运行。",
    "the server {name}": "服务器 {name}",
    "%n image(s) skipped": "跳过了 %n 张图片",
}


def chinese(template: str, n: int | None) -> str:
    return CHINESE.get(template, template)


def english(template: str, n: int | None) -> str:
    return template


def test_a_message_is_its_english_sentence() -> None:
    text = message("Ollama is not running at {host}.", host="127.0.0.1:11434")
    assert text == "Ollama is not running at 127.0.0.1:11434."
    assert isinstance(text, str) and str(text) == text
    assert text.template == "Ollama is not running at {host}."
    assert dict(text.values) == {"host": "127.0.0.1:11434"}


def test_a_message_renders_in_the_readers_language_values_too() -> None:
    inner = message("the server {name}", name="gpu-1")
    text = message("Ollama is not running at {host}.", host=inner)
    assert text == "Ollama is not running at the server gpu-1."
    assert render(text, chinese) == "Ollama 未在 服务器 gpu-1 运行。"
    assert render(text, english) == text


def test_a_plain_string_renders_as_it_is() -> None:
    assert render("llama.cpp said: no", chinese) == "llama.cpp said: no"
    assert render(42, chinese) == "42"


@pytest.mark.parametrize(
    ("count", "english_text", "chinese_text"),
    [
        (1, "1 image skipped", "跳过了 1 张图片"),
        (3, "3 images skipped", "跳过了 3 张图片"),
        (0, "0 images skipped", "跳过了 0 张图片"),
    ],
)
def test_a_count_is_english_plural_and_translated(
    count: int, english_text: str, chinese_text: str
) -> None:
    text = message("%n image(s) skipped", n=count)
    assert text == english_text
    assert render(text, english) == english_text
    assert render(text, chinese) == chinese_text


def test_a_value_is_never_read_as_a_slot() -> None:
    text = message("Loaded {model}.", model="{model} {n}")
    assert text == "Loaded {model} {n}."
    assert fill("{a} and {b}", a="{b}") == "{b} and {b}"


def test_a_message_survives_pickle() -> None:
    text = message("Ollama is not running at {host}.", host=message("the server {name}", name="a"))
    again = pickle.loads(pickle.dumps(text, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(again, Message) and again == text
    assert again.template == text.template
    assert isinstance(again.values["host"], Message)
    counted = pickle.loads(pickle.dumps(message("%n image(s) skipped", n=2)))
    assert counted.n == 2 and counted == "2 images skipped"


def test_sentence_of_gives_the_message_an_error_was_raised_with() -> None:
    raised = BackendUnavailable(message("Ollama is not running at {host}.", host="h"))
    assert isinstance(sentence_of(raised), Message)
    assert not isinstance(sentence_of(ValueError("plain")), Message)
    assert (
        sentence_of(OSError(28, "No space left on device")) == "[Errno 28] No space left on device"
    )


@pytest.mark.parametrize(
    "error",
    [
        BackendUnavailable(message("Ollama is not running at {host}.", host="h")),
        EngineCrashed(message("%n image(s) skipped", n=2), partial_text="Par", signal=4),
        GenerationFailed(message("the server {name}", name="x"), partial_text="so far"),
    ],
)
def test_an_engine_error_reaches_the_app_as_a_message(error: Exception) -> None:
    """The engine process pickles its errors to the app; the allowlisting unpickler must let
    a ``Message`` through (it refused it before: the window got a forbidden-type failure)."""
    wire = protocol.loads(protocol.dumps(protocol.Failure(7, protocol.error_to_wire(error))))
    back = protocol.error_from_wire(wire.error)
    assert type(back) is type(error)
    sentence = sentence_of(back)
    assert isinstance(sentence, Message)
    assert sentence == str(error) and sentence.template == sentence_of(error).template
    assert render(sentence, chinese) != str(error)  # it can still be translated


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("backends.messages", "re.enum.bltns.eval"),  # a dotted name walks to eval
        ("backends.engine.protocol", "pickle.re.enum.bltns.eval"),
        ("backends.base", "threading"),  # a module an allowed one imports
        ("backends.messages", "fill"),  # a function, not a type
        ("backends.base", "dataclass"),  # imported there, defined elsewhere
    ],
)
def test_the_wire_refuses_anything_but_our_own_classes(module: str, name: str) -> None:
    """What the engine sends cannot name a function or reach one through a dotted path."""
    unpickler = protocol._AllowlistUnpickler(io.BytesIO(b""))
    with pytest.raises(pickle.UnpicklingError):
        unpickler.find_class(module, name)


def test_a_value_the_wire_would_refuse_is_sent_as_text() -> None:
    """A ``Path`` (or an exception) as a value would make the app refuse the whole reply."""
    error = GenerationFailed(
        message("{path} failed: {why}", path=Path("/m/x.gguf"), why=KeyError("k"))
    )
    wire = protocol.loads(protocol.dumps(protocol.Failure(3, protocol.error_to_wire(error))))
    back = sentence_of(protocol.error_from_wire(wire.error))
    assert isinstance(back, Message) and back == "/m/x.gguf failed: 'k'"
    assert dict(back.values) == {"path": "/m/x.gguf", "why": "'k'"}
