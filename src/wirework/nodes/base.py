"""What the core node declarations share: the params base model and small helpers.

A node's params model is its contract with workflow files and the editor: its JSON Schema
drives the editor's form, so every field has a description. Parameters may be added, never
renamed or removed (DESIGN.md §2).

Expressions: any parameter value may be a string holding ``{{ … }}``; it is evaluated when the
node runs. Validation of a document therefore ignores type errors on values that hold an
expression (see :func:`wirework.services.documents.check_node_params`), except for the fields
a spec lists in ``extra["literal_params"]`` (they name ports, so must be known before a run).
A field whose schema has ``"x-expressions": false`` is never evaluated (core.code's code).
When a node runs, a param given by one whole expression is checked against its field's type,
leniently (``"5"`` is a number there), and a mismatch fails the step naming the param, the
expression and what it gave; fields marked ``"x-truthy": true`` (conditions) take any value.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict


def is_expression(value: Any) -> bool:
    """Whether a value is (or holds) an expression to evaluate at run time."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


class ParamsModel(BaseModel):
    """Base of every node's params model: unknown parameters are errors that name them, and
    types are strict (``"yes"`` is not a boolean, ``"30"`` not a number). Code that validates
    values produced by expressions at run time may pass ``strict=False`` to model_validate."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ParamProblems(ValueError):
    """Raised by a params model's cross-field validator to name the fields concerned.

    Pydantic reports a model validator's error at the model itself; the document validator
    unpacks this exception so each problem names its own field (``nodes[1].params.key``)."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


def check_problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise ParamProblems(*problems)


NO_EXPRESSIONS: dict[str, Any] = {"x-expressions": False}


# --------------------------------------------------------------------------- item helpers


def get_path(item: Any, path: str) -> Any:
    """``a.b.0.c`` in nested objects and lists; None when absent."""
    value = item
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value


def set_path(item: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in ``item``, copying (never mutating) the nested objects on the way."""
    if "." not in path:
        item[path] = value
        return
    parts = path.split(".")
    target = item
    for part in parts[:-1]:
        child = target.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        target[part] = child
        target = child
    target[parts[-1]] = value


def hashable(value: Any) -> Any:
    """A value usable as a dict key or set member (objects and lists by their JSON)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def truthy(value: Any) -> bool:
    """A condition's truth: strings such as "false", "0", "no" and "" are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "none", "null")
    return bool(value)
