"""The dashboard's figures read straight from ``executions``: over the whole period (the
direct computation, ``dashboard(..., use_rollups=False)``), or over parts of it (the
parts no roll-up covers, and the spans being rolled up). Every number is an aggregate
computed by the database, found through ``ix_executions_started_at``; only aggregated rows
reach Python."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement

from wirework.db.models import Execution
from wirework.db.sqlfuncs import (
    TEXT_AGG_SETUP,
    duration_seconds,
    epoch_bucket,
    run_time_text,
    text_agg,
    unindexed,
)
from wirework.schemas.dashboard import Bucket

#: Ended on their own: their run time counts in the duration figures.
RAN = ("success", "error")
#: Ended in any way: the denominator of failure rates.
ENDED = ("success", "error", "canceled")
BUCKET_SECONDS = {Bucket.HOUR: 3600, Bucket.DAY: 86400}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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


def at(epoch_s: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=epoch_s)


@dataclass
class Stats:
    """One workflow's executions in the period, summed over its (workflow, status) rows."""

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

    def add(
        self, status: str, n: int, timed: int, seconds: Any, newest: dt.datetime | None
    ) -> None:
        """Count one (workflow, status) aggregate of some part of the period."""
        self.by_status[status] = self.by_status.get(status, 0) + n
        if status in RAN and seconds is not None:
            self.timed += timed
            self.seconds += float(seconds)
        if status == "error" and isinstance(newest, dt.datetime):
            newest = _utc(newest)
            if self.last_failure_at is None or newest > self.last_failure_at:
                self.last_failure_at = newest


@dataclass
class Figures:
    """What the dashboard answers from, summed over the parts of the period: executions per
    bucket and status, per-workflow stats, and the run times at hand in memory."""

    counts: dict[int, dict[str, int]] = field(default_factory=dict)  # bucket start → status → n
    stats: dict[int, Stats] = field(default_factory=dict)
    # workflow → its run times read with the parts, as text (parsed for the slowest only)
    run_times: dict[int, list[str]] = field(default_factory=dict)

    def count(self, bucket: int, status: str, n: int) -> None:
        per_status = self.counts.setdefault(bucket, {})
        per_status[status] = per_status.get(status, 0) + n

    def workflow(self, workflow_id: int) -> Stats:
        return self.stats.setdefault(workflow_id, Stats(workflow_id))

    def add_run_times(self, workflow_id: int, values: str | None) -> None:
        if values:
            self.run_times.setdefault(workflow_id, []).append(values)

    def run_times_of(self, workflow_id: int) -> list[float]:
        return [v for text in self.run_times.get(workflow_id, []) for v in parse_run_times(text)]


def parse_run_times(values: str) -> list[float]:
    try:
        return list(map(float, values.split(",")))
    except ValueError:  # cut short by MySQL/MariaDB's limits: the p95 falls back to SQL
        return [float(v) for v in values.split(",")[:-1]]


def nearest_rank_p95(values: list[float]) -> float:
    """The smallest value whose rank r (1-based, ascending) has r ≥ 0.95·n."""
    ordered = sorted(values)
    rank = (19 * len(ordered) + 19) // 20  # the smallest r with 20·r ≥ 19·n
    return ordered[rank - 1]


# -- reading executions -----------------------------------------------------------------------

_FORCE = "FORCE INDEX (ix_executions_started_at)"
#: Up to this long in all, ranges are read through ``ix_executions_started_at`` on MariaDB.
FORCE_INDEX_UP_TO = dt.timedelta(days=31)


def _scan(ranges: Sequence[tuple[dt.datetime, dt.datetime]], *columns: Any) -> Select[Any]:
    """SELECT … FROM executions WHERE started_at in one of ``ranges``, read through
    ``ix_executions_started_at``. MariaDB's optimiser scans the whole table for a week out of
    a million rows (4 to 5 times slower than the range); for months the whole table is the
    better plan, so the index is forced only up to a month. SQLite is steered by
    ``unindexed`` on the other columns; PostgreSQL chooses well from its statistics."""
    query = select(*columns).select_from(Execution).where(_in(ranges))
    if sum((b - a for a, b in ranges), dt.timedelta()) <= FORCE_INDEX_UP_TO:
        query = query.with_hint(Execution, _FORCE, "mysql").with_hint(Execution, _FORCE, "mariadb")
    return query


def _in(ranges: Sequence[tuple[dt.datetime, dt.datetime]]) -> ColumnElement[bool]:
    terms = [and_(Execution.started_at >= a, Execution.started_at < b) for a, b in ranges]
    return terms[0] if len(terms) == 1 else or_(*terms)


async def prepare_text_agg(session: AsyncSession) -> None:
    """Lift MySQL/MariaDB's cap on ``text_agg`` for this session's connection."""
    setup = TEXT_AGG_SETUP.get(session.get_bind().dialect.name)
    if setup is not None:
        await session.execute(text(setup))


@dataclass(frozen=True, slots=True)
class Part:
    """Executions of one bucket, workflow and status in some ranges of the period."""

    bucket: int
    workflow_id: int
    status: str
    executions: int
    timed: int
    seconds: float | None
    newest: dt.datetime | None
    run_times: str | None  # of those that ran (success, error) with an end time


async def parts(
    session: AsyncSession, ranges: Sequence[tuple[dt.datetime, dt.datetime]], bucket_s: int
) -> list[Part]:
    """One pass over ``ranges``: per (``bucket_s`` bucket, workflow, status) the count, how
    many have an end time, their summed run time, the newest start and the run times as text
    (call ``prepare_text_agg`` first). For small ranges, and for spans being rolled up."""
    if not ranges:
        return []
    bucket = epoch_bucket(Execution.started_at, bucket_s).label("bucket")
    status = unindexed(Execution.status)
    workflow = unindexed(Execution.workflow_id)
    ran = and_(status.in_(RAN), Execution.finished_at.is_not(None))
    times = case((ran, run_time_text(Execution.started_at, Execution.finished_at)))
    rows = await session.execute(
        _scan(
            ranges,
            bucket,
            workflow,
            status,
            func.count(),
            func.count(Execution.finished_at),
            func.sum(duration_seconds(Execution.started_at, Execution.finished_at)),
            func.max(Execution.started_at),
            text_agg(times),
        ).group_by(literal_column("bucket"), workflow, status)
    )
    return [
        Part(int(b), wid, st, n, t, None if s is None else float(s), newest, values)
        for b, wid, st, n, t, s, newest, values in rows.all()
    ]


def add_parts(figures: Figures, found: Iterable[Part], bucket_s: int) -> None:
    for p in found:
        figures.count(p.bucket // bucket_s * bucket_s, p.status, p.executions)
        figures.workflow(p.workflow_id).add(p.status, p.executions, p.timed, p.seconds, p.newest)
        figures.add_run_times(p.workflow_id, p.run_times)


# -- the direct computation over the whole period ----------------------------------------------


async def direct(session: AsyncSession, w: Window) -> Figures:
    """Two scans of the period (per bucket and status; per workflow and status)."""
    figures = Figures()
    whole = [(w.since, w.until)]
    bucket = epoch_bucket(Execution.started_at, w.bucket_seconds).label("bucket")
    status = unindexed(Execution.status)
    workflow = unindexed(Execution.workflow_id)
    rows = await session.execute(
        _scan(whole, bucket, status, func.count()).group_by(literal_column("bucket"), status)
    )
    for b, st, n in rows.all():
        figures.count(int(b), st, n)
    rows = await session.execute(
        _scan(
            whole,
            workflow,
            status,
            func.count(),
            func.count(Execution.finished_at),
            func.sum(duration_seconds(Execution.started_at, Execution.finished_at)),
            func.max(Execution.started_at),
        ).group_by(workflow, status)
    )
    for wid, st, n, with_end, seconds, newest in rows.all():
        figures.workflow(wid).add(st, n, with_end, seconds, newest)
    return figures


async def direct_p95(
    session: AsyncSession, ranges: Sequence[tuple[dt.datetime, dt.datetime]], ids: list[int]
) -> dict[int, float]:
    """Nearest-rank 95th percentile of the run times of these workflows: the smallest run
    time whose rank r (1-based, by run time) has r ≥ 0.95·n, i.e. 20·r ≥ 19·n — integer
    arithmetic, with window functions every backend has (no percentile function needed)."""
    if not ids:
        return {}
    duration = duration_seconds(Execution.started_at, Execution.finished_at)
    workflow = unindexed(Execution.workflow_id)
    ranked = (
        _scan(
            ranges,
            workflow.label("wid"),
            duration.label("d"),
            func.row_number().over(partition_by=workflow, order_by=duration).label("r"),
            func.count().over(partition_by=workflow).label("n"),
        )
        .where(
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


def bucket_starts(w: Window) -> list[int]:
    size = w.bucket_seconds
    first = math.floor(w.since.timestamp() / size) * size
    last = math.floor((w.until - dt.timedelta(microseconds=1)).timestamp() / size) * size
    return list(range(first, last + 1, size))
