"""Regular expressions on RE2 (``google-re2``), under the work budget.

RE2 never backtracks: one search takes time linear in the text, times the size of the
compiled program in the worst case (when its DFA gives up and it simulates the NFA). The
binding releases the GIL while it searches. So before each search the budget *reserves*
the worst case (``bytes * (DFA_COST + NFA_COST * program size)``: a search that could not
finish within the evaluation's budget never starts, and one that would not fit the event
loop's small allowance moves the evaluation to the worker thread) and then *settles* the
CPU time the search really took (``time.thread_time_ns``). Scans that search many times
(find all, replace, split) therefore stop within the budget however many searches they
need, and a cancelled evaluation stops between two searches.

Patterns are compiled once (an LRU of :data:`CACHE_SIZE`) with at most :data:`MAX_MEM`
bytes of program memory; compiling holds the GIL, so its cost is charged from the pattern's
shape before it runs. Results are plain data: text, numbers, lists and objects — never match
objects.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import re2
from re2 import _re2

from wirework.engine.expr_budget import LimitExceeded, OffLoop
from wirework.engine.expr_values import current_budget
from wirework.engine.exprlib.registry import show

__all__ = ["MAX_PATTERN_CHARS", "Pattern", "compile_pattern", "scan"]

#: Longest pattern.
MAX_PATTERN_CHARS: Final = 2_000
#: Program memory of one compiled pattern (RE2's max_mem): bounds compile time and size.
MAX_MEM: Final = 1 << 20
CACHE_SIZE: Final = 256
#: Worst-case units per byte searched: the DFA, and per program instruction the NFA.
DFA_COST: Final = 4
NFA_COST: Final = 15
#: Units of Python work around one search (reserved with it; what it took is measured).
MATCH_COST: Final = 5_000
#: Compile cost: per pattern character, per counted repetition ({n,m}, by its largest
#: count) and per Unicode class (\pL …): the shapes that make RE2 programs large.
_COMPILE_PER_CHAR: Final = 5_000
_COMPILE_PER_REPEAT: Final = 20_000
_COMPILE_PER_CLASS: Final = 500_000
#: What compiling any pattern may take at most with MAX_MEM (measured: about 16 ms).
_COMPILE_MAX: Final = 25_000_000
_REPEAT: Final = re.compile(r"\{\s*(\d{1,6})\s*(?:,\s*(\d{0,6})\s*)?\}")
_UNICODE_CLASS: Final = re.compile(r"\\[pP]")
_FLAGS: Final = frozenset("ims")
_UNANCHORED: Final = _re2.RE2.Anchor.UNANCHORED
_NO_SPAN: Final = (-1, -1)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: the RE2 program, its group count and names."""

    source: str
    regex: Any  # _re2.RE2
    groups: int
    names: dict[int, str]  # group index → name
    program: int

    def worst(self, size: int) -> int:
        """Units one search over ``size`` bytes may take at most."""
        return size * (DFA_COST + NFA_COST * self.program) + MATCH_COST


_cache: OrderedDict[tuple[str, str], Pattern] = OrderedDict()
_lock = threading.Lock()


def compile_cost(pattern: str) -> int:
    repeats = sum(int(high or low) for low, high in _REPEAT.findall(pattern))
    classes = len(_UNICODE_CLASS.findall(pattern))
    estimate = (
        _COMPILE_PER_CHAR * len(pattern)
        + _COMPILE_PER_REPEAT * repeats
        + _COMPILE_PER_CLASS * classes
        + 20_000
    )
    return min(estimate, _COMPILE_MAX)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every bad pattern to stderr
    options.max_mem = MAX_MEM
    return options


def compile_pattern(pattern: Any, flags: Any = "") -> Pattern:
    """The compiled pattern; ValueError saying what is wrong with it."""
    if not isinstance(pattern, str):
        raise ValueError(f"the pattern must be text, not {show(pattern)}")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"the pattern is longer than {MAX_PATTERN_CHARS:,} characters")
    if not isinstance(flags, str) or not set(flags) <= _FLAGS:
        raise ValueError(f"flags must be letters among 'i', 'm' and 's', not {show(flags)}")
    key = (pattern, "".join(sorted(set(flags))))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    current_budget().charge(compile_cost(pattern))
    source = f"(?{key[1]}){pattern}" if key[1] else pattern
    regex = _re2.RE2(source.encode("utf-8"), _options())
    if not regex.ok():
        raise ValueError(f"invalid regular expression {show(pattern)}: {_reason(regex)}")
    names = {index: name.decode() for name, index in regex.NamedCapturingGroups()}
    compiled = Pattern(pattern, regex, regex.NumberOfCapturingGroups(), names, regex.ProgramSize())
    with _lock:
        _cache[key] = compiled
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def _reason(regex: Any) -> str:
    error = regex.error()
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    if "too large" in text:
        return "too complex (make counted repetitions such as {1,1000} smaller)"
    if "invalid perl operator" in text or "invalid escape sequence: \\" in text:
        text += " (look-arounds and backreferences are not supported: RE2 syntax)"
    return text


def text_of(value: Any) -> str:
    """The text a regex function works on: text, or a number or boolean as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise ValueError(f"{show(value)} is not text")


def scan(pattern: Pattern, data: bytes, limit: int = 0) -> Iterator[list[Any]]:
    """The spans (byte offsets, group 0 first) of the matches in ``data``, left to right,
    like Python's ``re.finditer``; at most ``limit`` of them when it is positive.

    Each search reserves its worst case; the reservations are settled with the CPU time
    really used (one clock reading) when the next one would not fit, and at the end."""
    budget = current_budget()
    size = len(data)
    position = 0
    found = 0
    search = pattern.regex.Match
    held = 0  # reserved and not settled yet
    last = time.thread_time_ns()
    try:
        while position <= size:
            worst = pattern.worst(size - position)
            try:
                budget.reserve(worst)
            except (LimitExceeded, OffLoop):
                now = time.thread_time_ns()
                budget.settle(held, now - last)
                held, last = 0, now
                budget.reserve(worst)  # raises when even the real use leaves no room
            held += worst
            spans = search(_UNANCHORED, data, position, size)
            if spans[0] == _NO_SPAN:
                return
            yield spans
            found += 1
            if limit and found >= limit:
                return
            end = spans[0][1]
            if end == position:  # an empty match: step over one character
                position += 1
                while position < size and data[position] & 0xC0 == 0x80:
                    position += 1
            else:
                position = end
    finally:
        budget.settle(held, time.thread_time_ns() - last)


def escape(text: str) -> str:
    return str(_re2.RE2.QuoteMeta(text.encode("utf-8")).decode("utf-8"))
