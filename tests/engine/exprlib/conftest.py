"""Helpers of the expression library's tests: the example scope and evaluation."""

from __future__ import annotations

from typing import Any

from wirework.engine import exprlib
from wirework.engine.expressions import evaluate, make_scope, measure


def example_scope(**kwargs: Any) -> dict[str, Any]:
    """The scope the registry's examples are written for."""
    return make_scope(exprlib.EXAMPLE_ITEM, now=exprlib.EXAMPLE_NOW, **kwargs)


def ev(source: str, item: Any = None, **kwargs: Any) -> Any:
    scope = example_scope(**kwargs)
    if item is not None:
        scope["json"] = scope["item"] = item
    return evaluate(source, scope)


__all__ = ["ev", "example_scope", "measure"]
