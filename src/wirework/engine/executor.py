"""The executor: runs one execution of a compiled graph, durably.

:class:`ExecutionRun` holds one execution's state (each node's :class:`StepStatus`, outputs,
attempts, waits) and drives it: the nodes that are ready (:mod:`~wirework.engine.ready`)
are handed to the dispatcher (:mod:`wirework.dispatch`), which runs each with the step
runner (:mod:`~wirework.engine.steps`) and hands back its outcome; the run settles it and
finds what became ready, until nothing is left. Then the execution finishes, or, when
nodes still wait, parks (:mod:`~wirework.engine.waits`) to be resumed from its stored steps
(:mod:`~wirework.engine.resume`).

Read ``engine/README.md`` for the state machine in one place: the states and transitions
(:mod:`~wirework.engine.states`), readiness, retries and waits as durable timers, loops
(:mod:`~wirework.engine.loops`) and streaming of large inputs
(:mod:`~wirework.engine.streaming`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Mapping
from typing import Any

from wirework.dispatch.base import Dispatcher, HandOff
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.engine import expressions, responses
from wirework.engine.context import ExecutionInfo, NodeItems
from wirework.engine.graph import Graph, GraphNode
from wirework.engine.outcome import (
    CHUNK_ITEMS,
    DELTA_HOPS,
    INLINE_WAIT_S,
    STEP_DELTA,
    WAIT_PORT,
    ExecutionFailed,
    Hooks,
    Outcome,
    utcnow,
)
from wirework.engine.ready import ReadyTracker
from wirework.engine.resume import load_state
from wirework.engine.states import (
    PENDING,
    RUNNING,
    SKIPPED,
    STEP_TRANSITIONS,
    SUCCESS,
    WAITING,
    ExecutionStatus,
    StepStatus,
    execution_transition,
    step_transition,
)
from wirework.engine.steps import run_node
from wirework.engine.store import ExecutionRecord, StepRecord, Store
from wirework.engine.usage import StepUsage
from wirework.engine.waits import park, settle_due
from wirework.sdk.ai.usage import ModelUsage
from wirework.sdk.node import Item, Outputs, Response, Wait
from wirework.vault.masking import credential_secrets
from wirework.vault.redaction import Redactor

__all__ = [
    "CHUNK_ITEMS",
    "INLINE_WAIT_S",
    "WAIT_PORT",
    "ExecutionFailed",
    "ExecutionRun",
    "Hooks",
    "utcnow",
]

_RNG = random.Random()
# Runs ready nodes when no dispatcher is given (it holds no state for that).
_EMBEDDED = EmbeddedDispatcher()
E = ExecutionStatus
_E_SUCCESS, _E_ERROR = E.SUCCESS, E.ERROR


class ExecutionRun:
    """One execution in progress in this process: the nodes' states and outputs, and the
    loop that runs ready nodes until none is left (see the module docstring)."""

    def __init__(
        self,
        graph: Graph,
        record: ExecutionRecord,
        store: Store,
        *,
        input_items: list[Item] | None = None,
        start_node: str | None = None,
        hooks: Hooks | None = None,
        rng: random.Random | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.graph = graph
        self.record = record
        self.store = store
        self.hooks = hooks or Hooks()
        self.dispatcher = dispatcher or _EMBEDDED
        self.input_items = input_items if input_items is not None else [{}]
        self.start_node = start_node
        self.outputs: dict[str, Outputs] = {}
        # Node → state (StepStatus); a node with no entry is pending.
        self.status: dict[str, StepStatus] = {}
        self.attempts: dict[str, int] = {}
        # Secret credential values loaded by this run's nodes (and the strings they travel
        # with): every form of them is redacted from errors and from those nodes' outputs.
        self.secrets: set[str] = set()
        self._companions: set[str] = set()
        self.redactor = Redactor()
        self.nodes_view = expressions.NodesView(NodeItems(graph, self.outputs))
        self.workflow_info = {"id": graph.workflow_id, "name": graph.name}
        self.trigger_item: Item = {}
        self.response: asyncio.Future[Response] | None = None
        self.last_success: str | None = None
        self.rng = rng or _RNG
        self.waiting: dict[str, Wait] = {}
        self.retrying: set[str] = set()  # waiting nodes whose wait is a retry backoff
        # Nodes run again after a stateful wait (Wait.state): (state, payload), taken by
        # the node's next StepContext as ``ctx.resumed``.
        self.rerun_with: dict[str, tuple[dict[str, Any], Any]] = {}
        self.run_indexes: dict[str, int] = {}  # nodes inside a core.loop body: the batch
        self.attempt_floor: dict[str, int] = {}  # highest attempt already stored, per node
        self.starts = self._start_nodes()
        self.execution_info = ExecutionInfo(record, self.hooks.resume_url)
        # Nodes whose large outputs were dropped from memory once consumed (streaming).
        self.released: set[str] = set()
        self.consumers_left = dict(graph.consumers)
        # Set when this process lets go of the run (shutting down): cancelling it then
        # leaves the execution unfinished for whoever resumes it, instead of canceled.
        self.detached = False
        # Model calls of the running steps (ctx.record_usage), per node, until recorded.
        self.usage: dict[str, StepUsage] = {}
        # The executions awaiting this one (an awaited sub-workflow's parent, its parent, …),
        # each with the node that runs it: this run's step.delta events are theirs too.
        self.delta_targets: tuple[tuple[ExecutionRun, str], ...] = ()

    # -- public -----------------------------------------------------------------------------

    def respond(self, response: Response) -> None:
        if self.response is None:  # awaited in another process, if anywhere (distributed)
            responses.publish(self, response)
        elif not self.response.done():
            self.response.set_result(response)

    async def run(
        self, *, resume: bool = False, resumed: Mapping[str, Any] | None = None
    ) -> ExecutionRecord:
        """Run until finished, failed, canceled or parked waiting; returns the final record.

        ``resume`` continues from the stored steps; ``resumed`` maps waiting node ids to the
        payload of the webhook call that resumes them."""
        self.event("execution.started", {})
        try:
            deadline = self.record.deadline_at
            if deadline is not None:
                remaining = (deadline - utcnow()).total_seconds()
                if remaining <= 0:
                    raise ExecutionFailed({"message": "execution timed out", "type": "timeout"})
                async with asyncio.timeout(remaining):
                    await self._run(resume, resumed or {})
            else:
                await self._run(resume, resumed or {})
        except TimeoutError:
            timeout = self.graph.settings.get("timeout_s")
            self._finish(
                E.ERROR, {"message": f"execution timed out after {timeout} s", "type": "timeout"}
            )
        except ExecutionFailed as exc:
            self._finish(E.ERROR, exc.error)
        except HandOff:
            self.detached = True  # runs on elsewhere from its stored steps
        except asyncio.CancelledError:
            if not self.detached:  # detached: the process stops; another one takes over
                self._finish(E.CANCELED, {"message": "execution canceled", "type": "canceled"})
            raise
        return self.record

    def default_response(self) -> Response:
        """What a webhook in ``last_node`` mode answers: the result items, or the error."""
        if self.record.status == _E_ERROR:
            message = (self.record.error or {}).get("message", "execution failed")
            return Response(500, {}, {"error": message, "execution_id": self.record.id})
        items = self.result()
        body: Any = items[0] if len(items) == 1 else items
        return Response(200, {}, body)

    def result(self) -> list[Item]:
        return self.outputs.get(self.record.result_node or "", {}).get("main", [])

    def add_secrets(self, credentials: Mapping[str, Any]) -> None:
        secrets, others = credential_secrets(credentials)
        if set(secrets) - self.secrets or set(others) - self._companions:
            self.secrets.update(secrets)
            self._companions.update(others)
            self.redactor = Redactor(self.secrets, self._companions)

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self, resume: bool, resumed: Mapping[str, Any]) -> None:
        graph = self.graph
        if resume:
            await load_state(self)
        for node_id in graph.order:  # triggers that did not start this execution
            node = graph.nodes[node_id]
            if node_id not in self.status and node.is_trigger and node_id not in self.starts:
                self.set_status(node_id, SKIPPED)
                self.outputs[node_id] = {}
        settle_due(self, resumed)
        tracker = ReadyTracker(graph)
        await self.dispatcher.run_ready(
            tracker.start(self.status, graph.order), _Work(self, tracker, top_level=True)
        )
        if self.waiting:
            park(self)
            return
        result_node = self.graph.settings.get("result_node") or self.last_success
        if result_node in self.released:  # the result was released: read it back
            await self.store.flush(self.record.id)
            self.outputs[result_node] = (
                await self.store.load_output(self.record.id, result_node) or {}
            )
            self.released.discard(result_node)
        self._finish(_E_SUCCESS, None)

    async def drive(self, ready: list[str], tracker: ReadyTracker) -> None:
        """Run ``ready`` and what they make ready (as ``tracker`` follows it) until none is
        left, through the dispatcher."""
        await self.dispatcher.run_ready(ready, _Work(self, tracker))

    def settle(self, node_id: str, outcome: Outcome) -> None:
        """Take a node's outcome into the run's state."""
        self.set_status(node_id, outcome.status)
        if outcome.status == WAITING:
            assert outcome.wait is not None
            self.waiting[node_id] = outcome.wait
            return
        self.outputs[node_id] = outcome.outputs
        if outcome.released:
            self.released.add(node_id)
        if outcome.status == SUCCESS and (outcome.released or any(outcome.outputs.values())):
            self.last_success = node_id

    def set_status(self, node_id: str, new: StepStatus) -> None:
        """Move a node to ``new`` (PENDING: forget its state), if the transition table
        allows it (:data:`~wirework.engine.states.STEP_TRANSITIONS`); else raise
        :class:`~wirework.engine.states.IllegalTransition`."""
        status = self.status
        old = status.get(node_id, PENDING)
        if new not in STEP_TRANSITIONS[old]:  # inline: this runs twice per step
            step_transition(node_id, old, new)  # raises, naming the node
        if new is PENDING:
            status.pop(node_id, None)
        else:
            status[node_id] = new

    def set_execution_status(self, new: ExecutionStatus) -> None:
        record = self.record
        record.status = execution_transition(record.id, record.status, new)

    def _start_nodes(self) -> set[str]:
        graph = self.graph
        if self.start_node is not None:
            return {self.start_node}
        triggers = graph.triggers
        if triggers:
            return {triggers[0]}
        return {n for n in graph.order if not graph.nodes[n].incoming}

    def inputs(self, node: GraphNode) -> dict[str, list[Item]]:
        """A node's input on each port: what the nodes feeding it emitted there."""
        if node.id in self.starts and not node.incoming:
            return {"main": self.input_items}
        inputs: dict[str, list[Item]] = {}
        for edge in node.incoming:
            items = self.outputs.get(edge.source, {}).get(edge.source_port)
            if items:
                port = inputs.get(edge.target_port)
                if port is None:
                    inputs[edge.target_port] = items
                else:
                    inputs[edge.target_port] = [*port, *items]
        return inputs

    # -- records ----------------------------------------------------------------------------

    def step_key(self, node: GraphNode, attempt: int) -> tuple[str, str, int, int]:
        """(execution, node, run index, attempt): a step's key; the idempotency key is its
        first three."""
        return (self.record.id, node.id, self.run_indexes.get(node.id, 0), attempt)

    def record_step(
        self,
        node: GraphNode,
        attempt: int,
        started: dt.datetime,
        outcome: Outcome,
        *,
        error: dict[str, Any] | None = None,
        appended: bool = False,
        items_out: int | None = None,
    ) -> Outcome:
        """Write a step. Its output goes in batches when it is large (or already went, when
        ``appended``)."""
        finished = None if outcome.status == WAITING else utcnow()
        output: Outputs | None = (
            outcome.outputs if outcome.status != SKIPPED or outcome.outputs else None
        )
        if items_out is None:
            items_out = sum(len(v) for v in outcome.outputs.values())
        if output is not None and items_out > CHUNK_ITEMS and not appended:
            self._append_output(node, attempt, output)
            appended = True
        usage = self.usage.pop(node.id, None) if self.usage else None
        step = StepRecord(
            execution_id=self.record.id,
            node_id=node.id,
            run_index=self.run_indexes.get(node.id, 0),
            attempt=attempt,
            status=outcome.status,
            started_at=started,
            finished_at=finished,
            error=error,
            output=None if appended else output,
            items_out=items_out,
            appended=appended,
        )
        if usage is not None:
            step.usage = usage.summary()
            self.store.record_step(step)
            day = (finished or started).date()
            key = self.step_key(node, attempt)
            self.store.record_usage(usage.rows(key, self.graph.workflow_id, None, day))
        else:
            self.store.record_step(step)
        self.event(
            "step.finished",
            {
                "node_id": node.id,
                "status": outcome.status,
                "attempt": attempt,
                "error": error,
                "items": items_out,
            },
        )
        return outcome

    def add_usage(self, node: GraphNode, usage: ModelUsage, cost_nanos: int | None) -> None:
        """Count one model call of ``node``'s running step (written with the step)."""
        pending = self.usage.get(node.id)
        if pending is None:
            pending = self.usage[node.id] = StepUsage()
        pending.add(usage, cost_nanos)

    def _append_output(self, node: GraphNode, attempt: int, output: Outputs) -> None:
        key = self.step_key(node, attempt)
        first = True
        for port, port_items in output.items():
            for start in range(0, max(len(port_items), 1), CHUNK_ITEMS):
                chunk = {port: port_items[start : start + CHUNK_ITEMS]}
                self.store.append_output(key, chunk, first=first)
                first = False

    def _finish(self, status: ExecutionStatus, error: dict[str, Any] | None) -> None:
        error = self.redact_value(error)
        self.set_execution_status(status)
        record = self.record
        record.error = error
        record.finished_at = utcnow()
        record.wait_until = None
        # Only a successful execution has a result (a failed one's would be whatever ran last).
        record.result_node = (
            (self.graph.settings.get("result_node") or self.last_success)
            if status == _E_SUCCESS
            else None
        )
        self.store.update_execution(
            record.id,
            status=status,
            error=error,
            finished_at=record.finished_at,
            wait_until=None,
            result_node=record.result_node,
        )
        save = self.graph.settings.get("save_data", "all")
        if save == "none" or (save == "errors" and status == _E_SUCCESS):
            self.store.drop_outputs(record.id)
        if self.response is not None and not self.response.done():
            self.response.set_result(self.default_response())
        self.event("execution.finished", {"status": status, "error": error})

    def redact(self, message: str) -> str:
        return self.redactor.text(message)

    def redact_value(self, value: Any) -> Any:
        return self.redactor.value(value)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        hooks = self.hooks
        if hooks.on_event is None:
            return
        if (
            hooks.listening is not None
            and kind != "execution.finished"
            and not hooks.listening(self.record.id)
        ):
            return  # nobody follows this execution: don't build the event
        hooks.on_event(kind, {"execution_id": self.record.id, "t": time.time(), **data})

    def awaited_by(self, parent: ExecutionRun, node_id: str) -> None:
        """This run is a sub-workflow ``parent``'s node ``node_id`` awaits: its step.delta
        events go to the listeners of the parent (and of those awaiting it) too."""
        self.delta_targets = ((parent, node_id), *parent.delta_targets)[:DELTA_HOPS]

    def stream_wanted(self) -> bool:
        """Whether anyone follows this execution, or one awaiting it, live (a dictionary
        look-up per execution, no I/O): a step's progress output would reach them."""
        hooks = self.hooks
        listening = hooks.listening
        if hooks.on_event is None or listening is None:
            return False
        return listening(self.record.id) or any(
            listening(run.record.id) for run, _ in self.delta_targets
        )

    def delta(self, node_id: str, text: str) -> None:
        """A piece of ``node_id``'s progress output: a step.delta event of this execution,
        and of each execution awaiting it, attributed there to the node running it (each
        event built only if someone follows that execution, :meth:`event`; redacted by
        every run it crosses)."""
        if self.hooks.on_event is None:
            return
        text = self.redact(text)
        self.event(STEP_DELTA, {"node_id": node_id, "text": text})
        for run, caller in self.delta_targets:
            text = run.redact(text)
            run.event(
                STEP_DELTA,
                {
                    "node_id": caller,
                    "text": text,
                    "child_execution_id": self.record.id,
                    "child_node_id": node_id,
                },
            )


class _Work:
    """One drive of a run's ready nodes, as the dispatcher sees it (dispatch.ReadyWork)."""

    __slots__ = ("run", "status", "top_level", "tracker")

    def __init__(self, run: ExecutionRun, tracker: ReadyTracker, top_level: bool = False) -> None:
        self.run = run
        self.status = run.status
        self.tracker = tracker
        self.top_level = top_level

    def begin(self, node_id: str) -> None:
        if node_id in self.status:
            self.run.set_status(node_id, RUNNING)  # not pending: raises
        else:
            self.status[node_id] = RUNNING  # pending → running (the hot path)

    def run_node(self, node_id: str) -> Awaitable[Outcome]:
        return run_node(self.run, node_id)

    def complete(self, node_id: str, outcome: Outcome, ready: list[str]) -> None:
        run = self.run
        done = [(node_id, outcome), *(outcome.region or ())]
        for n, o in done:
            run.settle(n, o)
        for n, o in done:
            if o.status != WAITING:
                self.tracker.resolved(n, run.status, ready)
