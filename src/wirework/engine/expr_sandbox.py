"""The sandboxed Jinja environment: which attributes each type exposes, missing values,
names derived on demand (``today``), the code generator's guards, and the environment
that charges every operation (``_ENV``, the one instance)."""

from __future__ import annotations

import math
import operator
import types
from collections.abc import (
    Callable,
    Iterator,
    Mapping,
)
from datetime import date, datetime, time
from typing import Any, Final, NamedTuple

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS
from jinja2.utils import Namespace, missing, pass_context

from wirework.engine import expr_text, exprlib
from wirework.engine.expr_budget import (
    MAX_INT_BITS,
    Budget,
    NotFinite,
)
from wirework.engine.expr_errors import _CALL_COST, _HASH_COST, _MACRO_COST, _LimitExceeded, _show
from wirework.engine.expr_filters import (
    _GLOBALS,
    _build_filters,
    _check_strftime,
    _check_width,
    _dict,
    _filter_replace,
    _make_test,
    _namespace,
    _printf,
    _range,
    _words,
)
from wirework.engine.expr_scope import NodesView, Scope
from wirework.engine.expr_values import DataValue
from wirework.engine.expr_values import current_budget as _budget
from wirework.engine.expr_values import to_text as _to_text
from wirework.engine.exprlib import DateTime, LibraryFunction, OperatorError

# --------------------------------------------------------------------------- attributes


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
    elif issubclass(cls, DataValue):  # dates, durations
        attributes = exprlib.value_attributes(cls)
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
            if obj is missing and name in _NAME_HINTS:
                return f"{name!r} is undefined (use {_NAME_HINTS[name]})"
        return super()._undefined_message


#: What to use instead of the Python names people type in expressions.
_NAME_HINTS: Final = {
    "float": "to_float(x) or x | float",
    "int": "to_int(x) or x | int",
    "str": "to_str(x) or x | string",
    "len": "x | length",
    "datetime": "now, today or to_date(text)",
    "date": "today or to_date(text)",
    "parse": "parse_date(text) or parse_json(text)",
}


def _today(scope: Scope) -> Any:
    now = scope.get("now")
    if not isinstance(now, DateTime):
        return _ENV.undefined(name="today")
    value = now.value
    return DateTime(datetime.combine(value.date(), time(), value.tzinfo))


#: Names computed from the scope when an expression reads them (cheaper than building
#: them for every step that never does).
_DERIVED: Final[dict[str, Callable[[Scope], Any]]] = {"today": _today}


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
#: Operators on two numbers (int or float, not bool) that call_binop does without charging
#: while their result is a finite float or an int under _SMALL_INT.
_NUMERIC: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "-": operator.sub,
    "/": operator.truediv,
    "//": operator.floordiv,
}
_NUMBERS: Final = frozenset({int, float})
_SMALL_INT: Final = 2**64
_COMPARE_SIGNS: Final = {
    "eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in",
    "notin": "not in",
}  # fmt: skip
_STR_PADDING: Final = frozenset({"center", "ljust", "rjust", "zfill"})


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox: allow-listed attributes, checked operators, calls and filters, and the
    ``guard_*`` hooks that the code generator inserts into compiled templates."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})
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
            isinstance(owner, DataValue)
            and isinstance(obj, types.MethodType)
            and obj.__name__ in exprlib.value_attributes(type(owner))
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
        """An arithmetic operator: sizes checked before it runs; dates and durations charge
        their own cost; operands it has no meaning for, and results that are not finite
        numbers, are errors naming both sides."""
        if operator in _NUMERIC and type(left) in _NUMBERS and type(right) in _NUMBERS:
            # a short way for the common case: numbers that stay small and finite need
            # no budget (anything else takes the checked way below)
            try:
                result = _NUMERIC[operator](left, right)
            except ArithmeticError:
                pass
            else:
                if (result - result == 0) and (
                    type(result) is not int or -_SMALL_INT < result < _SMALL_INT
                ):
                    return result
        budget = _budget()
        budget.operate(2)
        if operator == "%" and isinstance(left, str):
            return budget.produced(_printf(left, right))
        try:
            result = self._binop(budget, operator, left, right)
        except TypeError:
            raise exprlib.operand_error(operator, left, right) from None
        except (NotFinite, OverflowError) as exc:  # 1e308 * 10, 10.0 ** 400, 10**400 / 1
            value = exc.value if isinstance(exc, NotFinite) else math.inf
            raise NotFinite(value, f"{_show(left)} {operator} {_show(right)}") from None
        if type(result) is complex:  # (-8) ** 0.5
            raise OperatorError(f"{_show(left)} ** {_show(right)} is not a real number")
        return result

    def _binop(self, budget: Budget, operator: str, left: Any, right: Any) -> Any:
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
        return budget.produced(self.binop_table[operator](left, right))

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        try:
            return self.unop_table[operator](arg)
        except TypeError:
            raise exprlib.unary_error(operator, arg) from None

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
            try:
                if not _COMPARE[op](left, right):
                    return False
            except TypeError:
                what = (
                    f"cannot look for {exprlib.kind(left)} in {exprlib.kind(right)}"
                    if op in ("in", "notin")
                    else f"cannot compare {exprlib.kind(left)} with {exprlib.kind(right)}"
                )
                raise OperatorError(
                    f"{what} ({_show(left)} {_COMPARE_SIGNS[op]} {_show(right)})"
                ) from None
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


_ENV: Final = _Sandbox()
