"""Spread branches (distributed mode): one node of an execution run by another worker.

The worker running an execution (the *coordinator*) hands some branches of a fork to the
cluster (:mod:`wirework.dispatch.spread` decides which, and when): it makes their inputs
durable, writes a claim row per node (``branch_claims``: queued, no worker) and publishes
"run node N of execution E". A worker claims the row (atomic UPDATE, with a lease renewed
while it runs), rebuilds the execution's state from its stored steps, runs the node through
the step runner (its steps, retries and idempotency keys as if run locally), makes its steps
durable and writes the outcome into the row (``done``). The coordinator polls the rows it
awaits (one query for all of them) and settles each outcome as if it had run the node.

Failures: a claim nobody took within ``pickup_s``, or whose worker's lease lapsed (it died),
is taken back by the coordinator, which runs the node itself (at-least-once; same
idempotency key). A coordinator that dies leaves the rows: the next worker running the
execution awaits the live ones, settles the done ones and takes back the lapsed ones. A
branch whose execution is canceled or ended elsewhere is stopped by its worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wirework.db.models import BranchClaim
from wirework.dispatch.spread import SpreadPolicy
from wirework.engine.graph import Graph
from wirework.engine.outcome import CHUNK_ITEMS, ExecutionFailed, Outcome, utcnow
from wirework.engine.resume import load_state
from wirework.engine.states import ERROR, RUNNING, SKIPPED, SUCCESS, WAITING, StepStatus
from wirework.engine.steps import run_node
from wirework.sdk.node import Wait

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun

log = logging.getLogger(__name__)

CLAIM_TABLE: Table = BranchClaim.__table__  # type: ignore[assignment]

#: Node kinds that always run on the coordinator: they park, wait for a resume URL, answer
#: the webhook caller, drive a loop body or wait for a sub-workflow.
LOCAL_ONLY = frozenset({"core.wait", "core.loop", "core.respond", "core.subworkflow"})
#: Node kinds whose steps keep a CPU busy: ``auto`` spreads a fork of two or more of them.
CPU_HEAVY = frozenset({"core.code"})

Publish = Callable[[str, str, int], None]


class ClaimStatus(StrEnum):
    QUEUED = "queued"  # published, no worker yet
    RUNNING = "running"  # a worker (or the coordinator, taken back) runs it
    DONE = "done"  # the outcome is in the row


# -- outcomes as JSON -------------------------------------------------------------------------


def encode(outcome: Outcome | None, *, failed: dict[str, Any] | None = None) -> str:
    """A node's outcome for its claim row (None and no ``failed``: it did not run)."""
    if failed is not None:
        return json.dumps({"failed": failed}, default=str)
    if outcome is None:
        return json.dumps({"canceled": True})
    value: dict[str, Any] = {"status": str(outcome.status)}
    if sum(len(items) for items in outcome.outputs.values()) > CHUNK_ITEMS:
        value["stored"] = True  # written in batches with its step: read back from there
    else:
        value["outputs"] = outcome.outputs
    wait = outcome.wait
    if wait is not None:
        value["wait"] = {
            "until": wait.until.isoformat() if wait.until else None,
            "resume": wait.resume,
            "items": wait.items,
        }
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


async def decode(run: ExecutionRun, node_id: str, text: str) -> Outcome | None:
    """The outcome a claim row holds (None: the branch did not run); raises
    :class:`ExecutionFailed` for a failure that stops the execution."""
    value = json.loads(text)
    if "failed" in value:
        raise ExecutionFailed(value["failed"])
    if value.get("canceled"):
        return None
    status = StepStatus(value["status"])
    wait = None
    if value.get("wait") is not None:
        spec = value["wait"]
        until = dt.datetime.fromisoformat(spec["until"]) if spec.get("until") else None
        wait = Wait(until=until, resume=spec.get("resume"), items=spec.get("items"))
    outputs = value.get("outputs")
    if outputs is None and value.get("stored"):
        await run.store.flush(run.record.id)
        outputs = await run.store.load_output(run.record.id, node_id)
    return Outcome(status, outputs or {}, wait=wait)


# -- the claims -------------------------------------------------------------------------------


class Claims:
    """The ``branch_claims`` rows (SQLAlchemy Core, each statement its own transaction)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _run(self, stmt: Any) -> int:
        async with self.engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount)

    @staticmethod
    def _key(execution_id: str, node_id: str, run_index: int = 0) -> Any:
        c = CLAIM_TABLE.c
        return and_(c.execution_id == execution_id, c.node_id == node_id, c.run_index == run_index)

    async def create(self, execution_id: str, node_ids: list[str], until: dt.datetime) -> None:
        rows = [
            {
                "execution_id": execution_id,
                "node_id": n,
                "run_index": 0,
                "status": ClaimStatus.QUEUED,
                "worker": None,
                "lease_until": until,
                "outcome": None,
            }
            for n in node_ids
        ]
        async with self.engine.begin() as conn:
            await conn.execute(insert(CLAIM_TABLE), rows)

    async def of(self, execution_ids: list[str]) -> dict[tuple[str, str], Any]:
        c = CLAIM_TABLE.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(CLAIM_TABLE).where(c.execution_id.in_(execution_ids)))
            return {(r.execution_id, r.node_id): r for r in rows}

    async def claim(
        self, execution_id: str, node_id: str, worker: str, until: dt.datetime, *, now: dt.datetime
    ) -> bool:
        """Take the claim for ``worker``: it is queued with no worker, or its lease lapsed."""
        c = CLAIM_TABLE.c
        stmt = (
            update(CLAIM_TABLE)
            .where(
                self._key(execution_id, node_id),
                c.status != ClaimStatus.DONE,
                or_(c.worker.is_(None), c.lease_until < now),
            )
            .values(status=ClaimStatus.RUNNING, worker=worker, lease_until=until)
        )
        return await self._run(stmt) == 1

    async def take_back(
        self, execution_id: str, node_id: str, worker: str, until: dt.datetime, *, now: dt.datetime
    ) -> bool:
        """The coordinator takes a claim nobody picked up, or whose lease lapsed."""
        c = CLAIM_TABLE.c
        stmt = (
            update(CLAIM_TABLE)
            .where(
                self._key(execution_id, node_id),
                c.status != ClaimStatus.DONE,
                c.lease_until < now,
            )
            .values(status=ClaimStatus.RUNNING, worker=worker, lease_until=until)
        )
        return await self._run(stmt) == 1

    async def done(self, execution_id: str, node_id: str, worker: str, outcome: str) -> bool:
        c = CLAIM_TABLE.c
        stmt = (
            update(CLAIM_TABLE)
            .where(self._key(execution_id, node_id), c.worker == worker)
            .values(status=ClaimStatus.DONE, outcome=outcome)
        )
        return await self._run(stmt) == 1

    async def release(self, execution_id: str, node_id: str, worker: str) -> None:
        """Let go of a claim (this worker stops): the coordinator takes it back at once."""
        c = CLAIM_TABLE.c
        now = utcnow() - dt.timedelta(seconds=1)
        await self._run(
            update(CLAIM_TABLE)
            .where(self._key(execution_id, node_id), c.worker == worker)
            .values(status=ClaimStatus.QUEUED, worker=None, lease_until=now)
        )

    async def renew(self, worker: str, until: dt.datetime) -> None:
        """Extend every running claim of ``worker`` (one statement)."""
        c = CLAIM_TABLE.c
        await self._run(
            update(CLAIM_TABLE)
            .where(c.worker == worker, c.status == ClaimStatus.RUNNING)
            .values(lease_until=until)
        )

    async def forget(self, execution_id: str, node_ids: list[str]) -> None:
        c = CLAIM_TABLE.c
        await self._run(
            delete(CLAIM_TABLE).where(c.execution_id == execution_id, c.node_id.in_(node_ids))
        )


# -- the coordinator's side -------------------------------------------------------------------


def has_fork(graph: Graph) -> bool:
    """Whether two nodes of ``graph`` can ever be ready at once."""
    starts = sum(1 for n in graph.nodes.values() if not n.incoming)
    if starts > 1:
        return True
    return any(len({e.target for e in n.outgoing}) > 1 for n in graph.nodes.values())


class BranchSpreader:
    """A worker's :class:`~wirework.dispatch.spread.Spreader`: claims in the database,
    messages through ``publish``, outcomes polled (one query for all awaited claims)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        worker_id: str,
        lease_s: float,
        publish: Publish,
        policy: SpreadPolicy = SpreadPolicy.AUTO,
        cluster_size: Callable[[], tuple[int, int]] = lambda: (2, 1),
        poll_s: float = 0.01,
    ) -> None:
        self.claims = Claims(engine)
        self.worker_id = worker_id
        self.lease_s = lease_s
        # A claim nobody took this long after it was published is taken back.
        self.pickup_s = max(1.0, lease_s / 3)
        self.publish = publish
        self.policy = policy
        self.cluster_size = cluster_size
        self.poll_s = poll_s
        self._waiters: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._forks: dict[tuple[int | None, int], bool] = {}

    async def plan(self, work: Any) -> _Plan | None:
        run: ExecutionRun | None = getattr(work, "run", None)
        if run is None:
            return None
        graph = run.graph
        key = (graph.workflow_id, graph.version)
        forks = self._forks.get(key) if graph.workflow_id is not None else None
        if forks is None:
            forks = self._forks[key] = has_fork(graph)
        if not forks:
            return None  # a linear workflow: nothing to spread, nothing held elsewhere
        policy = SpreadPolicy(graph.settings.get("spread") or self.policy)
        existing = {n: row for (_, n), row in (await self.claims.of([run.record.id])).items()}
        resolved = [n for n in existing if run.status.get(n) not in (None, RUNNING)]
        if resolved:  # settled before the previous coordinator stopped
            await self.claims.forget(run.record.id, resolved)
            for n in resolved:
                del existing[n]
        if policy is SpreadPolicy.OFF and not existing:
            return None
        return _Plan(self, run, policy, existing)

    async def wait_row(self, execution_id: str, node_id: str) -> Any:
        """The claim row once it is done, lapsed or gone (None)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[(execution_id, node_id)] = future
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        try:
            return await future
        finally:
            if self._waiters.get((execution_id, node_id)) is future:
                del self._waiters[(execution_id, node_id)]

    async def _poll(self) -> None:
        while self._waiters:
            await asyncio.sleep(self.poll_s)
            try:
                rows = await self.claims.of(list({e for e, _ in self._waiters}))
            except Exception:
                log.exception("could not read branch claims")
                await asyncio.sleep(1)
                continue
            now = utcnow()
            for key, future in list(self._waiters.items()):
                row = rows.get(key)
                if row is None or row.status == ClaimStatus.DONE or row.lease_until < now:
                    del self._waiters[key]
                    if not future.done():
                        future.set_result(row)


class _Plan:
    """One drive of one execution (:class:`~wirework.dispatch.spread.SpreadPlan`)."""

    def __init__(
        self,
        spreader: BranchSpreader,
        run: ExecutionRun,
        policy: SpreadPolicy,
        existing: dict[str, Any],
    ) -> None:
        self.spreader = spreader
        self.run = run
        self.policy = policy
        self.existing = existing
        self.pending: set[str] = set(existing)  # handed out, outcome not settled yet

    def eligible(self, node_id: str) -> bool:
        run = self.run
        node = run.graph.nodes[node_id]
        if node.is_trigger or not node.incoming or node.type in LOCAL_ONLY:
            return False
        status = run.status
        if any(status.get(s) == ERROR for s in node.sources):
            return False  # its input holds the error items, which only this run has
        if node.node_refs is None or (node.node_refs and ERROR in status.values()):
            return False
        inputs = run.inputs(node)
        return sum(len(items) for items in inputs.values()) <= CHUNK_ITEMS

    def choose(self, ready: list[str]) -> set[str]:
        remote = {n for n in ready if n in self.existing}
        if len(ready) < 2 or self.policy is SpreadPolicy.OFF:
            return remote
        candidates = [n for n in ready if n not in remote and self.eligible(n)]
        workers, hosts = self.spreader.cluster_size()
        if self.policy is SpreadPolicy.AUTO:
            # Measured (README.md): a hand-over costs more than the event loop's overlap of
            # I/O-bound branches, and workers of one host share its cores; so only CPU-heavy
            # branches, and only when the workers span several machines.
            if hosts < 2:
                return remote
            nodes = self.run.graph.nodes
            candidates = [n for n in candidates if nodes[n].type in CPU_HEAVY]
        if len(candidates) < 2:
            return remote
        # This worker keeps its share (the first ones) and hands the others out (``always``
        # assumes another worker even before it saw one beat).
        keep = math.ceil(len(candidates) / max(2, workers))
        return remote | set(candidates[keep:])

    async def launch(self, node_ids: list[str]) -> list[str]:
        run, spreader = self.run, self.spreader
        fresh = [n for n in node_ids if n not in self.existing]
        if not fresh:
            return node_ids
        try:
            await run.store.flush(run.record.id)  # their inputs, for the worker running them
            until = utcnow() + dt.timedelta(seconds=spreader.pickup_s)
            await spreader.claims.create(run.record.id, fresh, until)
        except Exception:
            log.exception("could not hand branches out; running them here")
            return [n for n in node_ids if n in self.existing]
        self.pending.update(fresh)
        for node_id in fresh:
            spreader.publish(run.record.id, node_id, 0)
        return node_ids

    def outcome(self, node_id: str) -> Awaitable[Outcome]:
        return self._outcome(node_id)

    async def _outcome(self, node_id: str) -> Outcome:
        try:
            return await self._await(node_id)
        finally:
            self.pending.discard(node_id)

    async def _await(self, node_id: str) -> Outcome:
        run, spreader = self.run, self.spreader
        execution_id = run.record.id
        while True:
            row = await spreader.wait_row(execution_id, node_id)
            if row is not None and row.status == ClaimStatus.DONE and row.outcome is not None:
                with contextlib.suppress(Exception):
                    await spreader.claims.forget(execution_id, [node_id])
                outcome = await decode(run, node_id, row.outcome)
                if outcome is not None:
                    return outcome
                return await self._run_here(node_id)  # it did not run there
            now = utcnow()
            until = now + dt.timedelta(seconds=spreader.lease_s)
            if row is None or await spreader.claims.take_back(
                execution_id, node_id, spreader.worker_id, until, now=now
            ):
                return await self._run_here(node_id)
            # Another worker claimed it just now: await it.

    async def _run_here(self, node_id: str) -> Outcome:
        """Run a branch taken back (nobody picked it up, its worker died) on this worker,
        after what its worker recorded (its attempts; a final step it stored)."""
        run = self.run
        try:
            steps = [s for s in await run.store.load_steps(run.record.id) if s.node_id == node_id]
            if steps:
                latest = max(steps, key=lambda s: s.attempt)
                if latest.status in (SUCCESS, SKIPPED):
                    return Outcome(StepStatus(latest.status), latest.output or {})
                # The next attempt after the last one stored (a waiting one runs again).
                run.attempts[node_id] = latest.attempt - (latest.status == WAITING)
            return await run_node(run, node_id)
        finally:
            with contextlib.suppress(Exception):
                await self.spreader.claims.forget(run.record.id, [node_id])

    def close(self) -> None:
        """Claims still out when the execution ends here (failed, canceled, timed out) are
        dropped (their workers stop when they see it ended); a run this worker lets go of
        (``detached``) keeps them for the worker that takes the execution over."""
        left = list(self.pending)
        if left and not self.run.detached:
            task = asyncio.get_running_loop().create_task(self._forget(left))
            _CLEANUPS.add(task)
            task.add_done_callback(_CLEANUPS.discard)

    async def _forget(self, node_ids: list[str]) -> None:
        with contextlib.suppress(Exception):
            await self.spreader.claims.forget(self.run.record.id, node_ids)


_CLEANUPS: set[asyncio.Task[None]] = set()


# -- the worker running a branch --------------------------------------------------------------


async def run_branch(run: ExecutionRun, node_id: str) -> str:
    """Run one node of ``run`` (a fresh run of the execution: its state is rebuilt from the
    stored steps) through the step runner; its outcome as the claim row's JSON."""
    await load_state(run)
    status = run.status.get(node_id)
    if status in (SUCCESS, SKIPPED):  # a worker before this one recorded it
        return encode(Outcome(status, run.outputs.get(node_id, {})))
    if status is not None:
        run.status.pop(node_id)
    run.status[node_id] = RUNNING
    try:
        outcome = await run_node(run, node_id)
    except ExecutionFailed as exc:
        return encode(None, failed=exc.error)
    return encode(outcome)
