"""The engine as this process hosts it: the runner, its durable store, compiled-graph cache,
the hooks that give nodes credentials and sub-workflows, error workflows, and live events.

The API and CLI start executions through these functions; the engine itself knows no HTTP,
no CLI and no request's ORM session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from wirework.db.engine import readonly_session
from wirework.db.models import Integration, Workflow, WorkflowVersion
from wirework.dispatch.base import Dispatcher
from wirework.engine import expr_budget
from wirework.engine.executor import WAIT_PORT as WAIT_PORT
from wirework.engine.executor import ExecutionRun, Hooks, utcnow
from wirework.engine.graph import Graph, GraphCache, GraphError, compile_graph
from wirework.engine.leases import new_worker_id
from wirework.engine.runner import ExecutionNotFound, NotResumable, Runner
from wirework.engine.runner import Started as Started
from wirework.engine.sql_store import SqlStore
from wirework.engine.states import ExecutionStatus
from wirework.engine.store import ExecutionRecord, Store
from wirework.engine.store import StoreUnavailable as StoreUnavailable
from wirework.errors import Conflict, InvalidInput, NotFound
from wirework.events import CANCELED, CLUSTER, LOST, Bus, LocalBus, events_url, open_bus
from wirework.schemas.document import Node
from wirework.sdk.integration import close_pools
from wirework.sdk.node import Item, NodeError, Response, as_items
from wirework.services import approval_links, integration_types, polling
from wirework.services.ai_host import AiHost
from wirework.services.ai_memory import SqlMemory
from wirework.services.documents import validate_node
from wirework.services.integrations import credentials_for_use, save_tokens
from wirework.services.references import refuse_unrunnable
from wirework.services.runtime import Runtime
from wirework.services.webhooks import WebhookTable, resume_token
from wirework.triggers.schedule import ScheduleEntry, Scheduler

log = logging.getLogger(__name__)

#: What a core.respond node answers a webhook with (the webhook route turns it into HTTP).
NodeResponse = Response


def input_items(value: Any) -> list[Item] | None:
    """What a trigger emits for a run's input: a list gives one item per element, an object
    one item, nothing gives None (the trigger's default: one empty item)."""
    return None if value is None else as_items(value)


#: The live-progress bus (see wirework/events): what ``EngineHost.events`` is.
EventBus = Bus
#: The event a subscriber gets when it may have missed some: re-read the execution.
EVENTS_LOST = LOST
# Under the data dir: where nodes keep files across runs (NodeContext.storage_dir).
NODE_STORAGE_DIR = "nodes"


@dataclass
class EngineHost:
    runtime: Runtime
    # The server's defaults; `wirework run` passes a memory store, no parking, its progress.
    store: Store | None = None  # None: the durable SqlStore on the runtime's database
    inline_wait_s: float | None = None  # None: WIREWORK_INLINE_WAIT_S
    on_event: Callable[[str, dict[str, Any]], None] | None = None  # None: live events, error wfs
    worker_id: str = field(default_factory=new_worker_id)  # unique per process
    # Where ready steps run (None: here). Distributed mode: a CeleryDispatcher in the server
    # and the scheduler (executions go to workers), a WorkerDispatcher in a worker.
    dispatcher: Dispatcher | None = None
    # Per-workflow concurrency counted in this process (a worker admits in the database).
    local_limits: bool = True
    poll_interval_s: float = 30.0  # how often due parked executions are looked for
    # A worker's: sub-workflows started without waiting go to any worker through it.
    handoff: Dispatcher | None = None
    runner: Runner = field(init=False)
    graphs: GraphCache = field(default_factory=GraphCache)
    # None: the bus WIREWORK_EVENTS_URL names or the mode implies (wirework.events).
    bus: InitVar[EventBus | None] = None
    events: EventBus = field(init=False)
    webhooks: WebhookTable = field(init=False)
    scheduler: Scheduler = field(init=False)
    ai: AiHost = field(init=False)

    def __post_init__(self, bus: EventBus | None) -> None:
        settings = self.runtime.settings
        if self.inline_wait_s is None:
            self.inline_wait_s = settings.inline_wait_s
        if bus is None and self.on_event is None:
            bus = open_bus(
                events_url(settings.events_url, settings.broker_url, settings.database_url)
            )
        self.events = bus or LocalBus()
        expr_budget.configure(
            max_work=settings.expression_max_work, threads=settings.expression_threads
        )
        store = self.store or SqlStore(
            self.runtime.engine, self.runtime.settings.data_dir, storage=self.runtime.storage
        )
        self.ai = AiHost(self.runtime.sessionmaker, cache_s=settings.ai_cache_s)
        hooks = Hooks(
            credentials=self.credentials,
            save_tokens=self.save_tokens,
            run_workflow=self.run_subworkflow,
            resume_url=self.resume_url,
            memory=self.memory,
            approval_links=self.approval_links,
            inline_wait_s=self.inline_wait_s,
            on_event=self.on_event or self._on_event,
            listening=None if self.on_event else self.events.listening,
            price_usage=self.ai.price_usage,
            check_spending=self.ai.check_spending,
            prompt_template=self.ai.prompt_template,
            storage_dir=Path(settings.data_dir) / NODE_STORAGE_DIR,
            # A server's webhook responses come over the bus from the workers.
            watch_response=None if self.on_event else self.events.watch,
        )
        self.runner = Runner(
            store,
            load_graph=self.load_graph,
            hooks=hooks,
            worker_id=self.worker_id,
            lease_s=self.runtime.settings.execution_lease_s,
            dispatcher=self.dispatcher,
            local_limits=self.local_limits,
            poll_interval_s=self.poll_interval_s,
            handoff=self.handoff,
        )
        self.webhooks = WebhookTable(self.runtime.sessionmaker)
        self.scheduler = Scheduler(self.runtime.sessionmaker, self._fire_schedule)

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:
        """OAuth2 tokens an integration refreshed, stored encrypted with it."""
        async with self.runtime.sessionmaker() as session:
            await save_tokens(session, self.runtime.vault, integration_id, tokens)
            await session.commit()

    async def _fire_schedule(self, entry: ScheduleEntry, fire_at: dt.datetime) -> None:
        if entry.kind == "poll":
            await polling.poll_safely(self, entry)
            return
        graph = await self.load_graph(entry.workflow_id, None)
        await self.runner.execute(
            graph,
            mode="schedule",
            start_node=entry.node_id,
            input_items=[{"scheduled_at": fire_at.isoformat(), "fired_at": utcnow().isoformat()}],
            elsewhere=True,  # nobody waits for it
        )

    def memory(self, session_key: str) -> SqlMemory:
        return SqlMemory(self.runtime.sessionmaker, session_key)

    def approval_links(self, execution_id: str, node_id: str, call_id: str) -> dict[str, str]:
        return approval_links.links(self.runtime, execution_id, node_id, call_id)

    def resume_url(self, execution_id: str) -> str:
        token = resume_token(self.runtime.signing_key, execution_id)
        base = self.runtime.settings.base_url
        return f"{base}/webhook-waiting/{execution_id}?token={token}"

    # -- hooks ------------------------------------------------------------------------------

    async def load_graph(self, workflow_id: int, version: int | None) -> Graph:
        if version is not None:
            graph = self.graphs.get(workflow_id, version)
            if graph is not None:
                return graph
        async with readonly_session(self.runtime.sessionmaker) as session:
            if version is None:
                version = await session.scalar(
                    select(Workflow.version).where(Workflow.id == workflow_id)
                )
                if version is None:
                    raise NotFound(f"workflow {workflow_id} not found")
                graph = self.graphs.get(workflow_id, version)
                if graph is not None:
                    return graph
            document = await session.scalar(
                select(WorkflowVersion.document).where(
                    WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
                )
            )
            # Custom types created or changed by another process (the API's) since.
            await integration_types.refresh_custom(session)
        if document is None:
            raise NotFound(f"workflow {workflow_id} version {version} not found")
        try:
            graph = self.graphs.get(workflow_id, version, document)
        except GraphError as exc:
            raise InvalidInput.one("document", str(exc)) from None
        assert graph is not None
        return graph

    async def credentials(self, integration_id: int) -> dict[str, Any]:
        async with readonly_session(self.runtime.sessionmaker) as session:
            row = await session.get(Integration, integration_id)
            if row is None:
                raise NodeError(f"integration {integration_id} not found", retryable=False)
            if not row.active:
                raise NodeError(f"integration {integration_id} is deactivated", retryable=False)
            return credentials_for_use(row, self.runtime.vault)

    async def run_subworkflow(
        self, parent: ExecutionRun, node_id: str, workflow_id: int, items: list[Item], wait: bool
    ) -> list[Item] | None:
        """Run workflow ``workflow_id`` for ``parent``'s node ``node_id``; awaited (``wait``),
        its result, and its step.delta events reach whoever follows the parent."""
        try:
            graph = await self.load_graph(workflow_id, None)
        except NotFound:
            raise NodeError(f"sub-workflow {workflow_id} not found", retryable=False) from None
        start = _trigger_of(graph, "core.workflow_trigger")
        started = await self.runner.execute(
            graph,
            mode="subworkflow",
            input_items=items,
            start_node=start,
            parent_execution_id=parent.record.id,
            elsewhere=not wait,
            awaited_by=(parent, node_id) if wait else None,
        )
        if not wait:
            return None
        record = await started.wait()
        if record.status != ExecutionStatus.SUCCESS:
            message = (record.error or {}).get("message", record.status)
            raise NodeError(f"sub-workflow {workflow_id} failed: {message}")
        return started.run.result()

    def _on_event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.publish(kind, data)
        if kind == "execution.finished" and data.get("status") == ExecutionStatus.ERROR:
            execution_id = data["execution_id"]
            started = self.runner.running.get(execution_id)
            if started is not None:
                task = asyncio.get_running_loop().create_task(
                    self._error_workflow(started.run.graph, started.run.record)
                )
                _background.add(task)
                task.add_done_callback(_background.discard)

    async def _error_workflow(self, graph: Graph, record: ExecutionRecord) -> None:
        """Run the workflow's error workflow with the failed execution's details."""
        error_workflow = graph.settings.get("error_workflow")
        if not error_workflow or record.mode == "error":
            return
        try:
            target = await self.load_graph(int(error_workflow), None)
            await self.runner.execute(
                target,
                mode="error",
                start_node=_trigger_of(target, "core.error_trigger"),
                parent_execution_id=record.id,
                input_items=[
                    {
                        "execution": {
                            "id": record.id,
                            "mode": record.mode,
                            "error": record.error,
                            "started_at": record.started_at.isoformat(),
                        },
                        "workflow": {"id": graph.workflow_id, "name": graph.name},
                    }
                ],
            )
        except Exception:
            log.exception("error workflow %s could not start", error_workflow)

    # -- use cases --------------------------------------------------------------------------

    async def start(
        self, *, schedules: bool = True, resume: bool = True, timers: bool = True
    ) -> None:
        """Start the runner (``resume``: take over or re-dispatch unfinished executions, now
        and when leases lapse; ``timers``: wake parked ones) and the ``schedules``."""
        await self.events.start()
        await self.runner.start(resume=resume, timers=timers)
        if schedules:
            await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.runner.stop()
        await self.events.close()
        await self.webhooks.deliveries.close()
        await close_pools()

    async def execute(
        self,
        workflow_id: int,
        *,
        input_value: Any = None,
        mode: str = "manual",
        start_node: str | None = None,
        respond: bool = False,
        elsewhere: bool = False,
        execution_id: str | None = None,
    ) -> Started:
        """Start a run of the workflow's newest version; ``elsewhere``: the caller will not
        wait for its end (distributed mode: the execution is not followed here);
        ``execution_id``: the new execution's id, made beforehand so a caller can follow its
        events from the very start."""
        graph = await self.load_graph(workflow_id, None)
        refuse_unrunnable(graph)  # fail fast, not at the step
        if start_node is None:
            start_node = _trigger_of(graph, "core.manual")
        return await self.runner.execute(
            graph,
            mode=mode,
            input_items=input_items(input_value),
            start_node=start_node,
            respond=respond,
            elsewhere=elsewhere,
            execution_id=execution_id,
        )

    async def test_node(
        self, workflow_id: int, node_id: str, items: Any, node: Node | None = None
    ) -> Started:
        """Run one node of a workflow's newest version on sample ``items`` (an editor's test
        run): the node alone, with its params, credentials and timeout, in mode ``test``.
        ``node`` (validated like a document's node; its id must be ``node_id``) is run
        instead of the saved one: the editor tests an edit, or a new node, before saving."""
        graph = await self.load_graph(workflow_id, None)
        if node is not None:
            raw = await self._unsaved_node(node_id, node)
        else:
            saved = graph.nodes.get(node_id)
            if saved is None:
                raise NotFound(f"node {node_id!r} not found in workflow {workflow_id}")
            refuse_unrunnable(graph, node_id=node_id)
            raw = {
                "id": saved.id,
                "name": saved.name,
                "type": saved.type,
                "params": saved.raw_params,
                "integration_id": saved.integration_id,
                "timeout_s": saved.timeout_s,
            }
        single = compile_graph(
            {"name": graph.name, "nodes": [raw], "connections": [], "settings": {"timeout_s": 300}},
            workflow_id=graph.workflow_id,
            version=graph.version,
        )
        if node is not None:
            try:
                refuse_unrunnable(single)
            except InvalidInput as exc:
                raise InvalidInput(
                    [replace(e, field=e.field.replace("nodes[0]", "node", 1)) for e in exc.errors]
                ) from None
        return await self.runner.execute(
            single, mode="test", input_items=input_items(items), start_node=node_id
        )

    async def _unsaved_node(self, node_id: str, node: Node) -> dict[str, Any]:
        if node.id != node_id:
            raise InvalidInput.one("node.id", f"is {node.id!r}, but the URL names node {node_id!r}")
        async with readonly_session(self.runtime.sessionmaker) as session:
            checked = await validate_node(session, node)
        return {
            "id": checked.id,
            "name": checked.name,
            "type": checked.type,
            "params": checked.params,
            "integration_id": checked.integration_id,
            "timeout_s": checked.timeout_s,
        }

    async def cancel(self, execution_id: str) -> ExecutionRecord:
        try:
            record = await self.runner.cancel(execution_id)
        except ExecutionNotFound:
            raise NotFound(f"execution {execution_id!r} not found") from None
        except NotResumable as exc:
            raise Conflict(str(exc)) from None
        await self.runner.store.flush(execution_id)
        if self.runner.remote:
            # The worker running it stops now (it also finds the cancel in the store, later).
            self.events.publish(CANCELED, {"execution_id": CLUSTER, "target": execution_id})
        return record

    async def retry(self, execution_id: str, *, latest_version: bool = False) -> Started:
        try:
            return await self.runner.retry(execution_id, latest_version=latest_version)
        except ExecutionNotFound:
            raise NotFound(f"execution {execution_id!r} not found") from None
        except NotResumable as exc:
            raise Conflict(str(exc)) from None

    async def resume(self, execution_id: str, node_id: str, payload: Any) -> Started:
        try:
            return await self.runner.resume(execution_id, node_id=node_id, payload=payload)
        except ExecutionNotFound:
            raise NotFound(f"execution {execution_id!r} not found") from None
        except NotResumable as exc:
            raise Conflict(str(exc)) from None


_background: set[asyncio.Task[Any]] = set()


def _trigger_of(graph: Graph, preferred: str) -> str | None:
    """The trigger a run of this kind starts at: the first of the preferred type, else the
    first trigger, else None (the document's roots)."""
    triggers = graph.triggers
    for node_id in triggers:
        if graph.nodes[node_id].type == preferred:
            return node_id
    return triggers[0] if triggers else None


_start_lock = asyncio.Lock()


async def ensure_engine(runtime: Runtime) -> EngineHost:
    """The process's engine host, started on first use (resuming unfinished executions)."""
    if runtime.engine_host is None:
        async with _start_lock:
            if runtime.engine_host is None:
                if runtime.settings.broker_url:
                    # Distributed mode: executions go to `wirework worker`s; schedules,
                    # timers and the sweep of lapsed leases are `wirework scheduler`'s.
                    from wirework.services.distributed import cluster_dispatcher

                    host = EngineHost(runtime, dispatcher=cluster_dispatcher(runtime.settings))
                    await host.start(schedules=False, resume=False, timers=False)
                else:
                    host = EngineHost(runtime)
                    await host.start()
                runtime.engine_host = host
    assert runtime.engine_host is not None
    return runtime.engine_host
