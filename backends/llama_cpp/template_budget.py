"""Chat templates rendered within a time and memory budget (issue 16).

A GGUF carries its chat template as Jinja source and LocalSight renders it on every turn.
The binding's ``ImmutableSandboxedEnvironment`` (CVE-2024-34359) stops a template from
*reaching* anything, but not from *doing* too much: the audit's nested ``range(100000)``
loops ran 90 s to 1.74 GB, and ``'x' * 4000000000`` reached 4.46 GB -- that one while the
binding merely *compiled* the template at load, because Jinja folds constant expressions
then.  Rendering is pure Python in the app's own process: it cannot be killed on a timer,
and an OS memory limit would limit the model too.  So every way a template can spend time
or build a value goes through a check *before* the work happens:

* **work**: every call, operator, filter, ``~``, literal and loop iteration is a step (and
  a filter given a ``range`` pays for its length); a render may take ``max_steps``.
  Straight-line template code is bounded by the template's length, so counting these bounds
  everything.  The sandbox's own ``range`` cap (100 000 items) stays; nesting no longer
  multiplies past it unnoticed, because every iteration counts.
* **size**: no single value -- string, list, number (in digits) or what one would print as
  -- may exceed ``max_chars``, and the prompt itself may not either.  Operations that can
  multiply (``*``, ``**``, ``%``, ``str.format``, ``center``, ``indent``, ``replace``,
  ``join``, ``tojson(indent=...)`` and their kin) are estimated from their operands first.
  Lists and dicts are sized as they would be printed, shared parts counted each time they
  appear, so a list doubled 64 times by reference (``[l, l]``) is refused while it is
  small, before any ``==``, ``hash`` or ``repr`` could walk its 2**64 leaves.
* **memory**: all the characters (and list slots) operations create are added up; past
  ``max_produced`` the render stops, so a loop cannot pile up fresh copies even when each
  one is within ``max_chars``.  The count is of everything created, not of what is alive
  (Python gives no sound way to see a string freed), so it must leave room for templates
  that build the prompt step by step, copying it all for every message: that cap grows
  with messages times characters (see ``PRODUCED_PER_MESSAGE_CHAR``).  Counting only the
  values alive was the alternative; it would leave a namespace attribute, a ``set`` and
  every frame of a recursive macro each free to hold ``max_chars``, thousands of them.
* **time**: the clock is read every ``_CLOCK_EVERY`` steps; ``max_seconds`` is a backstop
  for steps that are individually slow but bounded (comparing two long strings in a loop,
  spreading a long list into a call's arguments).

The caps grow with the conversation (see ``BudgetLimits.for_conversation``), so a real
chat of any length renders exactly as before: every template vendored in llama.cpp that
renders a plain chat at all gives the same prompt for 200 turns of 4 000 characters.  In a
short chat a hostile template stops within about a second and a few tens of MB; a long
chat gives it as much as the real templates need there (up to about 4 characters per
message per character of the conversation, and 10 us a step).  Past any cap the render
raises ``TemplateBudgetExceeded``, one sentence that says what happened and what to do.

Namespaces are the one mutable object a template has: a namespace may not be stored in a
list, dict or another namespace, because a value sized when it was built could grow behind
its back.  No real chat template does that.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from string import Formatter
from types import BuiltinMethodType, ModuleType
from typing import Any, NoReturn

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum

from backends.base import TemplateBudgetExceeded
from backends.messages import message

#: Characters of Jinja source LocalSight will compile.  Compiling costs about 8 s and 500 MB
#: per MB of dense template (Jinja's parser and code generator, no hook can interrupt them);
#: the longest real templates are about 16 KB (Gemma 4's, with its tool-call macros), so
#: 128 Ki is 8 times that and compiles in about a second.
MAX_TEMPLATE_CHARS = 128 * 1024

#: Any single value, and the rendered prompt, may hold this many characters plus
#: ``CHARS_PER_INPUT_CHAR`` per character of the conversation: 1 Mi for a short chat, 4.2 Mi
#: for 200 turns of 4 000 characters (whose prompt is about 0.8 Mi).
BASE_CHARS = 1 << 20
CHARS_PER_INPUT_CHAR = 4

#: Characters (and list slots, at 8 each: a pointer) all operations may create together: a
#: real template copies each message a handful of times (``+`` chains, ``trim``), far below
#: 64 per character; 8 Mi for a short chat is 8-32 MB of text at most.  Some build the prompt
#: step by step instead (``{% set ns.out = ns.out ~ … %}``), copying all of it so far a few
#: times for every message: Reka-Edge's template creates 1.0 to 1.2 characters per message
#: per character of the conversation (measured on the 71 templates vendored in llama.cpp,
#: 10 to 200 turns; the next highest creates 0.5, on a short chat): 650 million for 400
#: messages of 4 000 characters, each copy freed as the next is made.  So the cap grows with
#: messages times characters too, 4 per message per character (as the steps grow with
#: messages squared): 2.7 billion for those 400 messages.
BASE_PRODUCED = 8 << 20
PRODUCED_PER_INPUT_CHAR = 64
PRODUCED_PER_MESSAGE_CHAR = 4
SLOT_CHARS = 8

#: Steps.  Most real templates take a handful per message (measured on 200 turns: Gemma 3,
#: Qwen2.5-VL, Qwen3-VL, LFM2-VL, SmolVLM, ChatML, LLaVA 1.5: 1 to 6), but Gemma 4's scans
#: every earlier message for each message: 1.05 * n**2 steps for n messages, 2.6 million for
#: 1 600 (5.3 s in the plain sandbox here).  So the cap grows with the square of the
#: conversation, 4 per pair of messages; a hostile template in a short chat gets 200 000
#: steps, a fraction of a second.
BASE_STEPS = 200_000
STEPS_PER_MESSAGE = 1_000
STEPS_PER_MESSAGE_PAIR = 4

#: Wall clock, a backstop that grows with the steps allowed: a step costs about 2 us here
#: (Gemma 4's template), 10 us leaves room for a Raspberry Pi; 5 s for a short chat.
MAX_SECONDS = 5.0
SECONDS_PER_STEP = 10e-6

#: Bits of any integer a template builds: numbers up to about 4 200 digits, all printable
#: (Python refuses to print more than 4 300), and cheap to multiply.
MAX_INT_BITS = 14_000

#: How deep a list, dict or tuple may nest; real ones (tool schemas) nest about ten deep.
MAX_DEPTH = 100

#: Work the tag-stripping and link-finding filters may do: their regular expressions take
#: time proportional to the text times its tag openers (``<<<<…``), which no step count sees.
MAX_REGEX_WORK = 50_000_000

_CLOCK_EVERY = 1024
_WRITE_BATCH = 256
_OPAQUE = 16  # a function, macro or loop object prints as a short description
_MEMO_MAX = 4096
_DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_CONTAINERS = (list, tuple, dict, set, frozenset)


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """What one render may spend; see the module's docstring for why these numbers."""

    max_chars: int
    max_produced: int
    max_steps: int
    max_seconds: float

    @classmethod
    def for_conversation(cls, input_chars: int, n_messages: int) -> BudgetLimits:
        """Caps that grow with the conversation, so no real chat can outgrow them."""
        extra_steps = STEPS_PER_MESSAGE * n_messages + STEPS_PER_MESSAGE_PAIR * n_messages**2
        return cls(
            max_chars=BASE_CHARS + CHARS_PER_INPUT_CHAR * input_chars,
            max_produced=BASE_PRODUCED
            + (PRODUCED_PER_INPUT_CHAR + PRODUCED_PER_MESSAGE_CHAR * n_messages) * input_chars,
            max_steps=BASE_STEPS + extra_steps,
            max_seconds=MAX_SECONDS + SECONDS_PER_STEP * extra_steps,
        )

    @classmethod
    def for_variables(cls, variables: Mapping[str, Any]) -> BudgetLimits:
        """Caps for a render given these template variables (the conversation in them)."""
        messages = variables.get("messages")
        count = len(messages) if isinstance(messages, (list, tuple)) else 0
        return cls.for_conversation(_text_chars(variables), count)

    def with_seconds(self, seconds: float) -> BudgetLimits:
        return replace(self, max_seconds=seconds)


def _text_chars(value: object) -> int:
    """Characters of text in the caller's variables (trusted, plain lists and dicts)."""
    total = 0
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return total


def _digits(value: int) -> int:
    return value.bit_length() * 31 // 100 + 2


# How a template went past its budget: the ``detail`` of ``RenderBudget.error``'s sentence.
_NUMBER_TOO_BIG = message("built a number of more than {count} bits", count=f"{MAX_INT_BITS:,}")
_TOO_DEEP = message("nested values more than {depth} deep", depth=str(MAX_DEPTH))
_SLOW_SEARCH = message("asked for a text search that would take too long")


def _value_too_long(limit: int) -> str:
    return message("built a value of more than {count} characters", count=f"{limit:,}")


class RenderBudget:
    """The running count of one render (or compile) against its ``BudgetLimits``."""

    __slots__ = ("_deadline", "_next_clock", "_sizes", "limits", "produced", "steps", "written")

    def __init__(self, limits: BudgetLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.produced = 0
        self.written = 0
        self._next_clock = min(_CLOCK_EVERY, limits.max_steps + 1)
        self._deadline = time.monotonic() + limits.max_seconds
        # Sizes of lists and dicts already measured, by id (the object is kept, so the id
        # cannot be reused); lets ``[l, l]`` be sized from ``l``'s size without a walk.
        self._sizes: dict[int, tuple[object, int]] = {}

    # -- the caps ---------------------------------------------------------------------------

    def error(self, detail: str) -> TemplateBudgetExceeded:
        """The error for a template past its budget; ``detail`` (a ``message``) says how."""
        return TemplateBudgetExceeded(
            message(
                "This model's chat template {detail} and was stopped; the model file may be "
                "damaged or hostile, so pick another model.",
                detail=detail,
            )
        )

    def fail(self, detail: str) -> NoReturn:
        raise self.error(detail)

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps >= self._next_clock:
            self._clock()

    def _clock(self) -> None:
        if self.steps > self.limits.max_steps:
            self.fail(message("took more than {count} steps", count=f"{self.limits.max_steps:,}"))
        if time.monotonic() > self._deadline:
            seconds = f"{self.limits.max_seconds:.3g}"
            self.fail(message("ran for more than {seconds} seconds", seconds=seconds))
        self._next_clock = min(self.steps + _CLOCK_EVERY, self.limits.max_steps + 1)

    def fits(self, chars: int) -> None:
        """Refuse a value of ``chars`` characters before it is built."""
        if chars > self.limits.max_chars:
            self.fail(_value_too_long(self.limits.max_chars))

    def produce(self, chars: int) -> None:
        self.produced += chars
        if self.produced > self.limits.max_produced:
            produced = f"{self.limits.max_produced:,}"
            self.fail(message("built more than {count} characters in all", count=produced))

    def write(self, chars: int) -> None:
        self.written += chars
        if self.written > self.limits.max_chars:
            written = f"{self.limits.max_chars:,}"
            self.fail(message("wrote a prompt of more than {count} characters", count=written))

    def bits(self, value: int) -> None:
        if value.bit_length() > MAX_INT_BITS:
            self.fail(_NUMBER_TOO_BIG)

    # -- sizes ------------------------------------------------------------------------------

    def size(self, value: object) -> int:
        """Characters ``value`` takes printed (``str``, ``repr`` of its items, JSON)."""
        if isinstance(value, str):
            return len(value)
        if isinstance(value, Namespace):
            total = 14
            for key, item in _namespace_attrs(value).items():
                total += len(key) + 4 + self._member(item, 1)
                self.fits(total)
            return total
        return self._member(value, 0)

    def _member(self, value: object, depth: int) -> int:
        if isinstance(value, str):
            return len(value) + 2
        if value is None or isinstance(value, (bool, float)):
            return 24
        if isinstance(value, int):
            return _digits(value)
        if isinstance(value, (bytes, bytearray)):
            return len(value) + 3
        if isinstance(value, Namespace):
            self.fail(message("put a namespace inside another value"))
        if isinstance(value, _DICT_VIEWS):
            return self._member(_view_mapping(value), depth)
        if not isinstance(value, _CONTAINERS):
            return _OPAQUE
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if depth > MAX_DEPTH:
            self.fail(_TOO_DEEP)
        limit = self.limits.max_chars
        total = 2
        if isinstance(value, dict):
            for key, item in value.items():
                total += self._member(key, depth + 1) + self._member(item, depth + 1) + 4
                if total > limit:
                    self.fits(total)
        else:
            for item in value:
                total += self._member(item, depth + 1) + 2
                if total > limit:
                    self.fits(total)
        self.step(len(value))
        self._remember(value, total)
        return total

    def _remember(self, value: object, size: int) -> None:
        if len(self._sizes) >= _MEMO_MAX:
            self._sizes.clear()  # sizes are re-measured (bounded) rather than kept forever
        self._sizes[id(value)] = (value, size)

    def track(self, value: Any) -> Any:
        """Check and count a value an operation just returned."""
        if isinstance(value, str):
            length = len(value)
            if length > self.limits.max_chars:
                self.fits(length)
            self.produced += length
            if self.produced > self.limits.max_produced:
                self.produce(0)
        elif isinstance(value, int):
            self.bits(value)
        elif isinstance(value, (*_CONTAINERS, Namespace)):
            self.fits(self.size(value))
            slots = len(_namespace_attrs(value)) if isinstance(value, Namespace) else len(value)
            self.produce(SLOT_CHARS * slots)
        return value

    def track_sized(self, value: Any, size: int) -> Any:
        """``track`` for a list or tuple whose printed size is already known."""
        self.fits(size)
        self.produce(SLOT_CHARS * len(value))
        self._remember(value, size)
        return value


def _view_mapping(view: Any) -> Any:
    """The dict a ``keys()``, ``values()`` or ``items()`` view shows (no larger than it)."""
    return view.mapping


def _namespace_attrs(namespace: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = object.__getattribute__(namespace, "_Namespace__attrs")
    return attrs


_ACTIVE: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "localsight_template_budget", default=None
)


def _budget() -> RenderBudget:
    budget = _ACTIVE.get()
    if budget is None:
        raise RuntimeError("a chat template ran outside template_budget.render()")
    return budget


# -- estimates of what an operation will build --------------------------------------------

_NUMBER = re.compile(r"\d+")
_LONG_NUMBER = re.compile(r"\d{10,}")


def _written_numbers(budget: RenderBudget, text: str) -> int:
    """The sum of the numbers in a format string: widths and precisions it may pad to."""
    if _LONG_NUMBER.search(text):
        budget.fail(_value_too_long(budget.limits.max_chars))
    total = sum(map(int, _NUMBER.findall(text)))
    budget.fits(total)
    return total


def _largest_int(values: Iterable[object]) -> int:
    return max((abs(v) for v in values if isinstance(v, int)), default=0)


_PERCENT_NAME = re.compile(r"%\(([^)]*)\)")


def _check_percent(budget: RenderBudget, text: str, args: object) -> None:
    """``text % args``: each field prints its argument (a name's value is printed each time
    the name is written), padded to any width written or taken from the arguments."""
    if isinstance(args, Mapping):
        printed = sum(budget.size(args.get(name)) for name in _PERCENT_NAME.findall(text))
        values: tuple[object, ...] = tuple(args.values())
    else:
        values = args if isinstance(args, tuple) else (args,)
        printed = sum(budget.size(value) for value in values)
    budget.fits(printed)
    star = _largest_int(values) * text.count("*")
    budget.fits(star)
    budget.fits(len(text) + printed + star + _written_numbers(budget, text))


def _check_format(
    budget: RenderBudget, text: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """``text.format(...)``: each field prints the argument it names, padded to any width
    written in it or taken from an argument (``{:{w}}``)."""
    printed = 0
    automatic = 0
    for _literal, field, spec, _conversion in Formatter().parse(text):
        if field is None:
            continue
        name = _FIELD_NAME.match(field)
        key = name.group() if name else ""
        if key == "":
            key, automatic = str(automatic), automatic + 1
        value = args[int(key)] if key.isdigit() and int(key) < len(args) else kwargs.get(key)
        width = _written_numbers(budget, spec or "")
        if spec and "{" in spec:
            width += _largest_int((*args, *kwargs.values()))
        printed += max(budget.size(value), width)
        budget.fits(printed)  # (an attribute or item of the argument is no larger than it)
    budget.fits(len(text) + printed)


_FIELD_NAME = re.compile(r"[^.\[]*")


def _width(budget: RenderBudget, width: object) -> int:
    if isinstance(width, int):
        budget.fits(width)
        return max(width, 0)
    return 0


def _check_mul(budget: RenderBudget, left: object, right: object) -> int | None:
    """Returns the printed size of a repeated list or tuple, to remember it."""
    if isinstance(left, int) and not isinstance(right, int):
        left, right = right, left
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            budget.fail(_NUMBER_TOO_BIG)
        return None
    if isinstance(right, int) and isinstance(left, (str, bytes, list, tuple)):
        times = max(right, 0)
        if isinstance(left, (str, bytes)):
            budget.fits(len(left) * times)
            return None
        size = (budget.size(left) - 2) * times + 2
        budget.fits(size)
        budget.fits(len(left) * times)
        return size
    return None


def _check_pow(budget: RenderBudget, left: object, right: object) -> None:
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and abs(left) > 1
        and left.bit_length() * right > MAX_INT_BITS
    ):
        budget.fail(_NUMBER_TOO_BIG)


def _check_add(budget: RenderBudget, left: object, right: object) -> int | None:
    if isinstance(left, int) and isinstance(right, int):
        budget.bits(left)
        budget.bits(right)
        return None
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        budget.fits(len(left) + len(right))
        return None
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        size = budget.size(left) + budget.size(right)
        budget.fits(size)
        return size
    return None


def _check_mod(budget: RenderBudget, left: object, right: object) -> None:
    if isinstance(left, str):
        _check_percent(budget, left, right)


# -- method calls -------------------------------------------------------------------------

Args = tuple[Any, ...]


def _arg(args: Args, kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _str_pad(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    budget.fits(max(len(text), _width(budget, _arg(args, kwargs, 0, "width", 0))))


def _str_expandtabs(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    tabsize = _width(budget, _arg(args, kwargs, 0, "tabsize", 8))
    budget.fits(len(text) + text.count("\t") * tabsize)


def _materialise(budget: RenderBudget, items: object) -> list[Any]:
    """The items of an iterable, counted as steps (a join must see them all first)."""
    if isinstance(items, (list, tuple)):
        budget.step(len(items))
        return list(items)
    collected: list[Any] = []
    for item in items:  # type: ignore[attr-defined]
        budget.step()
        collected.append(item)
    budget.produce(SLOT_CHARS * len(collected))
    return collected


def _check_join(budget: RenderBudget, separator: object, items: list[Any]) -> None:
    """(A join by an attribute of the items prints less than the items themselves.)"""
    total = sum(budget.size(item) for item in items)
    budget.fits(total)
    budget.fits(total + max(len(items) - 1, 0) * budget.size(separator))


def _str_join(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> Args:
    items = _materialise(budget, _arg(args, kwargs, 0, "iterable", ()))
    _check_join(budget, text, items)
    return (items,)


def _check_replace(
    budget: RenderBudget, text: str, old: object, new: object, count: object
) -> None:
    if not (isinstance(old, str) and isinstance(new, str)):
        old, new = str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    budget.fits(len(text) + hits * max(len(new) - len(old), 0))


def _str_replace(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    old = _arg(args, kwargs, 0, "old", "")
    new = _arg(args, kwargs, 1, "new", "")
    _check_replace(budget, text, old, new, _arg(args, kwargs, 2, "count", -1))


def _str_translate(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    table = _arg(args, kwargs, 0, "table", None)
    if isinstance(table, Mapping):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        budget.fits(len(text) * max(longest, 1))


def _str_format(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    _check_format(budget, text, args, {k: v for k, v in kwargs.items() if k[:1] != "_"})


def _str_format_map(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
    mapping = args[0] if args else {}
    _check_format(budget, text, (), mapping if isinstance(mapping, Mapping) else {})


def _scaled(factor: int) -> Callable[[RenderBudget, str, Args, dict[str, Any]], None]:
    def check(budget: RenderBudget, text: str, args: Args, kwargs: dict[str, Any]) -> None:
        del args, kwargs
        budget.fits(factor * len(text))

    return check


_STR_METHODS: dict[str, Callable[[RenderBudget, str, Args, dict[str, Any]], Args | None]] = {
    "center": _str_pad,
    "ljust": _str_pad,
    "rjust": _str_pad,
    "zfill": _str_pad,
    "expandtabs": _str_expandtabs,
    "join": _str_join,
    "replace": _str_replace,
    "translate": _str_translate,
    "format": _str_format,
    "format_map": _str_format_map,
    "encode": _scaled(4),
    "upper": _scaled(3),
    "lower": _scaled(3),
    "title": _scaled(3),
    "capitalize": _scaled(3),
    "swapcase": _scaled(3),
    "casefold": _scaled(3),
}


def _check_method(budget: RenderBudget, method: Any, args: Args, kwargs: dict[str, Any]) -> Args:
    """Estimate a bound method's result before it runs; may return the arguments to use."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if isinstance(owner, str):
        check = _STR_METHODS.get(name)
        if check is not None:
            changed = check(budget, owner, args, kwargs)
            if changed is not None:
                return changed
    elif isinstance(owner, (dict, type)) and name == "fromkeys" and args:
        keys = _materialise(budget, args[0])
        value = _arg(args, kwargs, 1, "value", None)
        budget.fits(len(keys) * (budget._member(value, 1) + 4) + budget.size(keys))
        return (keys, *args[1:])
    return args


# -- filters ------------------------------------------------------------------------------

FilterCheck = Callable[[RenderBudget, Args, dict[str, Any]], Args | None]


def _value_scaled(factor: int) -> FilterCheck:
    """A filter that prints its value, ``factor`` times larger at most (``escape``: 5)."""

    def check(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
        del kwargs
        if args and (factor > 1 or type(args[0]) is not str):  # (text is never longer)
            budget.fits(factor * budget.size(args[0]))

    return check


def _filter_center(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    value = args[0] if args else ""
    budget.fits(max(budget.size(value), _width(budget, _arg(args, kwargs, 1, "width", 80))))


def _filter_indent(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    value = args[0] if args else ""
    width = _arg(args, kwargs, 1, "width", 4)
    step = len(width) if isinstance(width, str) else _width(budget, width)
    lines = value.count("\n") + 2 if isinstance(value, str) else 2
    budget.fits(lines * step)
    budget.fits(budget.size(value) + lines * step)


def _filter_format(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    value = args[0] if args else ""
    text = value if isinstance(value, str) else ""
    budget.fits(budget.size(value))
    _check_percent(budget, text, kwargs or tuple(args[1:]))


def _filter_replace(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (s, old, new, count=None)
    text = args[0] if args else ""
    old = _arg(args, kwargs, 1, "old", "")
    new = _arg(args, kwargs, 2, "new", "")
    count = _arg(args, kwargs, 3, "count", None)
    if not isinstance(text, str):
        budget.fits(budget.size(text))
        text = str(text)
    _check_replace(budget, text, old, new, count)


def _filter_join(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> Args:
    # (value, d='', attribute=None)
    items = _materialise(budget, args[0] if args else ())
    _check_join(budget, _arg(args, kwargs, 1, "d", ""), items)
    return (items, *args[1:])


def _filter_wordwrap(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (s, width=79, break_long_words=True, wrapstring=None, ...): a line ends only where the
    # next word does not fit, so a line holds more than half the width, or a newline ends it.
    text = args[0] if args else ""
    size = budget.size(text)
    width = _arg(args, kwargs, 1, "width", 79)
    wrapstring = _arg(args, kwargs, 3, "wrapstring", None) or "\n"
    newlines = text.count("\n") if isinstance(text, str) else size
    lines = 2 * size // max(width if isinstance(width, int) else 1, 1) + newlines + 2
    budget.fits(lines * budget.size(wrapstring))
    budget.fits(size + lines * budget.size(wrapstring))


def _filter_truncate(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (s, length=255, killwords=False, end='...', leeway=None)
    text = args[0] if args else ""
    end = _arg(args, kwargs, 3, "end", "...")
    budget.fits(budget.size(text) + budget.size(end))


def _layout_size(
    budget: RenderBudget, value: object, indent: int, separators: int, depth: int = 0
) -> int:
    """Characters of ``value`` laid out one item a line, ``indent`` more per level."""
    if depth > MAX_DEPTH:
        budget.fail(_TOO_DEEP)
    if isinstance(value, _DICT_VIEWS):
        value = _view_mapping(value)
    if isinstance(value, dict):
        children: list[Any] = [*value.keys(), *value.values()]
        count = len(value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
        count = len(children)
    else:
        return budget._member(value, depth)
    budget.step(len(children))
    line = 1 + (depth + 1) * indent + separators
    total = 2 + 1 + depth * indent + count * line
    budget.fits(total)
    for child in children:
        total += _layout_size(budget, child, indent, separators, depth + 1)
        budget.fits(total)
    return total


def _filter_tojson(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # The binding's: (x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
    value = args[0] if args else None
    indent = _arg(args, kwargs, 2, "indent", None)
    separators = _arg(args, kwargs, 3, "separators", None)
    spacing = len(indent) if isinstance(indent, str) else _width(budget, indent)
    extra = 0
    if isinstance(separators, (list, tuple)):
        extra = sum(budget.size(s) for s in separators)
        budget.fits(extra)
    if spacing or extra:
        budget.fits(_layout_size(budget, value, spacing, extra))
    else:
        budget.fits(budget.size(value))


def _filter_pprint(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    del kwargs
    budget.fits(_layout_size(budget, args[0] if args else None, 1, 2))


def _filter_batch(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (value, linecount, fill_with=None)
    count = _arg(args, kwargs, 1, "linecount", 0)
    fill = _arg(args, kwargs, 2, "fill_with", None)
    if isinstance(count, int):
        budget.fits(count)
        budget.produce(SLOT_CHARS * max(count, 0))
        if fill is not None:
            budget.fits(count * (budget._member(fill, 1) + 2))


def _filter_slice(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (value, slices, fill_with=None): one list per slice, however short the value.
    count = _arg(args, kwargs, 1, "slices", 0)
    if isinstance(count, int):
        budget.step(max(count, 0))


def _filter_round(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (value, precision=0, method='common'): 10 ** precision is computed for ceil/floor.
    precision = _arg(args, kwargs, 1, "precision", 0)
    if isinstance(precision, int) and abs(precision) > 4300:
        budget.fail(message("asked to round to more than 4,300 digits"))


def _filter_sum(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> Args | None:
    # (iterable, attribute=None, start=0): adding lists copies every prefix.
    start = _arg(args, kwargs, 2, "start", 0)
    if isinstance(start, (int, float)):
        return None
    items = _materialise(budget, args[0] if args else ())
    sizes = [budget.size(item) for item in items]
    budget.fits(sum(sizes) + budget.size(start))
    budget.produce(SLOT_CHARS * sum(sizes) * max(len(items), 1) // 2)
    return (items, *args[1:])


def _regex_gate(budget: RenderBudget, text: object, openers: Iterable[str]) -> None:
    size = budget.size(text)
    if isinstance(text, str):
        work = sum(text.count(o) for o in openers) * size
        if work > MAX_REGEX_WORK:
            budget.fail(_SLOW_SEARCH)


def _filter_striptags(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    del kwargs
    _regex_gate(budget, args[0] if args else "", ("<",))


def _filter_urlize(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    # (value, ...): a long word is matched against several backtracking patterns.
    del kwargs
    text = args[0] if args else ""
    budget.fits(8 * budget.size(text))
    if isinstance(text, str):
        longest = max(map(len, text.split()), default=0)
        if longest * len(text) > MAX_REGEX_WORK:
            budget.fail(_SLOW_SEARCH)


def _filter_xmlattr(budget: RenderBudget, args: Args, kwargs: dict[str, Any]) -> None:
    del kwargs
    budget.fits(6 * budget.size(args[0] if args else None))


_FILTER_CHECKS: dict[str, FilterCheck] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "format": _filter_format,
    "replace": _filter_replace,
    "join": _filter_join,
    "wordwrap": _filter_wordwrap,
    "truncate": _filter_truncate,
    "tojson": _filter_tojson,
    "pprint": _filter_pprint,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "round": _filter_round,
    "sum": _filter_sum,
    "striptags": _filter_striptags,
    "urlize": _filter_urlize,
    "xmlattr": _filter_xmlattr,
    "string": _value_scaled(1),
    "safe": _value_scaled(1),
    "list": _value_scaled(3),
    "trim": _value_scaled(1),
    "upper": _value_scaled(3),
    "lower": _value_scaled(3),
    "title": _value_scaled(3),
    "capitalize": _value_scaled(3),
    "e": _value_scaled(5),
    "escape": _value_scaled(5),
    "forceescape": _value_scaled(5),
    "urlencode": _value_scaled(12),
    "wordcount": _value_scaled(1),
}


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its step, its check (which sees the value first, without the
    context, eval context or environment some filters take before it) and its result counted."""
    if getattr(function, "_localsight_budgeted", False):
        return function
    check = _FILTER_CHECKS.get(name)
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        budget = _ACTIVE.get() or _budget()
        budget.steps += 1  # budget.step(), inlined
        if budget.steps >= budget._next_clock:
            budget._clock()
        if len(args) > skip and isinstance(args[skip], range):
            budget.step(len(args[skip]))  # the filter walks it all (``list``, ``join``, ``sum``)
        if check is not None:
            changed = check(budget, args[skip:], kwargs)
            if changed is not None:
                args = (*args[:skip], *changed)
        return budget.track(function(*args, **kwargs))

    budgeted._localsight_budgeted = True  # type: ignore[attr-defined]
    return budgeted


class _BudgetedFilters(dict[str, Callable[..., Any]]):
    """The filter table: every filter, even one set after the environment was built (the
    binding's ``tojson``), is wrapped in its checks."""

    def __init__(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        self.update(filters)

    def __setitem__(self, name: str, function: Callable[..., Any]) -> None:
        super().__setitem__(name, _budgeted_filter(name, function))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, function in dict(*args, **kwargs).items():
            self[name] = function


# -- globals ------------------------------------------------------------------------------


def _budgeted_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    budget = _budget()
    words = n * max if isinstance(n, int) and isinstance(max, int) else 0
    budget.step(words)
    budget.fits(words * 12)
    return generate_lorem_ipsum(n, html, min, max)


class BudgetedNamespace(Namespace):
    """``namespace()``: an assignment is sized, and no namespace may hold another."""

    def __setitem__(self, name: str, value: Any) -> None:
        budget = _budget()
        budget.step()
        budget.fits(budget._member(value, 1))
        super().__setitem__(name, value)


def strftime_now(format: str) -> str:
    """The binding's ``strftime_now``, refusing a format that prints past the cap first."""
    _budget().fits(16 * len(format))
    return datetime.now().strftime(format)


# -- the environment ----------------------------------------------------------------------


class _CountedIterator:
    """What a ``{% for %}`` loop iterates: its items, a step each; its length, if known."""

    __slots__ = ("_budget", "_items", "_length")

    def __init__(self, budget: RenderBudget, iterable: Any) -> None:
        self._budget = budget
        self._length = len(iterable) if hasattr(iterable, "__len__") else None
        self._items = iter(iterable)

    def __iter__(self) -> _CountedIterator:
        return self

    def __next__(self) -> Any:
        budget = self._budget
        budget.steps += 1  # budget.step(), inlined: once per loop iteration
        if budget.steps >= budget._next_clock:
            budget._clock()
        return next(self._items)

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("this loop's length is not known in advance")
        return self._length


def _environment_call(name: str, argument: nodes.Node) -> nodes.Call:
    lineno = argument.lineno
    return nodes.Call(
        nodes.EnvironmentAttribute(name, lineno=lineno), [argument], [], None, None, lineno=lineno
    )


class _BudgetCodeGenerator(CodeGenerator):
    """Jinja's code generator, with the steps the sandbox offers no hook for routed through
    the environment: loop iterations, ``~``, slices and list, tuple and dict literals."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = node.iter
        if not (
            isinstance(counted, nodes.Call)
            and isinstance(counted.node, nodes.EnvironmentAttribute)
            and counted.node.name == "budgeted_iter"
        ):
            node.iter = _environment_call("budgeted_iter", node.iter)
            node.iter.set_environment(self.environment)
        super().visit_For(node, frame)

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.budgeted_slice(")
        super().visit_Getitem(node, frame)  # Jinja writes a slice natively: ``x[a:b]``
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.budgeted_join({join}, (")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    def _literal(self, node: nodes.Expr, frame: Frame, write: Callable[[], None]) -> None:
        try:
            node.as_const(frame.eval_ctx)
        except nodes.Impossible:
            self.write("environment.budgeted_literal(")
            write()
            self.write(")")
        else:
            # Built from constants: the template's own text, and values folded while it was
            # compiled, which that compile's budget bounded.
            write()

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._literal(
            node, frame, lambda: super(_BudgetCodeGenerator, self).visit_List(node, frame)
        )

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._literal(
            node, frame, lambda: super(_BudgetCodeGenerator, self).visit_Dict(node, frame)
        )

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":
            super().visit_Tuple(node, frame)
            return
        self._literal(
            node, frame, lambda: super(_BudgetCodeGenerator, self).visit_Tuple(node, frame)
        )


def _budgeted_concat(pieces: Iterable[str]) -> str:
    """``environment.concat``: joins the output of a macro, ``{% set %}`` or
    ``{% filter %}`` block, after counting it."""
    budget = _ACTIVE.get()
    if budget is None:
        return "".join(pieces)
    parts = pieces if isinstance(pieces, list) else list(pieces)
    total = sum(map(len, parts))
    budget.fits(total)
    budget.produce(total)
    return "".join(parts)


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}``: a value about to be printed is counted at its printed size."""
    if type(value) is str:
        return value
    budget = _ACTIVE.get()
    if budget is not None:
        budget.step()
        size = budget.size(value)
        budget.fits(size)
        budget.produce(size)
    return value


class BudgetedTemplate(Template):
    """A compiled template whose ``render()`` runs within a budget set by its variables
    (the binding's own handlers call ``render()`` with the conversation)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        variables = dict(*args, **kwargs)
        return render(self, BudgetLimits.for_variables(variables), variables)


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """The binding's chat-template sandbox with the budget's checks (see the module)."""

    code_generator_class = _BudgetCodeGenerator
    template_class = BudgetedTemplate
    intercepted_binops = frozenset({"+", "*", "**", "%"})
    concat = staticmethod(_budgeted_concat)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("finalize", _finalize)
        super().__init__(*args, **kwargs)
        self.filters = _BudgetedFilters(self.filters)
        self.globals["lipsum"] = _budgeted_lipsum
        self.globals["namespace"] = BudgetedNamespace

    def from_string(
        self,
        source: str | nodes.Template,
        globals: MutableMapping[str, Any] | None = None,
        template_class: type[Template] | None = None,
    ) -> Template:
        """Compile ``source``; constants Jinja folds while compiling are computed within a
        budget of their own, and a failing fold is simply left to run (and stop) later."""
        if isinstance(source, str) and len(source) > MAX_TEMPLATE_CHARS:
            raise RenderBudget(BudgetLimits.for_conversation(0, 0)).error(
                message(
                    "is {length} characters long, more than {limit}",
                    length=f"{len(source):,}",
                    limit=f"{MAX_TEMPLATE_CHARS:,}",
                )
            )
        budget = RenderBudget(BudgetLimits.for_conversation(0, 0))
        token = _ACTIVE.set(budget) if _ACTIVE.get() is None else None
        try:
            return super().from_string(source, globals, template_class)
        except (RecursionError, MemoryError, SyntaxError):
            # Jinja's parser and Python's compiler give up on deep nesting these ways.
            raise budget.error(message("nests too deeply to be read")) from None
        finally:
            if token is not None:
                _ACTIVE.reset(token)

    def call(
        __self,  # the sandbox's own signature: no clash with a keyword argument "self"
        __context: Any,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        budget = _budget()
        budget.step(1 + len(args))  # ``f(*items)`` spreads a whole list into arguments
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (__self.budgeted_iter(args[0]), *args[1:])
        elif isinstance(__obj, BuiltinMethodType):
            args = _check_method(budget, __obj, args, kwargs)
        else:
            wrapped = getattr(__obj, "__wrapped__", None)  # the sandbox's str.format wrapper
            if isinstance(wrapped, BuiltinMethodType):
                _check_method(budget, wrapped, args, kwargs)
        return budget.track(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _ACTIVE.get() or _budget()  # (``_budget()`` raises: no render is running)
        budget.steps += 1  # budget.step(), inlined: real templates call this per message
        if budget.steps >= budget._next_clock:
            budget._clock()
        # The common cases first, cheaply: text joined with ``+``, ``loop.index0 % 2``.
        if type(left) is str and type(right) is str and operator == "+":
            length = len(left) + len(right)
            budget.produced += length
            if length > budget.limits.max_chars or budget.produced > budget.limits.max_produced:
                budget.fits(length)
                budget.produce(0)
            return left + right
        if type(left) is int and type(right) is int and operator == "%" and right:
            return left % right  # no larger than ``right``
        size: int | None = None
        if operator == "*":
            size = _check_mul(budget, left, right)
        elif operator == "+":
            size = _check_add(budget, left, right)
        elif operator == "**":
            _check_pow(budget, left, right)
        elif operator == "%":
            _check_mod(budget, left, right)
        result = self.binop_table[operator](left, right)
        if size is not None and isinstance(result, (list, tuple)):
            return budget.track_sized(result, size)
        return budget.track(result)

    # Called by the generated code (``_BudgetCodeGenerator``).

    def budgeted_iter(self, iterable: Any) -> _CountedIterator:
        return _CountedIterator(_budget(), iterable)

    def budgeted_join(self, join: Callable[[Iterable[Any]], str], items: tuple[Any, ...]) -> str:
        budget = _budget()
        budget.step()
        total = sum(budget.size(item) for item in items)
        budget.fits(total)
        budget.produce(total)
        return join(items)

    def budgeted_slice(self, value: Any) -> Any:
        """``x[a:b]`` copies (Jinja slices natively): its characters or slots count as built."""
        budget = _ACTIVE.get() or _budget()
        budget.step()
        if isinstance(value, (str, bytes)):
            budget.produce(len(value))
        elif isinstance(value, (list, tuple)):
            budget.produce(SLOT_CHARS * len(value))
        return value

    def budgeted_literal(self, value: Any) -> Any:
        budget = _budget()
        budget.step()
        return budget.track(value)


@contextlib.contextmanager
def running(limits: BudgetLimits) -> Iterator[RenderBudget]:
    """One budget for everything rendered inside, unless one is running already.

    ``prompt_render`` renders a template up to five times for one turn (probing what content
    it reads, then the prompt); they share one budget, so a template that stays just under
    the caps in each render cannot take five times as long in all.
    """
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    budget = RenderBudget(limits)
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def render(template: Template, limits: BudgetLimits | None, variables: Mapping[str, Any]) -> str:
    """``template`` rendered with ``variables``, or ``TemplateBudgetExceeded`` past a cap.

    ``limits`` apply unless a budget is ``running`` already, which the render then shares;
    ``None``: the limits ``variables`` call for.  The output is counted as it streams, so a
    template that writes too much stops as soon as it has, not once it has written it all.
    """
    if limits is None and _ACTIVE.get() is None:
        limits = BudgetLimits.for_variables(variables)
    with running(limits or BudgetLimits.for_conversation(0, 0)) as budget:
        return _render_within(template, budget, variables)


def _render_within(template: Template, budget: RenderBudget, variables: Mapping[str, Any]) -> str:
    pieces: list[str] = []
    stream = template.generate(variables)
    try:
        # Counted a batch at a time: a batch is references to strings that exist already.
        while batch := list(islice(stream, _WRITE_BATCH)):
            budget.write(sum(map(len, batch)))
            pieces += batch
    except RecursionError:
        raise budget.error(message("nested its macros, blocks or loops too deeply")) from None
    except MemoryError:
        raise budget.error(message("ran out of memory")) from None
    return "".join(pieces)


# -- the binding --------------------------------------------------------------------------


def guard_binding(llama_cpp: ModuleType) -> None:
    """Make llama-cpp-python compile and render chat templates only within the budget.

    ``Llama()`` compiles every ``tokenizer.chat_template*`` of a GGUF as it loads -- and
    compiling folds constants, so ``{{ 'x' * 4000000000 }}`` allocated 4 GB while a model
    merely loaded.  LocalSight renders templates itself (``prompt_render``), so the binding's
    formatter is made lazy: it compiles (in the budgeted sandbox) only if it is ever used.
    Its handlers that build their own sandbox (MTMD, the LLaVA family) get the budgeted one.
    Idempotent; the binding is not otherwise changed.
    """
    formats = llama_cpp.llama_chat_format
    if getattr(formats, "_localsight_budgeted", False):
        return
    formats.Jinja2ChatFormatter = _lazy_formatter(formats.Jinja2ChatFormatter)
    formats.ImmutableSandboxedEnvironment = BudgetedEnvironment
    formats._localsight_budgeted = True


def _lazy_formatter(original: Any) -> Any:
    class BudgetedChatFormatter(original):  # type: ignore[misc]
        """The binding's ``Jinja2ChatFormatter``, compiled on first use, in the budget."""

        def __init__(
            self,
            template: str,
            eos_token: str,
            bos_token: str,
            add_generation_prompt: bool = True,
            stop_token_ids: list[int] | None = None,
        ) -> None:
            # Not the binding's __init__: it compiles at once, in the plain sandbox.
            self.template = template
            self.eos_token = eos_token
            self.bos_token = bos_token
            self.add_generation_prompt = add_generation_prompt
            self.stop_token_ids = set(stop_token_ids) if stop_token_ids is not None else None
            self._compiled: Template | None = None

        @property
        def _environment(self) -> Template:
            if self._compiled is None:
                import jinja2.ext

                environment = BudgetedEnvironment(
                    trim_blocks=True,
                    lstrip_blocks=True,
                    extensions=[original.IgnoreGenerationTags, jinja2.ext.loopcontrols],
                )
                environment.filters["tojson"] = original.tojson
                self._compiled = environment.from_string(self.template)
            return self._compiled

        strftime_now = staticmethod(strftime_now)

    BudgetedChatFormatter.__name__ = original.__name__
    BudgetedChatFormatter.__qualname__ = original.__qualname__
    return BudgetedChatFormatter


__all__ = [
    "MAX_TEMPLATE_CHARS",
    "BudgetLimits",
    "BudgetedEnvironment",
    "RenderBudget",
    "guard_binding",
    "render",
    "running",
    "strftime_now",
]
