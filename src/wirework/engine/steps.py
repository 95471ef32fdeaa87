"""The step runner: one node of an execution, from its inputs to its outcome.

Pinned data, triggers, skipped (no input) and disabled nodes are settled at once; a
``core.loop`` runs its body (:mod:`~wirework.engine.loops`); a streamable node with a large
input streams (:mod:`~wirework.engine.streaming`). Any other node is invoked, each attempt
recorded as a step: a failure is retried per the node's retry policy, the next attempt
scheduled as a durable timer (:func:`~wirework.engine.waits.retry_later`); when no attempt
is left ``on_error`` decides — ``stop`` fails the execution, ``continue`` passes the input
items on with an ``error`` field, ``error_output`` sends them to the ``error`` output.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from wirework.engine.context import StepContext
from wirework.engine.graph import GraphNode
from wirework.engine.invoke import describe, invoke
from wirework.engine.loops import run_loop
from wirework.engine.outcome import CHUNK_ITEMS, ExecutionFailed, Outcome, concat, utcnow
from wirework.engine.states import StepStatus
from wirework.engine.streaming import consume, run_stream
from wirework.engine.waits import handle_wait, retry_later
from wirework.sdk.node import Item

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun

S = StepStatus
_PINNED_MODES = ("manual", "test", "cli")


async def run_node(run: ExecutionRun, node_id: str) -> Outcome:
    """Run ``node_id`` of ``run`` until it has an outcome (each step recorded)."""
    node = run.graph.nodes[node_id]
    inputs = run.inputs(node)
    started = utcnow()
    pinned = run.graph.pinned.get(node_id)
    if pinned is not None and run.record.mode in _PINNED_MODES:
        return run.record_step(node, 1, started, Outcome(S.SUCCESS, {"main": list(pinned)}))
    if node.is_trigger:
        items = inputs.get("main", [])
        run.trigger_item = items[0] if items else {}
        run.input_items = []  # the trigger's output holds them now
        return run.record_step(node, 1, started, Outcome(S.SUCCESS, {"main": items}))
    owned = consume(run, node, inputs)
    if not any(inputs.values()) and (node.incoming or node_id not in run.starts):
        return run.record_step(node, 1, started, Outcome(S.SKIPPED, {}))
    if node.disabled:
        return run.record_step(node, 1, started, Outcome(S.SKIPPED, {"main": concat(inputs)}))
    if node.type == "core.loop":
        return run.record_step(node, 1, started, await run_loop(run, node, inputs))
    if node.streamable and sum(len(v) for v in inputs.values()) > CHUNK_ITEMS:
        return await run_stream(run, node, inputs.get("main", []), owned)
    return await run_attempts(run, node, inputs)


async def run_attempts(
    run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]
) -> Outcome:
    """Invoke ``node`` until an attempt succeeds, waits, or no attempt is left."""
    node_id = node.id
    attempt = run.attempts.get(node_id, 0) + 1
    policy = node.retry
    while True:
        run.attempts[node_id] = attempt
        started = utcnow()
        error: dict[str, Any]
        run.event("step.started", {"node_id": node_id, "attempt": attempt})
        try:
            ctx = StepContext(run, node, inputs)
            ctx.attempt = attempt
            if node.timeout_s:
                async with asyncio.timeout(node.timeout_s):
                    outcome = await invoke(run, node, ctx)
            else:
                outcome = await invoke(run, node, ctx)
            if outcome.wait is not None:
                outcome = await handle_wait(run, node, attempt, started, inputs, outcome.wait)
                if outcome.status == S.WAITING:
                    return outcome
            return run.record_step(node, attempt, started, outcome)
        except ExecutionFailed:
            raise
        except Exception as exc:  # a node's bug is its step's error, not the engine's
            error, retryable = describe(run, node, exc)
        run.record_step(node, attempt, started, Outcome(S.ERROR, {}), error=error)
        if retryable and attempt < policy.max_attempts:
            attempt += 1
            delay = policy.delay(attempt - 1, run.rng.random())
            wait = await retry_later(run, node, attempt, delay)
            if wait is not None:
                return Outcome(S.WAITING, {}, wait=wait)
            continue
        return on_error(node, inputs, error)


def on_error(node: GraphNode, inputs: dict[str, list[Item]], error: dict[str, Any]) -> Outcome:
    """No attempt is left: the outcome ``on_error`` gives (``stop`` fails the execution)."""
    if node.on_error == "continue":
        items = [{**item, "error": error["message"]} for item in concat(inputs)] or [
            {"error": error["message"]}
        ]
        return Outcome(S.ERROR, {"main": items})
    if node.on_error == "error_output":
        items = [{**item, "error": error} for item in concat(inputs)] or [{"error": error}]
        return Outcome(S.ERROR, {"error": items})
    raise ExecutionFailed(error)
