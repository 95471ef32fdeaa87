"""The dashboard's roll-ups: per UTC hour or day ("span"), workflow and status, the count,
the number with an end time, the summed run time and the newest start
(``dashboard_rollups``), and per span and workflow the run times themselves
(``dashboard_run_times``, so the p95 stays exact).

They are filled lazily by the dashboard itself, for spans that ended at least ``SETTLE``
ago by the database's clock, and kept exact by one rule: a span holds while the sum of its
hours' versions (``execution_hour_versions``) is the sum read, before its executions were,
when it was built. Database triggers on ``executions`` (migration 0008) add 1 to the version
of an hour that has ended whenever an execution started in it is inserted, deleted or changes
workflow, status or times — in the same transaction as the change, whichever process makes it,
so it holds with many writers:

- a change committed before the build's read is in the roll-up;
- a change committed after it raises the version above the recorded sum, so the span is
  built again at the next request (reading the version first makes a change that lands
  between the two reads cost a rebuild, never a stale answer);
- executions of the current hour (nearly every write) touch no shared row: the triggers
  skip hours that have not ended, and no span is built before it ended ``SETTLE`` ago.

Deleting a workflow deletes its roll-ups (ON DELETE CASCADE), so the triggers skip executions
deleted with it. Spans missing or no longer valid are built from ``executions`` (one pass per
span size), used at once and stored; the parts of the period no span covers (its first and
last partial hours, and the hours not settled: the last 10 to 70 minutes) are read from
``executions`` too (``dashboard_sql.parts``)."""

from __future__ import annotations

import array
import base64
import datetime as dt
import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, or_, select, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wirework.db.base import utcnow
from wirework.db.models import (
    DashboardRollup,
    DashboardRunTimes,
    DashboardSpan,
    ExecutionHourVersion,
)
from wirework.db.sqlfuncs import db_epoch_now, int_floor
from wirework.schemas.dashboard import Bucket
from wirework.services.dashboard_sql import (
    EPOCH,
    Figures,
    Part,
    Window,
    add_parts,
    at,
    parse_run_times,
    parts,
    prepare_text_agg,
)

log = logging.getLogger(__name__)

HOUR = 3600
DAY = 86400
#: A span is rolled up once it ended this long ago (seconds, database clock). The triggers
#: skip changes to executions of the current hour; such a change must be committed within
#: SETTLE of the hour's end, or a build could miss it (transactions last milliseconds).
SETTLE = 600
#: Rows written per transaction when storing roll-ups (SQLite's writer waits meanwhile).
STORE_ROWS = 2000
#: How far back spans are kept (seconds before the database's clock). Hours serve the edges of
#: the periods offered (up to 90 days); days any period up to a year. Older spans a custom
#: period needs are built for the request, neither read from nor written to the tables.
KEEP = {3600: 92 * 86400, 86400: 367 * 86400}
#: Spans are deleted this much later than they stop being read, so a request never reads a
#: span another one is deleting.
PRUNE_AFTER = 86400

Span = tuple[int, int]  # (size, start) in seconds since the epoch
Range = tuple[dt.datetime, dt.datetime]


def pack_run_times(values: list[float]) -> str:
    """Run times sorted, as base64 of 8-byte little-endian floats: exact, and read back at
    C speed (the 90-day p95 of five workflows reads ~100,000 of them)."""
    packed = array.array("d", sorted(values))
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines only in CI
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack_run_times(text: str) -> array.array[float]:
    packed = array.array("d", base64.b64decode(text))
    if sys.byteorder == "big":  # pragma: no cover
        packed.byteswap()
    return packed


@dataclass(frozen=True)
class Plan:
    """The spans lying wholly inside the period that have settled, and the rest of it."""

    spans: list[Span]
    live: list[Range]


def _us(value: dt.datetime) -> int:
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def plan(w: Window, db_now: float) -> Plan:
    """Days for a period drawn in days, hours at its edges (and for periods drawn in hours);
    the partial hours at both ends and the hours not yet settled are read live."""
    hour_us = HOUR * 1_000_000
    first = -(-_us(w.since) // hour_us) * HOUR  # the first whole hour
    settled = int((db_now - SETTLE) // HOUR) * HOUR
    end = min(_us(w.until) // hour_us * HOUR, settled)
    if end <= first:
        return Plan([], [(w.since, w.until)])
    spans: list[Span] = []
    day_first, day_end = -(-first // DAY) * DAY, end // DAY * DAY
    if w.bucket == Bucket.DAY and day_first < day_end:
        spans += [(HOUR, s) for s in range(first, day_first, HOUR)]
        spans += [(DAY, s) for s in range(day_first, day_end, DAY)]
        spans += [(HOUR, s) for s in range(day_end, end, HOUR)]
    else:
        spans += [(HOUR, s) for s in range(first, end, HOUR)]
    live = [(a, b) for a, b in ((w.since, at(first)), (at(end), w.until)) if a < b]
    return Plan(spans, live)


def kept(span: Span, db_now: float) -> bool:
    """Whether ``span`` is recent enough to be stored and read (``KEEP``)."""
    size, start = span
    return start >= db_now - KEEP[size]


def runs(spans: Iterable[Span]) -> list[tuple[int, int, int]]:
    """Spans as (size, first start, end) runs of adjacent spans of one size, oldest first."""
    out: list[tuple[int, int, int]] = []
    for size, start in sorted(spans, key=lambda span: (span[1], span[0])):
        if out and out[-1][0] == size and out[-1][2] == start:
            out[-1] = (size, out[-1][1], start + size)
        else:
            out.append((size, start, start + size))
    return out


_Table = type[DashboardSpan] | type[DashboardRollup] | type[DashboardRunTimes]


def _keys(table: _Table, spans: Iterable[Span]) -> ColumnElement[bool]:
    """``table``'s rows of these spans, as ranges of adjacent spans."""
    terms = [
        and_(table.size == size, table.start >= a, table.start < b) for size, a, b in runs(spans)
    ]
    return or_(*terms) if terms else false()


async def span_versions(session: AsyncSession, spans: Sequence[Span]) -> dict[Span, int]:
    """The sum of the versions of each span's hours (an hour never changed has none: 0)."""
    out = dict.fromkeys(spans, 0)
    v = ExecutionHourVersion
    for size in sorted({size for size, _ in spans}):
        start = int_floor(v.hour, size).label("start")
        hours = [and_(v.hour >= a, v.hour < b) for s, a, b in runs(spans) if s == size]
        rows = await session.execute(
            select(start, func.sum(v.version)).where(or_(*hours)).group_by(start)
        )
        for first, total in rows.all():
            if (size, int(first)) in out:
                out[(size, int(first))] = int(total)
    return out


async def valid_spans(
    session: AsyncSession, spans: Sequence[Span], versions: dict[Span, int]
) -> set[Span]:
    """Those of ``spans`` stored, whose hours have not changed since they were built."""
    if not spans:
        return set()
    s = DashboardSpan
    rows = await session.execute(select(s.size, s.start, s.version_sum).where(_keys(s, spans)))
    return {
        (size, start) for size, start, recorded in rows.all() if recorded == versions[(size, start)]
    }


@dataclass
class Built:
    """Spans just rolled up: their version sums and aggregates, held in memory."""

    version_sums: dict[Span, int] = field(default_factory=dict)
    rows: list[tuple[int, Part]] = field(default_factory=list)  # (span size, part)


async def build(session: AsyncSession, spans: Sequence[Span], versions: dict[Span, int]) -> Built:
    """Roll up ``spans`` from ``executions``, one pass per span size. ``versions`` must have
    been read before (then a change committed in between costs a rebuild, never a stale
    roll-up)."""
    built = Built()
    for span in spans:
        built.version_sums[span] = versions[span]
    for size in sorted({size for size, _ in spans}):
        ranges = [(at(a), at(b)) for s, a, b in runs(spans) if s == size]
        built.rows += [(size, p) for p in await parts(session, ranges, size)]
    return built


async def save(bind: AsyncEngine, built: Built, db_now: float) -> None:
    """Write ``built`` (but spans older than ``KEEP``) in transactions of at most
    ``STORE_ROWS`` rows, replacing the spans' old roll-ups; then delete the spans that aged
    out. A transaction that fails (another process stored the same span first, or a workflow
    was deleted meanwhile) is given up: those spans are built again next time."""
    by_span: dict[Span, list[Part]] = {span: [] for span in built.version_sums}
    for size, p in built.rows:
        # Every part falls in a span built (its bucket is computed as the triggers compute
        # hours, and the ranges read were those spans'); if one did not, store nothing.
        if (size, p.bucket) not in by_span:
            log.warning("dashboard: executions bucketed outside the spans read; not stored")
            return
        by_span[(size, p.bucket)].append(p)
    batch: list[Span] = []
    count = 0
    for span, found in by_span.items():
        if not kept(span, db_now):
            continue
        batch.append(span)
        count += len(found) + 1
        if count >= STORE_ROWS:
            await _save(bind, built, by_span, batch)
            batch, count = [], 0
    if batch:
        await _save(bind, built, by_span, batch)
    await _prune(bind, db_now)


async def _prune(bind: AsyncEngine, db_now: float) -> None:
    s = DashboardSpan
    old = [
        and_(s.size == size, s.start < db_now - keep - PRUNE_AFTER) for size, keep in KEEP.items()
    ]
    try:
        async with bind.begin() as conn:
            await conn.execute(delete(s).where(or_(*old)))  # their rows: ON DELETE CASCADE
    except DBAPIError as exc:
        log.info("dashboard: old roll-ups not pruned (%s)", exc.orig)


async def _save(
    bind: AsyncEngine, built: Built, by_span: dict[Span, list[Part]], spans: list[Span]
) -> None:
    now = utcnow()
    span_rows = [
        {"size": s, "start": t, "version_sum": built.version_sums[(s, t)], "built_at": now}
        for s, t in spans
    ]
    rollups = [
        {
            "size": size,
            "start": start,
            "workflow_id": p.workflow_id,
            "status": p.status,
            "executions": p.executions,
            "timed": p.timed,
            "seconds": p.seconds,
            "newest_start": p.newest,
        }
        for size, start in spans
        for p in by_span[(size, start)]
    ]
    times: dict[tuple[int, int, int], list[float]] = {}
    for size, start in spans:
        for p in by_span[(size, start)]:
            if p.run_times:
                key = (size, start, p.workflow_id)
                times.setdefault(key, []).extend(parse_run_times(p.run_times))
    run_times = [
        {
            "size": size,
            "start": start,
            "workflow_id": wid,
            "count": len(values),
            "seconds": pack_run_times(values),
        }
        for (size, start, wid), values in times.items()
    ]
    try:
        async with bind.begin() as conn:
            keys = tuple_(DashboardSpan.size, DashboardSpan.start).in_(spans)
            await conn.execute(delete(DashboardSpan).where(keys))
            await conn.execute(insert(DashboardSpan), span_rows)
            if rollups:
                await conn.execute(insert(DashboardRollup), rollups)
            if run_times:
                await conn.execute(insert(DashboardRunTimes), run_times)
    except DBAPIError as exc:
        log.info("dashboard: %d roll-up span(s) not stored (%s)", len(spans), exc.orig)


async def add_stored(session: AsyncSession, figures: Figures, spans: set[Span], w: Window) -> None:
    """Add the stored roll-ups of ``spans``: per bucket and status, per workflow and status."""
    if not spans:
        return
    r = DashboardRollup
    where = _keys(r, spans)
    bucket = int_floor(r.start, w.bucket_seconds).label("bucket")
    rows = await session.execute(
        select(bucket, r.status, func.sum(r.executions)).where(where).group_by(bucket, r.status)
    )
    for b, status, n in rows.all():
        figures.count(int(b), status, int(n))
    per_workflow = await session.execute(
        select(
            r.workflow_id,
            r.status,
            func.sum(r.executions),
            func.sum(r.timed),
            func.sum(r.seconds),
            func.max(r.newest_start),
        )
        .where(where)
        .group_by(r.workflow_id, r.status)
    )
    for wid, status, n, timed, seconds, newest in per_workflow.all():
        figures.workflow(wid).add(status, int(n), int(timed), seconds, newest)


async def stored_run_times(
    session: AsyncSession, spans: set[Span], ids: Sequence[int]
) -> dict[int, tuple[int, list[float]]]:
    """The stored run times of these workflows in ``spans``: (how many were recorded, the
    values found)."""
    out: dict[int, tuple[int, list[float]]] = {}
    if not spans or not ids:
        return out
    t = DashboardRunTimes
    rows = await session.execute(
        select(t.workflow_id, t.count, t.seconds).where(_keys(t, spans), t.workflow_id.in_(ids))
    )
    for wid, count, packed in rows.all():
        recorded, found = out.get(wid, (0, []))
        found.extend(unpack_run_times(packed))
        out[wid] = (recorded + count, found)
    return out


@dataclass
class RolledUp:
    figures: Figures
    stored: set[Span]  # valid stored spans whose run times are read on demand


async def figures(session: AsyncSession, w: Window, *, store: bool = True) -> RolledUp:
    """The period's figures from valid stored spans, spans built now (stored unless
    ``store`` is false) and the live rest."""
    db_now = float((await session.execute(select(db_epoch_now()))).scalar_one())
    p = plan(w, db_now)
    versions = await span_versions(session, p.spans)  # first: before any executions are read
    valid = await valid_spans(session, [s for s in p.spans if kept(s, db_now)], versions)
    await prepare_text_agg(session)
    missing = [s for s in p.spans if s not in valid]
    built = await build(session, missing, versions)
    if store and built.version_sums and isinstance(session.bind, AsyncEngine):
        await save(session.bind, built, db_now)
    out = Figures()
    await add_stored(session, out, valid, w)
    add_parts(out, (part for _, part in built.rows), w.bucket_seconds)
    add_parts(out, await parts(session, p.live, w.bucket_seconds), w.bucket_seconds)
    return RolledUp(out, valid)
