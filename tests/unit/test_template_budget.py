"""A chat template renders within a time and memory budget, or stops with one clear error.

The audit of issue 16 gave LocalSight GGUFs whose ``tokenizer.chat_template`` ran nested
``range(100000)`` loops (90 s, 1.74 GB) and ``'x' * 4000000000`` (4.46 GB).  The sandbox
stopped every template from *reaching* anything; nothing stopped one from *doing* too much.
Here a seeded suite of hostile templates -- every way we found for a Jinja template to spend
time or memory -- must each end with ``TemplateBudgetExceeded`` (the one sentence a person
sees) while the Python heap never grows past a bound set by the caps; real templates of the
families LocalSight runs must render exactly as before on a long conversation; and a model
carrying a hostile template must give the clear error through the real backend, which then
answers the next, normal model.

Memory is read with ``tracemalloc`` (what the render allocated, deterministic for a case),
never time: the clock is a backstop the suite checks with a zero deadline.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from backends.base import InvalidModelFile, TemplateBudgetExceeded
from backends.llama_cpp import LlamaCppBackend, native
from backends.llama_cpp.chat_format import LLAVA15_TEMPLATE
from backends.llama_cpp.prompt_render import content_caps, normalise_messages, render_template
from tests.helpers.backend_contract import ask, collect
from tests.helpers.family_templates import GEMMA3, QWEN25VL, SMOLVLM, smollm2_template
from tests.helpers.fuzz import SEED, fuzz_count
from tests.helpers.tiny_models import write_tiny_text_model

#: This suite's own offset from the shared seed (no other suite draws the same cases).
_OFFSET = 3_000

#: The most the Python heap may grow while a hostile template renders.  The caps for a short
#: conversation allow values of 1 Mi characters and 8 Mi characters built in all; at up to
#: 4 bytes a character (Python's widest strings) plus the interpreter's own bookkeeping that
#: is well under this, and a fraction of the 1.74-4.46 GB the audit measured.
HOSTILE_PEAK_BYTES = 128 * 1024 * 1024

MARKER = "<__media__>"
SHORT_CHAT = [{"role": "user", "content": "hello"}]

Payload = Callable[[random.Random], str]


def _big(rng: random.Random) -> int:
    """A count far past any cap: 4 billion (the audit's), 10**12, 2**31 or 10**8."""
    return rng.choice([4_000_000_000, 10**12, 2**31, 10**8])


def _nested_range_loops(rng: random.Random) -> str:
    depth = rng.choice([2, 3, 4])
    size = rng.choice([100_000, 99_999, 50_000])
    body = rng.choice(["", "x", "{{ i0 }}"])
    opening = "".join(f"{{% for i{d} in range({size}) %}}" for d in range(depth))
    return opening + body + "{% endfor %}" * depth


def _string_times_number(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ 'x' * {n} }}}}",
            f"{{% set n = {n} %}}{{{{ 'ab' * n }}}}",
            f"{{{{ {n} * messages[0]['content'] }}}}",
            f"{{% set s = 'x' * {n} %}}{{{{ s|length }}}}",
        ]
    )


def _list_times_number(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ ([0] * {n})|length }}}}",
            f"{{% set l = [1, 2] * {n} %}}{{{{ l|length }}}}",
            f"{{{{ (messages * {n})|length }}}}",
        ]
    )


def _power(rng: random.Random) -> str:
    base = rng.choice([9, 10, 99])
    exponent = rng.choice([10**8, 10**9, 2**40])
    return rng.choice(
        [
            f"{{{{ {base} ** ({base} ** {base}) }}}}",  # Jinja's ** groups from the left
            f"{{{{ 2 ** {exponent} }}}}",
            f"{{% set b = {base} %}}{{{{ (b ** {exponent}) % 7 }}}}",
        ]
    )


def _number_squaring(rng: random.Random) -> str:
    rounds = rng.choice([40, 64, 100])
    return (
        "{% set ns = namespace(v=3) %}"
        f"{{% for i in range({rounds}) %}}{{% set ns.v = ns.v * ns.v %}}{{% endfor %}}"
        "{{ ns.v % 10 }}"
    )


def _string_doubling(rng: random.Random) -> str:
    rounds = rng.choice([40, 50, 64])
    step = rng.choice(
        ["ns.s ~ ns.s", "ns.s + ns.s", "[ns.s, ns.s]|join", "ns.s * 2", "ns.s ~ ns.s ~ ns.s"]
    )
    return (
        "{% set ns = namespace(s='x') %}"
        f"{{% for i in range({rounds}) %}}{{% set ns.s = {step} %}}{{% endfor %}}"
        "{{ ns.s|length }}"
    )


def _shared_list_doubling(rng: random.Random) -> str:
    rounds = rng.choice([40, 60, 100])
    use = rng.choice(
        [
            "{{ ns.l }}",
            "{{ ns.l|tojson }}",
            "{{ ns.l == ns.m }}",
            "{{ ns.l|string|length }}",
            "{{ ns.l|pprint }}",
            "{{ (ns.l|list|unique|list)|length }}",
        ]
    )
    return (
        "{% set ns = namespace(l=['x'], m=['x']) %}"
        f"{{% for i in range({rounds}) %}}"
        "{% set ns.l = [ns.l, ns.l] %}{% set ns.m = [ns.m, ns.m] %}{% endfor %}" + use
    )


def _recursive_macro(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% macro f(n) %}{{ f(n + 1) }}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "{% macro f(n) %}{% if n < 60 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}"
            "{% endmacro %}{{ f(0) }}",
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}",
        ]
    )


def _caller_doubling(rng: random.Random) -> str:
    depth = rng.choice([30, 40, 60])
    return (
        "{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}"
        + "{% call twice() %}" * depth
        + "x"
        + "{% endcall %}" * depth
    )


def _padding(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ 'x'|center({n}) }}}}",
            f"{{{{ messages[0]['content']|center({n}) }}}}",
            f"{{{{ 'a\nb'|indent({n}) }}}}",
            f"{{{{ '%{n}s'|format('x') }}}}",
            f"{{{{ '%*s'|format({n}, 'x') }}}}",
            f"{{{{ 'x'.center({n}) }}}}",
            f"{{{{ 'x'.ljust({n}) }}}}",
            f"{{{{ 'x'.zfill({n}) }}}}",
            f"{{{{ '\t'.expandtabs({n}) }}}}",
            "{{ ('x' * 1000)|wordwrap(1, wrapstring='y' * 100000) }}",
        ]
    )


def _replace_growth(rng: random.Random) -> str:
    size = rng.choice([2000, 3000, 10000])  # size * size > the 1 Mi cap
    return rng.choice(
        [
            f"{{% set s = 'x' * {size} %}}{{{{ s|replace('x', s) }}}}",
            f"{{% set s = 'x' * {size} %}}{{{{ s.replace('x', s)|length }}}}",
            "{% set s = 'xx' %}{% set ns = namespace(s=s) %}{% for i in range(64) %}"
            "{% set ns.s = ns.s|replace('x', 'xx') %}{% endfor %}{{ ns.s|length }}",
            f"{{{{ ''|replace('', 'y' * {size}) }}}}"
            f"{{{{ ('x' * {size})|replace('', 'y' * {size}) }}}}",
        ]
    )


def _join_growth(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% set s = 'x' * 100000 %}{{ ([s] * 100000)|join }}",
            "{% set s = 'x' * 100000 %}{{ range(100000)|join(s) }}",
            "{% set s = 'x' * 100000 %}{{ s.join(range(100000)|map('string')) }}",
            "{% set s = 'x' * 100000 %}{{ s.join([s] * 100000)|length }}",
        ]
    )


def _format_method(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ '{{:>{n}}}'.format('x') }}}}",
            "{% set s = 'x' * 100000 %}{{ ('{0}' * 100000).format(s)|length }}",
            f"{{{{ '{{:{{w}}}}'.format('x', w={n}) }}}}",
            "{% set s = 'x' * 100000 %}{{ ('{a}' * 100000).format_map({'a': s})|length }}",
        ]
    )


def _percent_operator(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ '%0*d' % ({n}, 1) }}}}",
            f"{{{{ '%{n}d' % 1 }}}}",
            "{% set s = 'x' * 100000 %}{{ (('%(a)s' * 100000) % {'a': s})|length }}",
            f"{{{{ '%.{n}f' % 1.5 }}}}",
        ]
    )


def _namespace_list_growth(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
            "{% for j in range(100000) %}{% set ns.l = ns.l + [j] %}{% endfor %}{% endfor %}"
            "{{ ns.l|length }}",
            "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}"
            "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}",
            "{% set ns = namespace(d={}) %}{% for i in range(64) %}"
            "{% set ns.d = dict(a=ns.d, b=ns.d) %}{% endfor %}{{ ns.d|tojson|length }}",
        ]
    )


def _loops_writing_text(rng: random.Random) -> str:
    size = rng.choice([1000, 2000, 100000])
    text = rng.choice(["x", "{{ messages[0]['content'] }}", "{{ loop.index }}"])
    return (
        f"{{% for a in range({size}) %}}{{% for b in range({size}) %}}"
        f"{{% for c in range({size}) %}}{text}{{% endfor %}}{{% endfor %}}{{% endfor %}}"
    )


def _json_layout(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ [[[[1]]]]|tojson(indent={n}) }}}}",
            f"{{{{ messages|tojson(indent={n}) }}}}",
            "{{ [1, 2]|tojson(separators=('x' * 1000000, ':')) }}{{ ([0] * 100000)"
            "|tojson(separators=('y' * 100000, ':')) }}",
            "{% set l = [[[[[[[[['x' * 1000]]]]]]]]] * 1000 %}{{ l|tojson(indent=100000) }}",
        ]
    )


def _lipsum(rng: random.Random) -> str:
    return rng.choice(
        ["{{ lipsum(10000000) }}", "{{ lipsum(5, max=1000000000) }}", "{{ lipsum(n=1000000) }}"]
    )


def _batch_and_slice(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ [1]|batch({n}, 'x')|list }}}}",
            f"{{{{ [1]|slice({n})|list }}}}",
            f"{{{{ ([1]|slice({n})|list)|length }}}}",
        ]
    )


def _rounding(rng: random.Random) -> str:
    n = rng.choice([10**8, 10**9, 2**40])
    return rng.choice(
        [
            f"{{{{ 5|round(-{n}) }}}}",
            f"{{{{ 1.5|round({n}, 'floor') }}}}",
            f"{{{{ 2.5|round({n}, 'ceil') }}}}",
        ]
    )


def _sum_of_lists(rng: random.Random) -> str:
    size = rng.choice([3000, 10000, 100000])
    return f"{{{{ ([[0] * {size}] * {size})|sum(start=[])|length }}}}"


def _self_calling_block(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% block b %}{{ self.b() }}{{ self.b() }}{% endblock %}",
            "{% block b %}x{{ self.b() }}{% endblock %}",
        ]
    )


def _recursive_loop(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% for x in [1, 2] recursive %}{{ loop([1, 2]) }}{% endfor %}",
            "{% for x in range(100000) recursive %}{{ loop(range(100000)) }}{% endfor %}",
            "{% for x in 'ab' recursive %}{% if loop.depth < 60 %}{{ loop('ab') }}"
            "{% endif %}{% endfor %}",
        ]
    )


def _filtered_loops_over_text(rng: random.Random) -> str:
    depth = rng.choice([2, 3])
    opening = "".join(f"{{% for c{d} in s if c{d} == 'y' %}}" for d in range(depth))
    inner = "{% for c in s %}" + opening + "{% endfor %}" * depth + "{% endfor %}"
    return "{% set s = 'x' * 100000 %}" + inner


def _translate_and_fromkeys(rng: random.Random) -> str:
    n = rng.choice([100000, 1000000])
    return rng.choice(
        [
            f"{{% set s = 'x' * 100000 %}}{{{{ s.translate({{120: 'y' * {n}}})|length }}}}",
            "{% set s = 'x' * 100000 %}{{ {}.fromkeys(range(100000), s)|string|length }}",
            "{% set s = 'x' * 100000 %}{{ {}.fromkeys(range(100000), s)|tojson|length }}",
        ]
    )


def _tag_stripping(rng: random.Random) -> str:
    n = rng.choice([100000, 300000, 1000000])
    return rng.choice(
        [
            f"{{{{ ('<' * {n})|striptags }}}}",
            f"{{{{ ('<!--' * {n // 4})|striptags }}}}",
            f"{{{{ ('a@a.' * {n // 4} ~ '!')|urlize }}}}",
        ]
    )


def _blocks_of_text(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% set s = 'x' * 100000 %}{% filter upper %}{% for i in range(100000) %}{{ s }}"
            "{% endfor %}{% endfilter %}",
            "{% set s = 'x' * 100000 %}{% set t %}{% for i in range(100000) %}{{ s }}"
            "{% endfor %}{% endset %}{{ t|length }}",
            "{% set s = 'x' * 100000 %}{% macro m() %}{% for i in range(100000) %}{{ s }}"
            "{% endfor %}{% endmacro %}{{ m()|length }}",
            "{% set s = ['x' * 1000] * 1000 %}{% macro m() %}{% for i in range(100000) %}"
            "{{ s }}{% endfor %}{% endmacro %}{{ m()|length }}",
        ]
    )


def _huge_template_text(rng: random.Random) -> str:
    repeat = rng.choice([50_000, 100_000, 200_000])
    return "{{ messages[0]['content'] ~ 'x' }}" * repeat


def _constant_folding(rng: random.Random) -> str:
    n = _big(rng)
    return rng.choice(
        [
            f"{{{{ 'x'|center({n}) }}}}",
            "{{ ('x'|center(900000)) ~ ('x'|center(900000)) }}" * 40,
            f"{{{{ 'x' * {n} }}}}",
            f"{{{{ [0]|batch({n}, 0)|list }}}}",
        ]
    )


def _deep_nesting(rng: random.Random) -> str:
    depth = rng.choice([3000, 10000, 50000])
    return rng.choice(
        [
            "{{ " + "(" * depth + "1" + ")" * depth + " }}",
            "{% if true %}" * depth + "x" + "{% endif %}" * depth,
            "{{ " + "[" * depth + "]" * depth + " }}",
            "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
            "{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
        ]
    )


def _shared_list_comparison(rng: random.Random) -> str:
    rounds = rng.choice([40, 60])
    compare = rng.choice(["ns.a == ns.b", "ns.a in [ns.b]", "[ns.a]|unique|list|length"])
    return (
        "{% set ns = namespace(a=('x',), b=('x',)) %}"
        f"{{% for i in range({rounds}) %}}"
        "{% set ns.a = (ns.a, ns.a) %}{% set ns.b = (ns.b, ns.b) %}{% endfor %}"
        f"{{{{ {compare} }}}}"
    )


def _clock_format(rng: random.Random) -> str:
    n = rng.choice([100_000, 400_000])  # fits the cap; what strftime would print does not
    return f"{{{{ strftime_now('%c' * {n})|length }}}}"


def _nested_namespaces(rng: random.Random) -> str:
    rounds = rng.choice([40, 64])
    return (
        "{% set n0 = namespace(v='x') %}{% set ns = namespace(top=n0) %}"
        f"{{% for i in range({rounds}) %}}{{% set ns.top = namespace(a=ns.top, b=ns.top) %}}"
        "{% endfor %}{% set n0.v = 'x' * 1000000 %}{{ ns.top }}"
    )


def _string_work_in_loops(rng: random.Random) -> str:
    method = rng.choice(["s.upper()", "s|upper", "s ~ ''", "s.encode()", "s|trim", "s|e"])
    return (
        "{% set s = 'x' * 1000000 %}{% for i in range(100000) %}"
        f"{{% set t = {method} %}}{{% endfor %}}"
    )


def _slices_in_loops(rng: random.Random) -> str:
    value = rng.choice(["'x' * 1000000", "[0] * 1000000", "messages[0]['content'] * 200000"])
    cut = rng.choice(["s[1:]", "s[::-1]", "s[:-1]", "s[::2]"])
    return (
        f"{{% set s = {value} %}}{{% for i in range(100000) %}}{{% set t = {cut} %}}{{% endfor %}}"
    )


def _spread_arguments(rng: random.Random) -> str:
    call = rng.choice(
        ["loop.cycle(*range(100000))", "cycler(*range(100000)).next()", "m(*range(100000))"]
    )
    return (
        "{% macro m() %}{{ varargs|length }}{% endmacro %}"
        f"{{% for i in range(100000) %}}{{{{ {call} }}}}{{% endfor %}}"
    )


def _split_and_map(rng: random.Random) -> str:
    return rng.choice(
        [
            "{% set s = 'x' * 1000000 %}{{ s.split('x')|length }}",
            "{{ range(100000)|map('center', 1000000)|join }}",
            "{{ messages|map('tojson', indent=1000000)|list }}",
            "{{ dict(range(100000)|batch(2)|list)|length }}",
        ]
    )


PAYLOADS: dict[str, Payload] = {
    "nested range loops": _nested_range_loops,
    "string times a number": _string_times_number,
    "list times a number": _list_times_number,
    "power": _power,
    "number squared in a loop": _number_squaring,
    "string doubled in a loop": _string_doubling,
    "shared list doubled in a loop": _shared_list_doubling,
    "recursive macro": _recursive_macro,
    "caller doubling": _caller_doubling,
    "padding widths": _padding,
    "replace growth": _replace_growth,
    "join growth": _join_growth,
    "str.format": _format_method,
    "% formatting": _percent_operator,
    "namespace growth in loops": _namespace_list_growth,
    "loops writing text": _loops_writing_text,
    "JSON layout": _json_layout,
    "lipsum": _lipsum,
    "batch and slice": _batch_and_slice,
    "rounding precision": _rounding,
    "sum of lists": _sum_of_lists,
    "self-calling block": _self_calling_block,
    "recursive loop": _recursive_loop,
    "filtered loops over text": _filtered_loops_over_text,
    "translate and fromkeys": _translate_and_fromkeys,
    "tag stripping and urlize": _tag_stripping,
    "filter, set and macro blocks": _blocks_of_text,
    "huge template text": _huge_template_text,
    "constant folding": _constant_folding,
    "deep nesting": _deep_nesting,
    "shared tuple comparison": _shared_list_comparison,
    "clock format": _clock_format,
    "nested namespaces": _nested_namespaces,
    "string work in loops": _string_work_in_loops,
    "slices in loops": _slices_in_loops,
    "arguments spread from a range": _spread_arguments,
    "split and map": _split_and_map,
}


def hostile_cases(count: int) -> list[tuple[str, str]]:
    """``count`` seeded (kind, template) cases, cycling through every kind of payload."""
    kinds = list(PAYLOADS)
    cases = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        rng = random.Random(SEED + _OFFSET + index)
        cases.append((kind, PAYLOADS[kind](rng)))
    return cases


# CI: one case of every kind; the full run: four variants of each (148 cases).
CASES = hostile_cases(fuzz_count(len(PAYLOADS), 4 * len(PAYLOADS)))


@pytest.fixture(scope="module")
def llama_cpp() -> ModuleType:
    return native.llama_module()


def _render(llama_cpp: ModuleType, template: str, messages: list[dict[str, Any]]) -> str:
    return render_template(
        llama_cpp,
        template,
        messages,
        bos_token="<s>",
        eos_token="</s>",
        marker=MARKER,
        add_special=False,
    ).text


def assert_clear(error: BaseException) -> None:
    """The one sentence a person sees: what went wrong and what to do."""
    text = str(error)
    assert isinstance(error, TemplateBudgetExceeded)
    assert isinstance(error, InvalidModelFile)  # handled wherever a bad file is
    assert text.startswith("This model's chat template "), text
    assert "pick another model" in text, text
    assert "\n" not in text and len(text) < 300, text


@pytest.mark.fuzz
@pytest.mark.parametrize(("kind", "template"), CASES, ids=[kind for kind, _ in CASES])
def test_hostile_template_stops_within_the_caps(
    llama_cpp: ModuleType, kind: str, template: str
) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(TemplateBudgetExceeded) as stopped:
            _render(llama_cpp, template, SHORT_CHAT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_clear(stopped.value)
    assert peak <= HOSTILE_PEAK_BYTES, f"{kind}: {peak / 1e6:.0f} MB"


def test_every_case_kind_is_distinct() -> None:
    """The full run holds at least 15 kinds times several variants (the audit tried 15)."""
    assert len(PAYLOADS) >= 15
    full = hostile_cases(4 * len(PAYLOADS))
    assert len({template for _, template in full}) >= 2 * len(PAYLOADS)


def _long_conversation(turns: int, chars: int) -> list[dict[str, Any]]:
    """A system prompt and ``turns`` alternating messages of ``chars`` characters each."""
    rng = random.Random(SEED + _OFFSET - 1)
    words = ["lighthouse", "keeper", "storm", "ß", "naïve", "東京", "🙂", "{{ x }}", "%s", "\t"]
    messages = [{"role": "system", "content": "You are a helpful assistant."}]
    for turn in range(turns):
        text = ""
        while len(text) < chars:
            text += rng.choice(words) + " "
        messages.append({"role": "user" if turn % 2 == 0 else "assistant", "content": text})
    return messages


def _family_templates(smollm2: Path) -> dict[str, str]:
    from tests.helpers.family_gemma4 import GEMMA4_TEMPLATE
    from tests.helpers.family_lfm2vl import LFM2VL_TEMPLATE
    from tests.helpers.family_qwen3vl import QWEN3VL_TEMPLATE

    return {
        "gemma3": GEMMA3,
        "gemma4": GEMMA4_TEMPLATE,
        "qwen2.5-vl": QWEN25VL,
        "qwen3-vl": QWEN3VL_TEMPLATE,
        "lfm2-vl": LFM2VL_TEMPLATE,
        "smolvlm": SMOLVLM,
        "smollm2 (chatml)": smollm2_template(smollm2),
        "llava-1.5 (no template)": LLAVA15_TEMPLATE,
    }


def _plain_sandbox_render(
    llama_cpp: ModuleType, template: str, messages: list[dict[str, Any]]
) -> str:
    """The same render in the binding's own plain sandbox, as it was before the budget."""
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    formats = llama_cpp.llama_chat_format
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[formats.Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    environment.filters["tojson"] = formats.Jinja2ChatFormatter.tojson

    def refuse(message: str) -> None:
        raise ValueError(message)

    converted, _ = normalise_messages(messages, MARKER, content_caps(llama_cpp, template))
    return environment.from_string(template).render(
        messages=converted,
        add_generation_prompt=True,
        eos_token="</s>",
        bos_token="<s>",
        raise_exception=refuse,
        strftime_now=formats.Jinja2ChatFormatter.strftime_now,
    )


def test_real_templates_render_a_long_conversation_unchanged(
    llama_cpp: ModuleType, smollm2: Path
) -> None:
    """200 turns of 4 000 characters: every family's prompt is the plain sandbox's, exactly."""
    messages = _long_conversation(200, 4000)
    for family, template in _family_templates(smollm2).items():
        expected = _plain_sandbox_render(llama_cpp, template, messages)
        assert _render(llama_cpp, template, messages) == expected, family
        assert messages[-1]["content"].strip() in expected, family


def test_a_template_reading_every_message_for_each_message_has_room(llama_cpp: ModuleType) -> None:
    """Gemma 4's real template scans all earlier messages for each one (n**2 steps): a long
    chat must still render.  1 300 messages here take 1.7 million steps, past a cap that grew
    only linearly with the conversation."""
    template = (
        "{% for m in messages %}{% for o in messages %}{% endfor %}"
        "{{ m['role'][0] }}{{ loop.index }};{% endfor %}"
    )
    messages = _long_conversation(1300, 1)
    assert _render(llama_cpp, template, messages) == _plain_sandbox_render(
        llama_cpp, template, messages
    )


#: Reka-Edge's way of building its prompt (models/templates/Reka-Edge.jinja in llama.cpp):
#: the whole prompt so far copied into a namespace three times a message, so the characters
#: built grow with messages times text (1.0 to 1.2 times their product) while only one copy
#: is ever alive.  Literal here, since the vendored templates are only present where
#: llama.cpp's source has been extracted.
ACCUMULATING = (
    "{%- set ns = namespace(out='') -%}"
    "{%- for message in messages -%}"
    "{%- set ns.out = ns.out ~ message['role'] ~ ': ' -%}"
    "{%- set ns.out = ns.out ~ message['content'] -%}"
    "{%- set ns.out = ns.out ~ '<sep>' -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{%- set ns.out = ns.out ~ 'assistant:' -%}{%- endif -%}"
    "{{- ns.out -}}"
)


@pytest.mark.parametrize(("turns", "chars"), [(100, 2000), (400, 4000)])
def test_a_template_building_its_prompt_step_by_step_has_room(
    llama_cpp: ModuleType, turns: int, chars: int
) -> None:
    """Reka-Edge builds its prompt in a namespace, copying it for every message: O(messages
    x text) characters built in all (970 million for 400 messages of 4 000), where the
    cap grew only linearly and refused it at 100 messages of 2 000 (the plain sandbox takes
    0.03 s)."""
    messages = _long_conversation(turns, chars)
    expected = _plain_sandbox_render(llama_cpp, ACCUMULATING, messages)
    assert _render(llama_cpp, ACCUMULATING, messages) == expected


def _vendored_templates() -> list[Path]:
    """The chat templates vendored in llama.cpp (``models/templates``), where its source has
    been extracted (``tests.helpers.llama_tools``, for the llama-server tests)."""
    from tests.helpers.llama_tools import cache_dir

    folder = cache_dir() / "src" / "models" / "templates"
    return sorted(folder.glob("*.jinja")) if folder.is_dir() else []


def test_every_vendored_template_renders_a_long_conversation_unchanged(
    llama_cpp: ModuleType,
) -> None:
    """Every real template llama.cpp ships (those the plain sandbox renders at all for a
    plain chat) gives the plain sandbox's prompt, exactly, for 200 turns of 4 000 characters."""
    templates = _vendored_templates()
    if not templates:
        pytest.skip("llama.cpp's source is not extracted (tests.helpers.llama_tools does it)")
    messages = _long_conversation(200, 4000)
    rendered = 0
    for path in templates:
        template = path.read_text(encoding="utf-8")
        try:
            expected = _plain_sandbox_render(llama_cpp, template, messages)
        except Exception:  # it needs variables or roles this chat lacks: not one to compare
            continue
        assert _render(llama_cpp, template, messages) == expected, path.name
        rendered += 1
    assert rendered >= len(templates) // 2


def test_one_turn_costs_one_budget_however_often_the_template_is_rendered(
    llama_cpp: ModuleType,
) -> None:
    """A first turn renders a template up to five times (probing what content it reads,
    then the prompt): 100 000 steps each stays under the 201 004 a short chat allows, three
    of them do not."""
    template = "{% for i in range(100000) %}{% endfor %}{{ messages[0]['content'] }}"
    with pytest.raises(TemplateBudgetExceeded, match="steps"):
        _render(llama_cpp, template, SHORT_CHAT)


def test_the_binding_renders_as_before_once_guarded(llama_cpp: ModuleType) -> None:
    """``guard_binding`` swaps the binding's sandbox and its GGUF-template formatter for the
    budgeted ones: its family handlers' own templates (the path of template-less vision
    models, with a 1 MB image as a data URI) and a GGUF template render exactly as before."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from backends.llama_cpp.template_budget import guard_binding

    formats = llama_cpp.llama_chat_format
    guard_binding(llama_cpp)
    guard_binding(llama_cpp)  # idempotent
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 2**20}}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [image, {"type": "text", "text": "What is this?"}]},
        {"role": "assistant", "content": "A lighthouse."},
        {"role": "user", "content": "And the weather? " * 200},
    ]
    variables = {"add_generation_prompt": True, "eos_token": "</s>", "bos_token": "<s>"}
    handlers = [
        value
        for value in vars(formats).values()
        if isinstance(value, type) and isinstance(getattr(value, "CHAT_FORMAT", None), str)
    ]
    assert len(handlers) >= 5
    for handler in handlers:
        plain = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        expected = plain.from_string(handler.CHAT_FORMAT).render(messages=messages, **variables)
        guarded = formats.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        got = guarded.from_string(handler.CHAT_FORMAT).render(messages=messages, **variables)
        assert got == expected, handler.__name__

    conversation = _long_conversation(50, 1000)
    lazy = formats.Jinja2ChatFormatter(template=GEMMA3, eos_token="<eos>", bos_token="<bos>")
    original = type(lazy).__mro__[1]
    assert original.__module__ == formats.__name__
    expected = original(template=GEMMA3, eos_token="<eos>", bos_token="<bos>")(
        messages=conversation
    ).prompt
    assert lazy(messages=conversation).prompt == expected
    bomb = formats.Jinja2ChatFormatter(
        template="{{ 'x' * 4000000000 }}", eos_token="", bos_token=""
    )
    with pytest.raises(TemplateBudgetExceeded):  # compiled on first use, within the budget
        bomb(messages=SHORT_CHAT)


def test_the_clock_stops_a_render_that_runs_too_long() -> None:
    """The deadline is a backstop for work the step count cannot see; a zero one trips it."""
    from backends.llama_cpp import template_budget

    limits = template_budget.BudgetLimits.for_conversation(0, 1)
    environment = template_budget.BudgetedEnvironment()
    template = environment.from_string("{% for i in range(50000) %}{{ i }}{% endfor %}")
    assert len(template_budget.render(template, limits, {})) > 50000
    with pytest.raises(TemplateBudgetExceeded, match="ran for more than 0 seconds") as stopped:
        template_budget.render(template, limits.with_seconds(0.0), {})
    assert_clear(stopped.value)


# -- through the real backend ---------------------------------------------------------------

BACKEND_PAYLOADS = {
    "nested loops": "{% for a in range(100000) %}{% for b in range(100000) %}"
    "{% endfor %}{% endfor %}{{ messages[0]['content'] }}",
    # Folded into a constant when the template is compiled: the binding did that as the model
    # loaded (1.2 GB of heap for this 300 MB string; the audit's 4 000 000 000 took 4.46 GB).
    "constant folded at load": "{{ 'x' * 300000000 }}{{ messages[0]['content'] }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
}


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=False, include_stores=False)
    yield backend
    backend.close()


@pytest.mark.parametrize("payload", list(BACKEND_PAYLOADS))
def test_hostile_model_gives_the_clear_error_and_the_next_model_answers(
    tmp_path: Path, backend: LlamaCppBackend, tiny_text_model: Path, payload: str
) -> None:
    hostile = write_tiny_text_model(
        tmp_path / "hostile.gguf", chat_template=BACKEND_PAYLOADS[payload]
    )
    tracemalloc.start()
    try:
        with pytest.raises(TemplateBudgetExceeded) as stopped:
            collect(backend.stream_chat(ask(str(hostile), "hello")))
        with pytest.raises(TemplateBudgetExceeded):  # and again: nothing was left half-done
            collect(backend.stream_chat(ask(str(hostile), "hello again")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_clear(stopped.value)
    assert peak <= HOSTILE_PEAK_BYTES, f"{payload}: {peak / 1e6:.0f} MB"
    text, done = collect(backend.stream_chat(ask(str(tiny_text_model), "hello")))
    assert text and done.reason in ("stop", "length")
