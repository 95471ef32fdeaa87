"""The dashboard's roll-ups give the same figures as the direct computation over
``executions``, on every backend — when first built, when read back, and after executions
they counted change: running → success or error, waiting → canceled, late inserts, retries,
moved starts, deletions, deleted workflows, a writer committing while they are built."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.seeding import add_execution, add_workflow, exec_id
from wirework.db.models import DashboardRollup, DashboardSpan, Execution, Workflow
from wirework.schemas.dashboard import Bucket, Period
from wirework.services import dashboard
from wirework.services.dashboard_rollups import DAY, HOUR, KEEP, SETTLE, plan, runs
from wirework.services.dashboard_sql import Window, at, nearest_rank_p95
from wirework.services.runtime import Runtime

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
# Periods end a day ago at :30 — settled, and recent enough for their spans to be kept.
NOW = dt.datetime.now(dt.UTC).replace(minute=30, second=0, microsecond=0) - D


def run(
    session: AsyncSession,
    workflow_id: int,
    ago: dt.timedelta,
    status: str = "success",
    took: dt.timedelta | None = dt.timedelta(seconds=1),
) -> None:
    add_execution(session, workflow_id, NOW - ago, status, took)


def close(a: Any, b: Any, path: str = "") -> None:
    """Equal, floats to 1e-9 relative (sums may be added in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-6), path
    else:
        assert a == b, path


QUERIES: list[dict[str, Any]] = [
    {"period": Period.DAY},
    {"period": Period.WEEK},
    {"period": Period.MONTH},
    {"since": NOW - 5 * D - 7 * H - dt.timedelta(minutes=13), "until": NOW - 3 * H},
    {"since": NOW - 30 * H, "until": NOW - 6 * H + dt.timedelta(seconds=1)},
]


async def same(runtime: Runtime, queries: list[dict[str, Any]] = QUERIES) -> None:
    """Every query answered through roll-ups (twice: built, then read back) equals the
    direct computation."""
    for query in queries:
        answers = []
        for use_rollups in (True, True, False):
            async with runtime.sessionmaker() as session:
                out = await dashboard.dashboard(
                    session, now=NOW, top=10, use_rollups=use_rollups, **query
                )
                answers.append(out.model_dump())
        built, read_back, direct = answers
        close(built, direct, str(query))
        close(read_back, direct, str(query))


async def spans(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(DashboardSpan.size, func.count()).group_by(DashboardSpan.size)
    )
    return {size: n for size, n in rows.all()}


async def history(session: AsyncSession) -> dict[str, int]:
    """A few workflows' executions over 40 days (every status, long and short runs)."""
    ids = {name: await add_workflow(session, name) for name in ("a", "b", "c")}
    statuses = ["success", "success", "error", "canceled", "waiting", "running", "queued"]
    for i in range(160):
        ago = dt.timedelta(minutes=17 + i * 359)  # every ~6 h, drifting across the hours
        wid = list(ids.values())[i % 3]
        took = dt.timedelta(milliseconds=(i * 7919) % 50_000 + i % 3)
        run(session, wid, ago, statuses[i % len(statuses)], took)
    # Exactly on hour and day boundaries (inclusive starts).
    run(session, ids["a"], NOW - NOW.replace(minute=0) + 5 * H, "error", dt.timedelta(seconds=3))
    midnight = NOW.replace(hour=0, minute=0)
    run(session, ids["b"], NOW - midnight + 2 * D, "success", dt.timedelta(microseconds=1234567))
    run(session, ids["c"], NOW - midnight + 2 * D - dt.timedelta(microseconds=1), "error")
    await session.commit()
    return ids


async def test_rollups_match_the_direct_computation(
    runtime: Runtime, session: AsyncSession
) -> None:
    await history(session)
    await same(runtime)
    assert (await spans(session)).keys() == {HOUR, DAY}  # both kinds were built and used

    # Read back, not built again, while nothing changes.
    built = select(DashboardSpan.size, DashboardSpan.start, DashboardSpan.built_at)
    before = set((await session.execute(built)).all())
    await session.rollback()
    await same(runtime)
    assert set((await session.execute(built)).all()) == before


async def change(runtime: Runtime, *statements: Any) -> None:
    async with runtime.sessionmaker() as session:
        for statement in statements:
            await session.execute(statement)
        await session.commit()


def oldest(status: str) -> Any:
    return (
        select(Execution.id)
        .where(Execution.status == status)
        .order_by(Execution.started_at)
        .limit(1)
        .scalar_subquery()
    )


async def test_rollups_follow_changes(runtime: Runtime, session: AsyncSession) -> None:
    ids = await history(session)
    await same(runtime)
    e = Execution
    later = NOW - 2 * D  # an end time after the start of every execution changed below

    steps: list[Any] = [
        # running → success, waiting → error, queued → canceled (counted rows change status)
        update(e).where(e.id == oldest("running")).values(status="success", finished_at=later),
        update(e).where(e.id == oldest("waiting")).values(status="error", finished_at=later),
        update(e).where(e.id == oldest("queued")).values(status="canceled", finished_at=later),
        # a recorded success turned into an error later (the store marks one it could not
        # write completely), with another end time
        update(e).where(e.id == oldest("success")).values(status="error", finished_at=NOW - 3 * D),
        # a start moved to another day and hour
        update(e).where(e.id == oldest("canceled")).values(started_at=NOW - 4 * D - 5 * H),
        # one execution deleted
        delete(e).where(e.id == oldest("error")),
    ]
    for step in steps:
        await change(runtime, step)
        await same(runtime)

    # A retry is a new execution; inserted late into hours already rolled up, like a clock
    # running behind or an import.
    async with runtime.sessionmaker() as s:
        failed = await s.scalar(select(e).where(e.status == "error").order_by(e.started_at))
        assert failed is not None
        for ago in (6 * D + 2 * H, 20 * H, 2 * H):
            started = NOW - ago
            s.add(
                Execution(
                    id=exec_id(started),
                    workflow_id=failed.workflow_id,
                    workflow_version=1,
                    status="success",
                    mode="retry",
                    retry_of=failed.id,
                    started_at=started,
                    finished_at=started + dt.timedelta(seconds=9),
                )
            )
        await s.commit()
    await same(runtime)

    # A deleted workflow takes its executions and its roll-ups with it.
    await change(runtime, delete(Workflow).where(Workflow.id == ids["b"]))
    await same(runtime)
    async with runtime.sessionmaker() as s:
        left = await s.scalar(
            select(func.count())
            .select_from(DashboardRollup)
            .where(DashboardRollup.workflow_id == ids["b"])
        )
    assert left == 0


async def test_a_writer_committing_during_the_build(
    runtime: Runtime, session: AsyncSession
) -> None:
    """A change that is not committed when a span is built, committed after: the span it
    changed is built again, on any backend (the change counted in its hour's version)."""
    await history(session)
    await same(runtime, QUERIES[:2])
    async with runtime.sessionmaker() as s:
        await s.execute(delete(DashboardSpan))  # everything is built again below
        await s.commit()

    async with runtime.engine.connect() as writer:
        await writer.begin()
        await writer.execute(
            update(Execution)
            .where(Execution.id == oldest("success"))
            .values(status="error", finished_at=NOW - 3 * D)
        )

        async def read() -> None:
            async with runtime.sessionmaker() as s:
                await dashboard.dashboard(s, period=Period.WEEK, now=NOW)

        reading = asyncio.create_task(read())
        await asyncio.sleep(0.5)  # SQLite: the roll-ups wait for the writer's lock meanwhile
        await writer.commit()
        await reading
    await same(runtime, QUERIES[:2])


async def test_concurrent_builders(runtime: Runtime, session: AsyncSession) -> None:
    """Two requests building the same spans at once: one stores them, the other's attempt
    is given up quietly; both answers are right."""
    await history(session)

    async def read() -> dict[str, Any]:
        async with runtime.sessionmaker() as s:
            return (await dashboard.dashboard(s, period=Period.MONTH, now=NOW)).model_dump()

    first, second = await asyncio.gather(read(), read())
    async with runtime.sessionmaker() as s:
        direct = await dashboard.dashboard(s, period=Period.MONTH, now=NOW, use_rollups=False)
    close(first, direct.model_dump())
    close(second, direct.model_dump())
    await same(runtime, QUERIES[2:3])


async def test_exact_boundaries_and_microseconds(runtime: Runtime, session: AsyncSession) -> None:
    """A start exactly on the hour counts in that hour (SQLite once put a third of them in
    the hour before); run times keep their microseconds (MariaDB once kept 4 decimals;
    SQLite's date functions count milliseconds, in floating point)."""
    wid = await add_workflow(session, "on the hour")
    on_the_hour = NOW.replace(minute=0) - 3 * H
    run(session, wid, NOW - on_the_hour, "success", dt.timedelta(microseconds=1_234_567))
    run(session, wid, NOW - on_the_hour + dt.timedelta(microseconds=1), "success")
    await session.commit()
    for use_rollups in (True, False):
        async with runtime.sessionmaker() as s:
            out = await dashboard.dashboard(s, now=NOW, use_rollups=use_rollups)
        by_hour = {p.start: p.counts.success for p in out.series if p.counts.success}
        assert by_hour == {on_the_hour: 1, on_the_hour - H: 1}
        within = 1.0 if runtime.engine.dialect.name == "sqlite" else 0.0011
        assert out.slowest[0].p95_duration_ms == pytest.approx(1234.567, abs=within)
    await same(runtime, QUERIES[:1])


async def test_old_spans_are_not_kept(runtime: Runtime, session: AsyncSession) -> None:
    """Spans older than KEEP are built for the request but not stored, and stored ones that
    aged out are deleted when others are stored."""
    wid = await add_workflow(session, "old")
    run(session, wid, 200 * D, "success")
    aged = int((NOW - 100 * D).timestamp()) // HOUR * HOUR
    session.add(DashboardSpan(size=HOUR, start=aged, version_sum=0))
    await session.commit()
    old = {"since": NOW - 203 * D, "until": NOW - 196 * D}
    await same(runtime, [old, {"period": Period.DAY}])
    stored = (await session.execute(select(DashboardSpan.size, DashboardSpan.start))).all()
    now = dt.datetime.now(dt.UTC).timestamp()
    starts = {size: [start for s, start in stored if s == size] for size in (HOUR, DAY)}
    assert starts[HOUR] and min(starts[HOUR]) > now - KEEP[HOUR]  # the 24 h period's
    assert aged not in starts[HOUR]
    assert len(starts[DAY]) == 6  # the old period's whole days


async def test_storing_only_in_its_own_transaction(runtime: Runtime, session: AsyncSession) -> None:
    """Called inside a transaction that has written, the dashboard answers from what it reads
    but stores no roll-up (it could see rows that are never committed)."""
    wid = await add_workflow(session, "uncommitted")
    run(session, wid, 5 * H, "success")
    await session.flush()
    out = await dashboard.dashboard(session, now=NOW)
    assert out.kpis.executions == 1
    assert await spans(session) == {}
    await session.rollback()


# -- the plan: which spans a period is read from --------------------------------------------


def window(since: dt.datetime, until: dt.datetime, bucket: Bucket) -> Window:
    return Window(since, until, bucket)


def test_plan_hours_for_an_hourly_period() -> None:
    now = NOW.timestamp() + 10 * 86400  # long settled
    p = plan(window(NOW - 24 * H, NOW, Bucket.HOUR), now)
    first = NOW.replace(minute=0) - 23 * H
    assert p.spans == [(HOUR, int((first + i * H).timestamp())) for i in range(23)]
    assert p.live == [(NOW - 24 * H, first), (NOW.replace(minute=0), NOW)]


def test_plan_days_inside_hours_at_the_edges() -> None:
    base = NOW.replace(hour=12)  # mid-day: both edges have hours, whatever the time of the run
    now = base.timestamp() + 10 * 86400
    since = base - 7 * D
    p = plan(window(since, base, Bucket.DAY), now)
    sizes = [size for size, _, _ in runs(p.spans)]
    assert sizes == [HOUR, DAY, HOUR]
    (_, a, b), (_, c, d), (_, e, f) = runs(p.spans)
    assert (at(a), at(b)) == (since.replace(minute=0) + H, base.replace(hour=0, minute=0) - 6 * D)
    assert d - c == 6 * DAY and e == d and at(f) == base.replace(minute=0)
    covered = sum(b - a for _, a, b in runs(p.spans)) + sum(
        (y - x).total_seconds() for x, y in p.live
    )
    assert covered == 7 * 86400


def test_plan_leaves_the_unsettled_hours_live() -> None:
    now = NOW.timestamp()  # the database's clock at NOW: the last SETTLE seconds are not
    p = plan(window(NOW - 3 * H, NOW, Bucket.HOUR), now)  # settled, nor the hour they're in
    settled = math.floor((now - SETTLE) / HOUR) * HOUR
    assert p.spans[-1][1] + HOUR == settled
    assert p.live[-1] == (at(settled), NOW)
    assert plan(window(NOW - 30 * dt.timedelta(minutes=1), NOW, Bucket.HOUR), now).spans == []


def test_nearest_rank_p95() -> None:
    assert nearest_rank_p95([float(i) for i in range(20, 0, -1)]) == 19.0
    assert nearest_rank_p95([3.0]) == 3.0
    assert nearest_rank_p95([0.0] * 10 + [1.0] * 9 + [200.0, 199.0]) == 199.0
