"""``without_echo``: a continued answer's stream keeps only what the model added, whether the
server sent the answer's start back (llama-server's prefill) or not (Ollama, llama.cpp)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backends.base import Chunk, Done, GenerationFailed, Stats, TextDelta, without_echo

START = "Once upon a time, there"


def stream(*texts: str, fail: str | None = None) -> Iterator[Chunk]:
    for text in texts:
        yield TextDelta(text)
    if fail is not None:
        raise GenerationFailed("cut", partial_text=fail)
    yield Done(Stats(), "length")


def added(chunks: Iterator[Chunk]) -> str:
    return "".join(c.text for c in chunks if isinstance(c, TextDelta))


@pytest.mark.parametrize(
    "texts",
    [
        (START + " was a cat",),  # echoed in one piece
        ("Once", " upon a", " time, there", " was", " a cat"),  # echoed across deltas
        ("Once upon a time, there was", " a cat"),  # echo and addition in one delta
        (" was a cat",),  # not echoed
        (" was", " a cat"),
    ],
)
def test_only_the_addition_is_left(texts: tuple[str, ...]) -> None:
    chunks = list(without_echo(stream(*texts), START))
    assert added(iter(chunks)) == " was a cat"
    assert isinstance(chunks[-1], Done)


def test_an_addition_that_starts_like_the_answer_is_kept_whole() -> None:
    assert added(without_echo(stream("Once more", " the cat"), START)) == "Once more the cat"


def test_nothing_added_leaves_nothing() -> None:
    assert added(without_echo(stream("Once upon"), START)) == ""


def test_an_errors_partial_text_loses_the_echo_too() -> None:
    with pytest.raises(GenerationFailed) as caught:
        list(without_echo(stream(START, " was", fail=START + " was"), START))
    assert caught.value.partial_text == " was"
