"""Expressions: the ``{{ … }}`` in node parameters, evaluated in a sandbox.

Any string parameter may hold Jinja syntax. A string that is exactly one expression
(``"{{ json.count + 1 }}"``, surrounding whitespace allowed) keeps the native type of its
result; a string that mixes text and expressions (``"Hi {{ json.name }}!"``, ``{% if %}``,
``{% for %}``) renders to a string.

Design
------
* **Compile once.** :func:`compile_value` walks a parameter value (nested dicts and lists;
  keys are never evaluated) and compiles every string holding ``{{`` or ``{%``. Compiled
  strings are cached in an LRU keyed by their source, so the same source is parsed once
  per process. A value without any expression compiles to a :class:`Compiled` constant
  that hands back the very same object, and constant parts of a value are reused, not
  copied: nothing is deep-copied on the hot path. Hold on to compiled values: compiling
  a dict again (what :func:`evaluate` does) walks it again.
* **Fast path.** The most common expression, a plain path such as ``json.body.title`` or
  ``nodes['Webhook'].json.id``, is evaluated by a few dictionary look-ups with the same
  lookup rules as the sandbox, without running a Jinja template at all.
* **Names in scope:** ``json``/``item`` (the current item), ``items``, ``nodes``,
  ``trigger``, ``execution``, ``workflow``, ``vars``, ``now`` and ``today``; build them with
  :func:`make_scope` and, per item, :func:`with_item`.
* **Missing values are lenient, operations on them are not.** ``{{ json.missing }}`` gives
  ``None`` for a whole-expression parameter and ``''`` inside text (as n8n users expect),
  and so do tests such as ``is defined`` and ``|default``. Using a missing value in an
  operation (``json.missing + 1``, ``json.missing.deeper``) is an error that names it.
* **Data before methods.** ``json.items`` is the item's ``items`` key when it has one; dict
  methods (``get``, ``keys``, ``values``, ``items``) are reachable only when no key of that
  name exists.
* **Text rendering.** Inside text (and with ``~``, ``|string``, ``|join``) ``None`` renders
  as ``''``, booleans as ``true``/``false``, lists and objects as compact JSON and dates as
  ISO 8601. Whole-expression results are JSON data: dicts, lists, strings, numbers,
  booleans and ``None``; datetimes become ISO strings and anything else (a function or
  method that leaked out, say) is an :class:`ExpressionError`.

Sandbox
-------
Templates run in a subclass of Jinja's ``ImmutableSandboxedEnvironment`` with these extra
rules: attributes are allow-listed per type (string, date and loop helpers, ``get``/``keys``/
``values``/``items`` on objects, ``index``/``count`` on lists); no name, attribute or item
starting with ``_`` (only a key that really exists in a JSON object is served, because
that is data, like MongoDB's ``_id``); ``str.format``/``format_map`` are refused; no
``include``/``import``/``extends``/``block``, no ``self``, no recursive loops; the only
globals are ``range`` (capped), ``dict``, ``namespace`` and the expression library's
functions (:mod:`wirework.engine.exprlib`, which adds its filters too: each call charges its
own cost and returns data or a date value); every result of an operator,
filter or call is checked against the limits below before it can be used.

Limits
------
Each evaluation gets a budget (:mod:`wirework.engine.expr_budget` has the numbers and the
units): operations (a loop element is charged the size of the loop body in template
nodes; calls, filters, tests and macro calls cost more), work (about a nanosecond of CPU
per unit: every filter, test, method and operator is charged by what it will process,
estimated from its inputs *before* it runs), memory built and rendered output. Sizes are
estimated before anything is built by ``*``, ``**``, ``+``, ``~``, ``%``, ``|center``,
``|indent``, ``|replace``, ``|join``, ``|format``, ``|batch``, ``|wordwrap``, ``str.ljust``
and the like, so ``'a' * 10**10`` fails at once instead of exhausting memory; a list,
string or object built in an expression may not exceed ``MAX_VALUE_SIZE``, measured with
shared parts counted every time they appear (so ``[a, a]`` doubling cannot build an
exponential structure). One step that runs as a single C call may not exceed
``MAX_CALL_WORK`` (it holds the GIL); the heavy text filters (``striptags``, ``title``,
``wordcount``, case mappings, ``split``) and JSON of big values work in slices instead
(:mod:`wirework.engine.expr_text`). Nothing is evaluated at compile time (Jinja's constant
folding is off). Exceeding a limit raises :class:`ExpressionLimitError` (``limit`` says
which, ``usage`` what had been spent).

Event loop
----------
:meth:`Compiled.evaluate_async` (what the engine uses) starts every evaluation on the loop
with an allowance of about a millisecond; one that needs more is started again in the
expression worker thread, and cancelling the caller (a step's or workflow's timeout) stops
it at its next charge. :meth:`Compiled.evaluate` runs on the calling thread.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import types
from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, date, datetime, time
from typing import Any, Final, NamedTuple, TypeAlias

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS
from jinja2.utils import Namespace, _PassArg, missing, pass_context

from wirework.engine import expr_text, exprlib
from wirework.engine.expr_budget import (
    MAX_CALL_WORK,
    MAX_INT_BITS,
    MAX_MEMORY,
    MAX_OUTPUT_CHARS,
    MAX_VALUE_SIZE,
    NO_USAGE,
    WALK_COST,
    Budget,
    Cancelled,
    LazyMapping,
    LimitExceeded,
    Limits,
    OffLoop,
    Usage,
    off_loop,
)
from wirework.engine.expr_values import BUDGET as _BUDGET
from wirework.engine.expr_values import NotData as _NotData
from wirework.engine.expr_values import current_budget as _budget
from wirework.engine.expr_values import to_json as _to_json
from wirework.engine.expr_values import to_native as _to_native
from wirework.engine.expr_values import to_text as _to_text
from wirework.engine.exprlib import DateTime, FunctionError, LibraryFunction

__all__ = [
    "MAX_CALL_WORK",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_MEMORY",
    "MAX_OPERATIONS",
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "MAX_SOURCE_CHARS",
    "MAX_VALUE_SIZE",
    "MAX_WORK",
    "Compiled",
    "ExpressionError",
    "ExpressionLimitError",
    "NodeOutput",
    "NodesView",
    "References",
    "Scope",
    "Usage",
    "check_syntax",
    "compile_value",
    "evaluate",
    "evaluate_async",
    "has_expression",
    "make_scope",
    "measure",
    "with_item",
]

# --------------------------------------------------------------------------- limits

#: Default operations per evaluation: loop iterations (weighted by the size of the loop
#: body), calls, filters and tests.
MAX_OPERATIONS: Final = Limits().max_operations
#: Default work budget per evaluation, in units of about a nanosecond of CPU (see
#: :mod:`wirework.engine.expr_budget`; ``WIREWORK_EXPRESSION_MAX_WORK`` changes it).
MAX_WORK: Final = Limits().max_work
#: Longest ``range()``.
MAX_RANGE: Final = 100_000
#: Largest width or precision in a ``%`` format.
MAX_FORMAT_WIDTH: Final = 1000
#: Longest expression source.
MAX_SOURCE_CHARS: Final = 100_000
#: Compiled sources kept in the LRU cache.
CACHE_SIZE: Final = 4096

# --------------------------------------------------------------------------- errors


class ExpressionError(Exception):
    """An expression failed to compile or to evaluate.

    ``expression`` is the source, ``message`` the reason and ``path`` the dotted field path
    inside the compiled value (``"fields.title"``) when known. ``str()`` is one line.
    """

    #: What the evaluation had spent when it failed (zeros when it never started).
    usage: Usage = NO_USAGE

    def __init__(self, expression: str, message: str, path: str = "") -> None:
        super().__init__(expression, message, path)
        self.expression = expression
        self.message = message
        self.path = path

    def __str__(self) -> str:
        where = f"parameter {self.path!r}: " if self.path else ""
        return f"{where}expression {_shorten(self.expression)}: {self.message}"

    def describe(self, node_id: str, parameter: str | None = None) -> str:
        """The message with its location, for the engine's step errors.

        ``describe("x", "params.url")`` gives
        ``node 'x' parameter 'params.url': expression '{{ … }}': <reason>``;
        ``parameter`` defaults to :attr:`path`.
        """
        parameter = self.path if parameter is None else parameter
        where = f"node {node_id!r}" + (f" parameter {parameter!r}" if parameter else "")
        return f"{where}: expression {_shorten(self.expression)}: {self.message}"


class ExpressionLimitError(ExpressionError):
    """An expression went over one of the time, memory or output limits. ``limit`` names
    it: ``work`` (the work budget), ``call`` (one step too big), ``operations``,
    ``memory``, ``size``, ``output``, ``integer``, ``depth``, ``source``, ``cancelled``."""

    limit: str = "size"


_LimitExceeded = LimitExceeded  # raised inside the sandbox; becomes an ExpressionLimitError


def _shorten(source: str, width: int = 120) -> str:
    if len(source) > width:
        source = source[: width - 1] + "…"
    return repr(source)


def _limit_error(source: str, message: str, limit: str) -> ExpressionLimitError:
    error = ExpressionLimitError(source, message)
    error.limit = limit
    return error


def _error(source: str, exc: Exception) -> ExpressionError:
    """Turn anything raised while compiling or evaluating into an ExpressionError."""
    if isinstance(exc, ExpressionError):
        return exc
    if isinstance(exc, _LimitExceeded):
        return _limit_error(source, f"limit exceeded: {exc}", exc.limit)
    if isinstance(exc, RecursionError):
        return _limit_error(source, "limit exceeded: nested too deeply", "depth")
    if isinstance(exc, MemoryError):
        return _limit_error(source, "limit exceeded: out of memory", "memory")
    if isinstance(exc, Cancelled):
        return _limit_error(source, "cancelled (timed out)", "cancelled")
    if isinstance(exc, (_NotData, FunctionError)):
        message = str(exc)
    elif isinstance(exc, TemplateSyntaxError):
        message = exc.message or "syntax error"
        if "\n" in source.strip():
            message += f" (line {exc.lineno})"
    elif isinstance(exc, TemplateError):
        message = exc.message or type(exc).__name__
    else:
        message = f"{type(exc).__name__}: {exc}"
    message = " ".join(message[:1000].split())
    if len(message) > 300:
        message = message[:299] + "…"
    return ExpressionError(source, message)


# --------------------------------------------------------------------------- scope

#: What an expression sees: name → value (see :func:`make_scope`).
Scope: TypeAlias = Mapping[str, Any]


class NodeOutput(Mapping[str, Any]):
    """An earlier node's output as expressions see it: ``.json`` (its first item, ``{}``
    when it has none) and ``.items`` (all its items)."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        if key == "json":
            return self._items[0] if self._items else {}
        if key == "items":
            return self._items
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("json", "items"))

    def __len__(self) -> int:
        return 2


class NodesView(LazyMapping):
    """``nodes`` in expressions: display name → :class:`NodeOutput`.

    Wraps any mapping of display name → list of item JSON (or NodeOutput), read lazily:
    only the nodes an expression names are looked up, each time they are named (so a
    view can live as long as the execution while node outputs change).
    """

    __slots__ = ("_source",)

    def __init__(self, source: Mapping[str, Any]) -> None:
        self._source = source

    def __getitem__(self, name: str) -> NodeOutput:
        value = self._source[name]
        return value if isinstance(value, NodeOutput) else NodeOutput(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


def make_scope(
    json: Any = None,
    *,
    items: Sequence[Any] | None = None,
    nodes: Mapping[str, Any] | None = None,
    trigger: Any = None,
    execution: Mapping[str, Any] | None = None,
    workflow: Mapping[str, Any] | None = None,
    vars: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """Build the names an expression sees. Nothing is copied.

    Build one scope per step and derive the per-item scopes from it with
    :func:`with_item`. ``items`` defaults to ``[json]``; ``nodes`` may be any (lazy)
    mapping of display name → items; ``now`` defaults to the current time, shown in
    ``timezone`` (an IANA name; UTC by default); ``today``, the start of its day, is
    derived from it when an expression reads it (:data:`_DERIVED`).
    """
    json = {} if json is None else json
    return {
        "json": json,
        "item": json,
        "items": [json] if items is None else items,
        "nodes": nodes if isinstance(nodes, NodesView) else NodesView(_or_empty(nodes)),
        "trigger": _or_empty(trigger),
        "execution": _or_empty(execution),
        "workflow": _or_empty(workflow),
        "vars": _or_empty(vars),
        "now": DateTime(_clock(now, timezone)),
    }


def _clock(now: datetime | None, timezone: str | None) -> datetime:
    if now is None:
        return datetime.now(_zone(timezone) if timezone else UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(_zone(timezone)) if timezone else now


def _today(scope: Scope) -> Any:
    now = scope.get("now")
    if not isinstance(now, DateTime):
        return _ENV.undefined(name="today")
    value = now.value
    return DateTime(datetime.combine(value.date(), time(), value.tzinfo))


#: Names computed from the scope when an expression reads them (cheaper than building
#: them for every step that never does).
_DERIVED: Final[dict[str, Callable[[Scope], Any]]] = {"today": _today}


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> Any:
    try:
        return exprlib.datemath.zone(name)
    except ValueError:
        return UTC  # documents are validated when saved; never fail a step for it


def _or_empty(value: Any) -> Any:
    return {} if value is None else value


def with_item(scope: Scope, json: Any) -> dict[str, Any]:
    """``scope`` with ``json`` and ``item`` set to one item (a cheap shallow copy)."""
    derived = dict(scope)
    derived["json"] = derived["item"] = json
    return derived


# --------------------------------------------------------------------------- budget


#: Operations charged for one call, filter or test (a loop element costs 1 plus the size
#: of the loop body in template nodes), and work units charged per element walked in
#: Python to measure a value: both roughly in proportion to the time they take.
_CALL_COST: Final = 20
_MACRO_COST: Final = 50
_WALK_COST: Final = WALK_COST
#: Work units per element for filters that call a Python key function per element
#: (sort, unique, groupby, min, max …).
_SORT_COST: Final = 300
#: Work units per element (or character) hashed: hashing a tuple walks it in C.
_HASH_COST: Final = 10

# --------------------------------------------------------------------------- attributes


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Attributes templates may read, per type (methods become callable too).
_STR_ATTRIBUTES: Final = _words(
    "capitalize casefold center count endswith find index isalnum isalpha isascii"
    " isdecimal isdigit isidentifier islower isnumeric isspace istitle isupper join"
    " ljust lower lstrip partition removeprefix removesuffix replace rfind rindex"
    " rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title"
    " upper zfill"
)
_MAPPING_ATTRIBUTES: Final = frozenset({"get", "keys", "values", "items"})
_SEQUENCE_ATTRIBUTES: Final = frozenset({"index", "count"})
_DATE_ATTRIBUTES: Final = _words(
    "year month day isoformat strftime weekday isoweekday toordinal isocalendar"
)
_TIME_ATTRIBUTES: Final = frozenset(
    {"hour", "minute", "second", "microsecond", "isoformat", "strftime"}
)
_DATETIME_ATTRIBUTES: Final = _DATE_ATTRIBUTES | _TIME_ATTRIBUTES | {"timestamp", "date", "time"}
_LOOP_ATTRIBUTES: Final = _words(
    "index index0 revindex revindex0 first last length depth depth0 previtem nextitem cycle changed"
)
_DATA_TYPES: Final = (str, int, float, bool, type(None), list, tuple, Mapping, date, time)


class _Policy(NamedTuple):
    """What templates may do with the attributes of one type."""

    attributes: frozenset[str] | None  # readable attributes; None: any (namespaces)
    mapping: bool  # keys are looked up before attributes
    data: bool  # a missing attribute is undefined (for other objects it is an error)


_POLICIES: dict[type, _Policy] = {}


def _policy(cls: type) -> _Policy:
    policy = _POLICIES.get(cls)
    if policy is None:
        policy = _POLICIES[cls] = _make_policy(cls)
    return policy


def _make_policy(cls: type) -> _Policy:
    attributes: frozenset[str] | None = frozenset()
    if issubclass(cls, str):
        attributes = _STR_ATTRIBUTES
    elif issubclass(cls, Mapping):
        attributes = _MAPPING_ATTRIBUTES
    elif issubclass(cls, (list, tuple)):  # named tuples (from groupby) add their fields
        attributes = _SEQUENCE_ATTRIBUTES | frozenset(getattr(cls, "_fields", ()))
    elif issubclass(cls, DateTime):
        attributes = exprlib.DATE_ATTRIBUTES
    elif issubclass(cls, datetime):
        attributes = _DATETIME_ATTRIBUTES
    elif issubclass(cls, date):
        attributes = _DATE_ATTRIBUTES
    elif issubclass(cls, time):
        attributes = _TIME_ATTRIBUTES
    elif issubclass(cls, LoopContext):
        attributes = _LOOP_ATTRIBUTES
    elif issubclass(cls, Namespace):
        attributes = None
    data = issubclass(cls, (*_DATA_TYPES, LoopContext, Namespace))
    return _Policy(attributes, issubclass(cls, Mapping), data)


class _Undefined(Undefined):
    """Jinja's lenient undefined, with messages that speak of keys and nodes."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is None and isinstance(name, str):
            if isinstance(obj, NodesView):
                return f"there is no node named {name!r}"
            if isinstance(obj, Mapping):
                return f"{name!r} is undefined (the object has no such key)"
        return super()._undefined_message


# --------------------------------------------------------------------------- formats

#: One conversion of a %-format ("%%" included, so that its second % is skipped).
_PRINTF_SPEC: Final = re.compile(r"%(?:\([^()]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?.?", re.S)
#: A %(key) holding parentheses, which Python reads as balanced: refused, for simplicity.
_NESTED_KEY: Final = re.compile(r"%\([^()]*\(")
_MAX_CONVERSIONS: Final = 10_000


def _printf(template: str, args: Any) -> str:
    """``template % args`` with the widths and the result size checked first."""
    budget = _budget()
    if template.count("%") > _MAX_CONVERSIONS:
        raise _LimitExceeded(f"a % format with more than {_MAX_CONVERSIONS:,} conversions")
    if _NESTED_KEY.search(template):
        raise SecurityError("parentheses inside a %(key) are not allowed")
    estimate = len(template)
    for number in (n for spec in _PRINTF_SPEC.findall(template) for n in spec):
        if number == "*":
            raise SecurityError("'*' widths are not allowed in % formats")
        if number and (len(number) > 6 or int(number) > MAX_FORMAT_WIDTH):
            raise _LimitExceeded(f"a % format width over {MAX_FORMAT_WIDTH}")
        estimate += int(number or 0)
    if isinstance(args, tuple):
        args = tuple(_printf_arg(arg) for arg in args)
        estimate += sum(budget.size(arg) for arg in args)
    elif isinstance(args, Mapping) and "%(" in template:
        args = {key: _printf_arg(arg) for key, arg in args.items()}
        estimate += budget.size(args)
    else:
        args = _printf_arg(args)
        estimate += budget.size(args)
    budget.check_size(estimate)
    return str(template % args)


def _printf_arg(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    return _to_text(value)


def _check_strftime(fmt: Any) -> None:
    if isinstance(fmt, str) and len(fmt) > MAX_FORMAT_WIDTH:
        raise _LimitExceeded(f"a date format longer than {MAX_FORMAT_WIDTH} characters")


# --------------------------------------------------------------------------- filters


def _cost_constant(value: Any) -> int:
    return 0


def _cost_linear(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict, range)) else 1


def _cost_per_element(per: int) -> Callable[[Any], int]:
    def cost(value: Any) -> int:
        return per * _cost_linear(value)

    return cost


def _cost_sort(value: Any) -> int:
    """A Python key function per element (work that lets other threads run, returned),
    then the sort itself in C: comparing elements a few times each (charged here)."""
    budget = _budget()
    n = _cost_linear(value)
    log = math.ceil(math.log2(n + 1))
    budget.charge((10 * n + budget.size(value)) * log)
    return n * _SORT_COST


def _cost_hashing(value: Any) -> int:
    """unique, min, max: a Python key function per element, each element hashed or
    compared once or twice."""
    return _cost_linear(value) * _SORT_COST + _HASH_COST * _budget().size(value)


def _checked(func: Callable[[str, Callable[[], None]], Any]) -> Callable[[str], Any]:
    """A sliced text function, stopping between slices when its evaluation is cancelled."""

    def run(value: str) -> Any:
        return func(value, _budget().checkpoint)

    run.__name__ = func.__name__
    return run


def _make_filter(
    func: Callable[..., Any],
    cost: Callable[[Any], int] = _cost_linear,
    text: bool = False,
    check: Callable[..., None] | None = None,
    atomic: bool = True,
) -> Callable[..., Any]:
    """Wrap a Jinja filter: count it, convert text input, charge its estimated cost (one
    step holding the GIL when ``atomic``, else Python-level work), run the pre-check,
    check the result. Wrappers take the context, so Jinja never runs them at compile
    time."""
    pass_arg = _PassArg.from_obj(func)

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.operate(_CALL_COST)
        if text and not isinstance(value, str):
            value = _to_text(value)
        if atomic:
            budget.charge(cost(value))
        else:
            budget.spend(cost(value))
        if check is not None:
            check(value, *args, **kwargs)
        if pass_arg is _PassArg.context:
            result = func(context, value, *args, **kwargs)
        elif pass_arg is _PassArg.eval_context:
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif pass_arg is _PassArg.environment:
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        return budget.produced(result)

    guarded.__name__ = getattr(func, "__name__", "filter")
    return guarded


def _check_width(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> None:
    if isinstance(width, int) and width > MAX_VALUE_SIZE:
        raise _LimitExceeded(f"a width over {MAX_VALUE_SIZE:,}")
    if isinstance(width, int) and width > 0:
        _budget().charge(width)


def _check_indent(value: str, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    lines = value.count("\n") + 1
    budget = _budget()
    budget.check_size(len(value) + lines * pad)
    budget.spend(150 * lines + lines * pad)  # a Python generator step per line


def _check_batch(value: Any, linecount: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(linecount, int) and linecount > MAX_VALUE_SIZE:
        raise _LimitExceeded(f"a batch of more than {MAX_VALUE_SIZE:,} elements")


def _check_slice(value: Any, slices: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(slices, int) and slices > MAX_RANGE:
        raise _LimitExceeded(f"more than {MAX_RANGE:,} slices")


def _check_wordwrap(value: str, width: Any = 79, *args: Any, **kwargs: Any) -> None:
    budget = _budget()
    width = max(1, width if isinstance(width, int) else 1)
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None)
    lines = len(value) // width + value.count("\n") + 1
    budget.check_size(len(value) + lines * len(wrap if isinstance(wrap, str) else "\n"))
    # textwrap is pure Python (a few µs per line), and cuts a word longer than the width
    # one piece at a time
    budget.spend(200 * len(value) + 3000 * lines)
    longest = expr_text.longest_word(value, budget.checkpoint)
    budget.spend(longest * longest // width if longest > width else 0)


def _filter_replace(value: str, old: Any, new: Any, count: int | None = None) -> str:
    old, new = _to_text(old), _to_text(new)
    found = value.count(old) if old else len(value) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    size = len(value) + found * (len(new) - len(old))
    budget = _budget()
    budget.check_size(size)
    budget.charge(len(value) + size + 30 * found)
    return value.replace(old, new, -1 if count is None else count)


def _filter_format(value: str, *args: Any, **kwargs: Any) -> str:
    if args and kwargs:
        raise TypeError("format takes either positional or keyword arguments, not both")
    return _printf(value, kwargs or args)


@pass_context
def _filter_join(context: Context, value: Any, d: Any = "", attribute: Any = None) -> str:
    budget = _budget()
    separator = _to_text(d)
    if attribute is not None:
        value = map(make_attrgetter(context.environment, attribute), value)
    parts: list[str] = []
    total = 0
    for item in value:
        budget.operate(2)
        part = _to_text(item)
        total += len(part) + len(separator)
        budget.check_size(total)
        parts.append(part)
    return separator.join(parts)


@pass_context
def _filter_sum(context: Context, value: Any, attribute: Any = None, start: Any = 0) -> Any:
    if attribute is not None:
        value = map(make_attrgetter(context.environment, attribute), value)
    total = start
    for item in value:
        _budget().operate(_CALL_COST)
        total = _ENV.call_binop(context, "+", total, item)
    return total


def _filter_tojson(value: Any, indent: int | None = None) -> str:
    if indent is not None and not 0 <= indent <= 16:
        raise ValueError("tojson indent must be between 0 and 16")
    return _to_json(value, indent)


@pass_context
def _filter_attr(context: Context, value: Any, name: str) -> Any:
    return context.environment.getattr(value, name)


def _filter_urlencode(value: Any) -> str:
    pairs = value.items() if isinstance(value, Mapping) else value
    if isinstance(pairs, Iterable) and not isinstance(pairs, str):
        for pair in pairs:
            if not all(isinstance(part, (str, int, float)) for part in pair):
                raise TypeError("urlencode needs a string, an object or a list of pairs")
    return FILTERS["urlencode"](value)  # type: ignore[no-any-return]


def _filter_upper(value: str) -> str:
    return expr_text.sliced_method(value, "upper", _budget().checkpoint)


#: Filters by cost: (names, cost of the input, one GIL-holding step?). Python-level work
#: (not atomic) lets other threads run; sliced text filters are Python between slices.
_FILTER_COSTS: Final[tuple[tuple[frozenset[str], Callable[[Any], int], bool], ...]] = (
    (
        _words("count d default first last length random items map select reject"),
        _cost_constant,
        True,
    ),
    (_words("selectattr rejectattr attr abs round"), _cost_constant, True),
    (_words("center trim truncate string join"), _cost_linear, True),
    (_words("e escape"), _cost_per_element(8), True),
    (_words("reverse"), _cost_per_element(2), True),
    (_words("list"), _cost_per_element(8), True),
    (_words("filesizeformat float int"), _cost_per_element(5), True),
    (_words("replace format"), _cost_constant, True),  # charged by their own estimates
    (_words("tojson"), _cost_constant, True),  # charged by _to_json
    (_words("indent"), _cost_per_element(3), False),
    (_words("wordwrap"), _cost_constant, False),  # charged by _check_wordwrap
    (_words("batch slice sum"), _cost_per_element(100), False),
    (_words("urlencode"), _cost_per_element(200), False),
    (_words("capitalize lower upper"), expr_text.case_cost, False),
    (_words("title"), expr_text.title_cost, False),
    (_words("wordcount"), expr_text.wordcount_cost, False),
    (_words("striptags"), expr_text.striptags_cost, False),
    (_words("dictsort groupby sort"), _cost_sort, False),
    (_words("max min unique"), _cost_hashing, False),
)
_TEXT_FILTERS: Final = _words(
    "capitalize center e escape format indent lower replace striptags title trim truncate"
    " upper wordcount wordwrap"
)


def _build_filters() -> dict[str, Callable[..., Any]]:
    replaced: dict[str, Callable[..., Any]] = {
        "attr": _filter_attr,
        "capitalize": _checked(expr_text.capitalize),
        "format": _filter_format,
        "join": _filter_join,
        "lower": _checked(expr_text.lower),
        "replace": _filter_replace,
        "string": _to_text,
        "striptags": _checked(expr_text.striptags),
        "sum": _filter_sum,
        "title": _checked(expr_text.title),
        "tojson": _filter_tojson,
        "upper": _filter_upper,
        "urlencode": _filter_urlencode,
        "wordcount": _checked(expr_text.wordcount),
    }
    checks: dict[str, Callable[..., None]] = {
        "batch": _check_batch,
        "center": _check_width,
        "indent": _check_indent,
        "slice": _check_slice,
        "wordwrap": _check_wordwrap,
    }
    filters: dict[str, Callable[..., Any]] = {}
    for names, cost, atomic in _FILTER_COSTS:
        for name in names:
            func = replaced.get(name, FILTERS[name])
            filters[name] = _make_filter(
                func, cost, text=name in _TEXT_FILTERS, check=checks.get(name), atomic=atomic
            )
    return filters


def _make_test(name: str, func: Any) -> Callable[..., Any]:
    pass_arg = _PassArg.from_obj(func)
    op = "in" if name == "in" else "eq"
    compares = name in ("in", "sameas") or func.__module__ == "_operator"
    per_char = 25 if name in ("lower", "upper") else 1  # str.islower/isupper

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.operate(_CALL_COST)
        budget.charge(per_char * _cost_linear(value))
        if compares and args:
            budget.charge(budget.comparison_cost(op, value, args[0]))
        if pass_arg is _PassArg.environment:
            return func(context.environment, value, *args, **kwargs)
        if pass_arg is _PassArg.context:
            return func(context, value, *args, **kwargs)
        return func(value, *args, **kwargs)

    guarded.__name__ = getattr(func, "__name__", "test")
    return guarded


# --------------------------------------------------------------------------- globals


def _range(*args: int) -> range:
    try:
        result = range(*args)
        too_long = len(result) > MAX_RANGE
    except OverflowError:
        too_long = True
    if too_long:
        raise _LimitExceeded(f"a range of more than {MAX_RANGE:,} numbers")
    return result


def _dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    return dict(*args, **kwargs)


def _namespace(*args: Any, **kwargs: Any) -> Namespace:
    return Namespace(*args, **kwargs)


_GLOBALS: Final = (_range, _dict, _namespace)


# --------------------------------------------------------------------------- compiler


def _guard(check: str, *args: Any, lineno: int | None = None) -> nodes.Call:
    """A call of the runtime check ``environment.<check>(*args)``; arguments that are not
    nodes become constants. Only this module creates EnvironmentAttribute nodes (the
    parser never does), so templates cannot reach these hooks themselves."""
    arguments = [arg if isinstance(arg, nodes.Node) else nodes.Const(arg) for arg in args]
    return nodes.Call(nodes.EnvironmentAttribute(check), arguments, [], None, None, lineno=lineno)


class _CodeGenerator(CodeGenerator):
    """Compiles the ``guard_*`` calls made by :func:`_prepare` to direct calls."""

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        hook = node.node
        if not (isinstance(hook, nodes.EnvironmentAttribute) and hook.name.startswith("guard_")):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write(f"environment.{hook.name}(")
        for index, arg in enumerate(node.args):
            if index:
                self.write(", ")
            self.visit(arg, frame)
        self.write(")")


# --------------------------------------------------------------------------- sandbox


class _Context(Context):
    """A template context that reads the scope in place (no merged copy per evaluation)
    and falls back to the sandbox's few globals."""

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        if key in _DERIVED:
            return _DERIVED[key](self.parent)
        return _ENV.globals.get(key, missing)


_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}
_STR_PADDING: Final = frozenset({"center", "ljust", "rjust", "zfill"})


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox: allow-listed attributes, checked operators, calls and filters, and the
    ``guard_*`` hooks that the code generator inserts into compiled templates."""

    intercepted_binops = frozenset({"+", "*", "%", "**"})
    code_generator_class = _CodeGenerator
    context_class = _Context

    def __init__(self) -> None:
        super().__init__(
            undefined=_Undefined,
            finalize=_finalize,
            optimized=False,  # never evaluate user code at compile time
            autoescape=False,  # renders data and plain text, not HTML
            auto_reload=False,
            cache_size=0,
        )
        self.globals.clear()
        self.globals.update(range=_range, dict=_dict, namespace=_namespace)
        self.globals.update(exprlib.sandbox_functions())
        self.filters = _build_filters()
        library = exprlib.sandbox_filters()
        if clash := set(library) & set(self.filters):
            raise RuntimeError(f"library filters named like Jinja's: {sorted(clash)}")
        self.filters.update(library)
        self.tests = {name: _make_test(name, func) for name, func in TESTS.items()}

    # -- attribute and item access

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict or _policy(type(obj)).mapping:
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return self._attribute(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(argument) is tuple:  # hashing a tuple walks it
            budget = _budget()
            budget.charge(_HASH_COST * budget.size(argument))
        try:
            return obj[argument]
        except (TypeError, LookupError):
            if isinstance(argument, str):
                return self._attribute(obj, argument)
        return self.undefined(obj=obj, name=argument)

    def _attribute(self, obj: Any, name: Any) -> Any:
        if not isinstance(name, str):
            return self.undefined(obj=obj, name=name)
        if name.startswith("_"):
            raise SecurityError(f"access to {name!r} is not allowed (names starting with '_')")
        if isinstance(obj, Undefined):
            return getattr(obj, name)  # raises the undefined error
        policy = _policy(type(obj))
        if policy.attributes is None or name in policy.attributes:
            try:
                return getattr(obj, name)
            except AttributeError:
                return self.undefined(obj=obj, name=name)
        if not policy.data or hasattr(type(obj), name):
            raise SecurityError(f"{type(obj).__name__}.{name} is not available in expressions")
        return self.undefined(obj=obj, name=name)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        allowed = _policy(type(obj)).attributes
        return not attr.startswith("_") and (allowed is None or attr in allowed)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"access to attribute {attribute!r} is not allowed")

    # -- calls and operators

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.operate(_CALL_COST)
        kwargs.pop("_loop_vars", None)
        kwargs.pop("_block_vars", None)
        owner = getattr(obj, "__self__", None)
        if isinstance(obj, LibraryFunction) or (
            isinstance(owner, DateTime)
            and isinstance(obj, types.MethodType)
            and obj.__name__ in exprlib.DATE_ATTRIBUTES
        ):
            return obj(*args, **kwargs)  # counted, charged and checked by itself
        if isinstance(obj, Macro):
            budget.operate(_MACRO_COST)
        elif isinstance(obj, Undefined):
            pass
        elif any(obj is f for f in _GLOBALS):  # dict() hashes its keys
            budget.charge(_HASH_COST * (budget.size(args) + budget.size(kwargs)))
        elif isinstance(obj, (types.BuiltinMethodType, types.MethodType)) and (
            getattr(obj, "__name__", "") in (_policy(type(owner)).attributes or ())
        ):
            if isinstance(owner, str):
                return budget.produced(self._call_str_method(owner, obj, args, kwargs))
            # a method reads its object (a dict only hashes the key) and its arguments;
            # list.count/index compare every element
            reads = 0
            if isinstance(owner, (list, tuple)):
                reads = budget.size(owner) + 20 * len(owner)
            budget.charge(reads + budget.size(args) + budget.size(kwargs))
            if isinstance(owner, (datetime, date, time)) and obj.__name__ == "strftime":
                _check_strftime(args[0] if args else kwargs.get("format"))
        else:
            raise SecurityError(f"{type(obj).__name__!r} object is not callable in expressions")
        return budget.produced(context.call(obj, *args, **kwargs))

    @staticmethod
    def _call_str_method(text: str, method: Any, args: Any, kwargs: Any) -> Any:
        """A string method, charged by what it does to ``text`` (the slow ones work in
        slices: see expr_text)."""
        budget = _budget()
        name = method.__name__
        budget.charge(budget.size(args) + budget.size(kwargs))
        if name in _STR_PADDING:
            budget.charge(len(text))
            _check_width(text, *args, **kwargs)
        elif name == "replace" and len(args) >= 2:
            return _filter_replace(text, args[0], args[1], *args[2:])
        elif name == "join" and args:
            parts = list(budget.counted(args[0]))
            if all(isinstance(part, str) for part in parts):
                size = sum(map(len, parts)) + len(text) * len(parts)
                budget.check_size(size)
                budget.charge(size)
            return text.join(parts)
        elif name in expr_text.CASE_METHODS and not args and not kwargs:
            cost = expr_text.method_cost(text, name)
            if expr_text.can_slice(text, name):
                budget.spend(cost)
                return expr_text.sliced_method(text, name, budget.checkpoint)
            budget.charge(cost)
        elif name in ("split", "rsplit"):
            separator = args[0] if args else None
            cost = expr_text.split_cost(text, separator if isinstance(separator, str) else None)
            if (
                not kwargs
                and len(args) <= 1
                and (separator is None or isinstance(separator, str))
                and expr_text.can_split(text, separator)
            ):
                budget.spend(cost)
                return expr_text.split(text, separator, budget.checkpoint)
            budget.charge(cost)
        else:
            budget.charge(expr_text.method_cost(text, name))
        return method(*args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.operate(2)
        if operator == "+":
            if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                size = budget.size(left) + budget.size(right) - 1
                budget.check_size(size)
                result: Any = left + right  # type: ignore[operator]
                budget.remember(result, size)
                return budget.produced(result)
            if isinstance(left, str) and isinstance(right, str):
                budget.check_size(len(left) + len(right))
            return budget.produced(left + right)
        if operator == "*":
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(sequence, str) and isinstance(times, int):
                budget.check_size(len(sequence) * times)
            elif isinstance(sequence, (list, tuple)) and isinstance(times, int):
                size = 1 + (budget.size(sequence) - 1) * max(times, 0)
                budget.check_size(size)
                result = sequence * times
                budget.remember(result, size)
                return budget.produced(result)
            elif (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1
            ):
                raise _LimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")
            return budget.produced(left * right)
        if operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right > 0
                and (right > MAX_INT_BITS or right * (abs(left).bit_length() - 1) > MAX_INT_BITS)
            ):
                raise _LimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")
            return budget.produced(left**right)
        if operator == "%" and isinstance(left, str):
            return budget.produced(_printf(left, right))
        return budget.produced(self.binop_table[operator](left, right))

    # -- hooks inserted by _CodeGenerator

    def guard_iterate(self, iterable: Any, cost: int) -> Iterator[Any]:
        """A ``{% for %}``: charge the loop body's size for every element."""
        return _budget().counted(iterable, cost)

    def guard_charge(self, cost: int) -> str:
        """Start of a macro or ``{% call %}`` body: charge its size."""
        _budget().operate(cost)
        return ""

    def guard_built(self, value: Any) -> Any:
        """A list, tuple or dict literal."""
        budget = _budget()
        budget.operate(2)
        if type(value) is dict:  # hashing tuple keys walks them
            for key in value:
                if type(key) is tuple:
                    budget.charge(_HASH_COST * budget.size(key))
        return budget.produced(value)

    def guard_produced(self, value: Any) -> Any:
        """A slice."""
        return _budget().produced(value)

    def guard_concat(self, parts: tuple[Any, ...]) -> str:
        """The ``~`` operator."""
        budget = _budget()
        budget.operate(2)
        texts = [_to_text(part) for part in parts]
        budget.check_size(sum(map(len, texts)))
        return budget.produced("".join(texts))  # type: ignore[no-any-return]

    def guard_compare(self, left: Any, *rest: Any) -> bool:
        """A (possibly chained) comparison, charged by what it has to compare."""
        budget = _budget()
        budget.operate(1)
        for op, right in zip(rest[::2], rest[1::2], strict=True):
            budget.charge(budget.comparison_cost(op, left, right))
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    def guard_text(self, text: str) -> str:
        """Literal text inside a loop or macro: routed through finalize to be counted."""
        return text


@pass_context
def _finalize(context: Context, value: Any) -> str:
    """Every ``{{ … }}`` printed in a text template, and the text inside loops."""
    budget = _budget()
    budget.operate(1)
    return budget.emit(_to_text(value))


_FORBIDDEN: Final[dict[type[nodes.Node], str]] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Block: "block",
}


def _prepare(node: Any, repeated: bool = False) -> Any:
    """Check a parsed template tree and wrap it in runtime guards, children first.

    ``repeated`` is true inside loop, macro and call bodies, whose literal text must be
    counted against the output limit each time it is written.
    """
    _reject(node)
    for field, child in node.iter_fields():
        inner = repeated or (
            field in ("body", "test")
            and isinstance(node, (nodes.For, nodes.Macro, nodes.CallBlock))
        )
        if isinstance(child, nodes.Node):
            setattr(node, field, _prepare(child, inner))
        elif isinstance(child, list):
            setattr(
                node, field, [_prepare(c, inner) if isinstance(c, nodes.Node) else c for c in child]
            )

    def guard(check: str, *args: Any) -> nodes.Call:
        return _guard(check, *args, lineno=node.lineno)

    if isinstance(node, nodes.Output) and repeated:
        node.nodes = [
            guard("guard_text", c) if isinstance(c, nodes.TemplateData) else c for c in node.nodes
        ]
    elif isinstance(node, (nodes.List, nodes.Dict)) or (
        isinstance(node, nodes.Tuple) and node.ctx == "load"
    ):
        return guard("guard_built", node)
    elif isinstance(node, nodes.Concat):
        return guard("guard_concat", nodes.Tuple(node.nodes, "load", lineno=node.lineno))
    elif isinstance(node, nodes.Compare):
        operands = [part for op in node.ops for part in (op.op, op.expr)]
        return guard("guard_compare", node.expr, *operands)
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice):
        return guard("guard_produced", node)
    elif isinstance(node, nodes.For):
        cost = 1 + _count_nodes(node.body) + _count_nodes([node.test] if node.test else [])
        node.iter = guard("guard_iterate", node.iter, cost)
    elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
        charge = guard("guard_charge", 1 + _count_nodes(node.body))
        node.body.insert(0, nodes.ExprStmt(charge, lineno=node.lineno))
    return node


def _reject(node: Any) -> None:
    """Refuse template features that have no place in a workflow parameter."""
    message = None
    if type(node) in _FORBIDDEN:
        message = f"'{_FORBIDDEN[type(node)]}' is not allowed in expressions"
    elif isinstance(node, nodes.For) and node.recursive:
        message = "recursive loops are not allowed in expressions"
    elif isinstance(node, nodes.Name) and (node.name.startswith("__") or node.name == "self"):
        message = f"the name {node.name!r} is not allowed in expressions"
    elif (isinstance(node, nodes.Getattr) and node.attr.startswith("__")) or (
        isinstance(node, nodes.NSRef) and node.attr.startswith("_")
    ):
        message = f"access to {node.attr!r} is not allowed (names starting with '_')"
    if message is not None:
        raise TemplateSyntaxError(message, node.lineno)


def _count_nodes(body: list[Any]) -> int:
    return sum(1 + sum(1 for _ in node.find_all(nodes.Node)) for node in body)


def _single_expression(tree: nodes.Template) -> nodes.Expr | None:
    """The expression of a template that is exactly one ``{{ … }}`` (plus whitespace)."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = [
        part
        for part in tree.body[0].nodes
        if not (isinstance(part, nodes.TemplateData) and not part.data.strip())
    ]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


def _as_path(expr: nodes.Expr) -> tuple[str, tuple[tuple[bool, Any], ...]] | None:
    """``json.body['title']`` → ("json", ((True, "body"), (False, "title")))."""
    steps: list[tuple[bool, Any]] = []
    while True:
        if isinstance(expr, nodes.Getattr):
            steps.append((True, expr.attr))
            expr = expr.node
        elif (
            isinstance(expr, nodes.Getitem)
            and isinstance(expr.arg, nodes.Const)
            and type(expr.arg.value) in (str, int)
        ):
            steps.append((False, expr.arg.value))
            expr = expr.node
        elif isinstance(expr, nodes.Name) and expr.ctx == "load":
            return expr.name, tuple(reversed(steps))
        else:
            return None


class References(NamedTuple):
    """What a compiled value reads from its scope, found without evaluating anything.

    ``names``: the top-level names it reads (``json``, ``items``, ``nodes``, …). ``nodes``:
    the display names it reads through ``nodes['Name']`` / ``nodes.Name``, or None when it
    uses ``nodes`` in a way that cannot be known before running (``nodes[json.which]``)."""

    names: frozenset[str]
    nodes: frozenset[str] | None


NO_REFERENCES: Final = References(frozenset(), frozenset())


def _merge_references(parts: Iterable[References]) -> References:
    names: set[str] = set()
    found: set[str] | None = set()
    for part in parts:
        names |= part.names
        if part.nodes is None or found is None:
            found = None
        else:
            found |= part.nodes
    return References(frozenset(names), frozenset(found) if found is not None else None)


def _tree_references(tree: nodes.Node) -> References:
    names: set[str] = set()
    uses = 0  # loads of `nodes`: each must be a constant lookup for the set to be known
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load":
            names.add(name.name)
            uses += name.name == "nodes"
    found: set[str] = set()
    matched = 0
    for lookup in tree.find_all((nodes.Getattr, nodes.Getitem)):
        path = _as_path(lookup) if isinstance(getattr(lookup, "node", None), nodes.Name) else None
        if path is not None and path[0] == "nodes" and isinstance(path[1][0][1], str):
            found.add(path[1][0][1])
            matched += 1
    return References(frozenset(names), frozenset(found) if matched == uses else None)


class _Fallback(Exception):
    """The fast evaluator met something it does not handle: run the sandboxed template."""


_FALLBACK: Final = _Fallback()
_FastFn: TypeAlias = Callable[[Mapping[str, Any]], Any]
#: Scalars the fast evaluator works on; longer strings go through the sandbox's accounting.
_FAST_SCALARS: Final = frozenset({int, float, bool, str, type(None)})
_FAST_MAX_CHARS: Final = 10_000
_FAST_ARITHMETIC: Final[dict[type, Callable[[Any, Any], Any]]] = {
    nodes.Add: operator.add,
    nodes.Sub: operator.sub,
    nodes.Mul: operator.mul,
    nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv,
    nodes.Mod: operator.mod,
}
_FAST_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "gt": operator.gt,
    "lteq": operator.le,
    "gteq": operator.ge,
}


def _fast_scalar(value: Any) -> Any:
    kind = type(value)
    if kind not in _FAST_SCALARS or (kind is str and len(value) > _FAST_MAX_CHARS):
        raise _FALLBACK
    return value


def _fast_number(value: Any) -> Any:
    if type(value) not in (int, float, bool):
        raise _FALLBACK
    return value


def _fast(expr: nodes.Expr) -> _FastFn | None:
    """A plain-Python evaluator for the commonest small expressions (``json.n % 2 == 0``,
    ``json.total > 100 and json.status == 'open'``): constants, paths to scalars, arithmetic
    on numbers, comparisons of scalars, ``and``/``or``/``not``. It gives the sandbox's
    result or raises (then the sandboxed template runs and reports any error): a missing
    value, a container, a long string, text arithmetic (``%`` formatting, ``+``), a
    non-finite float or an integer past MAX_INT_BITS all fall back. None when ``expr``
    has anything else."""
    if isinstance(expr, nodes.Const):
        value = expr.value
        if type(value) not in _FAST_SCALARS or (type(value) is str and len(value) > 1000):
            return None
        return lambda scope: value
    path = _as_path(expr)
    if path is not None:
        lookup = _Path("", *path)
        return lambda scope: _fast_scalar(lookup.raw(scope))
    if type(expr) in _FAST_ARITHMETIC:
        op = _FAST_ARITHMETIC[type(expr)]
        a, b = _fast(expr.left), _fast(expr.right)  # type: ignore[attr-defined]
        if a is None or b is None:
            return None
        lhs: _FastFn = a
        rhs: _FastFn = b

        def arithmetic(scope: Mapping[str, Any]) -> Any:
            result = op(_fast_number(lhs(scope)), _fast_number(rhs(scope)))
            if type(result) is int:
                if result.bit_length() > MAX_INT_BITS:
                    raise _FALLBACK
            elif not math.isfinite(result):
                raise _FALLBACK
            return result

        return arithmetic
    if isinstance(expr, nodes.Neg | nodes.Pos):
        operand = _fast(expr.node)
        if operand is None:
            return None
        inner: _FastFn = operand
        if isinstance(expr, nodes.Neg):
            return lambda scope: -_fast_number(inner(scope))
        return lambda scope: +_fast_number(inner(scope))
    if isinstance(expr, nodes.Not):
        negated = _fast(expr.node)
        if negated is None:
            return None
        target: _FastFn = negated
        return lambda scope: not target(scope)
    if isinstance(expr, nodes.And | nodes.Or):
        left, right = _fast(expr.left), _fast(expr.right)
        if left is None or right is None:
            return None
        if isinstance(expr, nodes.And):
            return lambda scope: left(scope) and right(scope)
        return lambda scope: left(scope) or right(scope)
    if isinstance(expr, nodes.Compare):
        first = _fast(expr.expr)
        rest = [(op.op, _fast(op.expr)) for op in expr.ops]
        if first is None or any(fn is None or op not in _FAST_COMPARE for op, fn in rest):
            return None
        chain = [(op, _FAST_COMPARE[op], fn) for op, fn in rest]

        def compare(scope: Mapping[str, Any]) -> bool:
            left = first(scope)
            for name, check, operand in chain:
                right = operand(scope)  # type: ignore[misc]
                if name not in ("eq", "ne") and not (
                    (type(left) is str and type(right) is str)
                    or (type(left) in (int, float, bool) and type(right) in (int, float, bool))
                ):
                    raise _FALLBACK
                if not check(left, right):
                    return False
                left = right
            return True

        return compare
    return None


# --------------------------------------------------------------------------- compiled values


class Compiled:
    """A parameter value with its expressions compiled, ready to evaluate many times."""

    __slots__ = ()
    #: True when the value holds no expression: evaluate() returns it unchanged.
    is_constant: bool = False
    #: What evaluating it reads from the scope.
    references: References = NO_REFERENCES
    #: True when evaluating it is always cheap (a constant, a plain path): no budget.
    on_loop: bool = False

    def evaluate(self, scope: Scope) -> Any:
        """The value with every expression evaluated against ``scope``, on this thread."""
        raise NotImplementedError

    def evaluate_inline(self, scope: Scope) -> Any:
        """:meth:`evaluate` with the small on-loop allowance: raises :class:`OffLoop`
        when an expression needs more (then use :meth:`evaluate_async`)."""
        return self.evaluate(scope)

    async def evaluate_async(self, scope: Scope) -> Any:
        """Like :meth:`evaluate`, but an expression that turns out to need more than a
        millisecond or so of work runs in the expression worker thread, so the event loop
        stays responsive; cancelling the caller stops it."""
        return self.evaluate(scope)


class _Constant(Compiled):
    __slots__ = ("value",)
    is_constant = True
    on_loop = True

    def __init__(self, value: Any) -> None:
        self.value = value

    def evaluate(self, scope: Scope) -> Any:
        return self.value


class _Path(Compiled):
    """A plain path such as ``json.body.title``: no template, no budget needed."""

    __slots__ = ("name", "references", "source", "steps")
    on_loop = True

    def __init__(self, source: str, name: str, steps: tuple[tuple[bool, Any], ...]) -> None:
        self.source = source
        self.name = name
        self.steps = steps
        node_names: frozenset[str] | None = frozenset()
        if name == "nodes":
            first = steps[0][1] if steps else None
            node_names = frozenset({first}) if isinstance(first, str) else None
        self.references = References(frozenset({name}), node_names)

    def raw(self, scope: Scope) -> Any:
        """The value at the path as the sandbox sees it (Undefined when missing)."""
        if self.name in scope:
            value = scope[self.name]
        elif self.name in _DERIVED:
            value = _DERIVED[self.name](scope)
        elif self.name in _ENV.globals:
            value = _ENV.globals[self.name]
        else:
            value = _ENV.undefined(name=self.name)
        for is_attribute, key in self.steps:
            if type(value) is dict and key in value:  # what both lookups do first
                value = value[key]
            elif is_attribute:
                value = _ENV.getattr(value, key)
            else:
                value = _ENV.getitem(value, key)
        return value

    def evaluate(self, scope: Scope) -> Any:
        try:
            return _to_native(self.raw(scope), deep=False)
        except Exception as exc:
            raise _error(self.source, exc) from exc


class _Template(Compiled):
    """A compiled Jinja template: native result (one expression) or rendered text."""

    __slots__ = ("_fast", "_template", "native", "references", "source")

    def __init__(
        self,
        source: str,
        tree: nodes.Template,
        native: bool,
        references: References,
        fast: _FastFn | None = None,
    ) -> None:
        self.source = source
        self.native = native
        self.references = references
        self._template = _ENV.from_string(tree)
        self._fast = fast

    def evaluate(self, scope: Scope) -> Any:
        if self._fast is not None:
            try:
                return self._fast(scope)
            except Exception:  # noqa: S110 - the sandbox decides, and names any error
                pass
        return self.run(scope, Budget())

    def evaluate_inline(self, scope: Scope) -> Any:
        if self._fast is not None:
            try:
                return self._fast(scope)
            except Exception:  # noqa: S110 - the sandbox decides, and names any error
                pass
        return self.run(scope, Budget(True))

    async def evaluate_async(self, scope: Scope) -> Any:
        try:
            return self.evaluate_inline(scope)
        except OffLoop:
            return await off_loop(functools.partial(self.run, scope))

    def run(self, scope: Scope, budget: Budget) -> Any:
        """Evaluate with ``budget`` (the sandboxed template; no fast path). Raises
        :class:`OffLoop` when an on-loop budget's allowance runs out."""
        token = _BUDGET.set(budget)
        try:
            context = _Context(_ENV, scope, None, {})  # type: ignore[arg-type]
            if self.native:
                for _ in self._template.root_render_func(context):
                    pass
                return _to_native(context.vars["result"])
            return "".join(self._template.root_render_func(context))
        except (ExpressionError, OffLoop):
            raise
        except Exception as exc:
            error = _error(self.source, exc)
            error.usage = budget.usage()
            raise error from exc
        finally:
            _BUDGET.reset(token)


class _Dict(Compiled):
    __slots__ = ("entries", "on_loop", "references")

    def __init__(self, entries: list[tuple[Any, str, Compiled]]) -> None:
        self.entries = entries  # (key, path, compiled)
        self.references = _merge_references(c.references for _, _, c in entries)
        self.on_loop = all(c.on_loop for _, _, c in entries)

    def evaluate(self, scope: Scope) -> dict[Any, Any]:
        result = {}
        for key, path, compiled in self.entries:
            try:
                result[key] = compiled.evaluate(scope)
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result

    def evaluate_inline(self, scope: Scope) -> dict[Any, Any]:
        result = {}
        for key, path, compiled in self.entries:
            try:
                result[key] = compiled.evaluate_inline(scope)
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result

    async def evaluate_async(self, scope: Scope) -> dict[Any, Any]:
        try:
            return self.evaluate_inline(scope)
        except OffLoop:
            pass  # again, entry by entry, the big ones off the loop
        result = {}
        for key, path, compiled in self.entries:
            try:
                if compiled.on_loop:
                    result[key] = compiled.evaluate(scope)
                else:
                    result[key] = await compiled.evaluate_async(scope)
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result


class _List(Compiled):
    __slots__ = ("entries", "on_loop", "references")

    def __init__(self, entries: list[tuple[str, Compiled]]) -> None:
        self.entries = entries  # (path, compiled)
        self.references = _merge_references(c.references for _, c in entries)
        self.on_loop = all(c.on_loop for _, c in entries)

    def evaluate(self, scope: Scope) -> list[Any]:
        result = []
        for path, compiled in self.entries:
            try:
                result.append(compiled.evaluate(scope))
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result

    def evaluate_inline(self, scope: Scope) -> list[Any]:
        result = []
        for path, compiled in self.entries:
            try:
                result.append(compiled.evaluate_inline(scope))
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result

    async def evaluate_async(self, scope: Scope) -> list[Any]:
        try:
            return self.evaluate_inline(scope)
        except OffLoop:
            pass  # again, entry by entry, the big ones off the loop
        result = []
        for path, compiled in self.entries:
            try:
                if compiled.on_loop:
                    result.append(compiled.evaluate(scope))
                else:
                    result.append(await compiled.evaluate_async(scope))
            except ExpressionError as exc:
                exc.path = exc.path or path
                raise
        return result


_ENV: Final = _Sandbox()


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_string(source: str) -> Compiled:
    if len(source) > MAX_SOURCE_CHARS:
        raise _limit_error(
            source, f"limit exceeded: longer than {MAX_SOURCE_CHARS:,} characters", "source"
        )
    try:
        parsed = _ENV.parse(source)
        refs = _tree_references(parsed)
        single = _single_expression(parsed)
        fast = _fast(single) if single is not None else None  # before _prepare rewrites it
        tree = _prepare(parsed)
        tree.set_environment(_ENV)
        tree.set_lineno(1)
        expr = _single_expression(tree)
        if expr is None:
            return _Template(source, tree, native=False, references=refs)
        path = _as_path(expr)
        if path is not None:
            return _Path(source, *path)
        body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
        native_tree = nodes.Template(body, lineno=1)
        native_tree.set_environment(_ENV)
        native_tree.set_lineno(1)
        return _Template(source, native_tree, native=True, references=refs, fast=fast)
    except Exception as exc:
        raise _error(source, exc) from None


def _join(path: str, key: Any) -> str:
    """Field paths as the rest of the API writes them: ``params.fields.title``,
    ``params.rules[0].condition``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


# --------------------------------------------------------------------------- public API


def has_expression(value: Any) -> bool:
    """Whether ``value`` (a string, or dicts and lists at any depth) holds an expression."""
    if isinstance(value, str):
        return _is_template(value)
    if isinstance(value, Mapping):
        return any(has_expression(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_expression(item) for item in value)
    return False


def compile_value(value: Any, path: str = "") -> Compiled:
    """Compile every expression in ``value`` (walking dicts and lists).

    Parts without expressions are kept as they are, and a value with none at all compiles
    to a constant returning the very same object. Strings are cached by source. Raises
    :class:`ExpressionError` (with ``path`` set, prefixed by ``path``) on a syntax error.
    """
    if isinstance(value, str):
        if not _is_template(value):
            return _Constant(value)
        try:
            return _compile_string(value)
        except ExpressionError as exc:
            exc.path = path
            raise
    if isinstance(value, Mapping):
        entries = [(k, _join(path, k), compile_value(v, _join(path, k))) for k, v in value.items()]
        if all(compiled.is_constant for _, _, compiled in entries):
            return _Constant(value)
        return _Dict(entries)
    if isinstance(value, (list, tuple)):
        items = [(_join(path, i), compile_value(v, _join(path, i))) for i, v in enumerate(value)]
        if all(compiled.is_constant for _, compiled in items):
            return _Constant(value)
        return _List(items)
    return _Constant(value)


def evaluate(value: Any, scope: Scope) -> Any:
    """Compile (through the cache) and evaluate ``value`` against ``scope``."""
    return compile_value(value).evaluate(scope)


async def evaluate_async(value: Any, scope: Scope) -> Any:
    """:func:`evaluate` that moves big evaluations off the event loop
    (:meth:`Compiled.evaluate_async`)."""
    return await compile_value(value).evaluate_async(scope)


def measure(source: str, scope: Scope) -> tuple[Any, Usage]:
    """Evaluate one string in the sandbox with a full budget and say what it spent (the
    fast paths are skipped, so plain paths and constants report zero work)."""
    compiled = compile_value(source)
    if not isinstance(compiled, _Template):
        return compiled.evaluate(scope), NO_USAGE
    budget = Budget()
    return compiled.run(scope, budget), budget.usage()


def check_syntax(value: Any, path: str = "") -> list[tuple[str, str]]:
    """``(field path, message)`` for every expression in ``value`` that does not compile.

    Nothing is evaluated: use it to validate workflow documents when they are saved.
    """
    if isinstance(value, str):
        if not _is_template(value):
            return []
        try:
            _compile_string(value)
        except ExpressionError as exc:
            return [(path, f"expression {_shorten(exc.expression)}: {exc.message}")]
        return []
    errors: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            errors += check_syntax(item, _join(path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            errors += check_syntax(item, _join(path, index))
    return errors
