"""The expression library for the editor: the catalogue of functions, filters and variables
(autocomplete, the reference) and the live preview of a field's value on sample data.

A preview evaluates like a step does — the same sandbox, the same work budget, big work off
the event loop (:meth:`Compiled.evaluate_async`) — and has no side effects. What goes wrong
in the expression is an answer (``ok: false`` with the reason), not an error of the request.
"""

from __future__ import annotations

import functools
from typing import Any

from wirework.engine import exprlib
from wirework.engine.expressions import ExpressionError, compile_value, make_scope
from wirework.schemas.expressions import (
    FunctionsOut,
    PreviewError,
    PreviewIn,
    PreviewOk,
    PreviewScope,
    ValueType,
)

#: What ``execution`` and ``workflow`` hold in a preview.
PREVIEW_EXECUTION = {"id": "preview", "mode": "preview"}


@functools.cache
def catalogue() -> FunctionsOut:
    """Every entry of the library (the same for the life of the process)."""
    return FunctionsOut.model_validate({"functions": exprlib.catalogue()})


def preview_scope(scope: PreviewScope) -> dict[str, Any]:
    """The names an expression sees, from the sample data of a preview."""
    nodes = {
        name: node.items if node.items is not None else ([] if node.json_ is None else [node.json_])
        for name, node in scope.nodes.items()
    }
    return make_scope(
        scope.json_,
        items=scope.items,
        nodes=nodes,
        trigger=scope.trigger,
        execution=PREVIEW_EXECUTION,
        vars=scope.vars,
        timezone=scope.timezone,
    )


def value_type(value: Any) -> ValueType:
    if value is None:
        return ValueType.NULL
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    if isinstance(value, (int, float)):
        return ValueType.NUMBER
    if isinstance(value, str):
        return ValueType.STRING
    return ValueType.LIST if isinstance(value, list) else ValueType.OBJECT


async def preview(data: PreviewIn) -> PreviewOk | PreviewError:
    """The value ``data.expression`` gives on the sample data, or why it fails."""
    try:
        compiled = compile_value(data.expression)
        value = await compiled.evaluate_async(preview_scope(data.scope))
    except ExpressionError as exc:
        return PreviewError(ok=False, error=exc.message)
    return PreviewOk(ok=True, value=value, type=value_type(value))
