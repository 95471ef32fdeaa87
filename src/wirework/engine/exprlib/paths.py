"""Key paths into data: ``'customer.address.city'``, ``'lines[0].sku'``, ``"['odd key'].x"``.

Only keys of objects and indexes of lists are followed, never attributes, so a path reaches
data and nothing else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["MISSING", "get_path", "parse_path"]

MAX_PATH_CHARS: Final = 1_000
_TOKEN: Final = re.compile(
    r"""\[\s*(-?\d+)\s*\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\.?([^.\[\]]+)"""
)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise ValueError(f"{text!r} is not a key path (like 'a.b[0].c')")
        index, single, double, name = found.groups()
        if index is not None:
            steps.append(int(index))
        elif single is not None or double is not None:
            steps.append(re.sub(r"\\(.)", r"\1", single if single is not None else double))
        else:
            steps.append(int(name) if name.isdigit() else name)
        position = found.end()
    return tuple(steps)


def parse_path(path: Any) -> tuple[str | int, ...]:
    """Steps of a path given as text or as a list of keys and indexes."""
    if isinstance(path, str):
        if len(path) > MAX_PATH_CHARS:
            raise ValueError(f"a key path longer than {MAX_PATH_CHARS:,} characters")
        return _parse(path)
    if isinstance(path, (int, float)) and not isinstance(path, bool):
        return (int(path),) if path == int(path) else (str(path),)
    if isinstance(path, (list, tuple)) and all(
        isinstance(step, (str, int)) and not isinstance(step, bool) for step in path
    ):
        return tuple(path)
    raise ValueError(f"a key path must be text like 'a.b[0]' or a list of keys, not {path!r}")


def get_path(value: Any, steps: tuple[str | int, ...]) -> Any:
    """The value at ``steps`` in ``value``, or MISSING."""
    for step in steps:
        if type(value) is dict and type(step) is str:  # the common case, without ABC checks
            if step not in value:
                return MISSING
            value = value[step]
        elif isinstance(value, Mapping):
            key = step if isinstance(step, str) else str(step)
            if key not in value:
                return MISSING
            value = value[key]
        elif isinstance(value, Sequence) and not isinstance(value, str):
            if isinstance(step, str):
                if not step.lstrip("-").isdigit():
                    return MISSING
                step = int(step)
            try:
                value = value[step]
            except IndexError:
                return MISSING
        else:
            return MISSING
    return value
