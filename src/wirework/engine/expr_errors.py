"""Expression errors, and the limits and costs every evaluation is held to (the budget's
units: :mod:`wirework.engine.expr_budget`)."""

from __future__ import annotations

from typing import Final

from jinja2.exceptions import TemplateError, TemplateSyntaxError

from wirework.engine import exprlib
from wirework.engine.expr_budget import (
    NO_USAGE,
    WALK_COST,
    Cancelled,
    LimitExceeded,
    Limits,
    NotFinite,
    Usage,
)
from wirework.engine.expr_values import NotData as _NotData
from wirework.engine.exprlib import FunctionError, OperatorError

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
_show = exprlib.show  # a value as error messages quote it


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
    if isinstance(exc, (_NotData, FunctionError, OperatorError, NotFinite)):
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
