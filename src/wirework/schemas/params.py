"""Checking values against declared parameter specs (credentials, declarative actions)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from wirework.errors import FieldError
from wirework.vault import MASK


class Spec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def default(self) -> Any: ...
    @property
    def options(self) -> list[str] | None: ...


def check_value(spec: Spec, value: Any) -> str | None:
    """What is wrong with ``value`` for ``spec``, or None."""
    kind = spec.type
    if kind in ("string", "password"):
        if not isinstance(value, str):
            return f"must be a string, got {type(value).__name__}"
        if len(value) > 65536:
            return "is longer than 65536 characters"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, got {type(value).__name__}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"must be true or false, got {type(value).__name__}"
    elif kind == "select":
        if value not in (spec.options or []):
            return f"must be one of {', '.join(map(repr, spec.options or []))}"
    elif kind == "json" and not isinstance(value, dict | list | str | int | float | bool):
        return "must be JSON"
    return None


def check_values(
    specs: Sequence[Spec],
    values: Mapping[str, Any],
    *,
    prefix: str,
    existing: Mapping[str, Any] | None = None,
    allow_expressions: bool = False,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate ``values``; returns the complete values (defaults applied) and the problems.

    A password given as the mask (``********``) keeps its ``existing`` value, so clients can
    send back what they were shown.
    """
    errors: list[FieldError] = []
    known = {s.name: s for s in specs}
    out: dict[str, Any] = {}
    for key in values:
        if key not in known:
            allowed = ", ".join(known) or "none"
            errors.append(FieldError(f"{prefix}.{key}", f"unknown field (allowed: {allowed})"))
    for spec in specs:
        field = f"{prefix}.{spec.name}"
        if spec.name in values and values[spec.name] is not None:
            value = values[spec.name]
            if spec.type == "password" and value == MASK:
                if existing is None or spec.name not in existing:
                    errors.append(FieldError(field, "is the mask, not a value"))
                    continue
                value = existing[spec.name]
        elif existing is not None and spec.name in existing:
            value = existing[spec.name]
        elif spec.default is not None:
            value = spec.default
        else:
            if spec.required:
                errors.append(FieldError(field, "is required"))
            continue
        if allow_expressions and isinstance(value, str) and "{{" in value:
            out[spec.name] = value
            continue
        problem = check_value(spec, value)
        if problem:
            errors.append(FieldError(field, problem))
        else:
            out[spec.name] = value
    return out, errors
