"""The work budget of one expression evaluation, and running big evaluations off the loop.

Units
-----
Work is counted in *units*, calibrated so that one unit is roughly one nanosecond of CPU
on a current server core: copying or scanning a character in C costs about 1, allocating
a byte about 1, walking a list element in Python about 50, calling a Python key function
per element about 300. Every filter, test, method and operator estimates its cost from its
inputs *before* it runs (with cheap C counts such as ``str.count`` where the cost depends on
the shape of the text: words, lines, tags, entities) and charges it here.

Limits (the ``MAX_*`` and ``ON_LOOP_*`` values; the first two are settings)
--------------------------------------------------------------------------
* ``max_work`` (``WIREWORK_EXPRESSION_MAX_WORK``, default 500,000,000 units, about 0.5 s of
  CPU): the whole evaluation. Enough for a handful of passes over a multi-MB string.
* ``MAX_CALL_WORK`` (40,000,000 units): one step that runs as a single C call (a regex, a
  string method, a sort, ``tojson`` …). Such a call holds the GIL until it returns, so it
  is the longest any evaluation can keep the event loop waiting even from a worker thread.
  The heavy text filters (``striptags``, ``title``, ``wordcount``) work in slices instead.
* ``max_operations``: Python-level steps (loop elements weighted by the loop body's size,
  calls, filters, tests).
* ``MAX_MEMORY`` bytes allocated by the values an evaluation builds.

Where an evaluation runs
------------------------
Every evaluation starts on the event loop with the small ``ON_LOOP_WORK`` /
``ON_LOOP_OPERATIONS`` allowance (about a millisecond). Costs are charged before the work is
done, so a filter over a big value is noticed before it starts: the evaluation is then
abandoned (it has no side effects) and run again from the start in a worker thread
(``WIREWORK_EXPRESSION_THREADS``, default 1) with the full budget. The cheap, common case
never leaves the loop. When the awaiting task is cancelled (a node's or workflow's
``timeout_s``), the budget is cancelled too and the worker stops at its next charge.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeVar

from jinja2.utils import Namespace

__all__ = [
    "MAX_CALL_WORK",
    "MAX_INT_BITS",
    "MAX_MEMORY",
    "MAX_OUTPUT_CHARS",
    "MAX_VALUE_SIZE",
    "ON_LOOP_OPERATIONS",
    "ON_LOOP_WORK",
    "STATS",
    "Budget",
    "LazyMapping",
    "LimitExceeded",
    "Limits",
    "Stats",
    "Usage",
    "configure",
    "limits",
    "off_loop",
]

#: Largest single string (characters) or list/object (elements, nested, strings counted
#: by their characters) an operation may produce.
MAX_VALUE_SIZE: Final = 5_000_000
#: Characters a text template may render.
MAX_OUTPUT_CHARS: Final = 10_000_000
#: Largest integer an operation may produce, in bits (about 1,200 decimal digits).
MAX_INT_BITS: Final = 4096
#: Work units per element walked in Python to measure or convert a value.
WALK_COST: Final = 50
#: Work units per container walked in Python (a few calls).
CONTAINER_COST: Final = 500
#: Longest single C-level step (units): bounds how long one call holds the GIL.
MAX_CALL_WORK: Final = 40_000_000
#: Bytes the values built by one evaluation may take, in total.
MAX_MEMORY: Final = 100_000_000
#: What an evaluation may spend on the event loop before it moves to a worker thread.
ON_LOOP_WORK: Final = 1_000_000
ON_LOOP_OPERATIONS: Final = 10_000


@dataclass(frozen=True)
class Limits:
    """The per-process limits that operators may change (see :func:`configure`)."""

    max_work: int = 500_000_000
    max_operations: int = 1_000_000
    threads: int = 1


_limits = Limits()


def limits() -> Limits:
    return _limits


def configure(*, max_work: int | None = None, threads: int | None = None) -> Limits:
    """Set the process's expression limits (the server calls it with its settings)."""
    global _limits, _executor
    if threads is not None and threads != _limits.threads and _executor is not None:
        _executor.shutdown(wait=False)
        _executor = None
    _limits = Limits(
        max_work=_limits.max_work if max_work is None else max_work,
        max_operations=_limits.max_operations,
        threads=_limits.threads if threads is None else max(1, threads),
    )
    return _limits


class LimitExceeded(Exception):
    """Raised inside the sandbox when a limit is exceeded; ``limit`` names which one
    (work, call, operations, memory, size, output, range, integer, format, depth)."""

    def __init__(self, message: str, limit: str = "size") -> None:
        super().__init__(message)
        self.limit = limit


class OffLoop(Exception):
    """The on-loop allowance is used up: run the evaluation again in a worker thread."""


class Cancelled(Exception):
    """The task waiting for this evaluation was cancelled (a timeout): stop."""


class Usage(NamedTuple):
    """What one evaluation spent: for tests, logs and error reports."""

    operations: int = 0
    work: int = 0
    memory: int = 0
    output: int = 0
    on_loop: bool = False  # it ran with the small on-loop allowance


NO_USAGE: Final = Usage()


class LazyMapping(Mapping[str, Any]):
    """A mapping that is never walked to be measured (it is read lazily, by name)."""

    __slots__ = ()


class Budget:
    """What one evaluation may still spend. ``work``/``operations``/``memory``/``output``
    count what was admitted (a refused charge is not added: see ``refused``)."""

    __slots__ = (
        "_op_limit",
        "_sizes",
        "_work_limit",
        "cancelled",
        "memory",
        "on_loop",
        "operations",
        "output",
        "refused",
        "work",
    )

    def __init__(self, on_loop: bool = False) -> None:
        self.operations = self.work = self.memory = self.output = self.refused = 0
        self.on_loop = on_loop
        self.cancelled = False
        if on_loop:
            self._work_limit, self._op_limit = ON_LOOP_WORK, ON_LOOP_OPERATIONS
        else:
            self._work_limit, self._op_limit = _limits.max_work, _limits.max_operations
        # id → (object, size) of containers already measured; keeping the object alive
        # keeps its id from being reused during the evaluation.
        self._sizes: dict[int, tuple[Any, int]] = {}

    def usage(self) -> Usage:
        return Usage(self.operations, self.work, self.memory, self.output, self.on_loop)

    def cancel(self) -> None:
        """Stop at the next charge (called from the loop thread when the waiter is gone)."""
        self.cancelled = True
        self._work_limit = self._op_limit = -1

    def operate(self, count: int = 1) -> None:
        self.operations += count
        if self.operations > self._op_limit:
            self.operations -= count
            self._stop()
            limit = _limits.max_operations
            raise LimitExceeded(f"more than {limit:,} operations", "operations")

    def charge(self, amount: int) -> None:
        """Work done in one C-level step (it holds the GIL until it returns)."""
        if amount > MAX_CALL_WORK:
            self.refused = amount
            raise LimitExceeded(
                f"one step would take about {amount:,} units of work, more than the "
                f"{MAX_CALL_WORK:,} one filter, method or operator may take at once "
                "(a value too large for it)",
                "call",
            )
        self.spend(amount)

    def spend(self, amount: int) -> None:
        """Work done by Python code, which lets other threads run while it goes on."""
        self.work += amount
        if self.work > self._work_limit:
            self.work -= amount
            self._stop()
            self.refused = amount
            raise LimitExceeded(
                f"work budget of {_limits.max_work:,} units used up (about "
                f"{_limits.max_work / 1e9:.1f} s of CPU: too much data processed; "
                "WIREWORK_EXPRESSION_MAX_WORK sets it)",
                "work",
            )

    def reserve(self, amount: int) -> None:
        """Make sure ``amount`` more work fits (raising like :meth:`spend` if not) and hold
        it: for a call whose worst case is known but whose real cost is measured after it
        ran (then :meth:`settle` it). The call must not hold the GIL."""
        self.spend(amount)

    def settle(self, reserved: int, used: int) -> None:
        """Replace a :meth:`reserve` of ``reserved`` units by what was ``used`` (counted
        even when it went over: the next charge then stops the evaluation)."""
        self.work += used - reserved

    def allocate(self, size: int) -> None:
        if self.memory + size > MAX_MEMORY:
            self.refused = size
            raise LimitExceeded(f"more than {MAX_MEMORY:,} bytes of values built", "memory")
        self.work += size
        if self.work > self._work_limit:
            self.work -= size
            self.spend(size)  # raises: off the loop, cancelled or over the budget
        self.memory += size

    def emit(self, text: str) -> str:
        if self.output + len(text) > MAX_OUTPUT_CHARS:
            self.refused = len(text)
            raise LimitExceeded(f"output longer than {MAX_OUTPUT_CHARS:,} characters", "output")
        self.output += len(text)
        return text

    def checkpoint(self) -> None:
        """Between the slices of a long job: stop if the evaluation was cancelled."""
        if self.cancelled:
            raise Cancelled

    def _stop(self) -> None:
        if self.cancelled:
            raise Cancelled
        if self.on_loop:
            raise OffLoop

    def size(self, value: Any) -> int:
        """Estimated rendered size: characters of strings, digits of numbers, one per
        element, nested, counting shared parts each time they appear (that is what
        rendering or comparing them costs). Values over MAX_VALUE_SIZE are not walked
        further: the result is then just "more than MAX_VALUE_SIZE"."""
        kind = type(value)
        if kind is str:
            return len(value) or 1
        if kind is int:
            return int(value.bit_length()) // 3 + 1
        if kind is float:
            return 8
        if kind is dict or kind is list or kind is tuple:
            return self._container_size(value)
        if isinstance(value, str):
            return len(value) or 1
        if isinstance(value, Namespace):  # mutable: never memoised
            attrs = namespace_attrs(value)
            return 1 + self._sum_sizes(attrs.keys()) + self._sum_sizes(attrs.values())
        if isinstance(value, LazyMapping):  # never materialised for measuring
            return 1 + len(value)
        if isinstance(value, (Mapping, list, tuple)):
            return self._container_size(value)
        return 1

    def _container_size(self, value: Any) -> int:
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        self.spend(WALK_COST * len(value) + CONTAINER_COST)
        if type(value) is dict or isinstance(value, Mapping):
            total = 1 + self._sum_sizes(value.keys()) + self._sum_sizes(value.values())
        else:
            total = 1 + self._sum_sizes(value)
        if total >= 8:  # tiny ones are cheaper to measure again than to remember
            self.remember(value, total)
        return total

    def _sum_sizes(self, children: Iterable[Any]) -> int:
        total = 0
        size = self.size
        for child in children:
            kind = type(child)
            if kind is str:
                total += len(child) or 1
            elif child is None or kind is bool or kind is float:
                total += 1 if kind is not float else 8
            elif kind is int:
                total += 1 if -(2**64) < child < 2**64 else size(child)
            else:
                total += size(child)
            if total > MAX_VALUE_SIZE:
                break
        return total

    def produced(self, value: Any) -> Any:
        """Check a freshly made value against the size limits and pay for the memory it
        takes: a byte per character (four unless ASCII), eight per element."""
        kind = type(value)
        if kind is float or kind is bool or value is None:
            return value
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise LimitExceeded(f"an integer larger than {MAX_INT_BITS} bits", "integer")
            return value
        if isinstance(value, str):
            _check_size(len(value), "string", "characters")
            self.allocate(len(value) if value.isascii() else 4 * len(value))
        elif isinstance(value, (list, tuple, Mapping)) and not isinstance(value, LazyMapping):
            _check_size(self.size(value), "value", "elements")
            self.allocate(8 * len(value))
        elif isinstance(value, int):
            if value.bit_length() > MAX_INT_BITS:
                raise LimitExceeded(f"an integer larger than {MAX_INT_BITS} bits", "integer")
        elif isinstance(value, Iterator):  # lazy filters (map, select …): Python per element
            return self.counted(value, 5)
        return value

    @staticmethod
    def check_size(size: int) -> None:
        """Refuse to build a string or list whose estimated size is too large."""
        _check_size(size, "value", "characters or elements")

    def counted(self, iterable: Iterable[Any], cost: int = 1) -> Iterator[Any]:
        """Iterate, charging ``cost`` operations per element."""
        for element in iterable:
            self.operate(cost)
            yield element

    def comparison_cost(self, op: str, left: Any, right: Any) -> int:
        if op in ("in", "notin"):
            if isinstance(right, (Mapping, set, frozenset)):  # hashing the key
                return 10 * self.size(left)
            if isinstance(right, (list, tuple)):  # a rich comparison per element
                return self.size(left) + self.size(right) + 20 * len(right)
            return 2 * (self.size(left) + self.size(right))
        if type(left) is not type(right):
            return 1
        if isinstance(left, (str, list, tuple, dict)) and len(left) != len(right):
            return 1
        if isinstance(left, (list, tuple, dict)):
            return min(self.size(left), self.size(right)) + 20 * len(left)
        return min(self.size(left), self.size(right))

    def remember(self, value: Any, size: int) -> None:
        """Record the size of a list, tuple or dict computed without walking it."""
        self._sizes[id(value)] = (value, size)


def _check_size(size: int, what: str, unit: str) -> None:
    if size > MAX_VALUE_SIZE:
        raise LimitExceeded(f"a {what} of more than {MAX_VALUE_SIZE:,} {unit}")


def namespace_attrs(value: Namespace) -> dict[str, Any]:
    attrs: dict[str, Any] = object.__getattribute__(value, "_Namespace__attrs")
    return attrs


_executor: ThreadPoolExecutor | None = None
_T = TypeVar("_T")


#: While an expression runs in the worker, the event loop thread waits up to one switch
#: interval for the GIL each time it needs it (Python's default is 5 ms): 1 ms keeps the
#: loop's answers quick and costs nothing while nothing else runs.
SWITCH_INTERVAL_S: Final = 0.001


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        _executor = ThreadPoolExecutor(
            max_workers=_limits.threads, thread_name_prefix="wirework-expressions"
        )
    return _executor


@dataclass
class Stats:
    """Process-wide counters (for tests and diagnostics): evaluations moved off the loop,
    and those stopped because their caller was cancelled."""

    off_loop: int = 0
    cancelled: int = 0


STATS: Final = Stats()


def _run_counted(run: Callable[[Budget], _T], budget: Budget) -> _T:
    try:
        return run(budget)
    except BaseException:
        if budget.cancelled:
            STATS.cancelled += 1
        raise


async def off_loop(run: Callable[[Budget], _T]) -> _T:
    """``run(budget)`` in the expression worker thread with a full budget. Cancelling the
    caller cancels the budget: the worker stops at its next charge (or does not start)."""
    budget = Budget()
    STATS.off_loop += 1
    future = asyncio.get_running_loop().run_in_executor(_pool(), _run_counted, run, budget)
    try:
        return await future
    except asyncio.CancelledError:
        budget.cancel()
        raise
