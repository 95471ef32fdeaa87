"""Small node types for testing the executor's semantics without the core nodes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from wirework.sdk.node import Item, NodeContext, NodeError, Outputs, Wait
from wirework.sdk.registry import NodeSpec, Registry


class AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


calls: Counter[str] = Counter()
events: list[str] = []
gates: dict[str, asyncio.Event] = {}


class Crash(BaseException):
    """Stands for the process dying: escapes every handler of the engine."""


async def _set(ctx: NodeContext, item: Item, params: dict[str, Any]) -> Item:
    calls[ctx.node_id] += 1
    return {**item, **params.get("fields", {})}


async def _route(ctx: NodeContext) -> Outputs:
    calls[ctx.node_id] += 1
    key = ctx.params(None)["key"]
    out: Outputs = {"true": [], "false": []}
    for item in ctx.items:
        out["true" if item.get(key) else "false"].append(item)
    return out


async def _merge(ctx: NodeContext) -> list[Item]:
    calls[ctx.node_id] += 1
    return [item for port in sorted(ctx.inputs) for item in ctx.inputs[port]]


async def _fail(ctx: NodeContext) -> list[Item]:
    calls[ctx.node_id] += 1
    params = ctx.params(None)
    if calls[ctx.node_id] <= int(params.get("times", 1_000_000)):
        raise NodeError(params.get("message", "boom"), retryable=params.get("retryable", True))
    return ctx.items


async def _sleep(ctx: NodeContext) -> list[Item]:
    calls[ctx.node_id] += 1
    events.append(f"start:{ctx.node_id}")
    await asyncio.sleep(float(ctx.params(None).get("seconds", 0.05)))
    events.append(f"end:{ctx.node_id}")
    return ctx.items


async def _gate(ctx: NodeContext) -> list[Item]:
    calls[ctx.node_id] += 1
    await gates[ctx.params(None)["gate"]].wait()
    return ctx.items


async def _wait(ctx: NodeContext) -> Wait:
    calls[ctx.node_id] += 1
    params = ctx.params(None)
    if params.get("resume") == "webhook":
        return Wait(resume="webhook")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(params.get("seconds", 0)))
    return Wait(until=until)


async def _ask(ctx: NodeContext) -> Wait | list[Item]:
    """Waits for an approval with its state; run again, emits the state and the payload."""
    calls[ctx.node_id] += 1
    if ctx.resumed is None:
        return Wait(resume="approval", state={"asked": ctx.node_id})
    state, payload = ctx.resumed
    return [{"state": state, "payload": payload, "attempt": ctx.attempt}]


async def _crash(ctx: NodeContext) -> list[Item]:
    calls[ctx.node_id] += 1
    if calls[ctx.node_id] == 1:
        raise Crash()
    return ctx.items


def registry() -> Registry:
    reg = Registry()
    reg._loaded = True  # only these nodes
    for spec in (
        NodeSpec("t.trigger", "Trigger", "", "trigger", AnyParams),
        NodeSpec("t.set", "Set", "", "data", AnyParams, run_item=_set),
        NodeSpec("t.route", "Route", "", "flow", AnyParams, outputs=("true", "false"), run=_route),
        NodeSpec("t.merge", "Merge", "", "flow", AnyParams, inputs=("a", "b"), run=_merge),
        NodeSpec("t.fail", "Fail", "", "data", AnyParams, run=_fail),
        NodeSpec("t.sleep", "Sleep", "", "data", AnyParams, run=_sleep),
        NodeSpec("t.gate", "Gate", "", "data", AnyParams, run=_gate),
        NodeSpec("t.wait", "Wait", "", "flow", AnyParams, run=_wait),
        NodeSpec("t.crash", "Crash", "", "data", AnyParams, run=_crash),
        NodeSpec("t.ask", "Ask", "", "flow", AnyParams, run=_ask),
        NodeSpec("t.noop", "Noop", "", "data", AnyParams),
    ):
        reg.register_node(spec)
    return reg


def doc(
    nodes: list[dict[str, Any]], connections: list[tuple[str, ...]], **settings: Any
) -> dict[str, Any]:
    """A document from compact node dicts and (from, to[, from_output[, to_input]]) tuples."""
    conns = []
    for conn in connections:
        c: dict[str, Any] = {"from": conn[0], "to": conn[1]}
        if len(conn) > 2:
            c["from_output"] = conn[2]
        if len(conn) > 3:
            c["to_input"] = conn[3]
        conns.append(c)
    return {"name": "test", "nodes": nodes, "connections": conns, "settings": settings}
