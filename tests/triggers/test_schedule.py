"""Schedules: fire times (cron with time zones, intervals), exactly-once claims between two
schedulers, and the missed-run policy — on every database backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wirework.db.models import ScheduleState, Workflow, WorkflowVersion
from wirework.services.runtime import Runtime
from wirework.triggers.schedule import ScheduleEntry, Scheduler, entries_of

T0 = dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC)


def entry(**kw: Any) -> ScheduleEntry:
    base: dict[str, Any] = {
        "workflow_id": 1,
        "node_id": "s",
        "cron": None,
        "interval_s": None,
        "timezone": "UTC",
        "missed_runs": "skip",
    }
    return ScheduleEntry(**{**base, **kw})


def test_cron_next_fire_in_a_time_zone_across_dst() -> None:
    # 09:00 in Berlin: UTC+1 before 29 March 2026, UTC+2 after.
    e = entry(cron="0 9 * * *", timezone="Europe/Berlin")
    first = e.next_after(T0)
    assert first == dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC)
    assert e.next_after(first) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
    assert entry(cron="@hourly").next_after(T0) == T0 + dt.timedelta(hours=1)
    assert entry(interval_s=90).next_after(T0) == T0 + dt.timedelta(seconds=90)


def test_entries_of_reads_schedule_nodes() -> None:
    doc = {
        "settings": {"timezone": "Asia/Tokyo"},
        "nodes": [
            {"id": "a", "type": "core.schedule", "params": {"cron": "0 * * * *"}},
            {"id": "b", "type": "core.schedule", "params": {"interval_s": 5}, "disabled": True},
            {"id": "c", "type": "core.manual"},
        ],
    }
    (e,) = entries_of(7, doc)
    assert (e.workflow_id, e.node_id, e.timezone, e.cron) == (7, "a", "Asia/Tokyo", "0 * * * *")


async def _workflow(runtime: Runtime, params: dict[str, Any]) -> int:
    doc = {
        "name": "sched",
        "nodes": [{"id": "tick", "type": "core.schedule", "params": params}],
        "connections": [],
    }
    async with runtime.sessionmaker() as session:
        wf = Workflow(name="sched", active=True, version=1)
        session.add(wf)
        await session.flush()
        session.add(WorkflowVersion(workflow_id=wf.id, version=1, document=doc))
        await session.commit()
        return wf.id


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def test_two_schedulers_fire_each_run_exactly_once(runtime: Runtime) -> None:
    wf = await _workflow(runtime, {"interval_s": 60})
    fired: list[tuple[str, dt.datetime]] = []
    clock = Clock(T0)

    def scheduler(name: str) -> Scheduler:
        async def fire(e: ScheduleEntry, at: dt.datetime) -> None:
            fired.append((name, at))

        return Scheduler(runtime.sessionmaker, fire, clock=clock)

    a, b = scheduler("a"), scheduler("b")
    await a.tick()
    await b.tick()
    assert fired == []  # activation does not fire at once
    for minute in range(1, 4):
        clock.now = T0 + dt.timedelta(seconds=60 * minute + 1)
        await a.tick()
        await b.tick()
    assert [at for _, at in fired] == [T0 + dt.timedelta(minutes=m) for m in (1, 2, 3)]
    async with runtime.sessionmaker() as session:
        state = await session.get(ScheduleState, (wf, "tick"))
        assert state is not None and state.last_fire_at == T0 + dt.timedelta(minutes=3)


async def test_missed_runs_skip_or_run_once(runtime: Runtime) -> None:
    for policy, expected in (("skip", 0), ("run_once", 1)):
        wf = await _workflow(runtime, {"cron": "*/5 * * * *", "missed_runs": policy})
        fired: list[dt.datetime] = []

        async def fire(e: ScheduleEntry, at: dt.datetime, fired: list[dt.datetime] = fired) -> None:
            fired.append(at)

        clock = Clock(T0)
        scheduler = Scheduler(runtime.sessionmaker, fire, clock=clock)
        await scheduler.tick()
        clock.now = T0 + dt.timedelta(hours=5, minutes=2)  # the scheduler was down 5 hours
        await scheduler.tick()
        assert len(fired) == expected, policy
        if fired:
            assert fired[0] == T0 + dt.timedelta(hours=5)  # the newest missed time
        async with runtime.sessionmaker() as session:
            state = await session.get(ScheduleState, (wf, "tick"))
            assert state is not None and state.last_fire_at == T0 + dt.timedelta(hours=5)
        clock.now = T0 + dt.timedelta(hours=5, minutes=5, seconds=1)
        await scheduler.tick()
        assert len(fired) == expected + 1  # and on schedule again
