"""Chat-template render budget (issue 16): hostile templates stopped, and what real ones pay.

The audit's templates ran 90 s to 1.74 GB (nested ``range(100000)`` loops) and 4.46 GB
(``'x' * 4000000000``).  Here the seeded hostile set of ``tests/unit/test_template_budget.py``
at its full count is rendered through ``prompt_render.render_template``, as the app renders:

* how many stop with ``TemplateBudgetExceeded`` (goal: all);
* the longest one took to stop (wall clock, no tracing) and the largest Python-heap peak
  one reached (``tracemalloc``, a second render of each: tracing slows the first);
* the cost of the budget on a real template: Gemma 3's, 50 turns, compiled once, rendered
  by the budgeted sandbox and by the binding's plain one, interleaved pair by pair; the
  ratio is renders per second, budgeted ÷ plain (goal >= 0.9, or a cost of well under a
  millisecond per turn);
* the same turn as the app renders it, now (template compiled once, budgeted) against
  before (``prompt_render`` compiled the template again on every turn, plain sandbox).
"""

from __future__ import annotations

import random
import statistics
import time
import tracemalloc
from typing import Any

from benchmarks.report import Metric, judged, median

_TURNS = 50
_TURN_CHARS = 1000
_PAIRS = 21


def _conversation() -> list[dict[str, Any]]:
    rng = random.Random(16)
    words = ["lighthouse", "keeper", "storm", "naïve", "東京", "🙂", "harbour", "\n"]
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are helpful."}]
    for turn in range(_TURNS):
        text = ""
        while len(text) < _TURN_CHARS:
            text += rng.choice(words) + " "
        messages.append({"role": "user" if turn % 2 == 0 else "assistant", "content": text})
    return messages


def _hostile_rows(llama_cpp: Any) -> list[Metric]:
    from backends.base import TemplateBudgetExceeded
    from backends.llama_cpp.prompt_render import render_template
    from tests.unit.test_template_budget import HOSTILE_PEAK_BYTES, PAYLOADS, hostile_cases

    cases = hostile_cases(4 * len(PAYLOADS))
    chat = [{"role": "user", "content": "hello"}]

    def attempt(template: str) -> bool:
        try:
            render_template(
                llama_cpp,
                template,
                chat,
                bos_token="<s>",
                eos_token="</s>",
                marker="<__media__>",
                add_special=False,
            )
        except TemplateBudgetExceeded:
            return True
        return False

    stopped = 0
    seconds: list[float] = []
    peaks: list[float] = []
    slowest = heaviest = ""
    for kind, template in cases:
        started = time.perf_counter()
        stopped += attempt(template)
        seconds.append(time.perf_counter() - started)
        if seconds[-1] == max(seconds):
            slowest = kind
        tracemalloc.start()
        try:
            attempt(template)
            peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        finally:
            tracemalloc.stop()
        if peaks[-1] == max(peaks):
            heaviest = kind
    bound = HOSTILE_PEAK_BYTES / 1e6
    return [
        judged(
            "hostile chat templates stopped by the budget",
            stopped,
            "templates",
            reference=len(cases),
            goal="all (ratio 1)",
            check=lambda r: r == 1.0,
            on_ratio=True,
            note=f"{len(PAYLOADS)} kinds x 4 seeded variants",
        ),
        judged(
            "hostile chat template, longest render",
            max(seconds),
            "s",
            goal="< 5 s (the clock's backstop)",
            check=lambda v: v < 5.0,
            note=f"slowest: {slowest}; median {statistics.median(seconds) * 1000:.0f} ms",
        ),
        judged(
            "hostile chat template, largest heap peak",
            max(peaks),
            "MB",
            goal=f"<= {bound:.0f} MB",
            check=lambda v: v <= bound,
            note=f"tracemalloc; heaviest: {heaviest}",
        ),
    ]


def _paired(first: Any, second: Any) -> tuple[float, float, float]:
    """Median seconds of ``first`` and ``second`` and the median of their pairs' speed
    ratios (second's time ÷ first's: first's renders per second ÷ second's), interleaved."""

    def timed(render: Any, repeat: int = 20) -> float:
        started = time.perf_counter()
        for _ in range(repeat):
            render()
        return (time.perf_counter() - started) / repeat

    firsts: list[float] = []
    seconds: list[float] = []
    ratios: list[float] = []
    for index in range(_PAIRS):
        if index % 2 == 0:
            a, b = timed(first), timed(second)
        else:
            b, a = timed(second), timed(first)
        firsts.append(a)
        seconds.append(b)
        ratios.append(b / a)
    return median(firsts), median(seconds), median(ratios)


def _cost_rows(llama_cpp: Any) -> list[Metric]:
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from backends.llama_cpp import prompt_render, template_budget
    from tests.helpers.family_templates import GEMMA3

    formats = llama_cpp.llama_chat_format
    plain_environment = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[formats.Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    plain_environment.filters["tojson"] = formats.Jinja2ChatFormatter.tojson
    plain = plain_environment.from_string(GEMMA3)
    budgeted = prompt_render._compiled(llama_cpp, GEMMA3)

    def refuse(message: str) -> None:
        raise ValueError(message)

    variables = {
        "messages": _conversation(),
        "add_generation_prompt": True,
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "raise_exception": refuse,
    }

    def plain_once() -> str:
        return plain.render(strftime_now=formats.Jinja2ChatFormatter.strftime_now, **variables)

    def budgeted_once() -> str:
        values = {**variables, "strftime_now": template_budget.strftime_now}
        limits = template_budget.BudgetLimits.for_variables(values)
        return template_budget.render(budgeted, limits, values)

    def before_once() -> str:  # the app before the budget: compiled on every turn
        compiled = plain_environment.from_string(GEMMA3)
        return compiled.render(strftime_now=formats.Jinja2ChatFormatter.strftime_now, **variables)

    def now_once() -> str:  # the app now: prompt_render's cached, budgeted template
        return prompt_render.render_template(
            llama_cpp,
            GEMMA3,
            variables["messages"],
            bos_token="<bos>",
            eos_token="<eos>",
            marker="<__media__>",
            add_special=False,
        ).text

    assert plain_once() == budgeted_once() == before_once() == now_once()
    budgeted_s, plain_s, ratio = _paired(budgeted_once, plain_once)
    cost_ms = (budgeted_s - plain_s) * 1000
    now_s, before_s, app_ratio = _paired(now_once, before_once)
    return [
        judged(
            f"Gemma 3 template, {_TURNS} turns: budgeted / plain sandbox",
            1 / budgeted_s,
            "renders/s",
            reference=1 / plain_s,
            goal=">= 0.9, or < 1 ms per render",
            check=lambda r: r >= 0.9 or cost_ms < 1.0,
            on_ratio=True,
            paired_ratio=ratio,
            note=f"{budgeted_s * 1000:.2f} ms vs {plain_s * 1000:.2f} ms ({cost_ms:+.2f} ms); "
            "both compiled once",
        ),
        judged(
            f"Gemma 3 prompt, {_TURNS} turns, app path: now / before",
            1 / now_s,
            "renders/s",
            reference=1 / before_s,
            goal=">= 0.9",
            check=lambda r: r >= 0.9,
            on_ratio=True,
            paired_ratio=app_ratio,
            note=f"{now_s * 1000:.2f} ms vs {before_s * 1000:.2f} ms: the template was "
            "compiled on every turn before",
        ),
    ]


def template_budget_rows() -> list[Metric]:
    """The chat-template budget's rows: hostile templates stopped, time, heap, cost."""
    from backends.llama_cpp import native

    llama_cpp = native.llama_module()
    return [*_hostile_rows(llama_cpp), *_cost_rows(llama_cpp)]


if __name__ == "__main__":
    from benchmarks.report import table

    print(table(template_budget_rows()))
