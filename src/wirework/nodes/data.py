"""Data nodes: set fields, transform lists, run Python code, call HTTP APIs (declared in
``http.py``), answer webhooks."""

from __future__ import annotations

import ast
import functools
import json
import textwrap
import warnings
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from wirework.nodes.base import (
    NO_EXPRESSIONS,
    ParamsModel,
    check_problems,
    get_path,
    hashable,
    set_path,
)
from wirework.nodes.http import HttpRequestParams, run_http_request
from wirework.sdk.node import Item, NodeContext, NodeError, Response
from wirework.sdk.registry import NodeSpec, registry

MAX_CODE_CHARS = 256 * 1024


class SetParams(ParamsModel):
    """Add or overwrite fields on each item."""

    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Field name → value or expression, e.g. {total: '{{ json.a + json.b }}'}",
    )
    keep_input: bool = Field(
        default=True,
        description="Output the input item plus the fields (true) or only the fields (false)",
    )


# --------------------------------------------------------------------------- transform


class SortKey(ParamsModel):
    field: str = Field(min_length=1, max_length=200, description="Field (dotted path) to sort by")
    order: Literal["asc", "desc"] = Field(default="asc", description="Ascending or descending")


class Aggregation(ParamsModel):
    op: Literal["count", "count_unique", "sum", "avg", "min", "max", "list", "first", "last"] = (
        Field(description="What to compute over each group")
    )
    field: str | None = Field(
        default=None,
        max_length=200,
        description="Field (dotted path) the operation reads; not needed for count",
    )
    into: str | None = Field(
        default=None,
        max_length=200,
        description="Output field name (default: <op>_<field>, or count)",
    )

    @model_validator(mode="after")
    def _field(self) -> Aggregation:
        if self.field is None and self.op != "count":
            check_problems([("field", f"is required for op {self.op}")])
        return self


TransformOperation = Literal["sort", "limit", "aggregate", "split_out", "dedupe", "rename"]

# operation → (required options, optional options)
TRANSFORM_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sort": (("sort_by",), ()),
    "limit": (("max_items",), ("from_end",)),
    "aggregate": (("aggregations",), ("group_by",)),
    "split_out": (("field",), ("keep_other_fields", "into")),
    "dedupe": ((), ("dedupe_by",)),
    "rename": (("rename",), ()),
}


class TransformParams(ParamsModel):
    """Work on the whole list of items: sort, limit, aggregate, split out a list, dedupe or
    rename fields. Each operation takes its own options (listed in their descriptions)."""

    operation: TransformOperation = Field(description="What to do with the items")
    sort_by: list[SortKey] | None = Field(
        default=None, min_length=1, max_length=20, description="sort: the keys, in order"
    )
    max_items: int | None = Field(
        default=None, ge=0, description="limit: keep at most this many items"
    )
    from_end: bool | None = Field(
        default=None, description="limit: keep the last items instead of the first"
    )
    aggregations: list[Aggregation] | None = Field(
        default=None, min_length=1, max_length=100, description="aggregate: what to compute"
    )
    group_by: list[str] | None = Field(
        default=None,
        max_length=20,
        description="aggregate: fields to group by (one output item per group); none = "
        "one item for all",
    )
    field: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="split_out: the list field whose elements become items",
    )
    keep_other_fields: bool | None = Field(
        default=None, description="split_out: copy the item's other fields onto each element"
    )
    into: str | None = Field(
        default=None,
        max_length=200,
        description="split_out: field the element is put in (default: the split field's name)",
    )
    dedupe_by: list[str] | None = Field(
        default=None,
        max_length=20,
        description="dedupe: fields that make items equal; none = the whole item",
    )
    rename: dict[str, str] | None = Field(
        default=None, description="rename: old field name → new field name"
    )

    @model_validator(mode="after")
    def _options(self) -> TransformParams:
        required, optional = TRANSFORM_OPTIONS[self.operation]
        problems: list[tuple[str, str]] = []
        for name in required:
            if getattr(self, name) is None:
                problems.append((name, f"is required for operation {self.operation}"))
        for name, (req, opt) in TRANSFORM_OPTIONS.items():
            for option in (*req, *opt):
                if option in required or option in optional:
                    continue
                if getattr(self, option) is not None:
                    problems.append((option, f"is only for operation {name}"))
        if self.rename is not None and not self.rename:
            problems.append(("rename", "must name at least one field"))
        check_problems(problems)
        return self


# --------------------------------------------------------------------------- code


def python_syntax_error(code: str) -> str | None:
    """The first syntax error of a code step's body, or None. The body is checked as the
    body of an async function: it may ``return`` and ``await``. Nothing is executed."""
    wrapped = "async def __wirework_step__():\n" + textwrap.indent(code, "    ") + "\n    pass\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(wrapped, filename="<code>")
    except SyntaxError as exc:
        line = (exc.lineno or 2) - 1
        return f"Python syntax error at line {max(line, 1)}: {exc.msg}"
    except (RecursionError, MemoryError, ValueError) as exc:
        return f"cannot be parsed: {type(exc).__name__}"
    return None


class CodeParams(ParamsModel):
    """Run Python in a sandboxed process (no network to internals, no database, limits on
    CPU, memory, time and output)."""

    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_CHARS,
        description="Python. once: `items` (list of dicts) in scope, return a list of dicts "
        "or one dict; per_item: `item` in scope, return a dict. Not an expression: {{ }} "
        "is left as written",
        json_schema_extra=NO_EXPRESSIONS,
    )
    mode: Literal["once", "per_item"] = Field(
        default="once", description="Run once for all items, or once per item"
    )
    language: Literal["python"] = Field(default="python", description="The language (Python)")
    timeout_s: float | None = Field(
        default=None, gt=0, le=3600, description="Time limit of one run, in seconds"
    )

    @field_validator("code")
    @classmethod
    def _syntax(cls, value: str) -> str:
        problem = python_syntax_error(value)
        if problem:
            raise ValueError(problem)
        return value


class RespondParams(ParamsModel):
    """Answer the webhook that started the execution (webhook `respond: respond_node`)."""

    status: int = Field(default=200, ge=100, le=599, description="HTTP status")
    headers: dict[str, str] = Field(default_factory=dict, description="Response headers")
    body: Any = Field(
        default=None,
        description="Response body; none = the input items (one item: that object)",
    )


# --------------------------------------------------------------------------- running


async def run_set(ctx: NodeContext, item: Item, params: dict[str, Any]) -> Item:
    out: Item = dict(item) if params.get("keep_input", True) else {}
    for name, value in params.get("fields", {}).items():
        set_path(out, name, value)
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts last; numbers before strings; anything else by its JSON text
    if value is None:
        return (3, 0)
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True, default=str))


def _field_sort_key(path: str, item: Item) -> tuple[int, Any]:
    return _sort_key(get_path(item, path))


def _aggregate(op: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if op == "count":
        return len(values)
    if op == "count_unique":
        return len({hashable(v) for v in present})
    if op == "list":
        return present
    if op == "first":
        return present[0] if present else None
    if op == "last":
        return present[-1] if present else None
    numbers = [v for v in present if isinstance(v, int | float) and not isinstance(v, bool)]
    if op == "sum":
        return sum(numbers)
    if op == "avg":
        return sum(numbers) / len(numbers) if numbers else None
    if op == "min":
        return min(present, key=_sort_key) if present else None
    if op == "max":
        return max(present, key=_sort_key) if present else None
    raise NodeError(f"params.aggregations: unknown op {op!r}", retryable=False)


async def run_transform(ctx: NodeContext) -> list[Item]:
    params = await ctx.aparams(0)
    items = ctx.items
    operation = params["operation"]
    if operation == "sort":
        out = list(items)
        for key in reversed(params["sort_by"]):  # stable sorts, least significant key first
            path: str = key["field"]
            out.sort(
                key=functools.partial(_field_sort_key, path),
                reverse=key.get("order", "asc") == "desc",
            )
        return out
    if operation == "limit":
        n = int(params["max_items"])
        return list(items[-n:] if params.get("from_end") and n else items[:n])
    if operation == "aggregate":
        groups: dict[tuple[Any, ...], list[Item]] = {}
        group_by = params.get("group_by") or []
        for item in items:
            groups.setdefault(tuple(hashable(get_path(item, f)) for f in group_by), []).append(item)
        if not group_by and not groups:
            groups[()] = []
        out = []
        for members in groups.values():
            row: Item = {}
            for f in group_by:
                set_path(row, f, get_path(members[0], f))
            for agg in params["aggregations"]:
                field = agg.get("field")
                values = [get_path(m, field) for m in members] if field else list(members)
                name = agg.get("into") or (f"{agg['op']}_{field}" if field else agg["op"])
                row[name] = _aggregate(agg["op"], values)
            out.append(row)
        return out
    if operation == "split_out":
        field = params["field"]
        into = params.get("into") or field.split(".")[-1]
        out = []
        for item in items:
            value = get_path(item, field)
            elements = value if isinstance(value, list) else ([] if value is None else [value])
            for element in elements:
                if params.get("keep_other_fields"):
                    new = dict(item)
                    set_path(new, into, element)
                elif isinstance(element, dict) and not params.get("into"):
                    new = dict(element)
                else:
                    new = {into: element}
                out.append(new)
        return out
    if operation == "dedupe":
        fields = params.get("dedupe_by")
        seen: set[Any] = set()
        out = []
        for item in items:
            key = tuple(hashable(get_path(item, f)) for f in fields) if fields else hashable(item)
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out
    if operation == "rename":
        mapping = params["rename"]
        return [{mapping.get(k, k): v for k, v in item.items()} for item in items]
    raise NodeError(f"params.operation: unknown operation {operation!r}", retryable=False)


async def run_code(ctx: NodeContext) -> list[Item]:
    from wirework.sandbox import CodeError, CodeLimits
    from wirework.sandbox import run_code as sandbox_run

    params = await ctx.aparams(0)
    limits = CodeLimits(wall_time_s=float(params["timeout_s"])) if params.get("timeout_s") else None
    try:
        result = await sandbox_run(
            params["code"], mode=params.get("mode", "once"), items=ctx.items, limits=limits
        )
    except CodeError as exc:
        detail = f"\n{exc.traceback}" if getattr(exc, "traceback", None) else ""
        raise NodeError(
            f"code {exc.kind}: {exc.message}{detail}",
            retryable=False,
            details={"kind": exc.kind, "stdout": getattr(exc, "stdout", "")},
        ) from None
    return list(result.items)


async def run_respond(ctx: NodeContext) -> list[Item]:
    params = await ctx.aparams(0)
    body = params.get("body")
    if body is None:
        items = ctx.items
        body = items[0] if len(items) == 1 else items
    ctx.respond(
        Response(
            status=int(params.get("status", 200)),
            headers={str(k): str(v) for k, v in (params.get("headers") or {}).items()},
            body=body,
        )
    )
    return ctx.items


SET = registry.register_node(
    NodeSpec(
        type="core.set",
        display_name="Set fields",
        description="Add or overwrite fields on each item",
        group="data",
        category="Data",
        icon="table",
        params=SetParams,
        run_item=run_set,
    )
)
TRANSFORM = registry.register_node(
    NodeSpec(
        type="core.transform",
        display_name="Transform",
        description="Sort, limit, aggregate, split out, dedupe or rename over all items",
        group="data",
        category="Data",
        icon="shuffle",
        params=TransformParams,
        run=run_transform,
    )
)
CODE = registry.register_node(
    NodeSpec(
        type="core.code",
        display_name="Code",
        description="Run Python on the items, in a sandbox",
        group="data",
        category="Data",
        icon="code",
        params=CodeParams,
        run=run_code,
    )
)
HTTP_REQUEST = registry.register_node(
    NodeSpec(
        type="core.http_request",
        display_name="HTTP request",
        description="Call an HTTP API",
        group="data",
        category="Network",
        icon="globe",
        params=HttpRequestParams,
        run_item=run_http_request,
    )
)
RESPOND = registry.register_node(
    NodeSpec(
        type="core.respond",
        display_name="Respond to webhook",
        description="Answer the webhook that started the execution",
        group="data",
        category="Network",
        icon="reply",
        params=RespondParams,
        run=run_respond,
    )
)
