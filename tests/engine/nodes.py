"""Small node types for testing the executor's semantics without the core nodes.

They run in the test process (embedded mode) and in `wirework worker` processes
(distributed mode: loaded as a plugin, see tests/engine/engines.py), so what they share with
the test lives in files of one directory (:data:`state`): ``calls`` (runs per node id),
``events`` (in order) and ``gates`` (a ``t.gate`` node holds until the test opens its
gate). Appends of one short line are atomic, so concurrent processes never mix records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from wirework.sdk.node import Item, NodeContext, NodeError, Outputs, Wait
from wirework.sdk.registry import NodeSpec, Registry


class AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


#: Where the shared state lives: this variable in worker processes, else a temporary
#: directory of this process (a test session points both at one directory: ``use``).
STATE_ENV = "WIREWORK_TEST_NODE_STATE"


class State:
    def __init__(self) -> None:
        self._dir: Path | None = None

    @property
    def dir(self) -> Path:
        if self._dir is None:
            found = os.environ.get(STATE_ENV)
            self._dir = Path(found) if found else Path(tempfile.mkdtemp(prefix="ww-nodes-"))
        return self._dir

    def use(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._dir = directory

    def append(self, name: str, line: str) -> None:
        fd = os.open(self.dir / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def lines(self, name: str) -> list[str]:
        try:
            return (self.dir / name).read_text().splitlines()
        except FileNotFoundError:
            return []

    def clear(self) -> None:
        for path in self.dir.iterdir():
            path.unlink(missing_ok=True)


state = State()


class Calls:
    """How often each node ran (``calls["a"]``), across processes."""

    def add(self, node_id: str) -> int:
        state.append("calls", node_id)
        return self[node_id]

    def __getitem__(self, node_id: str) -> int:
        return Counter(state.lines("calls"))[node_id]

    def clear(self) -> None:
        (state.dir / "calls").unlink(missing_ok=True)


class Events:
    """``start:<node>``/``end:<node>`` of the ``t.sleep`` nodes, in order."""

    def append(self, event: str) -> None:
        state.append("events", event)

    def __getitem__(self, index: slice) -> list[str]:
        return state.lines("events")[index]

    def clear(self) -> None:
        (state.dir / "events").unlink(missing_ok=True)


class Gates:
    """A ``t.gate`` node waits until the test opens its gate."""

    def open(self, name: str) -> None:
        (state.dir / f"gate-{name}").touch()

    def is_open(self, name: str) -> bool:
        return (state.dir / f"gate-{name}").exists()

    def clear(self) -> None:
        for path in state.dir.glob("gate-*"):
            path.unlink(missing_ok=True)


calls = Calls()
events = Events()
gates = Gates()


class Crash(BaseException):
    """Stands for the process dying: escapes every handler of the engine."""


async def _set(ctx: NodeContext, item: Item, params: dict[str, Any]) -> Item:
    calls.add(ctx.node_id)
    return {**item, **params.get("fields", {})}


async def _route(ctx: NodeContext) -> Outputs:
    calls.add(ctx.node_id)
    key = ctx.params(None)["key"]
    out: Outputs = {"true": [], "false": []}
    for item in ctx.items:
        out["true" if item.get(key) else "false"].append(item)
    return out


async def _merge(ctx: NodeContext) -> list[Item]:
    calls.add(ctx.node_id)
    return [item for port in sorted(ctx.inputs) for item in ctx.inputs[port]]


async def _fail(ctx: NodeContext) -> list[Item]:
    params = ctx.params(None)
    if calls.add(ctx.node_id) <= int(params.get("times", 1_000_000)):
        raise NodeError(params.get("message", "boom"), retryable=params.get("retryable", True))
    return ctx.items


async def _sleep(ctx: NodeContext) -> list[Item]:
    calls.add(ctx.node_id)
    events.append(f"start:{ctx.node_id}")
    await asyncio.sleep(float(ctx.params(None).get("seconds", 0.05)))
    events.append(f"end:{ctx.node_id}")
    return ctx.items


async def _gate(ctx: NodeContext) -> list[Item]:
    calls.add(ctx.node_id)
    while not gates.is_open(ctx.params(None)["gate"]):  # noqa: ASYNC110 - a file
        await asyncio.sleep(0.01)
    return ctx.items


async def _wait(ctx: NodeContext) -> Wait:
    calls.add(ctx.node_id)
    params = ctx.params(None)
    if params.get("resume") == "webhook":
        return Wait(resume="webhook")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(params.get("seconds", 0)))
    return Wait(until=until)


async def _ask(ctx: NodeContext) -> Wait | list[Item]:
    """Waits for an approval with its state; run again, emits the state and the payload."""
    calls.add(ctx.node_id)
    if ctx.resumed is None:
        return Wait(resume="approval", state={"asked": ctx.node_id})
    state, payload = ctx.resumed
    return [{"state": state, "payload": payload, "attempt": ctx.attempt}]


async def _crash(ctx: NodeContext) -> list[Item]:
    if calls.add(ctx.node_id) == 1:
        raise Crash()
    return ctx.items


SPECS = (
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
)


def registry() -> Registry:
    """A registry of only these node types."""
    reg = Registry()
    reg._loaded = True  # only these nodes
    for spec in SPECS:
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
