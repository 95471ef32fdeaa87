"""The dashboard's figures: every number is an aggregate computed by the database (GROUP BY
over the executions started in the period, found through ``ix_executions_started_at``);
only aggregated rows reach Python — one per bucket and status, one per workflow and status,
one per slowest workflow — never executions."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.expression import ColumnElement

from wirework.db.base import utcnow
from wirework.db.engine import READONLY
from wirework.db.models import Execution, Workflow
from wirework.db.sqlfuncs import duration_seconds, epoch_bucket, unindexed
from wirework.errors import InvalidInput
from wirework.schemas.dashboard import (
    PERIOD_LENGTH,
    Bucket,
    DashboardOut,
    FailingWorkflow,
    Kpis,
    Period,
    SeriesPoint,
    SlowWorkflow,
    StatusCounts,
)

DEFAULT_PERIOD = Period.DAY
MAX_SPAN = dt.timedelta(days=366)
#: Periods up to this long are drawn in hours, longer ones in days.
HOURLY_UP_TO = dt.timedelta(hours=48)
BUCKET_SECONDS = {Bucket.HOUR: 3600, Bucket.DAY: 86400}
DEFAULT_TOP = 5
MAX_TOP = 50
#: Ended on their own: their run time counts in the duration figures.
RAN = ("success", "error")
#: Ended in any way: the denominator of failure rates.
ENDED = ("success", "error", "canceled")


@dataclass(frozen=True)
class Window:
    since: dt.datetime
    until: dt.datetime
    bucket: Bucket

    @property
    def bucket_seconds(self) -> int:
        return BUCKET_SECONDS[self.bucket]


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a time given without a zone is read as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def window(
    *,
    period: Period | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Window:
    """The period asked for: ``period`` (default 24 h) ending at ``until`` (default now), or
    ``since`` … ``until``; the bucket size follows its length."""
    if period is not None and since is not None:
        raise InvalidInput.one("since", "give either period or since (with until), not both")
    end = _utc(until) if until is not None else _utc(now or utcnow())
    if since is None:
        start = end - PERIOD_LENGTH[period or DEFAULT_PERIOD]
    else:
        start = _utc(since)
        if end <= start:
            raise InvalidInput.one("until", "must be later than since")
        if end - start > MAX_SPAN:
            raise InvalidInput.one("since", f"the period may span at most {MAX_SPAN.days} days")
    bucket = Bucket.HOUR if end - start <= HOURLY_UP_TO else Bucket.DAY
    return Window(start, end, bucket)


def _in_window(w: Window) -> ColumnElement[bool]:
    return and_(Execution.started_at >= w.since, Execution.started_at < w.until)


_FORCE = "FORCE INDEX (ix_executions_started_at)"
#: Up to this long a window is read through ``ix_executions_started_at`` on MariaDB.
FORCE_INDEX_UP_TO = dt.timedelta(days=31)


def _scan(w: Window, *columns: Any) -> Select[Any]:
    """SELECT … FROM executions, the window read through ``ix_executions_started_at``.
    MariaDB's optimiser scans the whole table for a week out of a million rows (4 to 5 times
    slower than the range); for a window of months the whole table is the better plan, so
    the index is forced only up to a month. SQLite is steered by ``unindexed`` on the other
    columns; PostgreSQL chooses well from its statistics."""
    query = select(*columns).select_from(Execution)
    if w.until - w.since <= FORCE_INDEX_UP_TO:
        query = query.with_hint(Execution, _FORCE, "mysql").with_hint(Execution, _FORCE, "mariadb")
    return query


def _ms(seconds: Any) -> float:
    return round(float(seconds) * 1000.0, 3)


async def dashboard(
    session: AsyncSession,
    *,
    period: Period | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    top: int = DEFAULT_TOP,
    now: dt.datetime | None = None,
) -> DashboardOut:
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput.one("top", f"must be between 1 and {MAX_TOP}")
    w = window(period=period, since=since, until=until, now=now)
    # Reads only: on SQLite the scans (seconds over a million rows) must not hold the write
    # lock the engine needs (a read-only connection begins a deferred transaction).
    if not session.in_transaction():
        await session.connection(execution_options={READONLY: True})
    # The series and the per-workflow figures are two independent scans of the window: run
    # on two connections they overlap (the database works on both at once).
    async with _second_session(session) as side, asyncio.TaskGroup() as tasks:
        series = tasks.create_task(_series(side, w)) if side is not None else None
        stats = await _per_workflow(session, w)
        slowest, failing = _tops(stats, top)
        p95 = await _p95(session, w, [s.workflow_id for s in slowest])
        names = await _names(session, {s.workflow_id for s in [*slowest, *failing]})
    return DashboardOut(
        since=w.since,
        until=w.until,
        bucket=w.bucket,
        kpis=_kpis(stats.values()),
        series=series.result() if series else await _series(session, w),
        slowest=[
            SlowWorkflow(
                workflow_id=s.workflow_id,
                name=names.get(s.workflow_id, f"workflow {s.workflow_id}"),
                executions=s.timed,
                avg_duration_ms=_ms(s.avg_s),
                p95_duration_ms=_ms(p95.get(s.workflow_id, s.avg_s)),
            )
            for s in slowest
        ],
        failing=[
            FailingWorkflow(
                workflow_id=s.workflow_id,
                name=names.get(s.workflow_id, f"workflow {s.workflow_id}"),
                executions=s.executions,
                failures=s.failures,
                failure_rate=s.failures / s.ended,
                last_failure_at=s.last_failure_at or w.since,
            )
            for s in failing
        ],
    )


@contextlib.asynccontextmanager
async def _second_session(session: AsyncSession) -> AsyncIterator[AsyncSession | None]:
    """Another session on the same database for reads running beside ``session``'s (None
    when ``session`` is not bound to one engine: then everything runs in ``session``)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        yield None
        return
    async with AsyncSession(bind) as side:
        await side.connection(execution_options={READONLY: True})
        yield side


def _tops(stats: dict[int, _Stats], top: int) -> tuple[list[_Stats], list[_Stats]]:
    """The ``top`` slowest (mean run time) and most failing (failures, then rate)."""
    slowest = sorted(
        (s for s in stats.values() if s.timed), key=lambda s: (-s.avg_s, s.workflow_id)
    )[:top]
    failing = sorted(
        (s for s in stats.values() if s.failures),
        key=lambda s: (-s.failures, -s.failures / s.ended, s.workflow_id),
    )[:top]
    return slowest, failing


def _bucket_starts(w: Window) -> list[int]:
    size = w.bucket_seconds
    first = math.floor(w.since.timestamp() / size) * size
    last = math.floor((w.until - dt.timedelta(microseconds=1)).timestamp() / size) * size
    return list(range(first, last + 1, size))


async def _series(session: AsyncSession, w: Window) -> list[SeriesPoint]:
    """Executions per (bucket, status), every bucket of the window listed."""
    bucket = epoch_bucket(Execution.started_at, w.bucket_seconds).label("bucket")
    status = unindexed(Execution.status)
    rows = await session.execute(
        _scan(w, bucket, status, func.count())
        .where(_in_window(w))
        .group_by(literal_column("bucket"), status)
    )
    per_bucket: dict[int, dict[str, int]] = {}
    for b, st, n in rows.all():
        per_bucket.setdefault(int(b), {})[st] = n
    return [
        SeriesPoint(
            start=dt.datetime.fromtimestamp(start, dt.UTC),
            counts=StatusCounts.model_validate(per_bucket.get(start, {})),
        )
        for start in _bucket_starts(w)
    ]


@dataclass
class _Stats:
    """One workflow's executions in the window, summed over its (workflow, status) rows."""

    workflow_id: int
    by_status: dict[str, int] = field(default_factory=dict)
    timed: int = 0  # ended in success or error, with an end time
    seconds: float = 0.0  # their summed run time
    last_failure_at: dt.datetime | None = None

    @property
    def executions(self) -> int:
        return sum(self.by_status.values())

    @property
    def failures(self) -> int:
        return self.by_status.get("error", 0)

    @property
    def ended(self) -> int:
        return sum(self.by_status.get(s, 0) for s in ENDED)

    @property
    def avg_s(self) -> float:
        return self.seconds / self.timed if self.timed else 0.0


async def _per_workflow(session: AsyncSession, w: Window) -> dict[int, _Stats]:
    """One pass for the KPIs and both workflow tables: per (workflow, status) the count,
    the summed run time and the newest start. At most one row per workflow and status."""
    status = unindexed(Execution.status)
    workflow = unindexed(Execution.workflow_id)
    rows = await session.execute(
        _scan(
            w,
            workflow,
            status,
            func.count(),
            func.count(Execution.finished_at),
            func.sum(duration_seconds(Execution.started_at, Execution.finished_at)),
            func.max(Execution.started_at),
        )
        .where(_in_window(w))
        .group_by(workflow, status)
    )
    stats: dict[int, _Stats] = {}
    for wid, st, n, with_end, seconds, newest in rows.all():
        s = stats.setdefault(wid, _Stats(wid))
        s.by_status[st] = n
        if st in RAN and seconds is not None:
            s.timed += with_end
            s.seconds += float(seconds)
        if st == "error":
            s.last_failure_at = _utc(newest) if isinstance(newest, dt.datetime) else None
    return stats


def _kpis(stats: Iterable[_Stats]) -> Kpis:
    totals: dict[str, int] = {}
    timed, seconds = 0, 0.0
    for s in stats:
        for st, n in s.by_status.items():
            totals[st] = totals.get(st, 0) + n
        timed += s.timed
        seconds += s.seconds
    ended = sum(totals.get(st, 0) for st in ENDED)
    failures = totals.get("error", 0)
    return Kpis(
        executions=sum(totals.values()),
        failures=failures,
        failure_rate=failures / ended if ended else None,
        avg_duration_ms=_ms(seconds / timed) if timed else None,
        by_status=StatusCounts.model_validate(totals),
    )


async def _p95(session: AsyncSession, w: Window, ids: list[int]) -> dict[int, float]:
    """Nearest-rank 95th percentile of the run times of these workflows: the smallest run
    time whose rank r (1-based, by run time) has r ≥ 0.95·n, i.e. 20·r ≥ 19·n — integer
    arithmetic, with window functions every backend has (no percentile function needed)."""
    if not ids:
        return {}
    duration = duration_seconds(Execution.started_at, Execution.finished_at)
    workflow = unindexed(Execution.workflow_id)
    ranked = (
        _scan(
            w,
            workflow.label("wid"),
            duration.label("d"),
            func.row_number().over(partition_by=workflow, order_by=duration).label("r"),
            func.count().over(partition_by=workflow).label("n"),
        )
        .where(
            _in_window(w),
            unindexed(Execution.status).in_(RAN),
            Execution.finished_at.is_not(None),
            workflow.in_(ids),
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.wid, func.min(ranked.c.d))
        .where(ranked.c.r * 20 >= ranked.c.n * 19)
        .group_by(ranked.c.wid)
    )
    return {wid: float(d) for wid, d in rows.all()}


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Workflow.id, Workflow.name).where(Workflow.id.in_(ids)))
    return {wid: name for wid, name in rows.all()}
