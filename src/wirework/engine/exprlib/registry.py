"""The one registry of the expression library: every function, filter and variable.

Each entry is declared once, next to its implementation (``dates.py``, ``data.py``, …), with
its name, the forms it takes (a global function ``f(x, …)``, a filter ``x | f(…)``, or a
variable), its group, its parameters, a one-line description, examples with their expected
results (they run as tests and fill the reference page) and a cost function: what one call
will cost in work units (:mod:`wirework.engine.expr_budget`), estimated from its arguments
*before* it runs. The sandbox (:mod:`wirework.engine.expressions`) installs the functions
and filters from here; ``GET /api/expressions/functions`` and ``docs/expressions.md`` list
them.

Entries marked ``builtin`` are the sandbox's own Jinja filters and globals: documented here
(so the editor completes them and the reference lists them) but implemented and costed in
``expressions.py``.

A library call (:class:`LibraryFunction`) counts one operation, converts missing values to
``None``, charges its cost, runs, and checks its result: plain JSON data or a
:class:`~wirework.engine.exprlib.datetimes.DateTime`, nothing else. Whatever goes wrong is a
:class:`FunctionError` whose message starts with the function's name
(``format_date: 'yesterday' is not a date …``); a limit it exceeds names it too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, TypeVar

from jinja2.runtime import Undefined

from wirework.engine.expr_budget import Cancelled, LimitExceeded, OffLoop
from wirework.engine.expr_values import DataValue, current_budget

__all__ = [
    "CALL_COST",
    "Entry",
    "Example",
    "FunctionError",
    "Group",
    "Kind",
    "LibraryFunction",
    "Registrar",
    "show",
]

#: Operations one library call counts (like a filter or a call in the sandbox).
CALL_COST: Final = 20


class Kind(StrEnum):
    """How an entry is used in an expression."""

    FUNCTION = "function"  # format_date(x, '%Y')
    FILTER = "filter"  # x | format_date('%Y')
    VARIABLE = "variable"  # now


class Group(StrEnum):
    """The sections of the library (and of the reference page), in order."""

    DATES = "dates"
    DATA = "data"
    STRINGS = "strings"
    ENCODING = "encoding"
    NUMBERS = "numbers"


GROUP_TITLES: Final = {
    Group.DATES: "Dates and times",
    Group.DATA: "JSON and data",
    Group.STRINGS: "Strings and regular expressions",
    Group.ENCODING: "Encoding, hashing and IDs",
    Group.NUMBERS: "Numbers and types",
}


class FunctionError(Exception):
    """A library function refused its arguments; ``str()`` is ``"<name>: <reason>"``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Example:
    """An expression and the value it gives (in the example scope of the tests and docs:
    see :data:`EXAMPLE_SCOPE`)."""

    expression: str
    result: Any


#: Cost function: the call's arguments → work units (about a nanosecond each).
Cost = Callable[..., int]


def flat_cost(*args: Any, **kwargs: Any) -> int:
    """Small fixed work: scalars in, scalars out."""
    return 2_000


@dataclass(frozen=True)
class Entry:
    """One function, filter or variable of the library."""

    name: str
    group: Group
    forms: frozenset[Kind]
    params: tuple[str, ...]  # ("date", "format='iso'"): the first is the filter's input
    description: str
    examples: tuple[Example, ...]
    func: Callable[..., Any] | None = None  # None: a variable or a builtin
    cost: Cost = flat_cost
    atomic: bool = True  # one GIL-holding C step (charge) or Python-level work (spend)
    builtin: bool = False  # the sandbox's own filter or global (implemented there)
    notes: str = ""  # a longer explanation, for the reference page only
    callable: LibraryFunction | None = field(default=None, compare=False, repr=False)

    def signature(self, kind: Kind) -> str:
        """``format_date(date, format='iso')`` or ``date | format_date(format='iso')``."""
        if kind is Kind.VARIABLE:
            return self.name
        if kind is Kind.FILTER:
            rest = self.params[1:]
            call = f"{self.name}({', '.join(rest)})" if rest else self.name
            return f"{self.params[0] if self.params else 'value'} | {call}"
        return f"{self.name}({', '.join(self.params)})"

    def examples_for(self, kind: Kind) -> list[Example]:
        """The examples, those written in ``kind``'s form first."""
        return sorted(
            self.examples, key=lambda example: not _uses(example.expression, self.name, kind)
        )


def _uses(expression: str, name: str, kind: Kind) -> bool:
    """Whether ``expression`` uses ``name`` as a filter (``| name``) or as a function call
    (``name(`` not after ``|`` or ``.``)."""
    start = expression.find(name)
    while start >= 0:
        before = expression[:start].rstrip()
        after = expression[start + len(name) :]
        whole = not (start and (expression[start - 1].isalnum() or expression[start - 1] == "_"))
        if whole and kind is Kind.FILTER and before.endswith("|"):
            return True
        if (
            whole
            and kind is Kind.FUNCTION
            and after.startswith("(")
            and not before.endswith(("|", "."))
        ):
            return True
        start = expression.find(name, start + 1)
    return False


def show(value: Any, width: int = 60) -> str:
    """A value as error messages quote it: repr for text, JSON-ish for the rest, short."""
    if isinstance(value, Undefined) or value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = repr(value)
    elif isinstance(value, DataValue):
        text = value.as_text()
    elif isinstance(value, (list, tuple)):
        text = f"a list of {len(value)}"
    elif isinstance(value, Mapping):
        text = "an object"
    else:
        text = f"a {type(value).__name__}"
    return text if len(text) <= width else text[: width - 1] + "…"


_DATA_TYPES: Final = (str, int, float, bool, list, dict, DataValue)


def _checked(name: str, value: Any) -> Any:
    """A library function's result: JSON data or a DataValue (lists from tuples)."""
    if value is None or isinstance(value, _DATA_TYPES):
        return value
    if isinstance(value, tuple):
        return list(value)
    raise FunctionError(name, f"gave a {type(value).__name__}, which is not data")


def _plain(value: Any) -> Any:
    return None if isinstance(value, Undefined) else value


_PASS_THROUGH: Final = (LimitExceeded, OffLoop, Cancelled, FunctionError)


class LibraryFunction:
    """A library function as the sandbox calls it (global or filter): counted, charged
    before it runs, errors named, result checked. Templates cannot read its attributes
    (the sandbox allows none on it)."""

    __slots__ = ("_entry", "_func", "_signature", "name")

    def __init__(self, entry: Entry) -> None:
        assert entry.func is not None
        self._entry = entry
        self._func = entry.func
        self._signature = inspect.signature(entry.func)
        self.name = entry.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        entry = self._entry
        budget = current_budget()
        budget.operate(CALL_COST)
        for arg in args:
            if isinstance(arg, Undefined):
                args = tuple([_plain(arg) for arg in args])
                break
        if kwargs:
            kwargs = {key: _plain(value) for key, value in kwargs.items()}
        try:
            units = entry.cost(*args, **kwargs)
            if entry.atomic:
                budget.charge(units)
            else:
                budget.spend(units)
            result = budget.produced(_checked(self.name, self._func(*args, **kwargs)))
        except RecursionError:
            raise LimitExceeded(f"{self.name}: nested too deeply", "depth") from None
        except _PASS_THROUGH as exc:
            if isinstance(exc, LimitExceeded) and not str(exc).startswith(self.name + ":"):
                raise LimitExceeded(f"{self.name}: {exc}", exc.limit) from None
            raise
        except TypeError as exc:
            raise FunctionError(self.name, self._type_error(args, kwargs, exc)) from None
        except (ValueError, ArithmeticError, LookupError, UnicodeError) as exc:
            raise FunctionError(self.name, str(exc) or type(exc).__name__) from None
        return result

    def _type_error(self, args: tuple[Any, ...], kwargs: dict[str, Any], exc: Exception) -> str:
        """Wrong arguments, said in the terms of the signature the docs show."""
        try:
            self._signature.bind(*args, **kwargs)
        except TypeError as wrong:
            return f"{wrong} (use {self._entry.signature(Kind.FUNCTION)})"
        return str(exc)

    def __repr__(self) -> str:
        return f"<library function {self.name}>"


F = TypeVar("F", bound=Callable[..., Any])


class Registrar:
    """Declares the entries of one group: ``register = Registrar(Group.DATES)``, then
    ``@register("format_date", "date, format='iso'", "Formats …", examples=[…])``."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.entries: list[Entry] = []

    def __call__(
        self,
        name: str,
        params: str,
        description: str,
        *,
        examples: Iterable[tuple[str, Any]],
        forms: str = "function filter",
        cost: Cost = flat_cost,
        atomic: bool = True,
        notes: str = "",
    ) -> Callable[[F], F]:
        def declare(func: F) -> F:
            self.add(
                Entry(
                    name=name,
                    group=self.group,
                    forms=_forms(forms),
                    params=_params(params),
                    description=description,
                    examples=tuple(Example(e, r) for e, r in examples),
                    func=func,
                    cost=cost,
                    atomic=atomic,
                    notes=notes,
                )
            )
            return func

        return declare

    def builtin(
        self,
        name: str,
        params: str,
        description: str,
        *,
        examples: Iterable[tuple[str, Any]],
        forms: str = "filter",
        notes: str = "",
    ) -> None:
        """Document one of the sandbox's own Jinja filters or globals."""
        self.add(
            Entry(
                name=name,
                group=self.group,
                forms=_forms(forms),
                params=_params(params),
                description=description,
                examples=tuple(Example(e, r) for e, r in examples),
                builtin=True,
                notes=notes,
            )
        )

    def variable(self, name: str, description: str, *, examples: Iterable[tuple[str, Any]]) -> None:
        self.add(
            Entry(
                name=name,
                group=self.group,
                forms=frozenset({Kind.VARIABLE}),
                params=(),
                description=description,
                examples=tuple(Example(e, r) for e, r in examples),
                builtin=True,
            )
        )

    def add(self, entry: Entry) -> None:
        if not entry.examples:
            raise ValueError(f"{entry.name}: every entry needs an example")
        if len(entry.description) > 160 or "\n" in entry.description:
            raise ValueError(f"{entry.name}: the description must be one short line")
        if entry.func is not None:
            object.__setattr__(entry, "callable", LibraryFunction(entry))
        self.entries.append(entry)


def _forms(text: str) -> frozenset[Kind]:
    return frozenset(Kind(word) for word in text.split())


def _params(text: str) -> tuple[str, ...]:
    """Split ``"date, format='%d, %m', zone=None"`` at the top-level commas."""
    parts: list[str] = []
    depth, quote, current = 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return tuple(parts)
