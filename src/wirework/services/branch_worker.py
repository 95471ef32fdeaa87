"""A worker's side of spread branches (distributed mode): the ``RUN_BRANCH`` task, run one
node of another worker's execution (:mod:`wirework.engine.branches`), and the renewal of
the claims this worker holds. Also counts the live workers, which the spreader of this
worker's own executions reads to share a fork out."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import func, select

from wirework.db.models import Worker as WorkerRow
from wirework.engine.branches import Claims, encode, run_branch
from wirework.engine.executor import ExecutionRun
from wirework.engine.outcome import utcnow
from wirework.engine.states import ExecutionStatus
from wirework.schemas.system import WorkerKind
from wirework.services import workers
from wirework.services.engine import EngineHost
from wirework.services.runtime import Runtime
from wirework.settings import Settings

log = structlog.get_logger("wirework.worker")


class BranchWorker:
    def __init__(
        self, runtime: Runtime, settings: Settings, worker_id: str, *, stopping: Callable[[], bool]
    ) -> None:
        self.runtime = runtime
        self.worker_id = worker_id
        self.lease_s = settings.execution_lease_s
        self.stopping = stopping
        self.claims = Claims(runtime.engine)
        # The branches running here: (execution, node) → the task running it.
        self.branches: dict[tuple[str, str], asyncio.Task[str]] = {}
        self.cluster = (1, 1)  # live workers, and the machines they run on
        self.host: EngineHost | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, host: EngineHost) -> None:
        self.host = host
        self._task = asyncio.get_running_loop().create_task(self._lease_loop())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def stop_branches(self) -> None:
        """This worker stops: cancel what it runs (their claims are released)."""
        for task in list(self.branches.values()):
            task.cancel()

    async def _lease_loop(self) -> None:
        """Renew the claims of the branches this worker runs (one statement per tick), and
        count the live workers (how a fork is shared out)."""
        first = True
        while True:
            if not first:
                await asyncio.sleep(self.lease_s / 3)
            try:
                if not first:
                    until = utcnow() + dt.timedelta(seconds=self.lease_s)
                    await self.claims.renew(self.worker_id, until)
                first = False
                self.cluster = await self._live_workers()
            except Exception:
                log.exception("could not renew branch claims")

    async def _live_workers(self) -> tuple[int, int]:
        """How many workers beat lately, and on how many machines."""
        since = utcnow() - dt.timedelta(seconds=workers.STALE_AFTER_S)
        w = WorkerRow.__table__.c
        query = select(func.count(), func.count(w.hostname.distinct())).where(
            w.kind == WorkerKind.WORKER, w.last_heartbeat_at > since
        )
        async with self.runtime.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return max(1, int(row[0])), max(1, int(row[1]))

    async def run(self, execution_id: str, node_id: str, run_index: int = 0) -> str:
        """The branch task: claim one node of an execution (handed out by the worker running
        it), run it on from the stored steps, record its outcome in the claim."""
        assert self.host is not None
        structlog.contextvars.bind_contextvars(execution_id=execution_id, node_id=node_id)
        if self.stopping():
            return "not claimed (stopping)"  # the coordinator takes it back
        runner = self.host.runner
        now = utcnow()
        until = now + dt.timedelta(seconds=self.lease_s)
        if not await self.claims.claim(execution_id, node_id, self.worker_id, until, now=now):
            return "not claimed"
        log.info("branch claimed", worker=self.worker_id)
        key = (execution_id, node_id)
        outcome: str | None = None
        try:
            record = await runner.store.load_execution(execution_id)
            if (
                record is None
                or record.workflow_id is None
                or record.status != ExecutionStatus.RUNNING
            ):
                outcome = encode(None)
                return "gone"
            graph = await self.host.load_graph(record.workflow_id, record.workflow_version)
            run = ExecutionRun(graph, record, runner.store, hooks=runner.hooks)
            task = asyncio.get_running_loop().create_task(run_branch(run, node_id))
            self.branches[key] = task
            try:
                outcome = await task
            except asyncio.CancelledError:
                if self.stopping():
                    raise
                outcome = encode(None)  # its execution ended: nothing to settle
                return "canceled"
            await runner.store.flush(execution_id)  # its steps before its outcome
            log.info("branch ran", worker=self.worker_id)
            return "done"
        except BaseException:
            outcome = None
            raise
        finally:
            self.branches.pop(key, None)
            with contextlib.suppress(Exception):
                if outcome is None:  # interrupted: the coordinator takes it back
                    await self.claims.release(execution_id, node_id, self.worker_id)
                else:
                    await self.claims.done(execution_id, node_id, self.worker_id, outcome)
