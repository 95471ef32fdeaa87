"""The processes of a cluster and their heartbeats; how much work waits and runs.

Every long-running process (``wirework server``, ``wirework worker``, ``wirework
scheduler``) upserts its row in ``workers`` every :data:`HEARTBEAT_S` seconds with
:func:`heartbeat`. A row whose heartbeat is older than ``stale_after_s`` is listed as stale
(the process stopped, hangs, or cannot reach the database); :func:`forget_stale` deletes
rows that have been stale for long. Like every service, these functions ``flush``; the
caller commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework import __version__
from wirework.db.base import utcnow
from wirework.db.models import Execution, ExecutionStep, Worker
from wirework.dispatch.base import QUEUE
from wirework.engine.states import ExecutionStatus, StepStatus
from wirework.errors import InvalidInput
from wirework.schemas.system import (
    ExecutionCounts,
    QueueOut,
    WorkerKind,
    WorkerOut,
    WorkersOut,
)
from wirework.services.broker_stats import broker_queue
from wirework.settings import Settings

log = logging.getLogger(__name__)

#: The Celery queue step messages go to (``wirework worker`` consumes it; the queue-depth
#: endpoint reads its length on the broker).
QUEUE_NAME = QUEUE

#: How often a process reports, in seconds.
HEARTBEAT_S = 10.0

#: A heartbeat older than this (three missed beats) marks a process stale.
STALE_AFTER_S = 3 * HEARTBEAT_S

#: Rows stale for longer than this are deleted (by the servers' heartbeat task).
FORGET_AFTER_S = 24 * 3600.0

_KINDS = frozenset(kind.value for kind in WorkerKind)
_DETAILS_MAX_KEYS = 50


async def heartbeat(
    session: AsyncSession,
    *,
    worker_id: str,
    kind: str,
    hostname: str,
    pid: int,
    concurrency: int,
    running: int,
    details: dict[str, Any] | None = None,
) -> None:
    """Record that process ``worker_id`` is alive and what it runs: inserted on its first
    beat (``started_at`` = now), updated after. One statement, safe under concurrent beats
    on SQLite, PostgreSQL and MySQL/MariaDB."""
    if kind not in _KINDS:
        raise InvalidInput.one("kind", f"is {kind!r}: use one of {', '.join(sorted(_KINDS))}")
    if details is not None and len(details) > _DETAILS_MAX_KEYS:
        raise InvalidInput.one("details", f"has more than {_DETAILS_MAX_KEYS} keys")
    now = utcnow()
    values: dict[str, Any] = {
        "id": worker_id[:100],
        "kind": kind,
        "hostname": hostname[:255],
        "pid": pid,
        "version": __version__[:40],
        "concurrency": max(0, concurrency),
        "started_at": now,
        "last_heartbeat_at": now,
        "running": max(0, running),
        "details": details,
    }
    changing = [
        "kind",
        "hostname",
        "pid",
        "version",
        "concurrency",
        "last_heartbeat_at",
        "running",
        "details",
    ]
    dialect = session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        stmt_my = mysql.insert(Worker).values(**values)
        stmt: Any = stmt_my.on_duplicate_key_update(
            {name: stmt_my.inserted[name] for name in changing}
        )
    else:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt_pg = insert(Worker).values(**values)
        stmt = stmt_pg.on_conflict_do_update(
            index_elements=[Worker.id], set_={name: stmt_pg.excluded[name] for name in changing}
        )
    await session.execute(stmt)
    await session.flush()


async def list_workers(
    session: AsyncSession, *, stale_after_s: float = STALE_AFTER_S, now: dt.datetime | None = None
) -> WorkersOut:
    """Every process known, alive ones first, then by kind and id."""
    now = now or utcnow()
    rows = (await session.scalars(select(Worker))).all()
    workers = []
    for row in rows:
        age = max(0.0, (now - row.last_heartbeat_at).total_seconds())
        workers.append(
            WorkerOut(
                id=row.id,
                kind=WorkerKind(row.kind),
                hostname=row.hostname,
                pid=row.pid,
                version=row.version,
                concurrency=row.concurrency,
                running=row.running,
                started_at=row.started_at,
                last_heartbeat_at=row.last_heartbeat_at,
                seconds_since_heartbeat=round(age, 3),
                alive=age <= stale_after_s,
                details=row.details or {},
            )
        )
    workers.sort(key=lambda w: (not w.alive, w.kind.value, w.id))
    alive = sum(1 for w in workers if w.alive)
    return WorkersOut(
        stale_after_s=stale_after_s, alive=alive, stale=len(workers) - alive, workers=workers
    )


async def forget_stale(
    session: AsyncSession, *, older_than_s: float = FORGET_AFTER_S, now: dt.datetime | None = None
) -> int:
    """Delete the rows of processes whose last heartbeat is older than ``older_than_s``;
    returns how many."""
    cutoff = (now or utcnow()) - dt.timedelta(seconds=older_than_s)
    result = await session.execute(delete(Worker).where(Worker.last_heartbeat_at < cutoff))
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


async def queue_depth(
    session: AsyncSession,
    settings: Settings,
    *,
    stale_after_s: float = STALE_AFTER_S,
    now: dt.datetime | None = None,
) -> QueueOut:
    """Unfinished executions by state and running steps from the database; in distributed
    mode also the broker queue's length."""
    now = now or utcnow()
    counted = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, ExecutionStatus.WAITING)
    by_status: dict[str, int] = {
        status: int(count)
        for status, count in (
            await session.execute(
                select(Execution.status, func.count())
                .where(Execution.status.in_([s.value for s in counted]))
                .group_by(Execution.status)
            )
        ).all()
    }
    running_steps = await session.scalar(
        select(func.count())
        .select_from(ExecutionStep)
        .join(Execution, Execution.id == ExecutionStep.execution_id)
        .where(
            ExecutionStep.status == StepStatus.RUNNING.value,
            Execution.status == ExecutionStatus.RUNNING.value,
        )
    )
    cutoff = now - dt.timedelta(seconds=stale_after_s)
    reported = await session.scalar(
        select(func.coalesce(func.sum(Worker.running), 0)).where(Worker.last_heartbeat_at >= cutoff)
    )
    return QueueOut(
        mode="distributed" if settings.broker_url else "embedded",
        executions=ExecutionCounts(
            queued=by_status.get(ExecutionStatus.QUEUED, 0),
            running=by_status.get(ExecutionStatus.RUNNING, 0),
            waiting=by_status.get(ExecutionStatus.WAITING, 0),
        ),
        running_steps=int(running_steps or 0),
        reported_running=int(reported or 0),
        broker=await broker_queue(settings.broker_url, QUEUE_NAME),
    )


async def local_liveness(
    session: AsyncSession,
    *,
    kind: WorkerKind,
    hostname: str,
    pid: int | None = None,
    stale_after_s: float = STALE_AFTER_S,
    now: dt.datetime | None = None,
) -> tuple[bool, str]:
    """Whether a process of ``kind`` on ``hostname`` (and ``pid``, if given) beat within
    ``stale_after_s``: a liveness probe run next to the process (``wirework worker
    --check``). The newest heartbeat counts (a restarted process's predecessor may have left
    a stale row). Returns the verdict and a line saying why."""
    now = now or utcnow()
    query = select(Worker.id, Worker.last_heartbeat_at).where(
        Worker.kind == kind.value, Worker.hostname == hostname
    )
    if pid is not None:
        query = query.where(Worker.pid == pid)
    rows = (await session.execute(query)).all()
    who = f"{kind.value} on {hostname}" + (f" (pid {pid})" if pid is not None else "")
    if not rows:
        return False, f"no heartbeat of a {who} in the workers table"
    worker_id, last = max(rows, key=lambda r: r.last_heartbeat_at)
    age = max(0.0, (now - last).total_seconds())
    if age > stale_after_s:
        return False, f"{who}: newest heartbeat {age:.1f} s ago (stale after {stale_after_s:g} s)"
    return True, f"{who}: {worker_id} beat {age:.1f} s ago"


def this_process() -> tuple[str, int]:
    """The host name and pid a process reports."""
    return socket.gethostname(), os.getpid()


class Heartbeats:
    """A process's periodic :func:`heartbeat` as a background task: the first beat at
    :meth:`start`, then every ``interval_s``; a failed beat (database down) is logged and
    retried at the next one. Every hour it also forgets processes stale for a day. On
    :meth:`stop` the process's row is deleted (a clean exit is no stale process)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        worker_id: str,
        kind: str,
        concurrency: int = 0,
        running: Callable[[], int] = lambda: 0,
        details: Callable[[], dict[str, Any] | None] = lambda: None,
        interval_s: float = HEARTBEAT_S,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.worker_id = worker_id
        self.kind = kind
        self.concurrency = concurrency
        self.running = running
        self.details = details
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._beats = 0

    async def beat(self) -> None:
        hostname, pid = this_process()
        async with self.sessionmaker() as session:
            await heartbeat(
                session,
                worker_id=self.worker_id,
                kind=self.kind,
                hostname=hostname,
                pid=pid,
                concurrency=self.concurrency,
                running=self.running(),
                details=self.details(),
            )
            if self._beats % max(1, int(3600 / self.interval_s)) == 0:
                await forget_stale(session)
            await session.commit()
        self._beats += 1

    async def start(self) -> None:
        if self._task is not None:
            return
        await self._beat_safely()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="heartbeats")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            async with self.sessionmaker() as session:
                await session.execute(delete(Worker).where(Worker.id == self.worker_id))
                await session.commit()
        except Exception as exc:
            log.warning("could not remove this process from the workers table: %s", exc)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self._beat_safely()

    async def _beat_safely(self) -> None:
        try:
            await self.beat()
        except Exception as exc:
            log.warning("heartbeat failed (retried in %.0f s): %s", self.interval_s, exc)
