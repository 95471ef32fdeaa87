"""JMESPath queries under the work budget.

The ``jmespath`` library interprets a query in Python, node by node. Here every node it
visits is counted and charged, every list or object a node builds is checked against the
size limits (so a query that doubles a value at every step stops early, however its parts
are shared), comparisons and functions are charged by what they compare or process before
they run, and ``to_string`` writes JSON through the sandbox's own (sliced, charged) encoder.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

import jmespath
from jmespath import exceptions as jmespath_errors
from jmespath import functions as jmespath_functions
from jmespath import visitor
from jmespath.parser import ParsedResult

from wirework.engine.expr_budget import WALK_COST, Budget
from wirework.engine.expr_values import current_budget, to_json

__all__ = ["MAX_QUERY_CHARS", "search"]

#: Longest query.
MAX_QUERY_CHARS: Final = 5_000
#: Units per query character to parse it (Python, a few µs per token).
PARSE_COST: Final = 2_000
#: Units per node visited (a Python method call or two).
VISIT_COST: Final = 800
#: Units per element a function reads (C loops over Python objects), and per element and
#: comparison level of a sort.
FUNCTION_COST: Final = 30
_CACHE_SIZE: Final = 256
#: Functions that look at their arguments' top level only (a length, the keys …).
_SHALLOW: Final = frozenset(
    {"length", "type", "not_null", "abs", "ceil", "floor", "starts_with", "ends_with",
     "to_number", "to_array", "keys", "values", "reverse", "merge"}
)  # fmt: skip

_cache: OrderedDict[str, ParsedResult] = OrderedDict()
_cache_lock = threading.Lock()


def _compiled(query: str, budget: Budget) -> ParsedResult:
    with _cache_lock:
        parsed = _cache.get(query)
        if parsed is not None:
            _cache.move_to_end(query)
            return parsed
    budget.spend(PARSE_COST * len(query))
    parsed = jmespath.compile(query)
    with _cache_lock:
        _cache[query] = parsed
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return parsed


class _Functions(jmespath_functions.Functions):
    """JMESPath's functions, charged by the size of their arguments before they run."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self._budget = budget

    def call_function(self, function_name: str, resolved_args: Any) -> Any:
        budget = self._budget
        budget.operate(20)
        if function_name in _SHALLOW:
            size = sum(len(a) if isinstance(a, (list, dict, str)) else 1 for a in resolved_args)
            budget.charge(FUNCTION_COST * size)
        else:
            size = budget.size(resolved_args)
            budget.check_size(size)
            factor = 20 if function_name in ("sort", "sort_by", "min_by", "max_by") else 1
            budget.charge(FUNCTION_COST * size * factor)
        return budget.produced(super().call_function(function_name, resolved_args))

    @jmespath_functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        return arg if isinstance(arg, str) else to_json(arg)


class _Interpreter(visitor.TreeInterpreter):
    """TreeInterpreter that charges every node and checks every value it builds. One per
    thread, reused: :meth:`use` points it at the running evaluation's budget."""

    def __init__(self) -> None:
        self._functions_charged = _Functions(Budget())
        super().__init__(visitor.Options(custom_functions=self._functions_charged))
        self._budget = Budget()
        compare = visitor.TreeInterpreter.COMPARATOR_FUNC

        def charged(op: str) -> Any:
            func = compare[op]
            name = "eq" if op in ("eq", "ne") else "lt"

            def run(left: Any, right: Any) -> Any:
                budget = self._budget
                budget.charge(budget.comparison_cost(name, left, right))
                return func(left, right)

            return run

        self.COMPARATOR_FUNC = {op: charged(op) for op in compare}  # type: ignore[misc]

    def use(self, budget: Budget) -> _Interpreter:
        self._budget = self._functions_charged._budget = budget
        return self

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        budget = self._budget
        budget.operate(1)
        budget.spend(VISIT_COST)
        return super().visit(node, *args, **kwargs)

    def _built(self, value: Any) -> Any:
        self._budget.spend(WALK_COST * (len(value) if isinstance(value, (list, dict)) else 1))
        return self._budget.produced(value)

    def visit_multi_select_dict(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_multi_select_dict(node, value))

    def visit_multi_select_list(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_multi_select_list(node, value))

    def visit_projection(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_projection(node, value))

    def visit_value_projection(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_value_projection(node, value))

    def visit_filter_projection(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_filter_projection(node, value))

    def visit_flatten(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_flatten(node, value))

    def visit_slice(self, node: Any, value: Any) -> Any:
        return self._built(super().visit_slice(node, value))


_local = threading.local()


def _interpreter() -> _Interpreter:
    interpreter: _Interpreter | None = getattr(_local, "interpreter", None)
    if interpreter is None:
        interpreter = _local.interpreter = _Interpreter()
    return interpreter


def search(data: Any, query: Any) -> Any:
    """The result of the JMESPath ``query`` over ``data``; ValueError with the reason when
    the query is not valid or does not apply."""
    if not isinstance(query, str):
        raise ValueError(f"the query must be text, not a {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"the query is longer than {MAX_QUERY_CHARS:,} characters")
    budget = current_budget()
    try:
        parsed = _compiled(query, budget)
        return _interpreter().use(budget).visit(parsed.parsed, data)
    except jmespath_errors.ParseError as exc:
        raise ValueError(f"invalid query: {_parse_message(exc)}") from None
    except jmespath_errors.JMESPathError as exc:
        raise ValueError(" ".join(str(exc).split())) from None


def _parse_message(exc: jmespath_errors.ParseError) -> str:
    reason = " ".join(str(getattr(exc, "msg", "")).split()) or "syntax error"
    position = getattr(exc, "lex_position", None)
    return f"{reason} at character {position}" if isinstance(position, int) else reason
