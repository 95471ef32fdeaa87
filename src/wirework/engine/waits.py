"""Durable waits and timers: a ``core.wait`` step and a retry backoff.

A short wait (up to ``Hooks.inline_wait_s``) sleeps in-process; no thread is held. A longer
one, or one resumed by URL, is recorded first as a ``waiting`` step whose output holds what
it will emit and, under ``WAIT_PORT``, what it waits for (``until``, ``resume``; ``retry``
for a backoff). When nothing else can run the execution is *parked* (``waiting``, with
``wait_until`` the earliest timer): no task holds it, and the dispatcher's timer (or a
resume URL) makes a process claim it and run it on from the stored steps
(:mod:`wirework.engine.resume`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wirework.engine.graph import GraphNode
from wirework.engine.outcome import WAIT_PORT, Outcome, concat, utcnow
from wirework.engine.states import PENDING, SUCCESS, WAITING, ExecutionStatus
from wirework.sdk.node import Item, Wait

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun


async def handle_wait(
    run: ExecutionRun,
    node: GraphNode,
    attempt: int,
    started: dt.datetime,
    inputs: dict[str, list[Item]],
    wait: Wait,
) -> Outcome:
    """A node returned ``wait``: sleep here if it is short, else record the step as
    waiting (what it will emit when it resumes, and what it waits for)."""
    items = wait.items if wait.items is not None else concat(inputs)
    wait.items = items
    if wait.resume is None and wait.until is not None:
        delay = (wait.until - utcnow()).total_seconds()
        if delay <= run.hooks.inline_wait_s:
            if delay > 0:
                await asyncio.sleep(delay)
            return Outcome(SUCCESS, {"main": items})
    spec: dict[str, Any] = {
        "until": wait.until.isoformat() if wait.until else None,
        "resume": wait.resume,
    }
    if wait.state is not None:
        spec["state"] = wait.state
    run.record_step(node, attempt, started, Outcome(WAITING, {"main": items, WAIT_PORT: [spec]}))
    return Outcome(WAITING, {}, wait=wait)


async def retry_later(
    run: ExecutionRun, node: GraphNode, attempt: int, delay: float
) -> Wait | None:
    """Schedule ``attempt`` of ``node`` in ``delay`` seconds, durably (a waiting step says
    when). A short backoff sleeps here and returns None; a long one returns the wait that
    parks the execution."""
    until = utcnow() + dt.timedelta(seconds=delay)
    spec = {"until": until.isoformat(), "resume": None, "retry": True}
    waiting = Outcome(WAITING, {WAIT_PORT: [spec]})
    run.record_step(node, attempt, utcnow(), waiting, items_out=0)
    # A loop body cannot park, nor a sub-workflow its parent awaits (the parent's step
    # runs it again if the process dies).
    in_loop = any(node.id in body for body in run.graph.loop_bodies.values())
    awaited = run.record.mode == "subworkflow"
    if delay <= run.hooks.inline_wait_s or in_loop or awaited:
        await asyncio.sleep(delay)
        return None
    run.retrying.add(node.id)
    return Wait(until=until)


def wait_over(wait: Wait) -> bool:
    """Whether a stored wait's timer is due (a resume-by-URL or approval wait never is)."""
    if wait.resume is not None:
        return False
    return wait.until is None or wait.until <= utcnow()


def complete_wait(run: ExecutionRun, node_id: str, wait: Wait, payload: Any = None) -> None:
    """A parked wait is over (or resumed with ``payload``): its step succeeds."""
    node = run.graph.nodes[node_id]
    items = list(wait.items or [])
    if payload is not None:
        items = [{**item, "resume": payload} for item in items] or [{"resume": payload}]
    attempt = run.attempts.get(node_id, 1)
    run.waiting.pop(node_id, None)
    run.record_step(node, attempt, utcnow(), Outcome(SUCCESS, {"main": items}))
    run.settle(node_id, Outcome(SUCCESS, {"main": items}))


def run_again(run: ExecutionRun, node_id: str, wait: Wait, payload: Any) -> None:
    """A stateful wait (``Wait.state``) was resumed with ``payload``: its node runs again,
    seeing ``ctx.resumed``; the same attempt (its waiting step is replaced)."""
    assert wait.state is not None
    run.waiting.pop(node_id, None)
    run.rerun_with[node_id] = (wait.state, payload)
    run.attempts[node_id] = run.attempts.get(node_id, 1) - 1
    run.set_status(node_id, PENDING)


def record_resumed(run: ExecutionRun, node_id: str, wait: Wait, payload: Any) -> None:
    """Distributed resume of a stateful wait: the payload is written into its waiting step
    (``$wait.payload``); whichever worker claims the execution runs the node again."""
    node = run.graph.nodes[node_id]
    spec = {"until": None, "resume": wait.resume, "state": wait.state, "payload": payload}
    attempt = run.attempts.get(node_id, 1)
    run.record_step(node, attempt, utcnow(), Outcome(WAITING, {"main": [], WAIT_PORT: [spec]}))


def settle_due(run: ExecutionRun, resumed: Mapping[str, Any]) -> None:
    """On resuming: complete the waits that are over or resumed by URL, and let the retry
    backoffs that are due run their node again."""
    for node_id, wait in list(run.waiting.items()):
        if node_id in run.retrying:  # a retry backoff: when due the node runs again
            if wait_over(wait):
                del run.waiting[node_id]
                run.set_status(node_id, PENDING)
                run.retrying.discard(node_id)
        elif node_id in resumed and wait.state is not None:
            run_again(run, node_id, wait, resumed[node_id])
        elif node_id in resumed:
            complete_wait(run, node_id, wait, resumed[node_id])
        elif wait_over(wait):
            complete_wait(run, node_id, wait)


def park(run: ExecutionRun) -> None:
    """Nothing can run until a wait is over: the execution waits in the database, its
    ``wait_until`` the earliest timer (None: only a resume URL wakes it)."""
    untils = [w.until for w in run.waiting.values() if w.resume is None and w.until]
    wait_until = min(untils) if untils else None
    run.set_execution_status(ExecutionStatus.WAITING)
    run.record.wait_until = wait_until
    run.store.update_execution(run.record.id, status=ExecutionStatus.WAITING, wait_until=wait_until)
    run.event("execution.waiting", {"wait_until": wait_until})
