"""The sandbox's filters, tests and globals: Jinja's own, each charged by what it will
process before it runs and checked against the limits, plus ``%`` formats."""

from __future__ import annotations

import math
import re
from collections.abc import (
    Callable,
    Iterable,
    Mapping,
)
from typing import Any, Final

from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import Context
from jinja2.utils import Namespace, _PassArg, pass_context

from wirework.engine import expr_text
from wirework.engine.expr_budget import (
    MAX_VALUE_SIZE,
    NotFinite,
)
from wirework.engine.expr_errors import (
    _CALL_COST,
    _HASH_COST,
    _SORT_COST,
    MAX_FORMAT_WIDTH,
    MAX_RANGE,
    _LimitExceeded,
    _show,
)
from wirework.engine.expr_values import current_budget as _budget
from wirework.engine.expr_values import to_json as _to_json
from wirework.engine.expr_values import to_text as _to_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
    name: str = "",
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
        try:
            return budget.produced(result)
        except NotFinite as exc:  # 'inf' | float
            raise NotFinite(exc.value, f"{guarded.__name__}: {_show(value)}") from None

    guarded.__name__ = name or getattr(func, "__name__", "filter")
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
        total = context.environment.call_binop(context, "+", total, item)  # type: ignore[attr-defined]
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
                func,
                cost,
                text=name in _TEXT_FILTERS,
                check=checks.get(name),
                atomic=atomic,
                name=name,
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
