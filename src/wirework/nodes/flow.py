"""Control-flow nodes: branch, merge, filter, batch, wait, call another workflow, stop.

Ports:

* ``core.if``: outputs ``true`` and ``false``.
* ``core.switch``: outputs named by its rules (first use wins the order), plus ``fallback``.
* ``core.merge``: inputs ``in1`` … ``inN`` where N is its ``inputs`` parameter (2 by default,
  at most 10); the input number is the order ``by_position``/``by_key`` pair items in, and
  ``wait_all`` passes on ``in1``'s items.
* ``core.stop_error``: no outputs.
* A node with ``on_error: error_output`` also gets an ``error`` output (any node type).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from wirework.nodes.base import (
    ParamsModel,
    check_problems,
    get_path,
    hashable,
    is_expression,
    truthy,
)
from wirework.sdk.fields import MAX_ID, PORT_PATTERN
from wirework.sdk.node import Item, NodeContext, Outputs, StopExecution, Wait, as_items
from wirework.sdk.registry import NodeSpec, registry

MAX_MERGE_INPUTS = 10


def _condition(value: bool | str) -> bool | str:
    if isinstance(value, str) and not is_expression(value):
        raise ValueError("must be an expression such as {{ json.ok }} (or true / false)")
    return value


Condition = Annotated[
    bool | str,
    AfterValidator(_condition),
    Field(
        description="An expression whose truth decides, e.g. {{ json.status == 'open' }}",
        examples=["{{ json.amount > 100 }}"],
        # any value its expression gives is judged by its truth, never type-checked
        json_schema_extra={"x-truthy": True},
    ),
]


class IfParams(ParamsModel):
    """Send each item to output `true` or `false`."""

    condition: Condition


class SwitchRule(ParamsModel):
    output: str = Field(
        pattern=PORT_PATTERN, description="Output the matching items go to (a port name)"
    )
    condition: Condition

    @field_validator("output")
    @classmethod
    def _not_error(cls, value: str) -> str:
        if value == "error":
            raise ValueError("'error' is reserved for the error output")
        return value


class SwitchParams(ParamsModel):
    """Route each item to the output of the first (or every) rule whose condition holds."""

    rules: list[SwitchRule] = Field(
        min_length=1, max_length=100, description="Checked in order; each names an output"
    )
    fallback: str | None = Field(
        default=None,
        pattern=PORT_PATTERN,
        description="Output for items no rule matches; none = drop them",
    )
    mode: Literal["first", "all"] = Field(
        default="first",
        description="first: an item goes to the first matching rule; all: to every one",
    )

    @field_validator("fallback")
    @classmethod
    def _not_error(cls, value: str | None) -> str | None:
        if value == "error":
            raise ValueError("'error' is reserved for the error output")
        return value


def switch_outputs(params: BaseModel) -> tuple[str, ...]:
    assert isinstance(params, SwitchParams)
    names = [rule.output for rule in params.rules]
    if params.fallback is not None:
        names.append(params.fallback)
    return tuple(dict.fromkeys(names))


class MergeParams(ParamsModel):
    """Join the items of several inputs (ports in1 … inN)."""

    mode: Literal["append", "by_key", "by_position", "wait_all"] = Field(
        default="append",
        description="append: all items, input by input; by_key: join items whose `key` "
        "matches; by_position: join the n-th items; wait_all: wait for every input, "
        "then pass on in1's items",
    )
    inputs: int = Field(
        default=2,
        ge=2,
        le=MAX_MERGE_INPUTS,
        description="Number of inputs; they are the ports in1, in2, … inN",
    )
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="by_key: field (dotted path) compared across inputs",
    )
    join: Literal["inner", "left", "outer"] = Field(
        default="inner",
        description="by_key: keep only matches (inner), every in1 item (left) or every item "
        "(outer)",
    )

    @model_validator(mode="after")
    def _key(self) -> MergeParams:
        if self.mode == "by_key" and self.key is None:
            check_problems([("key", "is required with mode by_key")])
        if self.mode != "by_key" and self.key is not None:
            check_problems([("key", "is only for mode by_key")])
        return self


def merge_inputs(params: BaseModel) -> tuple[str, ...]:
    assert isinstance(params, MergeParams)
    return tuple(f"in{i}" for i in range(1, params.inputs + 1))


class FilterParams(ParamsModel):
    """Keep only the items whose condition holds."""

    condition: Condition


class LoopParams(ParamsModel):
    """Split the input into batches: the nodes after output `loop` run once per batch (their
    outputs add up over the batches), then all items go out on `done`."""

    batch_size: int = Field(default=10, ge=1, le=100_000, description="Items per batch")


class WaitParams(ParamsModel):
    """Pause the execution durably (no worker is held): for some seconds, until a time, or
    until its resume URL is called. Give exactly one of seconds, until, resume."""

    seconds: float | None = Field(
        default=None, gt=0, le=366 * 86400, description="Wait this many seconds"
    )
    until: str | None = Field(
        default=None,
        max_length=64,
        description="Wait until this ISO 8601 time (with an offset; else the workflow's time zone)",
        examples=["2030-01-01T09:00:00+01:00"],
    )
    resume: Literal["webhook"] | None = Field(
        default=None, description="webhook: wait until the execution's resume URL is called"
    )
    resume_timeout_s: int | None = Field(
        default=None,
        ge=1,
        le=366 * 86400,
        description="resume: give up (error) after this many seconds; none = wait forever",
    )

    @field_validator("until")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("must be an ISO 8601 time, e.g. 2030-01-01T09:00:00Z") from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitParams:
        given = [n for n in ("seconds", "until", "resume") if getattr(self, n) is not None]
        if len(given) != 1:
            check_problems([("seconds", "give exactly one of seconds, until or resume")])
        if self.resume_timeout_s is not None and self.resume is None:
            check_problems([("resume_timeout_s", "is only for resume: webhook")])
        return self


class SubworkflowParams(ParamsModel):
    """Run another workflow (it starts at its core.workflow_trigger)."""

    workflow_id: int = Field(ge=1, le=MAX_ID, description="The workflow to run")
    input: Any = Field(
        default=None,
        description="What to send as its input; none = this node's input items",
    )
    wait: bool = Field(
        default=True,
        description="Wait for it to finish and emit its result; else continue at once",
    )
    mode: Literal["once", "per_item"] = Field(
        default="once", description="once: one run with all items; per_item: one run per item"
    )


class StopErrorParams(ParamsModel):
    """Fail the execution with a message."""

    message: str = Field(
        default="stopped by core.stop_error",
        min_length=1,
        max_length=10000,
        description="The error message (may hold expressions)",
    )
    code: str | None = Field(
        default=None, max_length=100, description="Optional machine-readable error code"
    )


class NoopParams(ParamsModel):
    """No parameters: passes its input on unchanged."""


# --------------------------------------------------------------------------- running


async def run_if(ctx: NodeContext) -> Outputs:
    out: Outputs = {"true": [], "false": []}
    for index, item in enumerate(ctx.items):
        params = ctx.params_inline(index)
        if params is None:
            params = await ctx.aparams(index)
        out["true" if truthy(params["condition"]) else "false"].append(item)
    return out


async def run_filter(ctx: NodeContext) -> Outputs:
    kept: list[Item] = []
    for index, item in enumerate(ctx.items):
        params = ctx.params_inline(index)
        if params is None:
            params = await ctx.aparams(index)
        if truthy(params["condition"]):
            kept.append(item)
    return {"main": kept}


async def run_switch(ctx: NodeContext) -> Outputs:
    out: Outputs = {}
    for index, item in enumerate(ctx.items):
        params = ctx.params_inline(index)
        if params is None:
            params = await ctx.aparams(index)
        matched = False
        for rule in params["rules"]:
            if truthy(rule["condition"]):
                out.setdefault(rule["output"], []).append(item)
                matched = True
                if params.get("mode", "first") == "first":
                    break
        if not matched and params.get("fallback"):
            out.setdefault(params["fallback"], []).append(item)
    return out


async def run_merge(ctx: NodeContext) -> Outputs:
    params = await ctx.aparams(0)
    count = int(params.get("inputs", 2))
    ports = [ctx.inputs.get(f"in{i}", []) for i in range(1, count + 1)]
    mode = params.get("mode", "append")
    if mode == "append":
        return {"main": [item for port in ports for item in port]}
    if mode == "wait_all":
        return {"main": list(ports[0])}
    if mode == "by_position":
        length = max((len(p) for p in ports), default=0)
        merged = []
        for i in range(length):
            item: Item = {}
            for port in ports:
                if i < len(port):
                    item = {**item, **port[i]}
            merged.append(item)
        return {"main": merged}
    # by_key: join every other input onto in1 by the key's value
    key, join = params["key"], params.get("join", "inner")
    index: list[dict[Any, list[Item]]] = []
    for port in ports[1:]:
        by_value: dict[Any, list[Item]] = {}
        for item in port:
            by_value.setdefault(hashable(get_path(item, key)), []).append(item)
        index.append(by_value)
    merged = []
    used: list[set[Any]] = [set() for _ in index]
    for item in ports[0]:
        value = hashable(get_path(item, key))
        combined = dict(item)
        found = True
        for n, by_value in enumerate(index):
            matches = by_value.get(value)
            if matches:
                used[n].add(value)
                for match in matches:
                    combined = {**combined, **match}
            else:
                found = False
        if found or join in ("left", "outer"):
            merged.append(combined)
    if join == "outer":
        for n, by_value in enumerate(index):
            for value, items in by_value.items():
                if value not in used[n]:
                    merged.extend(items)
    return {"main": merged}


async def run_wait(ctx: NodeContext) -> Wait:
    params = await ctx.aparams(0)
    if params.get("resume") == "webhook":
        return Wait(resume="webhook")
    if params.get("until"):
        until = dt.datetime.fromisoformat(str(params["until"]))
        if until.tzinfo is None:
            until = until.replace(tzinfo=dt.UTC)
        return Wait(until=until.astimezone(dt.UTC))
    seconds = float(params.get("seconds") or 0)
    return Wait(until=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))


async def run_subworkflow(ctx: NodeContext) -> Outputs:
    params = await ctx.aparams(0)
    workflow_id = int(params["workflow_id"])
    wait = bool(params.get("wait", True))
    if params.get("mode", "once") == "per_item":
        out: list[Item] = []
        for index, item in enumerate(ctx.items):
            value = (await ctx.aparams(index)).get("input")
            items = as_items(value) if value is not None else [item]
            result = await ctx.run_workflow(workflow_id, items, wait=wait)
            out.extend(result if result is not None else [item])
        return {"main": out}
    value = params.get("input")
    items = as_items(value) if value is not None else ctx.items
    result = await ctx.run_workflow(workflow_id, items, wait=wait)
    return {"main": result if result is not None else ctx.items}


async def run_stop_error(ctx: NodeContext) -> Outputs:
    params = await ctx.aparams(0)
    raise StopExecution(str(params.get("message") or "stopped by core.stop_error"))


IF = registry.register_node(
    NodeSpec(
        type="core.if",
        display_name="If",
        description="Send each item to `true` or `false` by a condition",
        group="flow",
        category="Flow",
        icon="git-branch",
        params=IfParams,
        run=run_if,
        outputs=("true", "false"),
        streaming=True,
    )
)
SWITCH = registry.register_node(
    NodeSpec(
        type="core.switch",
        display_name="Switch",
        description="Route items to outputs named by rules",
        group="flow",
        category="Flow",
        icon="split",
        params=SwitchParams,
        run=run_switch,
        outputs=None,
        dynamic_outputs=switch_outputs,
        streaming=True,
        extra={"literal_params": ("rules", "fallback", "mode")},
    )
)
MERGE = registry.register_node(
    NodeSpec(
        type="core.merge",
        display_name="Merge",
        description="Join the items of inputs in1 … inN",
        group="flow",
        category="Flow",
        icon="merge",
        params=MergeParams,
        run=run_merge,
        inputs=("in1", "in2"),
        extra={"dynamic_inputs": merge_inputs, "literal_params": ("inputs", "mode")},
    )
)
FILTER = registry.register_node(
    NodeSpec(
        type="core.filter",
        display_name="Filter",
        description="Keep the items whose condition holds",
        group="flow",
        category="Flow",
        icon="filter",
        params=FilterParams,
        run=run_filter,
        streaming=True,
    )
)
LOOP = registry.register_node(
    NodeSpec(
        type="core.loop",
        display_name="Loop over batches",
        description="Run the nodes after `loop` once per batch of items, then emit all "
        "items on `done`",
        group="flow",
        category="Flow",
        icon="repeat",
        params=LoopParams,
        outputs=("loop", "done"),
    )
)
WAIT = registry.register_node(
    NodeSpec(
        type="core.wait",
        display_name="Wait",
        description="Pause for a time, until a time, or until resumed by a URL",
        group="flow",
        category="Flow",
        icon="timer",
        params=WaitParams,
        run=run_wait,
    )
)
SUBWORKFLOW = registry.register_node(
    NodeSpec(
        type="core.subworkflow",
        display_name="Run workflow",
        description="Run another workflow and (by default) wait for its result",
        group="flow",
        category="Flow",
        icon="workflow",
        params=SubworkflowParams,
        run=run_subworkflow,
    )
)
STOP_ERROR = registry.register_node(
    NodeSpec(
        type="core.stop_error",
        display_name="Stop and error",
        description="Fail the execution with a message",
        group="flow",
        category="Flow",
        icon="octagon-x",
        params=StopErrorParams,
        run=run_stop_error,
        outputs=(),
    )
)
NOOP = registry.register_node(
    NodeSpec(
        type="core.noop",
        display_name="No operation",
        description="Pass items on unchanged",
        group="flow",
        category="Flow",
        icon="arrow-right",
        params=NoopParams,
        streaming=True,
    )
)
