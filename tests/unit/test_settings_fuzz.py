"""Malformed settings files, generated from a seed: the audit of issue 16 tried 68 by hand.

Each case is a settings.json a person or a broken tool could leave behind: some settings
with a value of the wrong kind or out of range (taken from the tables below, which are the
specification: what each setting must refuse and what it must keep), the others good,
unknown keys among them; or a file that is not a settings object at all (not UTF-8, not
JSON, not an object, nested 100000 deep, over the size cap).  For every case:

- loading never raises;
- every problem is one printable line; a refused setting is named (``Setting "threads" …``),
  a refused file names the file, and a secret is never quoted;
- each refused setting takes its default, each good one is kept, unknown keys are ignored;
- saving afterwards keeps the original bytes aside (``settings.json.bad-<time>``), and the
  new file loads with no problem.

``LOCALSIGHT_FUZZ_FULL=1`` runs the full count (1000); CI runs a sample of 68, the audit's.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.settings import MAX_SETTINGS_BYTES, Settings, app_paths
from tests.helpers.fuzz import SEED, fuzz_count

SUITE_OFFSET = 7_016  # issue 16, item 7: this suite's cases are its own
CASES = fuzz_count(fast=68, full=1000)

# -- the specification: per setting, JSON text it must keep and JSON text it must refuse --

HUGE_INT = "9" * 5000  # past Python's 4300-digit limit for int()
NUL = '"a\\u0000b"'
SURROGATE = '"\\ud800x"'
DEEPISH = "[" * 40 + "]" * 40
NOT_FINITE = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", HUGE_INT]
NUMBERS = ["0", "-1", "7", "1.5", *NOT_FINITE]
BOOLS = ["true", "false"]
CONTAINERS = ["{}", '{"a": 1}', "[]", '["x"]', DEEPISH]
NOT_TEXT = [*NUMBERS, *BOOLS, *CONTAINERS]
BAD_TEXT = [NUL, SURROGATE]
WRONG_FOR_A_COUNT = [*BOOLS, "null", '"4"', "1.5", "2048.0", "NaN", "Infinity", HUGE_INT]
WRONG_FOR_A_COUNT += [*CONTAINERS, "-" + HUGE_INT]
BAD_LISTS = ['[""]', f"[{NUL}]", f'["x", {SURROGATE}]', "[{}]", DEEPISH]
BAD_SECRETS = ['["sk-SECRET-1"]', '{"k": "sk-SECRET-2"}', '"sk-SECRET-3\\u0000"']
BAD_SECRETS += ['"sk-SECRET-4\\udc00"']


def quoted(*texts: str) -> list[str]:
    return [json.dumps(text) for text in texts]


@dataclass(frozen=True)
class Spec:
    good: list[str]
    bad: list[str]


SPECS: dict[str, Spec] = {
    "backend": Spec(
        quoted("llama-cpp", "ollama", "openai"),
        [*NOT_TEXT, "null", *BAD_TEXT, *quoted("nope", "", "LLAMA-CPP", "llama.cpp")],
    ),
    "model": Spec(
        ["null", *quoted("", "llava:7b", "/models/a b.gguf", "модель.gguf")],
        [*NOT_TEXT, *BAD_TEXT],
    ),
    "mmproj": Spec(["null", *quoted("/models/mmproj.gguf")], [*NOT_TEXT, *BAD_TEXT]),
    "ollama_host": Spec(
        ["null", *quoted("", "box", ":8080", "https://box", "http://[::1]:11434", "box:65535")],
        [
            *NOT_TEXT,
            *BAD_TEXT,
            *quoted("127.0.0.1:99999", "http://[::1", "box:0", "ftp://box", " ", "http://"),
        ],
    ),
    "image_long_edge": Spec(
        ["64", "768", "4096"], [*WRONG_FOR_A_COUNT, "0", "1", "63", "4097", "-1", "1000000000"]
    ),
    "temperature": Spec(
        ["0", "0.0", "0.7", "2", "2.0", "1e-300"],
        [*BOOLS, "null", '"0.7"', "-0.1", "2.01", *NOT_FINITE, *CONTAINERS],
    ),
    "max_tokens": Spec(["1", "512", "1048576"], [*WRONG_FOR_A_COUNT, "0", "-1", "1048577"]),
    "num_ctx": Spec(["1", "8192", "1048576"], [*WRONG_FOR_A_COUNT, "0", "-5", "10000000000000"]),
    "threads": Spec(
        ["null", "1", "4", "512"],
        [*(t for t in WRONG_FOR_A_COUNT if t != "null"), "0", "513", "1000000000"],
    ),
    "extra_model_paths": Spec(
        ["[]", '["/m/a.gguf"]', '["/m/a.gguf", "/m/b c.gguf"]'],
        [
            *NUMBERS,
            *BOOLS,
            "null",
            "{}",
            '"/m/a.gguf"',
            "[1]",
            '["x", null]',
            '[["x"]]',
            *BAD_LISTS,
        ],
    ),
    "system_prompt": Spec(
        quoted("", "Be brief.", "line one\nline two\ttab", "emoji 🙂"),
        [*NOT_TEXT, "null", *BAD_TEXT],
    ),
    "openai_preset": Spec(
        ["null", *quoted("", "llama-server", "llamafile", "lm-studio", "vllm")],
        [*NOT_TEXT, *BAD_TEXT, *quoted("nope", "LM Studio")],
    ),
    "openai_base_url": Spec(
        ["null", *quoted("", "http://127.0.0.1:1234/v1", "box:8080", "https://box/v1")],
        [*NOT_TEXT, *BAD_TEXT, *quoted("ftp://box", "http://[::1", "http://box:99999", " ")],
    ),
    "openai_api_key_env": Spec(
        ["null", *quoted("", "MY_KEY")], [*NOT_TEXT, *BAD_TEXT, *quoted("A=B")]
    ),
    "openai_api_key": Spec(
        ["null", *quoted("sk-test")],
        [*NUMBERS, *BOOLS, "{}", *BAD_SECRETS],
    ),
    "openai_vision_models": Spec(
        ["[]", '["llava"]', '["llava", "qwen2.5vl:3b"]'],
        [*NUMBERS, *BOOLS, "null", "{}", '"llava"', "[1]", '[["x"]]', f"[{NUL}]", DEEPISH],
    ),
    "first_run_dismissed": Spec(
        BOOLS, ["0", "1", '"true"', "null", "{}", "[]", "1.0", "NaN", HUGE_INT]
    ),
    "theme": Spec(
        quoted("system", "light", "dark"),
        [*NOT_TEXT, "null", *BAD_TEXT, *quoted("", "Dark", "blue", " dark")],
    ),
    "language": Spec(
        quoted("system", "en", "zh_CN"),
        [*NOT_TEXT, "null", *BAD_TEXT, *quoted("", "zh", "zh-CN", "ZH_CN", "fr", " en")],
    ),
    "text_size": Spec(
        ["70", "100", "135", "200"], [*WRONG_FOR_A_COUNT, "0", "69", "201", "-100", "100000"]
    ),
    "image_cache_mb": Spec(["0", "1", "1024", "102400"], [*WRONG_FOR_A_COUNT, "-1", "102401"]),
    "conversation_cache_mb": Spec(
        ["0", "1", "2048", "102400"], [*WRONG_FOR_A_COUNT, "-1", "102401"]
    ),
    "describe_concurrency": Spec(["1", "2", "16"], [*WRONG_FOR_A_COUNT, "0", "-1", "17"]),
}

UNKNOWN_KEYS = {
    "colour": ['"blue"', "{}", HUGE_INT, "NaN", NUL],
    "schema_version": ['"ninety"', "99", "null", "[1]"],
    "top_p": ["0.9", "true", '"high"'],
}

#: Whole-file corruptions: each gives exactly one problem and every default.
FILE_FAULTS = ("not utf-8", "not json", "not an object", "deep", "too large")


def test_the_specification_covers_every_setting() -> None:
    names = {f.name for f in dataclasses.fields(Settings)} - {"schema_version"}
    assert set(SPECS) == names
    for name, spec in SPECS.items():
        for text in spec.good:
            assert json.loads(text) is not Ellipsis, (name, text)  # plain JSON, readable


# -- one case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    content: bytes
    good: dict[str, str]
    bad: dict[str, str]
    file_fault: str | None


def object_text(rng: random.Random, entries: list[tuple[str, str]]) -> str:
    """A JSON object written by hand, so NaN, 5000-digit numbers and lone surrogates can be
    in it exactly as a file would hold them; spacing varies as editors' does."""
    separator = rng.choice([", ", ",", ",\n  "])
    body = separator.join(f"{json.dumps(key)}{rng.choice([':', ': '])}{v}" for key, v in entries)
    return "{" + body + "}"


def make_case(index: int) -> Case:
    rng = random.Random(SEED + SUITE_OFFSET + index)
    names = list(SPECS)
    if rng.random() < 0.2:
        return file_case(rng, FILE_FAULTS[index % len(FILE_FAULTS)])
    bad_names = rng.sample(names, rng.randint(1, 4))
    rest = [name for name in names if name not in bad_names]
    good_names = rng.sample(rest, rng.randint(0, len(rest)))
    bad = {name: rng.choice(SPECS[name].bad) for name in bad_names}
    good = {name: rng.choice(SPECS[name].good) for name in good_names}
    entries = [*bad.items(), *good.items()]
    for key in rng.sample(list(UNKNOWN_KEYS), rng.randint(0, len(UNKNOWN_KEYS))):
        entries.append((key, rng.choice(UNKNOWN_KEYS[key])))
    rng.shuffle(entries)
    text = object_text(rng, entries)
    content = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        content = b"\xef\xbb\xbf" + content  # a byte order mark, as Notepad writes
    return Case(content, good, bad, None)


def file_case(rng: random.Random, fault: str) -> Case:
    good = {name: rng.choice(spec.good) for name, spec in SPECS.items()}
    text = object_text(rng, list(good.items()))
    if fault == "not utf-8":
        at = rng.randrange(1, len(text) - 1)
        content = text[:at].encode() + rng.choice([b"\xff", b"\xe9", b"\xc3(", b"\x80"])
        content += text[at:].encode()
    elif fault == "not json":
        cut = rng.randrange(1, len(text) - 1)  # before the closing brace: never valid
        content = rng.choice([text[:cut], text[:-1] + ",}", "{'model': 'm'}"]).encode()
    elif fault == "not an object":
        inner = rng.choice(["[1, 2]", '"text"', "null", "7", "true", f"[{text}]"])
        content = inner.encode()
    elif fault == "deep":
        depth = 100_000
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        nested = opener * depth + "1" + closer * depth
        content = rng.choice([nested, text[:-1] + ', "model": ' + nested + "}"]).encode()
    else:  # too large
        content = (text[:-1] + " " * MAX_SETTINGS_BYTES + "}").encode()
    return Case(content, {}, {}, fault)


# -- the properties -------------------------------------------------------------------------


def python_value(name: str, text: str) -> Any:
    value = json.loads(text)
    return float(value) if name == "temperature" else value


@pytest.fixture
def settings_path() -> Path:
    path = app_paths().ensure().settings_path
    assert "localsight-home" in str(path)
    return path


@pytest.mark.fuzz
@pytest.mark.parametrize("index", range(CASES))
def test_a_malformed_settings_file(settings_path: Path, index: int) -> None:
    case = make_case(index)
    settings_path.write_bytes(case.content)
    loaded = Settings.load_with_problems(settings_path)  # never raises
    defaults = Settings()
    for problem in loaded.problems:
        assert len(problem.splitlines()) == 1 and problem.isprintable(), repr(problem)
        assert "SECRET" not in problem, problem

    if case.file_fault is not None:
        assert loaded.settings == defaults
        (problem,) = loaded.problems
        assert "settings.json" in problem, problem
    else:
        named = [problem.split('"')[1] for problem in loaded.problems]
        assert sorted(named) == sorted(case.bad), (loaded.problems, case.bad)
        for problem in loaded.problems:
            assert problem.startswith('Setting "'), problem
        for name in case.bad:
            assert getattr(loaded.settings, name) == getattr(defaults, name), name
        for name, text in case.good.items():
            kept = getattr(loaded.settings, name)
            assert kept == python_value(name, text), (name, text, kept)
            assert type(kept) is type(python_value(name, text)), (name, text)
        untouched = set(SPECS) - set(case.bad) - set(case.good)
        for name in untouched:
            assert getattr(loaded.settings, name) == getattr(defaults, name), name
        assert loaded.settings.schema_version == defaults.schema_version

    # Nothing is lost: the next save keeps the file it replaces, byte for byte.
    loaded.settings.save(settings_path)
    (copy,) = settings_path.parent.glob("settings.json.bad-*")
    assert copy.read_bytes() == case.content
    again = Settings.load_with_problems(settings_path)
    assert again.problems == ()
    assert again.settings == loaded.settings
