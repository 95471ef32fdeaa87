"""Dashboard figures computed by the database, on every backend: the window and its
buckets, KPIs, the series per status, the slowest and most-failing workflows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.seeding import add_execution, add_workflow
from wirework.errors import InvalidInput
from wirework.schemas.dashboard import Bucket, Period
from wirework.services import dashboard

NOW = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)


def run(
    session: AsyncSession,
    workflow_id: int,
    ago: dt.timedelta,
    status: str = "success",
    took: dt.timedelta | None = dt.timedelta(seconds=1),
) -> None:
    add_execution(session, workflow_id, NOW - ago, status, took)


def test_window_from_a_period() -> None:
    w = dashboard.window(period=Period.WEEK, now=NOW)
    assert (w.since, w.until, w.bucket) == (NOW - dt.timedelta(days=7), NOW, Bucket.DAY)
    w = dashboard.window(now=NOW)
    assert (w.since, w.until, w.bucket) == (NOW - dt.timedelta(hours=24), NOW, Bucket.HOUR)
    until = dt.datetime(2026, 1, 1)  # no zone: UTC
    w = dashboard.window(period=Period.MONTH, until=until, now=NOW)
    assert w.until == until.replace(tzinfo=dt.UTC)
    assert w.since == w.until - dt.timedelta(days=30)


def test_window_from_since_until() -> None:
    since = dt.datetime(2026, 3, 9, 6, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    w = dashboard.window(since=since, now=NOW)
    assert w.since == dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC) and w.since.tzinfo == dt.UTC
    assert (w.until, w.bucket) == (NOW, Bucket.HOUR)
    w = dashboard.window(since=NOW - dt.timedelta(hours=49), now=NOW)
    assert w.bucket == Bucket.DAY


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period": Period.DAY, "since": NOW}, "since"),
        ({"since": NOW, "until": NOW}, "until"),
        ({"since": NOW, "until": NOW - dt.timedelta(seconds=1)}, "until"),
        ({"since": NOW - dt.timedelta(days=367)}, "since"),
    ],
)
def test_window_errors_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        dashboard.window(now=NOW, **kwargs)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == [field]


async def test_empty(session: AsyncSession) -> None:
    out = await dashboard.dashboard(session, now=NOW)
    assert out.kpis.executions == 0
    assert out.kpis.failure_rate is None and out.kpis.avg_duration_ms is None
    # 24 h from 12:30 touches 25 hours: 12:00 yesterday … 12:00 today.
    assert len(out.series) == 25
    assert out.series[0].start == dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)
    assert out.series[-1].start == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert all(p.counts.model_dump() == dict.fromkeys(p.counts.model_dump(), 0) for p in out.series)
    assert out.slowest == [] and out.failing == []


async def test_kpis_and_series(session: AsyncSession) -> None:
    a = await add_workflow(session, "A")
    b = await add_workflow(session, "B")
    minutes = dt.timedelta(minutes=1)
    run(session, a, 10 * minutes, "success", dt.timedelta(seconds=2))  # 12:20
    run(session, a, 20 * minutes, "error", dt.timedelta(seconds=4))  # 12:10
    run(session, b, 40 * minutes, "success", dt.timedelta(seconds=6))  # 11:50
    run(session, b, 45 * minutes, "canceled", dt.timedelta(seconds=100))  # 11:45, not timed
    run(session, b, 50 * minutes, "waiting")  # 11:40
    run(session, a, dt.timedelta(hours=23, minutes=59), "success")  # 12:31 yesterday
    run(session, a, dt.timedelta(hours=24, minutes=1), "error")  # before the window
    run(session, a, -minutes, "error")  # after it (a clock ahead)
    await session.commit()

    out = await dashboard.dashboard(session, period=Period.DAY, now=NOW)
    k = out.kpis
    assert (k.executions, k.failures) == (6, 1)
    assert k.by_status.model_dump() == {
        "queued": 0,
        "running": 0,
        "waiting": 1,
        "success": 3,
        "error": 1,
        "canceled": 1,
    }
    assert k.failure_rate == pytest.approx(1 / 5)  # of the 5 that ended
    assert k.avg_duration_ms == pytest.approx((2 + 4 + 6 + 1) / 4 * 1000, abs=1)
    by_hour = {p.start: p.counts for p in out.series if any(p.counts.model_dump().values())}
    today = NOW.replace(minute=0)
    yesterday_noon = today - dt.timedelta(days=1)
    assert set(by_hour) == {yesterday_noon, today - dt.timedelta(hours=1), today}
    assert by_hour[today - dt.timedelta(hours=1)].model_dump() == {
        "queued": 0,
        "running": 0,
        "waiting": 1,
        "success": 1,
        "error": 0,
        "canceled": 1,
    }
    assert (by_hour[today].success, by_hour[today].error) == (1, 1)
    assert out.series[0].start == yesterday_noon and out.series[0].counts.success == 1
    assert sum(p.counts.success for p in out.series) == k.by_status.success


async def test_day_buckets(session: AsyncSession) -> None:
    a = await add_workflow(session, "A")
    for days, status in [(0, "success"), (1, "success"), (1, "error"), (6, "success")]:
        run(session, a, dt.timedelta(days=days, minutes=5), status)
    await session.commit()
    out = await dashboard.dashboard(session, period=Period.WEEK, now=NOW)
    assert out.bucket == Bucket.DAY
    assert [p.start.date() for p in out.series][:2] == [dt.date(2026, 3, 3), dt.date(2026, 3, 4)]
    assert len(out.series) == 8 and all(p.start.hour == 0 for p in out.series)
    counts = {p.start.day: (p.counts.success, p.counts.error) for p in out.series}
    assert counts[10] == (1, 0) and counts[9] == (1, 1) and counts[4] == (1, 0)
    assert counts[3] == (0, 0)


async def test_slowest_with_p95(session: AsyncSession) -> None:
    fast = await add_workflow(session, "fast")
    slow = await add_workflow(session, "slow")
    spiky = await add_workflow(session, "spiky")
    for i in range(1, 21):  # 1 … 20 s: nearest-rank p95 is the 19th
        run(session, slow, dt.timedelta(minutes=i), took=dt.timedelta(seconds=i))
    for i in range(21):  # 21 runs: 20·r ≥ 19·21 → r = 20
        run(
            session,
            spiky,
            dt.timedelta(minutes=i),
            took=dt.timedelta(seconds=i % 2 + (i >= 19) * 199),
        )
    run(session, fast, dt.timedelta(minutes=1), took=dt.timedelta(milliseconds=250))
    run(session, fast, dt.timedelta(minutes=2), "error", dt.timedelta(milliseconds=750))
    run(session, fast, dt.timedelta(minutes=3), "canceled", dt.timedelta(hours=1))  # not timed
    await session.commit()

    out = await dashboard.dashboard(session, now=NOW)
    assert [s.name for s in out.slowest] == ["spiky", "slow", "fast"]
    by_name = {s.name: s for s in out.slowest}
    assert by_name["slow"].executions == 20
    assert by_name["slow"].avg_duration_ms == pytest.approx(10_500, abs=1)
    assert by_name["slow"].p95_duration_ms == pytest.approx(19_000, abs=1)
    # sorted: ten 0 s, nine 1 s, 199 (i=20), 200 (i=19) → rank 20 is 199 s
    assert by_name["spiky"].p95_duration_ms == pytest.approx(199_000, abs=1)
    assert by_name["fast"].executions == 2
    assert by_name["fast"].avg_duration_ms == pytest.approx(500, abs=1)
    assert by_name["fast"].p95_duration_ms == pytest.approx(750, abs=1)
    assert by_name["fast"].workflow_id == fast

    top = await dashboard.dashboard(session, now=NOW, top=1)
    assert [s.name for s in top.slowest] == ["spiky"]


async def test_failing(session: AsyncSession) -> None:
    a = await add_workflow(session, "rarely")
    b = await add_workflow(session, "often")
    c = await add_workflow(session, "never")
    d = await add_workflow(session, "always")
    for i in range(10):
        run(session, a, dt.timedelta(minutes=i + 1), "error" if i == 3 else "success")
        run(session, b, dt.timedelta(minutes=i + 1), "error" if i % 2 else "success")
        run(session, c, dt.timedelta(minutes=i + 1))
    run(session, b, dt.timedelta(minutes=30), "running")
    run(session, d, dt.timedelta(minutes=7), "error")
    await session.commit()

    out = await dashboard.dashboard(session, now=NOW)
    assert [(f.name, f.failures) for f in out.failing] == [
        ("often", 5),
        ("always", 1),
        ("rarely", 1),
    ]
    often = out.failing[0]
    assert often.executions == 11 and often.failure_rate == pytest.approx(0.5)
    assert often.last_failure_at == NOW - dt.timedelta(minutes=2)
    assert out.failing[1].failure_rate == 1.0  # ties: the higher rate first
    assert out.failing[2].last_failure_at == NOW - dt.timedelta(minutes=4)
    assert (await dashboard.dashboard(session, now=NOW, top=2)).failing[-1].name == "always"


async def test_bad_top(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput) as caught:
        await dashboard.dashboard(session, top=0)
    assert caught.value.errors[0].field == "top"
