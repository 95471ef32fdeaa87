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
  attempt recorded as a step. The next attempt is recorded first as a ``waiting`` step whose
  wait spec says ``retry`` and when: a short backoff (up to ``inline_wait_s``, or inside a
  ``core.loop`` body or a sub-workflow) sleeps in-process, a longer one parks the execution;
  either way a resumed execution runs the attempt when it is due. Then ``on_error``
  decides: ``stop`` fails the execution, ``continue`` passes the input items on with an
  ``error`` field, ``error_output`` sends them to the ``error`` output.
- A node may return :class:`Wait`: short waits sleep in-process (no thread is held); long
  ones and webhook resumes park the execution as ``waiting`` and end this coroutine; the
  engine resumes it later from the stored steps.
- Every step (node, run index, attempt) is written to the store when it ends; the execution
  row when it starts and ends. Resuming rebuilds the state from the stored steps and runs
  what had not finished (at-least-once for an interrupted step).
- **Large inputs stream.** A streamable node (items independent, see
  ``GraphNode.streamable``) whose input holds more than ``CHUNK_ITEMS`` items runs in
  batches, and each batch flows on at once through the streamable nodes that only it feeds
  (its *region*): a million items pass set → filter with one batch of each in flight.
  Outputs of more than ``CHUNK_ITEMS`` items are stored as appended batches, never as one
  blob. Once every node fed by a node has taken its input, that node's large output is
  *released* from memory unless an expression reads it by name or it is the result; the
  stored steps still hold it (and the result is read back if it was released).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wirework.engine import expr_budget, expressions
from wirework.engine.graph import Graph, GraphNode
from wirework.engine.store import ExecutionRecord, StepRecord, Store
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs, Response, StopExecution, Wait
from wirework.vault.masking import credential_secrets
from wirework.vault.redaction import Redactor

# Waits up to this long happen in-process; longer ones park the execution in the database.
INLINE_WAIT_S = 5.0
# A parked step's output holds what it waits for under this (not a valid port name).
WAIT_PORT = "$wait"
# Inputs larger than this stream through streamable nodes in batches of this many items;
# outputs larger than this are stored in batches and may be released from memory.
CHUNK_ITEMS = 1000
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
    # Stores an integration's new OAuth2 tokens (refreshed by a step) with it.
    save_tokens: Callable[[int, dict[str, Any]], Awaitable[None]] | None = None
    run_workflow: (
        Callable[[ExecutionRun, int, list[Item], bool], Awaitable[list[Item] | None]] | None
    ) = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    resume_url: Callable[[str], str] | None = None
    # Waits up to this long sleep in-process; longer ones park the execution.
    inline_wait_s: float = INLINE_WAIT_S
    on_event: Callable[[str, dict[str, Any]], None] | None = None
    # Whether anyone follows an execution's progress; None: always. ``execution.finished``
    # is sent regardless.
    listening: Callable[[str], bool] | None = None


@dataclass(slots=True)
class _Outcome:
    status: str  # success | error | skipped | waiting
    outputs: Outputs
    wait: Wait | None = None
    # A streamed region: the outcomes of the nodes after the first, in graph order.
    region: list[tuple[str, _Outcome]] | None = None
    # The output was not kept in memory (it is in the store); this many items.
    released: int = 0


class _StreamFailed(Exception):
    """A node of a streamed region failed on a batch."""

    def __init__(self, node_id: str, exc: BaseException) -> None:
        super().__init__(node_id)
        self.node_id = node_id
        self.exc = exc


class _NodeItems(Mapping[str, Any]):
    """Display name → main output items of the nodes that ran (read lazily), for
    ``nodes['Name'].json`` / ``.items`` in expressions.

    Holds the graph and the run's outputs dict, not the run: no reference cycle, so a
    finished execution is freed by reference counting at once, not by the cyclic GC."""

    def __init__(self, graph: Graph, outputs: dict[str, Outputs]) -> None:
        self._graph = graph
        self._outputs = outputs

    def __getitem__(self, name: str) -> Any:
        node = self._graph.node_by_name(name)
        if node is None or node.id not in self._outputs:
            raise KeyError(name)
        return self._outputs[node.id].get("main", [])

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.by_name)

    def __len__(self) -> int:
        return len(self._graph.by_name)


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


class _AllSecret(dict[str, Any]):
    """Values a node declared secret (:meth:`NodeContext.add_secrets`): every field is."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.secret_fields = frozenset(self)


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
        self.integration_id = node.integration_id
        self.run_index = 0
        self.attempt = 1
        self.inputs = inputs
        self._items = self.items
        self._base_scope: dict[str, Any] | None = None
        self.used_credentials = False

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
                timezone=run.graph.settings.get("timezone"),
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
        return self._checked_params(value)

    def params_inline(self, index: int | None = 0) -> dict[str, Any] | None:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = self._node.params.evaluate_inline(self._scope(index))
        except expr_budget.OffLoop:
            return None
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        return self._checked_params(value)

    async def aparams(self, index: int | None = 0) -> dict[str, Any]:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = await self._node.params.evaluate_async(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        return self._checked_params(value)

    def _checked_params(self, value: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = value
        for check in self._node.param_checks:
            try:
                result[check.name] = check.check(result[check.name])
            except ValueError as exc:
                raise NodeError(f"node {self.node_id!r}: {exc}", retryable=False) from None
        if self._node.literal_params:
            result = {**result, **self._node.literal_params}
        return result

    def evaluate(self, value: Any, index: int | None = 0) -> Any:
        try:
            return expressions.evaluate(value, self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def aevaluate(self, value: Any, index: int | None = 0) -> Any:
        try:
            return await expressions.compile_value(value).evaluate_async(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def aevaluate_with(
        self, value: Any, names: Mapping[str, Any], index: int | None = 0
    ) -> Any:
        scope = {**self._scope(index), **names}
        try:
            return await expressions.compile_value(value).evaluate_async(scope)
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def credentials(self, integration_id: int) -> dict[str, Any]:
        if self._run.hooks.credentials is None:
            raise NodeError("no credential store is available here", retryable=False)
        values = await self._run.hooks.credentials(integration_id)
        self._run.add_secrets(values)
        self.used_credentials = True
        return values

    def add_secrets(self, values: Mapping[str, Any]) -> None:
        self._run.add_secrets(_AllSecret(values))
        self.used_credentials = True

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:
        if self._run.hooks.save_tokens is not None:
            await self._run.hooks.save_tokens(integration_id, tokens)

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
        # Secret credential values loaded by this run's nodes (and the strings they travel
        # with): every form of them is redacted from errors and from those nodes' outputs.
        self.secrets: set[str] = set()
        self._companions: set[str] = set()
        self._redactor = Redactor()
        self.nodes_view = expressions.NodesView(_NodeItems(graph, self.outputs))
        self.workflow_info = {"id": graph.workflow_id, "name": graph.name}
        self.trigger_item: Item = {}
        self.response: asyncio.Future[Response] | None = None
        self._last_success: str | None = None
        self._rng = rng or _RNG
        self._waiting: dict[str, Wait] = {}
        self._retrying: set[str] = set()  # waiting nodes whose wait is a retry backoff
        self._run_indexes: dict[str, int] = {}  # nodes inside a core.loop body: the batch
        self._attempt_floor: dict[str, int] = {}  # highest attempt already stored, per node
        self._starts = self._start_nodes()
        self.execution_info = _ExecutionInfo(record, self.hooks.resume_url)
        # Nodes whose large outputs were dropped from memory once consumed (see _release).
        self._released: set[str] = set()
        self._consumers_left = dict(graph.consumers)
        # Set when this process lets go of the run (shutting down): cancelling it then
        # leaves the execution unfinished for whoever resumes it, instead of canceled.
        self.detached = False

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
            if not self.detached:  # detached: the process stops; another one takes over
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
            if node_id in self._retrying:  # a retry backoff: when due the node runs again
                if self._wait_over(wait):
                    del self._waiting[node_id], self.status[node_id]
                    self._retrying.discard(node_id)
            elif node_id in resumed:
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
            return
        result_node = self.graph.settings.get("result_node") or self._last_success
        if result_node in self._released:  # the result was released: read it back
            await self.store.flush(self.record.id)
            self.outputs[result_node] = (
                await self.store.load_output(self.record.id, result_node) or {}
            )
            self._released.discard(result_node)
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
                    self._complete(node_id, outcome, remaining, ready)
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
                    self._complete(node_id, outcome, remaining, ready)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def _complete(
        self, node_id: str, outcome: _Outcome, remaining: dict[str, int], ready: list[str]
    ) -> None:
        done = [(node_id, outcome), *(outcome.region or ())]
        for n, o in done:
            self._settle(n, o)
        for n, o in done:
            if o.status != "waiting":
                self._resolved(n, remaining, ready)

    async def _run_loop(self, node: GraphNode, inputs: dict[str, list[Item]]) -> _Outcome:
        """``core.loop``: run the nodes after its ``loop`` output once per batch (run index =
        batch number), then emit all items on ``done``. The body nodes' outputs are the
        concatenation of their runs."""
        graph = self.graph
        items = _concat(inputs)
        size = int((await _Context(self, node, inputs).aparams(0)).get("batch_size") or 10)
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
        if outcome.released:
            self._released.add(node_id)
        if outcome.status == "success" and (outcome.released or any(outcome.outputs.values())):
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
            self.input_items = []  # the trigger's output holds them now
            return self._record(node, 1, started, _Outcome("success", {"main": items}))
        owned = self._consume(node, inputs)
        if not any(inputs.values()) and (node.incoming or node_id not in self._starts):
            return self._record(node, 1, started, _Outcome("skipped", {}))
        if node.disabled:
            return self._record(node, 1, started, _Outcome("skipped", {"main": _concat(inputs)}))

        if node.type == "core.loop":
            return self._record(node, 1, started, await self._run_loop(node, inputs))
        if node.streamable and sum(len(v) for v in inputs.values()) > CHUNK_ITEMS:
            return await self._run_stream(node, inputs.get("main", []), owned)

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
            except ExecutionFailed:
                raise
            except Exception as exc:  # a node's bug is its step's error, not the engine's
                error, retryable = self._describe(node, exc)
            self._record(node, attempt, started, _Outcome("error", {}), error=error)
            if retryable and attempt < policy.max_attempts:
                attempt += 1
                wait = await self._retry_later(
                    node, attempt, policy.delay(attempt - 1, self._rng.random())
                )
                if wait is not None:
                    return _Outcome("waiting", {}, wait=wait)
                continue
            return self._on_error(node, inputs, error)

    async def _retry_later(self, node: GraphNode, attempt: int, delay: float) -> Wait | None:
        """Schedule ``attempt`` of ``node`` in ``delay`` seconds, durably (a waiting step
        says when). A short backoff sleeps here and returns None; a long one returns the
        wait that parks the execution."""
        until = utcnow() + dt.timedelta(seconds=delay)
        spec = {"until": until.isoformat(), "resume": None, "retry": True}
        waiting = _Outcome("waiting", {WAIT_PORT: [spec]})
        self._record(node, attempt, utcnow(), waiting, items_out=0)
        # A loop body cannot park, nor a sub-workflow its parent awaits (the parent's step
        # runs it again if the process dies).
        in_loop = any(node.id in body for body in self.graph.loop_bodies.values())
        awaited = self.record.mode == "subworkflow"
        if delay <= self.hooks.inline_wait_s or in_loop or awaited:
            await asyncio.sleep(delay)
            return None
        self._retrying.add(node.id)
        return Wait(until=until)

    def _describe(self, node: GraphNode, exc: Exception) -> tuple[dict[str, Any], bool]:
        """A node's failure as its step's error (secrets redacted), and whether to retry."""
        error: dict[str, Any]
        retryable = True
        if isinstance(exc, TimeoutError):
            error = {"message": f"node timed out after {node.timeout_s} s", "type": "timeout"}
        elif isinstance(exc, StopExecution):
            error = {"message": self._redact(exc.message), "type": "stop"}
            retryable = False
        elif isinstance(exc, NodeError):
            error = {"message": self._redact(exc.message), "type": "node_error"}
            if exc.details:
                error["details"] = self._redact_value(exc.details)
            retryable = exc.retryable
        else:
            error = {"message": self._redact(f"{type(exc).__name__}: {exc}"), "type": "exception"}
        error["node_id"] = node.id
        return error, retryable

    # -- streaming large inputs -------------------------------------------------------------

    def _release(self, node_id: str) -> bool:
        """Drop a consumed node's large output from memory (the store keeps it); whether it
        is released now."""
        if node_id in self._released:
            return True
        if node_id not in self.graph.releasable:
            return False
        outputs = self.outputs.get(node_id)
        if not outputs or sum(len(v) for v in outputs.values()) <= CHUNK_ITEMS:
            return False
        self.outputs[node_id] = {}
        self._released.add(node_id)
        return True

    def _consume(self, node: GraphNode, inputs: dict[str, list[Item]]) -> bool:
        """``node`` has taken its inputs: release what no other node needs. Returns whether
        its ``main`` input list is now its own (nothing else holds it), so that it may free
        the items batch by batch as it goes."""
        if not node.incoming:
            return False
        owned = True
        for source in {e.source for e in node.incoming}:
            left = self._consumers_left[source] = self._consumers_left[source] - 1
            if not (left == 0 and self._release(source)) or any(
                e.target != node.id for e in self.graph.nodes[source].outgoing
            ):
                owned = False
        main = inputs.get("main")
        if not owned or main is None:
            return False
        shared = main is self.input_items or any(
            items is main for outputs in self.outputs.values() for items in outputs.values()
        )
        return not shared and not any(w.items is main for w in self._waiting.values())

    def _region(self, root: GraphNode) -> list[str]:
        """The streamable nodes fed only by ``root`` or by each other, in graph order: each
        batch of ``root``'s input flows through all of them before the next. None of them may
        read another's output by name (it would be mid-stream)."""
        graph = self.graph
        members = [root.id]
        names = {root.name}
        pinned = graph.pinned if self.record.mode in ("manual", "test", "cli") else {}
        for node_id in graph.order:
            node = graph.nodes[node_id]
            if (
                len(node.incoming) == 1
                and node.incoming[0].source in members
                and node.streamable
                and node_id not in self.status
                and node_id not in pinned
                and not (node.node_refs or frozenset()) & names
                and not any(node.name in (graph.nodes[m].node_refs or ()) for m in members)
            ):
                members.append(node_id)
                names.add(node.name)
        return members

    async def _run_stream(self, root: GraphNode, items: list[Item], owned: bool) -> _Outcome:
        """Run ``root`` and its region (see :meth:`_region`) batch by batch over ``items``.

        Outputs are appended to the store per batch. Only the outputs that something still
        needs are gathered in memory: those feeding nodes outside the region, those of its
        leaves, and those read by name or marked as the result."""
        graph = self.graph
        region = self._region(root)
        members = set(region)
        started = utcnow()
        routes: dict[str, dict[str, list[str]]] = {n: {} for n in region}
        keep: dict[str, bool] = {}
        attempts: dict[str, int] = {}
        for n in region:
            node = graph.nodes[n]
            boundary = False
            for edge in node.outgoing:
                if edge.target in members:
                    routes[n].setdefault(edge.source_port, []).append(edge.target)
                else:
                    boundary = True
            keep[n] = boundary or not node.outgoing or n not in graph.releasable
            attempts[n] = self.attempts[n] = self.attempts.get(n, 0) + 1
            self.status[n] = "running"
        kept: dict[str, Outputs] = {n: {} for n in region}
        counts = dict.fromkeys(region, 0)
        touched: set[str] = set()
        appended: set[str] = set()

        async def push(node_id: str, chunk: list[Item]) -> None:
            node = graph.nodes[node_id]
            if node_id not in touched:
                touched.add(node_id)
                self._event("step.started", {"node_id": node_id, "attempt": attempts[node_id]})
            try:
                outcome = await self._invoke(node, _Context(self, node, {"main": chunk}))
                if outcome.wait is not None:
                    raise NodeError("a node cannot wait while items stream through it")
            except Exception as exc:
                raise _StreamFailed(node_id, exc) from exc
            first = node_id not in appended
            out = {p: v for p, v in outcome.outputs.items() if v or first}
            if not out:
                return
            self.store.append_output(self._step_key(node, attempts[node_id]), out, first=first)
            appended.add(node_id)
            for port, port_items in out.items():
                counts[node_id] += len(port_items)
                if keep[node_id]:
                    kept[node_id].setdefault(port, []).extend(port_items)
                for target in routes[node_id].get(port, ()):
                    if port_items:
                        await push(target, port_items)

        try:
            for chunk in _batches(items, owned):
                await push(root.id, chunk)
                await self.store.drain(self.record.id)  # other executions run; the writer keeps up
        except _StreamFailed as failed:
            failed_node = graph.nodes[failed.node_id]
            assert isinstance(failed.exc, Exception)
            error, _ = self._describe(failed_node, failed.exc)
            for n in region:
                if n not in touched:
                    self.status.pop(n, None)
                    continue
                node = graph.nodes[n]
                status = "error" if n == failed.node_id else "canceled"
                self._record(
                    node,
                    attempts[n],
                    started,
                    _Outcome(status, {}),
                    error=error
                    if n == failed.node_id
                    else {
                        "message": f"stopped: node {failed.node_id!r} failed while items "
                        "streamed through",
                        "type": "canceled",
                    },
                    appended=n in appended,
                    items_out=counts[n],
                )
            raise ExecutionFailed(error) from None

        outcomes: list[tuple[str, _Outcome]] = []
        for n in region:
            node = graph.nodes[n]
            if n not in touched:
                outcome = _Outcome("skipped", {})
                self._record(node, attempts[n], started, outcome)
            else:
                released = 0 if keep[n] or not counts[n] else counts[n]
                outcome = _Outcome("success", kept[n], released=released)
                self._record(
                    node, attempts[n], started, outcome, appended=n in appended, items_out=counts[n]
                )
            outcomes.append((n, outcome))
        root_outcome = outcomes[0][1]
        root_outcome.region = outcomes[1:]
        return root_outcome

    def _step_key(self, node: GraphNode, attempt: int) -> tuple[str, str, int, int]:
        return (self.record.id, node.id, self._run_indexes.get(node.id, 0), attempt)

    async def _invoke(self, node: GraphNode, ctx: _Context) -> _Outcome:
        outcome = await self._invoke_spec(node, ctx)
        if ctx.used_credentials and self._redactor:
            # A node holding secrets may echo them into its items (a server answering with
            # the request's headers): they are never stored or passed on.
            outcome.outputs = self._redact_value(outcome.outputs)
        return outcome

    async def _invoke_spec(self, node: GraphNode, ctx: _Context) -> _Outcome:
        spec = node.spec
        if spec.run_item is not None:
            items = ctx.items
            out: list[Item] = []
            failed: list[Item] = []
            for index, item in enumerate(items):
                try:
                    params = ctx.params_inline(index)
                    if params is None:  # too much work for the event loop
                        params = await ctx.aparams(index)
                    result = await spec.run_item(ctx, item, params)
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
                if spec.get("retry"):  # a retry backoff: this attempt runs when it is due
                    self.attempts[node_id] = step.attempt - 1
                    self._retrying.add(node_id)
                    self._waiting[node_id] = Wait(until=until)
                    continue
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
        appended: bool = False,
        items_out: int | None = None,
    ) -> _Outcome:
        """Write a step. Its output goes in batches when it is large (or already went, when
        ``appended``)."""
        finished = None if outcome.status == "waiting" else utcnow()
        output: Outputs | None = (
            outcome.outputs if outcome.status != "skipped" or outcome.outputs else None
        )
        if items_out is None:
            items_out = sum(len(v) for v in outcome.outputs.values())
        if output is not None and items_out > CHUNK_ITEMS and not appended:
            key = self._step_key(node, attempt)
            first = True
            for port, port_items in output.items():
                for start in range(0, max(len(port_items), 1), CHUNK_ITEMS):
                    chunk = {port: port_items[start : start + CHUNK_ITEMS]}
                    self.store.append_output(key, chunk, first=first)
                    first = False
            appended = True
        step = StepRecord(
            execution_id=self.record.id,
            node_id=node.id,
            run_index=self._run_indexes.get(node.id, 0),
            attempt=attempt,
            status=outcome.status,
            started_at=started,
            finished_at=finished,
            error=error,
            output=None if appended else output,
            items_out=items_out,
            appended=appended,
        )
        self.store.record_step(step)
        self._event(
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

    def _finish(self, status: str, error: dict[str, Any] | None) -> None:
        error = self._redact_value(error)
        record = self.record
        record.status = status
        record.error = error
        record.finished_at = utcnow()
        record.wait_until = None
        # Only a successful execution has a result (a failed one's would be whatever ran last).
        record.result_node = (
            (self.graph.settings.get("result_node") or self._last_success)
            if status == "success"
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

    def add_secrets(self, credentials: Mapping[str, Any]) -> None:
        secrets, others = credential_secrets(credentials)
        if set(secrets) - self.secrets or set(others) - self._companions:
            self.secrets.update(secrets)
            self._companions.update(others)
            self._redactor = Redactor(self.secrets, self._companions)

    def _redact(self, message: str) -> str:
        return self._redactor.text(message)

    def _redact_value(self, value: Any) -> Any:
        return self._redactor.value(value)

    def _event(self, kind: str, data: dict[str, Any]) -> None:
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


def _batches(items: list[Item], owned: bool) -> Iterable[list[Item]]:
    """``items`` in batches of CHUNK_ITEMS; an ``owned`` list lets go of each batch as it is
    handed out, so its items are freed once the batch has been processed."""
    for start in range(0, len(items), CHUNK_ITEMS):
        end = start + CHUNK_ITEMS
        chunk = items[start:end]
        if owned:
            items[start:end] = [None] * len(chunk)  # type: ignore[list-item]
        yield chunk
    if owned:
        items.clear()


def _concat(inputs: dict[str, list[Item]]) -> list[Item]:
    if len(inputs) == 1:
        return next(iter(inputs.values()))
    return [item for items in inputs.values() for item in items]
