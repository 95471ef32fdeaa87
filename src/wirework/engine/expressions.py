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
own cost and returns data, a date or a duration value); every result of an operator,
filter or call is checked against the limits below before it can be used. Every arithmetic
operator goes through :meth:`_Sandbox.call_binop` / ``call_unop``: dates and durations
combine by their own (charged) dunder methods, operands with no meaning together are an
error naming both (``cannot add a date (…) and a number (1)``), and no operation, filter,
call or literal makes a float that is not finite (JSON has no infinity or NaN).

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
from collections.abc import (
    Callable,
    Mapping,
)
from typing import Any, Final, TypeAlias

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from wirework.engine.expr_budget import (
    MAX_CALL_WORK,
    MAX_INT_BITS,
    MAX_MEMORY,
    MAX_OUTPUT_CHARS,
    MAX_VALUE_SIZE,
    NO_USAGE,
    Budget,
    OffLoop,
    Usage,
    off_loop,
)
from wirework.engine.expr_errors import (
    CACHE_SIZE,
    MAX_FORMAT_WIDTH,
    MAX_OPERATIONS,
    MAX_RANGE,
    MAX_SOURCE_CHARS,
    MAX_WORK,
    ExpressionError,
    ExpressionLimitError,
    _error,
    _limit_error,
    _shorten,
)
from wirework.engine.expr_refs import (
    NO_REFERENCES,
    References,
    _as_path,
    _merge_references,
    _single_expression,
    _tree_references,
)
from wirework.engine.expr_sandbox import _DERIVED, _ENV, _Context, _prepare
from wirework.engine.expr_scope import NodeOutput, NodesView, Scope, make_scope, with_item
from wirework.engine.expr_values import BUDGET as _BUDGET
from wirework.engine.expr_values import to_native as _to_native

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
    if kind is float and value - value != 0.0:  # inf, nan: the sandbox names them
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
        _check_numbers(source, parsed)
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


def _check_numbers(source: str, tree: nodes.Template) -> None:
    """Refuse a number literal too large for a float (``1e400`` reads as infinity, which
    no JSON value can hold), naming it as written."""
    for const in tree.find_all(nodes.Const):
        value = const.value
        if type(value) is float and value - value != 0.0:
            written = next(
                (text for _, kind, text in _ENV.lex(source) if kind == "float"
                 and float(text.replace("_", "")) - float(text.replace("_", "")) != 0.0),
                repr(value),
            )  # fmt: skip
            raise TemplateSyntaxError(f"{written} is not a finite number", const.lineno)


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
