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
from wirework.engine.states import ERROR, SKIPPED, SUCCESS, WAITING
from wirework.engine.streaming import consume, run_stream
from wirework.engine.waits import handle_wait, retry_later
from wirework.sdk.node import Item

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun

_PINNED_MODES = ("manual", "test", "cli")


async def run_node(run: ExecutionRun, node_id: str) -> Outcome:
    """Run ``node_id`` of ``run`` until it has an outcome (each step recorded): invoke it
    until an attempt succeeds, waits, or no attempt is left."""
    node = run.graph.nodes[node_id]
    inputs = run.inputs(node)
    settled, owned = _settle_at_once(run, node, inputs)
    if settled is not None:
        return settled
    if node.type == "core.loop":
        return run.record_step(node, 1, utcnow(), await run_loop(run, node, inputs))
    if node.streamable and sum(len(v) for v in inputs.values()) > CHUNK_ITEMS:
        return await run_stream(run, node, inputs.get("main", []), owned)
    # The attempts (inline, not a coroutine of their own: this is the hot path).
    attempt = run.attempts.get(node_id, 0) + 1
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
                if outcome.status == WAITING:
                    return outcome
            return run.record_step(node, attempt, started, outcome)
        except ExecutionFailed:
            raise
        except Exception as exc:  # a node's bug is its step's error, not the engine's
            error, retryable = describe(run, node, exc)
        run.record_step(node, attempt, started, Outcome(ERROR, {}), error=error)
        if retryable and attempt < node.retry.max_attempts:
            attempt += 1
            delay = node.retry.delay(attempt - 1, run.rng.random())
            wait = await retry_later(run, node, attempt, delay)
            if wait is not None:
                return Outcome(WAITING, {}, wait=wait)
            continue
        return on_error(node, inputs, error)


def _settle_at_once(
    run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]
) -> tuple[Outcome | None, bool]:
    """The outcome of a node that needs no run (pinned data, a trigger, no input items,
    disabled), recorded; else None, and whether its ``main`` input list is its own."""
    started = utcnow()
    pinned = run.graph.pinned.get(node.id)
    if pinned is not None and run.record.mode in _PINNED_MODES:
        return run.record_step(node, 1, started, Outcome(SUCCESS, {"main": list(pinned)})), False
    if node.is_trigger:
        items = inputs.get("main", [])
        run.trigger_item = items[0] if items else {}
        run.input_items = []  # the trigger's output holds them now
        return run.record_step(node, 1, started, Outcome(SUCCESS, {"main": items})), False
    owned = consume(run, node, inputs)
    if not any(inputs.values()) and (node.incoming or node.id not in run.starts):
        return run.record_step(node, 1, started, Outcome(SKIPPED, {})), owned
    if node.disabled:
        outcome = Outcome(SKIPPED, {"main": concat(inputs)})
        return run.record_step(node, 1, started, outcome), owned
    return None, owned


def on_error(node: GraphNode, inputs: dict[str, list[Item]], error: dict[str, Any]) -> Outcome:
    """No attempt is left: the outcome ``on_error`` gives (``stop`` fails the execution)."""
    if node.on_error == "continue":
        items = [{**item, "error": error["message"]} for item in concat(inputs)] or [
            {"error": error["message"]}
        ]
        return Outcome(ERROR, {"main": items})
    if node.on_error == "error_output":
        items = [{**item, "error": error} for item in concat(inputs)] or [{"error": error}]
        return Outcome(ERROR, {"error": items})
    raise ExecutionFailed(error)
