"""Resuming an execution: its node states rebuilt from the stored steps (the newest attempt
of each node wins). What had not finished runs again (at-least-once)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from wirework.engine.outcome import WAIT_PORT
from wirework.engine.states import ERROR, SKIPPED, SUCCESS, WAITING, StepStatus
from wirework.engine.store import StepRecord
from wirework.engine.waits import run_again
from wirework.sdk.node import Wait

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun


async def load_state(run: ExecutionRun) -> None:
    """Rebuild ``run``'s node states, outputs, attempts and waits from its stored steps."""
    latest: dict[str, StepRecord] = {}
    for step in await run.store.load_steps(run.record.id):
        seen = latest.get(step.node_id)
        if seen is None or step.attempt >= seen.attempt:
            latest[step.node_id] = step
    in_loops = set().union(*run.graph.loop_bodies.values())
    for node_id, step in latest.items():
        if node_id not in run.graph.nodes:
            continue
        run.attempts[node_id] = step.attempt
        run.attempt_floor[node_id] = step.attempt
        if node_id in in_loops:
            continue  # runs again with its loop
        _restore(run, node_id, step)


def _restore(run: ExecutionRun, node_id: str, step: StepRecord) -> None:
    node = run.graph.nodes[node_id]
    output = step.output or {}
    if step.status in (SUCCESS, SKIPPED):
        run.set_status(node_id, StepStatus(step.status))
        run.outputs[node_id] = output
        if node.is_trigger and step.status == SUCCESS:
            items = output.get("main", [])
            run.trigger_item = items[0] if items else {}
            # The trigger that started it (a process resuming it was not told which).
            run.starts = {node_id}
    elif step.status == ERROR and node.on_error in ("continue", "error_output"):
        run.set_status(node_id, ERROR)
        run.outputs[node_id] = output
    elif step.status == WAITING:
        run.set_status(node_id, WAITING)
        spec = (output.get(WAIT_PORT) or [{}])[0]
        until = dt.datetime.fromisoformat(spec["until"]) if spec.get("until") else None
        if spec.get("retry"):  # a retry backoff: this attempt runs when it is due
            run.attempts[node_id] = step.attempt - 1
            run.retrying.add(node_id)
            run.waiting[node_id] = Wait(until=until)
            return
        wait = Wait(
            until=until,
            resume=spec.get("resume"),
            items=output.get("main", []),
            state=spec.get("state"),
        )
        run.waiting[node_id] = wait
        if wait.state is not None and "payload" in spec:  # resumed through the store
            run_again(run, node_id, wait, spec["payload"])
    # error (stop) / running / canceled: the node runs again (at-least-once).
