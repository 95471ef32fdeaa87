"""Distributed mode (``WIREWORK_BROKER_URL`` set): the worker and the scheduler processes.

- ``wirework worker``: a Celery worker (threads pool, ``--concurrency`` executions at once)
  whose tasks run on one long-lived asyncio loop thread of the process, where the engine
  host lives (runtime, store writer, graph cache, credentials). A task claims its execution
  under the cluster-wide concurrency limits (:func:`admit`: counted in the database under a
  lock), runs it on from its stored steps until it finishes or parks, and returns: the
  message is acknowledged then (late). The process renews the leases of what it runs (one
  statement per tick); on SIGTERM it lets running executions finish for ``grace_s``, then
  hands the rest back (lease ended, re-published). Logs are JSON lines carrying
  ``execution_id``, ``workflow_id`` and ``node_id``.
- ``wirework scheduler``: fires schedules, the timers of parked executions and the sweep of
  lapsed leases, all by handing executions to workers. Several may run: one leads, holding a
  PostgreSQL advisory lock on a connection of its own; the others wait for it. (Each fire is
  moreover claimed with a compare-and-set on ``schedule_state``, so even two leaders could
  not fire one schedule time twice.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import structlog
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wirework import events
from wirework.db.models import Workflow
from wirework.dispatch.celery import (
    RUN_BRANCH,
    RUN_EXECUTION,
    CeleryDispatcher,
    WorkerDispatcher,
    make_app,
)
from wirework.dispatch.spread import SpreadPolicy
from wirework.engine.branches import BranchSpreader
from wirework.engine.leases import new_worker_id
from wirework.engine.runner import ExecutionNotFound, NotResumable, Started
from wirework.engine.sql_store import claim_statement
from wirework.engine.states import UNFINISHED, ExecutionStatus
from wirework.engine.store import EXEC_TABLE, StoreUnavailable
from wirework.errors import NotFound
from wirework.services import workers
from wirework.services.branch_worker import BranchWorker
from wirework.services.engine import EngineHost
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

log = structlog.get_logger("wirework.worker")
T = TypeVar("T")

# pg_advisory_lock keys (two int4s: namespace, id). 0x57570001 = "WW" + 1.
LOCK_NS_SCHEDULER = 0x5757_0001
LOCK_NS_ADMISSION = 0x5757_0002
GLOBAL_ADMISSION = 0  # the admission lock of the global limit (workflow ids start at 1)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def cluster_dispatcher(settings: Settings) -> CeleryDispatcher:
    """The dispatcher of a process that starts executions in distributed mode."""
    app = make_app(
        settings.broker_url, lease_s=settings.execution_lease_s, queue=settings.broker_queue
    )
    return CeleryDispatcher(app)


# -- admission: concurrency limits across the cluster ---------------------------------------


async def admit(
    runtime: Runtime,
    execution_id: str,
    workflow_id: int,
    *,
    limit: int | None,
    global_limit: int | None,
    worker: str,
    lease_s: float,
) -> bool:
    """Claim the execution for ``worker`` if fewer than ``limit`` executions of its workflow
    (and fewer than ``global_limit`` in all) run now, counted in the database under a lock
    (PostgreSQL: advisory transaction locks, global first; others: the workflow's row);
    else mark it ``queued`` for any worker (a worker finishing one of the workflow's
    executions hands the oldest queued one on; the sweep does once its lease lapses).
    False: queued, or claimed by someone else."""
    now = utcnow()
    until = now + dt.timedelta(seconds=lease_s)
    c = EXEC_TABLE.c
    async with runtime.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if global_limit:
            await _admission_lock(conn, postgres, GLOBAL_ADMISSION)
        if limit:
            await _admission_lock(conn, postgres, workflow_id)
        base = select(func.count()).select_from(EXEC_TABLE)
        base = base.where(
            c.status == ExecutionStatus.RUNNING, c.worker.is_not(None), c.id != execution_id
        )
        full = False
        if limit:
            full = (await conn.scalar(base.where(c.workflow_id == workflow_id)) or 0) >= limit
        if not full and global_limit:
            full = (await conn.scalar(base) or 0) >= global_limit
        if full:  # queued, unless it is another worker's now (a duplicate message)
            await conn.execute(
                update(EXEC_TABLE)
                .where(
                    c.id == execution_id,
                    c.status.in_(UNFINISHED),
                    or_(c.worker.is_(None), c.worker == worker, c.lease_until < now),
                )
                .values(status=ExecutionStatus.QUEUED, worker=None, lease_until=until)
            )
            return False
        claimed = await conn.execute(claim_statement(execution_id, worker, until, now=now))
        return int(claimed.rowcount) == 1


async def _admission_lock(conn: AsyncConnection, postgres: bool, key: int) -> None:
    if postgres:
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"),
            {"ns": LOCK_NS_ADMISSION, "key": key},
        )
    elif conn.dialect.name != "sqlite":  # SQLite: one writer at a time anyway
        await conn.execute(select(Workflow.id).where(Workflow.id == key).with_for_update())


async def queued(runtime: Runtime, workflow_id: int | None, limit: int = 10) -> list[str]:
    """The oldest queued executions (of ``workflow_id``; None: of any workflow)."""
    c = EXEC_TABLE.c
    query = select(c.id).where(c.status == ExecutionStatus.QUEUED, c.worker.is_(None))
    if workflow_id is not None:
        query = query.where(c.workflow_id == workflow_id)
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(query.order_by(c.started_at).limit(limit))
        return [row[0] for row in rows]


# -- the worker -----------------------------------------------------------------------------


class WorkerHost:
    """A worker process's engine: one asyncio loop in a thread of its own, where the engine
    host runs every execution this process holds; Celery's task threads submit to it."""

    def __init__(
        self, settings: Settings, *, concurrency: int, grace_s: float, segment: str = "execution"
    ) -> None:
        self.settings = settings
        self.segment = segment
        self.concurrency = concurrency
        self.grace_s = grace_s
        self.worker_id = new_worker_id()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="wirework-engine-loop", daemon=True
        )
        self.runtime: Runtime | None = None
        self.host: EngineHost | None = None
        self.publisher = cluster_dispatcher(settings)
        self.stopping = False
        self._handed_back: asyncio.Event | None = None
        self._heartbeats: workers.Heartbeats | None = None
        self._canceler: asyncio.Task[None] | None = None
        self._control: asyncio.Task[None] | None = None
        # Spread branches: those this worker runs for others (services/branch_worker.py).
        self.branch_worker: BranchWorker | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the engine's loop and wait for its result (from another thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        self.call(self._open())

    async def _open(self) -> None:
        self.runtime = await open_runtime(self.settings, migrate_db=False)
        branch_worker = BranchWorker(
            self.runtime, self.settings, self.worker_id, stopping=lambda: self.stopping
        )
        spreader = BranchSpreader(
            self.runtime.engine,
            worker_id=self.worker_id,
            lease_s=self.settings.execution_lease_s,
            publish=self.publisher.submit_branch,
            policy=SpreadPolicy(self.settings.spread_branches),
            cluster_size=lambda: branch_worker.cluster,
        )
        self.host = EngineHost(
            self.runtime,
            worker_id=self.worker_id,
            dispatcher=WorkerDispatcher(self.segment, spreader=spreader),
            local_limits=False,
            handoff=self.publisher,
        )
        # No sweep nor timers here: the scheduler hands those executions to workers.
        await self.host.start(schedules=False, resume=False, timers=False)
        self._handed_back = asyncio.Event()
        host = self.host
        self._heartbeats = workers.Heartbeats(
            self.runtime.sessionmaker,
            worker_id=self.worker_id,
            kind="worker",
            concurrency=self.concurrency,
            running=lambda: len(host.runner.running),
            details=lambda: {"stopping": self.stopping},
        )
        await self._heartbeats.start()
        loop = asyncio.get_running_loop()
        self._canceler = loop.create_task(self._cancel_loop())
        self._control = loop.create_task(self._control_loop())
        self.branch_worker = branch_worker
        branch_worker.start(self.host)
        log.info("worker started", worker=self.worker_id, concurrency=self.concurrency)

    async def _cancel_loop(self, every_s: float = 1.0) -> None:
        """Stop what a server canceled meanwhile (it marked the execution ``canceled`` in
        the store; the run here ends as canceled instead of finishing over it)."""
        assert self.runtime is not None and self.host is not None
        running = self.host.runner.running
        c = EXEC_TABLE.c
        while True:
            await asyncio.sleep(every_s)
            branches = self.branch_worker.branches if self.branch_worker else {}
            if not running and not branches:
                continue
            branch_of = {e for e, _ in branches}
            try:
                async with self.runtime.engine.connect() as conn:
                    rows = await conn.execute(
                        select(c.id, c.status).where(
                            c.id.in_([*running, *branch_of]),
                            c.status.not_in(UNFINISHED),
                        )
                    )
                    ended = {row[0]: row[1] for row in rows}
            except Exception:
                log.exception("could not look for canceled executions")
                continue
            for execution_id, status in ended.items():
                self._stop(execution_id, canceled=status == ExecutionStatus.CANCELED)

    async def _control_loop(self) -> None:
        """Stop a canceled execution as soon as a server says so on the event bus (the
        store's poll above catches what the bus loses)."""
        assert self.host is not None
        while True:
            try:
                async with self.host.events.subscribe(events.CLUSTER) as queue:
                    while True:
                        event = await queue.get()
                        if event.get("event") == events.CANCELED:
                            target = str(event.get("target"))
                            log.info("cancel received", execution_id=target, via="events")
                            self._stop(target, canceled=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the cluster's event channel failed; following it again")
                await asyncio.sleep(1.0)

    def _stop(self, execution_id: str, *, canceled: bool) -> None:
        """The execution ended elsewhere (``canceled``, or failed): stop what runs of it
        here — the run, if canceled, and its spread branches either way."""
        assert self.host is not None
        started = self.host.runner.running.get(execution_id)
        if canceled and started is not None and not started.task.done():
            log.info("execution canceled elsewhere", execution_id=execution_id)
            started.task.cancel()
        branches = self.branch_worker.branches if self.branch_worker else {}
        for (branch_of, _node), task in list(branches.items()):
            if branch_of == execution_id and not task.done():
                log.info("branch stopped: its execution ended", execution_id=execution_id)
                task.cancel()

    async def run_execution(
        self, execution_id: str, node_id: str | None = None, payload: Any = None
    ) -> str:
        """The task: claim the execution (under the concurrency limits) and run it on until
        it finishes or parks. Returns what happened (for the log and the tests)."""
        assert self.runtime is not None and self.host is not None
        structlog.contextvars.bind_contextvars(execution_id=execution_id)
        host, runner = self.host, self.host.runner
        if self.stopping:
            self.publisher.submit(execution_id)  # to a worker that is not stopping
            return "handed back"
        record = await runner.store.load_execution(execution_id)
        if record is None or record.status not in (ExecutionStatus.WAITING, *UNFINISHED):
            return "gone"
        structlog.contextvars.bind_contextvars(workflow_id=record.workflow_id)
        limit = global_limit = None
        if record.workflow_id is not None:
            try:
                graph = await host.load_graph(record.workflow_id, record.workflow_version)
            except NotFound:
                log.warning("workflow of the execution is gone")
                return "gone"
            limit = graph.settings.get("concurrency") or None
            global_limit = self.settings.max_running_executions or None
            if (limit or global_limit) and not await admit(
                self.runtime,
                execution_id,
                record.workflow_id,
                limit=limit,
                global_limit=global_limit,
                worker=self.worker_id,
                lease_s=runner.lease_s,
            ):
                log.info("execution queued or claimed elsewhere")
                return "queued"
        try:
            started: Started = await runner.resume(execution_id, node_id=node_id, payload=payload)
        except (NotResumable, ExecutionNotFound) as exc:
            log.debug("not claimed", reason=str(exc))
            return "not claimed"
        final = await started.wait()
        with contextlib.suppress(StoreUnavailable):  # the writer logged it
            await runner.store.flush(execution_id)
        if started.run.detached and self.stopping:
            # Shutting down: its lease ended; another worker takes it.
            assert self._handed_back is not None
            await self._handed_back.wait()
            self.publisher.submit(execution_id)
            return "handed back"
        if started.run.detached:  # the segment ended (ready_set): the next one, anywhere
            runner.store.update_execution(execution_id, worker=None)
            await runner.store.flush(execution_id)
            self.publisher.submit(execution_id)
            return "segment done"
        if limit or global_limit:
            wf = record.workflow_id if not global_limit else None
            for waiting in await queued(self.runtime, wf):
                self.publisher.submit(waiting)
        log.info("execution ran", status=str(final.status))
        return str(final.status)

    def shutting_down(self) -> None:
        """SIGTERM (Celery's warm shutdown, from its main thread): running executions get
        ``grace_s`` to finish, then are handed back."""
        if not self.stopping:
            self.stopping = True
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._hand_back()))

    async def _hand_back(self) -> None:
        assert self.host is not None and self._handed_back is not None
        runner = self.host.runner
        deadline = self.loop.time() + self.grace_s
        while runner.running and self.loop.time() < deadline:  # noqa: ASYNC110 - a dict
            await asyncio.sleep(0.05)
        pending = list(runner.running.values())
        for started in pending:
            started.run.detached = True
            started.task.cancel()
        if self.branch_worker is not None:
            self.branch_worker.stop_branches()  # released: their coordinators run them
        if pending:
            await asyncio.gather(*(s.task for s in pending), return_exceptions=True)
            runner.store.renew_leases(self.worker_id, utcnow())  # their leases end now
            with contextlib.suppress(StoreUnavailable):
                await runner.store.flush()
            log.info("handed back executions", count=len(pending))
        self._handed_back.set()

    def close(self) -> None:
        async def _close() -> None:
            for task in (self._canceler, self._control):
                if task is not None:
                    task.cancel()
            if self.branch_worker is not None:
                self.branch_worker.close()
            if self._heartbeats is not None:
                await self._heartbeats.stop()
            if self.host is not None:
                await self.host.stop()
            if self.runtime is not None:
                await self.runtime.close()

        with contextlib.suppress(concurrent.futures.TimeoutError):
            self.call(_close(), timeout=30)
        self.publisher.flush_publishing()
        self.publisher.close()
        self.loop.call_soon_threadsafe(self.loop.stop)

    def ready(self) -> None:
        log.info("worker ready")


def run_worker(
    settings: Settings, *, concurrency: int, grace_s: float, segment: str = "execution"
) -> None:
    """``wirework worker``: serve tasks until SIGTERM/SIGINT (warm shutdown)."""
    from celery import signals

    worker_host = WorkerHost(settings, concurrency=concurrency, grace_s=grace_s, segment=segment)
    app = worker_host.publisher.app

    @app.task(name=RUN_EXECUTION, acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_execution(execution_id: str, node_id: str | None = None, payload: Any = None) -> str:
        return worker_host.call(worker_host.run_execution(execution_id, node_id, payload))

    def _shutting_down(**_: Any) -> None:
        worker_host.shutting_down()

    @app.task(name=RUN_BRANCH, acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_branch(execution_id: str, node_id: str, run_index: int = 0) -> str:
        branches = worker_host.branch_worker
        if branches is None:
            return "not started"
        return worker_host.call(branches.run(execution_id, node_id, run_index))

    signals.worker_shutting_down.connect(_shutting_down, weak=False)
    signals.worker_ready.connect(lambda **_: worker_host.ready(), weak=False)
    worker_host.start()
    try:
        worker = app.Worker(
            pool="threads",
            concurrency=concurrency,
            hostname=f"wirework@{socket.gethostname()}.{os.getpid()}",
            queues=[settings.broker_queue],
            loglevel=settings.log_level.upper(),
            without_gossip=True,
            without_mingle=True,
            without_heartbeat=True,
            quiet=True,
            optimization="fair",
        )
        worker.start()
    finally:
        worker_host.close()


# -- the scheduler --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def leadership(runtime: Runtime, stop: asyncio.Event) -> AsyncIterator[asyncio.Event | None]:
    """Wait until this process holds the scheduler's lock (PostgreSQL: a session advisory
    lock on a connection of its own, released if the process or its connection dies);
    yields an event set when the lock is lost (its connection went away: another scheduler
    may lead now), or None if asked to stop first. Other databases: no lock (one
    scheduler). A database that cannot be reached is waited for, not fatal."""
    if runtime.engine.dialect.name != "postgresql":
        yield None if stop.is_set() else asyncio.Event()
        return
    conn = await _locked_connection(runtime, stop)
    if conn is None:
        yield None
        return
    lost = asyncio.Event()
    watch = asyncio.get_running_loop().create_task(_watch_lock(conn, lost))
    try:
        yield lost
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        with contextlib.suppress(Exception):
            await conn.execute(text("SELECT pg_advisory_unlock(:ns, 0)"), {"ns": LOCK_NS_SCHEDULER})
            await conn.commit()
        with contextlib.suppress(Exception):
            await conn.close()


async def _locked_connection(runtime: Runtime, stop: asyncio.Event) -> AsyncConnection | None:
    """A connection holding the scheduler's lock, once this process gets it (None: asked to
    stop first). Retried every second, through database outages."""
    while not stop.is_set():
        conn: AsyncConnection | None = None
        try:
            conn = await runtime.engine.connect()
            while not stop.is_set():
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:ns, 0)"), {"ns": LOCK_NS_SCHEDULER}
                )
                await conn.commit()
                if got:
                    return conn
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
        except Exception as exc:
            log.warning("scheduler lock: the database cannot be reached", error=str(exc))
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
    return None


async def _watch_lock(conn: AsyncConnection, lost: asyncio.Event, every_s: float = 1.0) -> None:
    """Set ``lost`` when the lock's connection stops answering (the server ended it, the
    database restarted): the lock went with it."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await conn.scalar(text("SELECT 1"))
            await conn.commit()
        except Exception:
            lost.set()
            return


async def run_scheduler(settings: Settings, stop: asyncio.Event, *, poll_s: float = 1.0) -> None:
    """``wirework scheduler``: once it leads, fire schedules, due timers and the sweep of
    lapsed leases (each by handing the execution to a worker) until ``stop`` is set. If
    its lock is lost (the database dropped the connection) it steps down and waits for the
    lock again, so one scheduler leads."""
    runtime = await open_runtime(settings, migrate_db=False)  # the server migrates
    dispatcher = cluster_dispatcher(settings)
    worker_id = new_worker_id()
    try:
        while not stop.is_set():
            async with leadership(runtime, stop) as lost:
                if lost is None:
                    return
                log.info("scheduler leads", worker=worker_id)
                host = EngineHost(
                    runtime, worker_id=worker_id, dispatcher=dispatcher, poll_interval_s=poll_s
                )
                await host.start(schedules=True, resume=True, timers=True)
                beats = workers.Heartbeats(
                    runtime.sessionmaker, worker_id=worker_id, kind="scheduler"
                )
                await beats.start()
                waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waits:
                        waiter.cancel()
                    await beats.stop()
                    await host.stop()
                if lost.is_set() and not stop.is_set():
                    log.warning("scheduler stepped down", reason="its lock's connection was lost")
    finally:
        await asyncio.get_running_loop().run_in_executor(None, dispatcher.flush_publishing)
        dispatcher.close()
        await runtime.close()


logging.getLogger("celery").setLevel(logging.WARNING)
