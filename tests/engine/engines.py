"""One engine test suite, two modes: the ``engine`` fixture is an :class:`Engine` running
workflows either embedded (in this process, on every database backend of
``WIREWORK_TEST_DATABASES``) or distributed (PostgreSQL, a Redis or RabbitMQ broker, two
real ``wirework worker`` processes and a ``wirework scheduler``; this process is the server).

The test bodies only talk to :class:`Engine` and read what happened from the store (the
execution and its steps, as the API shows them), never from in-process objects, so the
same body checks both modes. ``WIREWORK_TEST_ENGINE_MODES`` (comma-separated, default
``embedded,distributed-redis,distributed-rabbitmq``) picks the modes. A distributed mode
whose services are down is skipped with the reason (a failure under ``CI=true``).

The workers load the test node types (tests/engine/nodes.py) through the real plugin
mechanism: a ``*.dist-info`` directory with an ``entry_points.txt`` naming
``tests.engine.plugin`` in the ``wirework.integrations`` group, put with the repository root
on the workers' ``PYTHONPATH``. What the nodes share with the test (calls, events, gates)
is in files of one directory both sides see. Starting workers is the slow part, so each
mode's engine lives for the whole session (tests use fresh workflows).

Run in both modes: tests/engine/test_executor.py, tests/engine/test_retry_timers.py and the
flow nodes of tests/nodes/test_core_runs.py (each lists its embedded-only tests). Embedded
only, by nature:

- test_leases, test_store_failures, test_runner_crash: runner and lease internals, the
  store's failures injected into this process's database connections;
- test_restart, test_replicas, test_remote_resume: several runners or server processes of
  their own on one database (the distributed counterparts are in tests/dispatch);
- test_streaming, test_expression_timeouts, test_expr_budget: what this process's memory,
  storage batches and expression worker did (in-process counters);
- test_ready, test_states, test_expressions*, exprlib: pure functions and tables.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BACKENDS, fresh_database
from tests.dispatch.cluster import Cluster, cluster
from tests.engine import nodes as t
from tests.engine.waiting import wait_for
from wirework.db.models import Execution, Workflow, WorkflowVersion
from wirework.engine.graph import GraphCache
from wirework.engine.runner import Started
from wirework.engine.states import ExecutionStatus
from wirework.sdk.registry import Registry, registry
from wirework.services.engine import EngineHost
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MODES = [
    m.strip()
    for m in os.environ.get(
        "WIREWORK_TEST_ENGINE_MODES", "embedded,distributed-redis,distributed-rabbitmq"
    ).split(",")
    if m.strip()
]
PARAMS = [f"embedded-{b}" for b in BACKENDS if "embedded" in MODES] + [
    m for m in MODES if m.startswith("distributed-")
]
# Waits and backoffs longer than this park the execution (short, so tests of parking are).
INLINE_WAIT_S = 0.2
RUNNING = {ExecutionStatus.RUNNING, ExecutionStatus.QUEUED}


def test_registry() -> Registry:
    """The node types a workflow of these tests may use: every installed one and the test
    nodes (the workers' registry, where the test nodes come as a plugin)."""
    reg = Registry()
    reg._loaded = True
    for spec in (*registry.nodes(), *t.SPECS):
        reg.register_node(spec)
    return reg


@dataclass
class Run:
    """An execution as the store holds it (the API's record)."""

    id: str
    status: str
    error: dict[str, Any] | None
    result: list[Any] | None
    steps: list[dict[str, Any]]
    retry_of: str | None = None
    wait_until: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def statuses(self) -> dict[str, str]:
        """Each node's latest status."""
        return {s["node_id"]: s["status"] for s in self.steps}

    @property
    def outputs(self) -> dict[str, dict[str, list[Any]]]:
        """Each node's latest output, by port."""
        return {s["node_id"]: s["output"] or {} for s in self.steps}

    def attempts(self, node_id: str | None = None) -> list[tuple[str, int, str]]:
        return [
            (s["node_id"], s["attempt"], s["status"])
            for s in self.steps
            if node_id is None or s["node_id"] == node_id
        ]


class Engine:
    """What the tests run workflows through, in either mode."""

    def __init__(
        self, mode: str, runtime: Runtime, host: EngineHost, cluster: Cluster | None = None
    ) -> None:
        self.mode = mode
        self.runtime = runtime
        self.host = host
        self.cluster = cluster

    @property
    def distributed(self) -> bool:
        return self.mode.startswith("distributed")

    async def workflow(self, document: dict[str, Any]) -> int:
        """Save ``document`` as a new workflow (version 1); its id."""
        async with self.runtime.sessionmaker() as session:
            row = Workflow(name=document.get("name", "wf"), version=1)
            session.add(row)
            await session.flush()
            session.add(WorkflowVersion(workflow_id=row.id, version=1, document=document))
            await session.commit()
            return row.id

    async def start(
        self,
        workflow: dict[str, Any] | int,
        items: list[dict[str, Any]] | None = None,
        *,
        mode: str = "manual",
    ) -> Started:
        """Start an execution of ``workflow`` (a document is saved first) at its trigger."""
        wf = workflow if isinstance(workflow, int) else await self.workflow(workflow)
        graph = await self.host.load_graph(wf, None)
        start = graph.triggers[0] if graph.triggers else None
        return await self.host.runner.execute(graph, mode=mode, input_items=items, start_node=start)

    async def finish(self, started: Started) -> Run:
        """Until the execution finishes or parks: what the store holds then."""
        record = await asyncio.wait_for(started.wait(), 60)
        return await self.record(record.id)

    async def run(
        self,
        workflow: dict[str, Any] | int,
        items: list[dict[str, Any]] | None = None,
        *,
        mode: str = "manual",
    ) -> Run:
        return await self.finish(await self.start(workflow, items, mode=mode))

    async def record(self, execution_id: str) -> Run:
        await self.host.runner.store.flush(execution_id)
        async with self.runtime.sessionmaker() as session:
            rec = (await get_record(session, execution_id, max_items=None)).model_dump(mode="json")
        async with self.runtime.sessionmaker() as session:
            row = await session.get(Execution, execution_id)
            assert row is not None
            retry_of, wait_until = row.retry_of, row.wait_until
        return Run(
            id=rec["id"],
            status=rec["status"],
            error=rec["error"],
            result=rec["result"],
            steps=rec["steps"],
            retry_of=retry_of,
            wait_until=wait_until.isoformat() if wait_until else None,
            raw=rec,
        )

    async def settled(self, execution_id: str, limit_s: float = 60) -> Run:
        """Until the stored execution is neither running nor queued nor parked."""

        async def done() -> Run | None:
            run = await self.record(execution_id)
            return run if run.status not in (*RUNNING, ExecutionStatus.WAITING) else None

        result: Run = await wait_for(done, f"execution {execution_id} finished", limit_s)
        return result

    async def stored_status(self, execution_id: str) -> str:
        return (await self.record(execution_id)).status

    async def resume(
        self, execution_id: str, node_id: str | None = None, payload: Any = None
    ) -> Run:
        """Resume a parked execution (``node_id``: its webhook wait, with ``payload``)."""
        started = await self.host.runner.resume(execution_id, node_id=node_id, payload=payload)
        return await self.finish(started)

    async def make_due(self, execution_id: str) -> None:
        """Time passes: the parked execution's wait is over (its stored wait says now)."""
        store = self.host.runner.store
        now = dt.datetime.now(dt.UTC)
        (waiting,) = [s for s in await store.load_steps(execution_id) if s.status == "waiting"]
        assert waiting.output is not None
        waiting.output["$wait"][0]["until"] = now.isoformat()
        store.record_step(waiting)
        store.update_execution(execution_id, wait_until=now)
        await store.flush(execution_id)

    async def cancel(self, execution_id: str) -> Run:
        await self.host.cancel(execution_id)
        return await self.record(execution_id)

    async def halted(self, execution_id: str) -> None:
        """Until a canceled execution stopped running where it ran: at once here; a worker
        hears of it on the event bus (or, if that message is lost, on its next look at the
        store, every second) and logs it."""
        cluster = self.cluster
        if cluster is None:
            return

        def logged() -> bool:
            logs = cluster.log_of("worker1") + cluster.log_of("worker2")
            return any(
                "execution canceled elsewhere" in line and execution_id in line
                for line in logs.splitlines()
            )

        await wait_for(logged, f"a worker stopped execution {execution_id}", 30)

    async def retry(self, execution_id: str) -> Run:
        return await self.finish(await self.host.retry(execution_id))


def _plugin_dir(tmp: Path) -> Path:
    """A directory holding the test nodes' distribution metadata: on ``sys.path`` it makes
    ``tests.engine.plugin`` an entry point of the ``wirework.integrations`` group."""
    info = tmp / "wirework_test_nodes-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: wirework-test-nodes\nVersion: 0.0.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[wirework.integrations]\ntest_nodes = tests.engine.plugin\n"
    )
    return tmp


@pytest.fixture(scope="session")
def node_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory the test nodes share their state in, in every process."""
    directory = tmp_path_factory.mktemp("node-state")
    t.state.use(directory)
    return directory


@pytest.fixture(scope="session", params=PARAMS)
async def engine_session(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    node_state: Path,
) -> AsyncIterator[Engine]:
    """One engine per mode for the whole session (started once: workers are slow to)."""
    mode: str = request.param
    if mode.startswith("embedded-"):
        backend = mode.removeprefix("embedded-")
        async with fresh_database(backend, tmp_path_factory) as url:
            from cryptography.fernet import Fernet

            settings = Settings(
                data_dir=tmp_path_factory.mktemp("engine-data"),
                database_url=url,
                encryption_key=Fernet.generate_key().decode(),
                secret_key="test-signing-key-" + secrets.token_hex(8),
                inline_wait_s=INLINE_WAIT_S,
            )
            runtime = await open_runtime(settings)
            host = EngineHost(runtime, graphs=GraphCache(reg=test_registry()), poll_interval_s=0.5)
            await host.start(schedules=False)
            try:
                yield Engine(mode, runtime, host)
            finally:
                await host.stop()
                await runtime.close()
        return
    broker = mode.removeprefix("distributed-")
    tmp = tmp_path_factory.mktemp(f"engine-{broker}")
    plugins = _plugin_dir(tmp / "plugins")
    path = os.pathsep.join(
        p for p in (str(plugins), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env = {"PYTHONPATH": path, t.STATE_ENV: str(node_state)}
    async with cluster(
        broker, tmp, env=env, graphs=GraphCache(reg=test_registry()), inline_wait_s=INLINE_WAIT_S
    ) as c:
        assert c.host is not None
        yield Engine(mode, c.runtime, c.host, c)


@pytest.fixture
def engine(engine_session: Engine) -> Engine:
    """The session's engine of this mode; the test nodes' shared state emptied."""
    t.state.clear()
    return engine_session
