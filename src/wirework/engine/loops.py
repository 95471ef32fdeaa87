"""``core.loop``: the nodes after its ``loop`` output (its *body*) run once per batch of its
input, each batch a new run index of every body node; then it emits all the items on
``done``. A body node's output is the concatenation of its runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wirework.engine.context import StepContext
from wirework.engine.graph import GraphNode
from wirework.engine.outcome import ExecutionFailed, Outcome, concat
from wirework.engine.ready import ReadyTracker
from wirework.engine.states import ERROR, SKIPPED, SUCCESS
from wirework.sdk.node import Item, Outputs

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun


async def run_loop(run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]) -> Outcome:
    """Run ``node``'s body over its input, batch by batch."""
    graph = run.graph
    items = concat(inputs)
    size = int((await StepContext(run, node, inputs).aparams(0)).get("batch_size") or 10)
    members = graph.loop_bodies.get(node.id, frozenset())
    body = [n for n in graph.order if n in members]
    collected: dict[str, Outputs] = {n: {} for n in body}
    ran: set[str] = set()
    for index, start in enumerate(range(0, len(items), max(1, size))):
        for n in body:  # a new run of every body node: its state starts afresh
            run.status.pop(n, None)
            run.outputs.pop(n, None)
            run.run_indexes[n] = index
            run.attempts[n] = run.attempt_floor.get(n, 0)
        run.outputs[node.id] = {"loop": items[start : start + size]}
        tracker = ReadyTracker(graph, within=members)
        await run.drive(tracker.start(run.status, body), tracker)
        if any(n in run.waiting for n in body):
            raise ExecutionFailed(
                {
                    "message": f"node {node.id!r}: a wait inside a core.loop body must be "
                    f"short (≤ {run.hooks.inline_wait_s:g} s); it cannot park the execution",
                    "type": "node_error",
                    "node_id": node.id,
                }
            )
        for n in body:
            if run.status.get(n) in (SUCCESS, ERROR):
                ran.add(n)
            for port, port_items in run.outputs.get(n, {}).items():
                collected[n].setdefault(port, []).extend(port_items)
    for n in body:  # the body's runs, as one
        run.status[n] = SUCCESS if n in ran else SKIPPED
        run.outputs[n] = collected[n]
        run.run_indexes.pop(n, None)
    return Outcome(SUCCESS, {"done": items})
