"""The executor: runs one execution of a compiled graph, durably.

The state machine, in one place:

- A node is *ready* when every node feeding it is resolved. Its input on each port is the
  concatenation of what the feeding nodes emitted on the connected output ports.
- A ready node with incoming connections but no input items at all is *skipped* (this is
  how an untaken ``core.if``/``core.switch`` branch, and everything only it feeds, is
  skipped); a node fed by several branches runs with the items of the non-skipped ones
  (so ``core.merge`` waits for its non-skipped inputs).
- The trigger that started the execution emits the execution's input; other triggers are
  skipped. A document without triggers starts at its root nodes.
- Independent ready nodes run concurrently (one asyncio task each; a lone ready node is
  awaited inline to keep linear workflows cheap).
- A failing node is retried per its retry policy (exponential backoff with jitter), each
  attempt recorded as a step; then ``on_error`` decides: ``stop`` fails the execution,
  ``continue`` passes the input items on with an ``error`` field, ``error_output`` sends
  them to the ``error`` output.
- A node may return :class:`Wait`: short waits sleep in-process (no thread is held); long
  ones and webhook resumes park the execution as ``waiting`` and end this coroutine; the
  engine resumes it later from the stored steps.
- Every step (node, run index, attempt) is written to the store when it ends; the execution
  row when it starts and ends. Resuming rebuilds the state from the stored steps and runs
  what had not finished (at-least-once for an interrupted step).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wirework.engine import expressions
from wirework.engine.graph import Graph, GraphNode
from wirework.engine.store import ExecutionRecord, StepRecord, Store
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs, Response, StopExecution, Wait

# Waits up to this long happen in-process; longer ones park the execution in the database.
INLINE_WAIT_S = 5.0
# A parked step's output holds what it waits for under this (not a valid port name).
WAIT_PORT = "$wait"
_RESOLVED = frozenset({"success", "skipped", "error"})
_RNG = random.Random()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExecutionFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "execution failed"))
        self.error = error


@dataclass
class Hooks:
    """What the executor needs from the layers around it (no ORM, no HTTP here)."""

    credentials: Callable[[int], Awaitable[dict[str, Any]]] | None = None
    run_workflow: (
        Callable[[ExecutionRun, int, list[Item], bool], Awaitable[list[Item] | None]] | None
    ) = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    resume_url: Callable[[str], str] | None = None
    # Waits up to this long sleep in-process; longer ones park the execution.
    inline_wait_s: float = INLINE_WAIT_S
    on_event: Callable[[str, dict[str, Any]], None] | None = None


@dataclass(slots=True)
class _Outcome:
    status: str  # success | error | skipped | waiting
    outputs: Outputs
    wait: Wait | None = None


class _NodeItems(Mapping[str, Any]):
    """Display name → main output items of the nodes that ran (read lazily), for
    ``nodes['Name'].json`` / ``.items`` in expressions."""

    def __init__(self, run: ExecutionRun) -> None:
        self._run = run

    def __getitem__(self, name: str) -> Any:
        node = self._run.graph.node_by_name(name)
        if node is None or node.id not in self._run.outputs:
            raise KeyError(name)
        return self._run.outputs[node.id].get("main", [])

    def __iter__(self) -> Iterator[str]:
        return iter(self._run.graph.by_name)

    def __len__(self) -> int:
        return len(self._run.graph.by_name)


class _ExecutionInfo(Mapping[str, Any]):
    """``execution`` in expressions; the signed resume URL is only made when asked for."""

    def __init__(self, record: ExecutionRecord, resume_url: Callable[[str], str] | None) -> None:
        self._record = record
        self._resume_url = resume_url

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self._record.id
        if key == "mode":
            return self._record.mode
        if key == "resume_url" and self._resume_url is not None:
            return self._resume_url(self._record.id)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("id", "mode", "resume_url") if self._resume_url else ("id", "mode"))

    def __len__(self) -> int:
        return 3 if self._resume_url else 2


class _Context(NodeContext):
    def __init__(self, run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]) -> None:
        self._run = run
        self._node = node
        self.execution_id = run.record.id
        self.execution_mode = run.record.mode
        self.workflow_id = run.graph.workflow_id
        self.workflow_name = run.graph.name
        self.node_id = node.id
        self.node_name = node.name
        self.node_type = node.type
        self.run_index = 0
        self.attempt = 1
        self.inputs = inputs
        self._items = self.items
        self._base_scope: dict[str, Any] | None = None

    def _scope(self, index: int | None) -> dict[str, Any]:
        scope = self._base_scope
        if scope is None:
            run = self._run
            scope = self._base_scope = expressions.make_scope(
                None,
                items=self._items,
                nodes=run.nodes_view,
                trigger=run.trigger_item,
                execution=run.execution_info,
                workflow=run.workflow_info,
                vars=run.hooks.variables,
            )
        if index is None or index >= len(self._items):
            return scope
        return expressions.with_item(scope, self._items[index])

    def params(self, index: int | None = 0) -> dict[str, Any]:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = self._node.params.evaluate(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        result: dict[str, Any] = value
        if self._node.literal_params:
            result = {**result, **self._node.literal_params}
        return result

    def evaluate(self, value: Any, index: int | None = 0) -> Any:
        try:
            return expressions.evaluate(value, self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def credentials(self, integration_id: int) -> dict[str, Any]:
        if self._run.hooks.credentials is None:
            raise NodeError("no credential store is available here", retryable=False)
        values = await self._run.hooks.credentials(integration_id)
        self._run.secrets.update(str(v) for v in values.values() if isinstance(v, str) and v)
        return values

    def respond(self, response: Response) -> None:
        self._run.respond(response)

    async def run_workflow(
        self, workflow_id: int, items: list[Item], *, wait: bool = True
    ) -> list[Item] | None:
        if self._run.hooks.run_workflow is None:
            raise NodeError("sub-workflows cannot run here", retryable=False)
        return await self._run.hooks.run_workflow(self._run, workflow_id, items, wait)


class ExecutionRun:
    """One execution in progress in this process."""

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
    ) -> None:
        self.graph = graph
        self.record = record
        self.store = store
        self.hooks = hooks or Hooks()
        self.input_items = input_items if input_items is not None else [{}]
        self.start_node = start_node
        self.outputs: dict[str, Outputs] = {}
        self.status: dict[str, str] = {}
        self.attempts: dict[str, int] = {}
        self.secrets: set[str] = set()
        self.nodes_view = expressions.NodesView(_NodeItems(self))
        self.workflow_info = {"id": graph.workflow_id, "name": graph.name}
        self.trigger_item: Item = {}
        self.response: asyncio.Future[Response] | None = None
        self._last_success: str | None = None
        self._rng = rng or _RNG
        self._waiting: dict[str, Wait] = {}
        self._run_indexes: dict[str, int] = {}  # nodes inside a core.loop body: the batch
        self._attempt_floor: dict[str, int] = {}  # highest attempt already stored, per node
        self._starts = self._start_nodes()
        self.execution_info = _ExecutionInfo(record, self.hooks.resume_url)

    # -- public -----------------------------------------------------------------------------

    def respond(self, response: Response) -> None:
        if self.response is not None and not self.response.done():
            self.response.set_result(response)

    async def run(
        self, *, resume: bool = False, resumed: Mapping[str, Any] | None = None
    ) -> ExecutionRecord:
        """Run until finished, failed, canceled or parked waiting; returns the final record.

        ``resume`` continues from the stored steps; ``resumed`` maps waiting node ids to the
        payload of the webhook call that resumes them."""
        resumed = resumed or {}
        self._event("execution.started", {})
        try:
            deadline = self.record.deadline_at
            if deadline is not None:
                remaining = (deadline - utcnow()).total_seconds()
                if remaining <= 0:
                    raise ExecutionFailed({"message": "execution timed out", "type": "timeout"})
                async with asyncio.timeout(remaining):
                    await self._run(resume, resumed)
            else:
                await self._run(resume, resumed)
        except TimeoutError:
            timeout = self.graph.settings.get("timeout_s")
            self._finish(
                "error", {"message": f"execution timed out after {timeout} s", "type": "timeout"}
            )
        except ExecutionFailed as exc:
            self._finish("error", exc.error)
        except asyncio.CancelledError:
            self._finish("canceled", {"message": "execution canceled", "type": "canceled"})
            raise
        return self.record

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self, resume: bool, resumed: Mapping[str, Any]) -> None:
        graph = self.graph
        remaining = {node_id: len(graph.nodes[node_id].sources) for node_id in graph.order}
        ready: list[str] = []
        if resume:
            await self._load_state()
        for node_id in graph.order:  # triggers that did not start this execution
            node = graph.nodes[node_id]
            if node_id not in self.status and node.is_trigger and node_id not in self._starts:
                self.status[node_id] = "skipped"
                self.outputs[node_id] = {}
        for node_id, wait in list(self._waiting.items()):
            if node_id in resumed:
                self._complete_wait(node_id, wait, resumed[node_id])
            elif self._wait_over(wait):
                self._complete_wait(node_id, wait)
        for node_id in graph.order:
            if self.status.get(node_id) in _RESOLVED:
                self._resolved(node_id, remaining, ready)
        for node_id in graph.order:
            if remaining[node_id] == 0 and node_id not in self.status and node_id not in ready:
                ready.append(node_id)
        await self._drive(ready, remaining)
        if self._waiting:
            self._park()
        else:
            self._finish("success", None)

    def _resolved(self, node_id: str, remaining: dict[str, int], ready: list[str]) -> None:
        """``node_id`` is done: its targets (within ``remaining``'s scope) may become ready."""
        for target in dict.fromkeys(e.target for e in self.graph.nodes[node_id].outgoing):
            if target not in remaining:
                continue
            remaining[target] -= 1
            if remaining[target] == 0 and target not in self.status:
                ready.append(target)

    async def _drive(self, ready: list[str], remaining: dict[str, int]) -> None:
        """Run ready nodes (concurrently when several are ready) until none is left."""
        running: dict[asyncio.Task[_Outcome], str] = {}
        try:
            while ready or running:
                if len(ready) == 1 and not running:
                    node_id = ready.pop()
                    outcome = await self._run_node(node_id)
                    self._settle(node_id, outcome)
                    if outcome.status != "waiting":
                        self._resolved(node_id, remaining, ready)
                    continue
                while ready:
                    node_id = ready.pop(0)
                    self.status[node_id] = "running"
                    task = asyncio.ensure_future(self._run_node(node_id))
                    running[task] = node_id
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    node_id = running.pop(task)
                    outcome = task.result()  # ExecutionFailed propagates; finally cancels others
                    self._settle(node_id, outcome)
                    if outcome.status != "waiting":
                        self._resolved(node_id, remaining, ready)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _run_loop(self, node: GraphNode, inputs: dict[str, list[Item]]) -> _Outcome:
        """``core.loop``: run the nodes after its ``loop`` output once per batch (run index =
        batch number), then emit all items on ``done``. The body nodes' outputs are the
        concatenation of their runs."""
        graph = self.graph
        items = _concat(inputs)
        size = int(_Context(self, node, inputs).params(0).get("batch_size") or 10)
        body = [n for n in graph.order if n in graph.loop_bodies.get(node.id, ())]
        collected: dict[str, Outputs] = {n: {} for n in body}
        ran: set[str] = set()
        for index, start in enumerate(range(0, len(items), max(1, size))):
            for n in body:
                self.status.pop(n, None)
                self.outputs.pop(n, None)
                self._run_indexes[n] = index
                self.attempts[n] = self._attempt_floor.get(n, 0)
            self.outputs[node.id] = {"loop": items[start : start + size]}
            remaining = {n: sum(1 for s in graph.nodes[n].sources if s in collected) for n in body}
            await self._drive([n for n in body if remaining[n] == 0], remaining)
            if any(n in self._waiting for n in body):
                raise ExecutionFailed(
                    {
                        "message": f"node {node.id!r}: a wait inside a core.loop body must be "
                        f"short (≤ {self.hooks.inline_wait_s:g} s); it cannot park the execution",
                        "type": "node_error",
                        "node_id": node.id,
                    }
                )
            for n in body:
                if self.status.get(n) in ("success", "error"):
                    ran.add(n)
                for port, port_items in self.outputs.get(n, {}).items():
                    collected[n].setdefault(port, []).extend(port_items)
        for n in body:
            self.status[n] = "success" if n in ran else "skipped"
            self.outputs[n] = collected[n]
            self._run_indexes.pop(n, None)
        return _Outcome("success", {"done": items})

    def _start_nodes(self) -> set[str]:
        graph = self.graph
        if self.start_node is not None:
            return {self.start_node}
        triggers = graph.triggers
        if triggers:
            return {triggers[0]}
        return {n for n in graph.order if not graph.nodes[n].incoming}

    def _settle(self, node_id: str, outcome: _Outcome) -> None:
        self.status[node_id] = outcome.status
        if outcome.status == "waiting":
            assert outcome.wait is not None
            self._waiting[node_id] = outcome.wait
            return
        self.outputs[node_id] = outcome.outputs
        if outcome.status == "success" and any(outcome.outputs.values()):
            self._last_success = node_id

    # -- one node ---------------------------------------------------------------------------

    def _inputs(self, node: GraphNode) -> dict[str, list[Item]]:
        if node.id in self._starts and not node.incoming:
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

    async def _run_node(self, node_id: str) -> _Outcome:
        node = self.graph.nodes[node_id]
        inputs = self._inputs(node)
        started = utcnow()
        pinned = self.graph.pinned.get(node_id)
        if pinned is not None and self.record.mode in ("manual", "test", "cli"):
            return self._record(node, 1, started, _Outcome("success", {"main": list(pinned)}))
        if node.is_trigger:
            items = inputs.get("main", [])
            self.trigger_item = items[0] if items else {}
            return self._record(node, 1, started, _Outcome("success", {"main": items}))
        if not any(inputs.values()) and (node.incoming or node_id not in self._starts):
            return self._record(node, 1, started, _Outcome("skipped", {}))
        if node.disabled:
            return self._record(node, 1, started, _Outcome("skipped", {"main": _concat(inputs)}))

        if node.type == "core.loop":
            return self._record(node, 1, started, await self._run_loop(node, inputs))

        attempt = self.attempts.get(node_id, 0) + 1
        policy = node.retry
        while True:
            self.attempts[node_id] = attempt
            started = utcnow()
            error: dict[str, Any]
            self._event("step.started", {"node_id": node_id, "attempt": attempt})
            try:
                ctx = _Context(self, node, inputs)
                ctx.attempt = attempt
                if node.timeout_s:
                    async with asyncio.timeout(node.timeout_s):
                        outcome = await self._invoke(node, ctx)
                else:
                    outcome = await self._invoke(node, ctx)
                if outcome.wait is not None:
                    outcome = await self._handle_wait(node, attempt, started, inputs, outcome.wait)
                    if outcome.status == "waiting":
                        return outcome
                return self._record(node, attempt, started, outcome)
            except TimeoutError:
                error = {"message": f"node timed out after {node.timeout_s} s", "type": "timeout"}
                retryable = True
            except StopExecution as exc:
                error = {"message": self._redact(exc.message), "type": "stop"}
                retryable = False
            except NodeError as exc:
                error = {"message": self._redact(exc.message), "type": "node_error"}
                if exc.details:
                    error["details"] = exc.details
                retryable = exc.retryable
            except ExecutionFailed:
                raise
            except Exception as exc:  # a node's bug is its step's error, not the engine's
                error = {
                    "message": self._redact(f"{type(exc).__name__}: {exc}"),
                    "type": "exception",
                }
                retryable = True
            error["node_id"] = node_id
            self._record(node, attempt, started, _Outcome("error", {}), error=error)
            if retryable and attempt < policy.max_attempts:
                await asyncio.sleep(policy.delay(attempt, self._rng.random()))
                attempt += 1
                continue
            return self._on_error(node, inputs, error)

    async def _invoke(self, node: GraphNode, ctx: _Context) -> _Outcome:
        spec = node.spec
        if spec.run_item is not None:
            items = ctx.items
            out: list[Item] = []
            failed: list[Item] = []
            for index, item in enumerate(items):
                try:
                    result = await spec.run_item(ctx, item, ctx.params(index))
                except (NodeError, Exception) as exc:
                    if node.on_error != "error_output" or isinstance(exc, StopExecution):
                        raise
                    message = exc.message if isinstance(exc, NodeError) else str(exc)
                    failed.append({**item, "error": {"message": self._redact(message)}})
                    continue
                if result is None:
                    continue
                if isinstance(result, dict):
                    out.append(result)
                else:
                    out.extend(result)
            outputs: Outputs = {"main": out}
            if failed:
                outputs["error"] = failed
            return _Outcome("success", outputs)
        if spec.run is not None:
            result_all = await spec.run(ctx)
            if isinstance(result_all, Wait):
                return _Outcome("success", {}, wait=result_all)
            if isinstance(result_all, list):
                return _Outcome("success", {"main": result_all})
            return _Outcome("success", result_all)
        return _Outcome("success", {"main": ctx.items})

    def _on_error(
        self, node: GraphNode, inputs: dict[str, list[Item]], error: dict[str, Any]
    ) -> _Outcome:
        if node.on_error == "continue":
            items = [{**item, "error": error["message"]} for item in _concat(inputs)] or [
                {"error": error["message"]}
            ]
            return _Outcome("error", {"main": items})
        if node.on_error == "error_output":
            items = [{**item, "error": error} for item in _concat(inputs)] or [{"error": error}]
            return _Outcome("error", {"error": items})
        raise ExecutionFailed(error)

    # -- waits ------------------------------------------------------------------------------

    async def _handle_wait(
        self,
        node: GraphNode,
        attempt: int,
        started: dt.datetime,
        inputs: dict[str, list[Item]],
        wait: Wait,
    ) -> _Outcome:
        items = wait.items if wait.items is not None else _concat(inputs)
        wait.items = items
        if wait.resume is None and wait.until is not None:
            delay = (wait.until - utcnow()).total_seconds()
            if delay <= self.hooks.inline_wait_s:
                if delay > 0:
                    await asyncio.sleep(delay)
                return _Outcome("success", {"main": items})
        # Park: record the step as waiting, with what it will emit when it resumes and what
        # it waits for.
        spec = {"until": wait.until.isoformat() if wait.until else None, "resume": wait.resume}
        self._record(
            node, attempt, started, _Outcome("waiting", {"main": items, WAIT_PORT: [spec]})
        )
        return _Outcome("waiting", {}, wait=wait)

    @staticmethod
    def _wait_over(wait: Wait) -> bool:
        if wait.resume == "webhook":
            return False
        return wait.until is None or wait.until <= utcnow()

    def _complete_wait(self, node_id: str, wait: Wait, payload: Any = None) -> None:
        node = self.graph.nodes[node_id]
        items = list(wait.items or [])
        if payload is not None:
            items = [{**item, "resume": payload} for item in items] or [{"resume": payload}]
        attempt = self.attempts.get(node_id, 1)
        self._waiting.pop(node_id, None)
        self._record(node, attempt, utcnow(), _Outcome("success", {"main": items}))
        self._settle(node_id, _Outcome("success", {"main": items}))

    def _park(self) -> None:
        untils = [w.until for w in self._waiting.values() if w.resume is None and w.until]
        wait_until = min(untils) if untils else None
        self.record.status = "waiting"
        self.record.wait_until = wait_until
        self.store.update_execution(self.record.id, status="waiting", wait_until=wait_until)
        self._event("execution.waiting", {"wait_until": wait_until})

    async def _load_state(self) -> None:
        """Rebuild node states from stored steps (the newest attempt of each node wins)."""
        latest: dict[str, StepRecord] = {}
        for step in await self.store.load_steps(self.record.id):
            seen = latest.get(step.node_id)
            if seen is None or step.attempt >= seen.attempt:
                latest[step.node_id] = step
        in_loops = set().union(*self.graph.loop_bodies.values())
        for node_id, step in latest.items():
            if node_id not in self.graph.nodes:
                continue
            self.attempts[node_id] = step.attempt
            self._attempt_floor[node_id] = step.attempt
            if node_id in in_loops:
                continue  # runs again with its loop
            node = self.graph.nodes[node_id]
            if step.status in ("success", "skipped"):
                self.status[node_id] = step.status
                self.outputs[node_id] = step.output or {}
                if node.is_trigger:
                    items = (step.output or {}).get("main", [])
                    self.trigger_item = items[0] if items else {}
            elif step.status == "error" and node.on_error in ("continue", "error_output"):
                self.status[node_id] = "error"
                self.outputs[node_id] = step.output or {}
            elif step.status == "waiting":
                self.status[node_id] = "waiting"
                output = step.output or {}
                spec = (output.get(WAIT_PORT) or [{}])[0]
                until = dt.datetime.fromisoformat(spec["until"]) if spec.get("until") else None
                self._waiting[node_id] = Wait(
                    until=until, resume=spec.get("resume"), items=output.get("main", [])
                )
            # error (stop) / running: the node runs again (at-least-once).

    # -- records ----------------------------------------------------------------------------

    def _record(
        self,
        node: GraphNode,
        attempt: int,
        started: dt.datetime,
        outcome: _Outcome,
        *,
        error: dict[str, Any] | None = None,
    ) -> _Outcome:
        finished = None if outcome.status == "waiting" else utcnow()
        step = StepRecord(
            execution_id=self.record.id,
            node_id=node.id,
            run_index=self._run_indexes.get(node.id, 0),
            attempt=attempt,
            status=outcome.status,
            started_at=started,
            finished_at=finished,
            error=error,
            output=outcome.outputs if outcome.status != "skipped" or outcome.outputs else None,
            items_out=sum(len(v) for v in outcome.outputs.values()),
        )
        self.store.record_step(step)
        self._event(
            "step.finished",
            {
                "node_id": node.id,
                "status": outcome.status,
                "attempt": attempt,
                "error": error,
                "items": step.items_out,
            },
        )
        return outcome

    def _finish(self, status: str, error: dict[str, Any] | None) -> None:
        record = self.record
        record.status = status
        record.error = error
        record.finished_at = utcnow()
        record.wait_until = None
        record.result_node = self.graph.settings.get("result_node") or self._last_success
        self.store.update_execution(
            record.id,
            status=status,
            error=error,
            finished_at=record.finished_at,
            wait_until=None,
            result_node=record.result_node,
        )
        save = self.graph.settings.get("save_data", "all")
        if save == "none" or (save == "errors" and status == "success"):
            self.store.drop_outputs(record.id)
        if self.response is not None and not self.response.done():
            self.response.set_result(self.default_response())
        self._event("execution.finished", {"status": status, "error": error})

    def default_response(self) -> Response:
        """What a webhook in ``last_node`` mode answers: the result items, or the error."""
        if self.record.status == "error":
            message = (self.record.error or {}).get("message", "execution failed")
            return Response(500, {}, {"error": message, "execution_id": self.record.id})
        items = self.result()
        body: Any = items[0] if len(items) == 1 else items
        return Response(200, {}, body)

    def result(self) -> list[Item]:
        return self.outputs.get(self.record.result_node or "", {}).get("main", [])

    def _redact(self, message: str) -> str:
        for secret in self.secrets:
            if len(secret) >= 4:
                message = message.replace(secret, "********")
        return message

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        if self.hooks.on_event is not None:
            self.hooks.on_event(kind, {"execution_id": self.record.id, "t": time.time(), **data})


def _concat(inputs: dict[str, list[Item]]) -> list[Item]:
    if len(inputs) == 1:
        return next(iter(inputs.values()))
    return [item for items in inputs.values() for item in items]
