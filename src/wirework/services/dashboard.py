"""The dashboard's figures over a period: KPIs, executions per bucket and status, the
slowest and most-failing workflows. They come from hourly and daily roll-ups kept exact
(``dashboard_rollups``), plus the executions no roll-up covers yet read directly
(``dashboard_sql``); ``use_rollups=False`` computes everything from ``executions`` (the
same answers, slower)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import utcnow
from wirework.db.engine import READONLY
from wirework.db.models import Workflow
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
from wirework.services import dashboard_rollups as rollups
from wirework.services.dashboard_sql import (
    ENDED,
    RAN,
    Figures,
    Stats,
    Window,
    _utc,
    bucket_starts,
    direct,
    direct_p95,
    nearest_rank_p95,
)

__all__ = ["ENDED", "RAN", "Window", "dashboard", "window"]

DEFAULT_PERIOD = Period.DAY
MAX_SPAN = dt.timedelta(days=366)
#: Periods up to this long are drawn in hours, longer ones in days.
HOURLY_UP_TO = dt.timedelta(hours=48)
DEFAULT_TOP = 5
MAX_TOP = 50


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
    use_rollups: bool = True,
) -> DashboardOut:
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput.one("top", f"must be between 1 and {MAX_TOP}")
    w = window(period=period, since=since, until=until, now=now)
    # Reads only: on SQLite a long read must not hold the write lock the engine needs (a
    # read-only connection begins a deferred transaction). Roll-ups are stored on another
    # connection, in short transactions of their own — and only when this transaction is
    # the dashboard's own: one that has written could show it rows that are not committed.
    own = not session.in_transaction()
    if own:
        await session.connection(execution_options={READONLY: True})
    if use_rollups:
        rolled = await rollups.figures(session, w, store=own)
        figures = rolled.figures
    else:
        figures = await direct(session, w)
    slowest, failing = _tops(figures.stats, top)
    if use_rollups:
        p95 = await _p95(session, w, rolled, slowest)
    else:
        p95 = await direct_p95(session, [(w.since, w.until)], [s.workflow_id for s in slowest])
    names = await _names(session, {s.workflow_id for s in [*slowest, *failing]})
    return DashboardOut(
        since=w.since,
        until=w.until,
        bucket=w.bucket,
        kpis=_kpis(figures.stats.values()),
        series=_series(w, figures),
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


def _tops(stats: dict[int, Stats], top: int) -> tuple[list[Stats], list[Stats]]:
    """The ``top`` slowest (mean run time) and most failing (failures, then rate)."""
    slowest = sorted(
        (s for s in stats.values() if s.timed), key=lambda s: (-s.avg_s, s.workflow_id)
    )[:top]
    failing = sorted(
        (s for s in stats.values() if s.failures),
        key=lambda s: (-s.failures, -s.failures / s.ended, s.workflow_id),
    )[:top]
    return slowest, failing


def _series(w: Window, figures: Figures) -> list[SeriesPoint]:
    """Executions per (bucket, status), every bucket of the window listed."""
    return [
        SeriesPoint(
            start=dt.datetime.fromtimestamp(start, dt.UTC),
            counts=StatusCounts.model_validate(figures.counts.get(start, {})),
        )
        for start in bucket_starts(w)
    ]


async def _p95(
    session: AsyncSession, w: Window, rolled: rollups.RolledUp, slowest: list[Stats]
) -> dict[int, float]:
    """Nearest-rank p95 of each slow workflow's run times: those stored with the valid spans
    plus those read now. A workflow whose stored run times do not add up (cut short) gets
    its p95 from ``executions``."""
    ids = [s.workflow_id for s in slowest]
    stored = await rollups.stored_run_times(session, rolled.stored, ids)
    out: dict[int, float] = {}
    again: list[int] = []
    for s in slowest:
        recorded, values = stored.get(s.workflow_id, (0, []))
        whole = recorded == len(values)
        values = values + rolled.figures.run_times_of(s.workflow_id)
        if whole and values and len(values) == s.timed:
            out[s.workflow_id] = nearest_rank_p95(values)
        else:
            again.append(s.workflow_id)
    if again:
        out.update(await direct_p95(session, [(w.since, w.until)], again))
    return out


def _kpis(stats: Iterable[Stats]) -> Kpis:
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


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Workflow.id, Workflow.name).where(Workflow.id.in_(ids)))
    return {wid: name for wid, name in rows.all()}
