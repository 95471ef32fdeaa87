"""The scheduler: fires ``core.schedule`` triggers and polls polling triggers (integration
triggers declared with ``polling_trigger``, every ``params.interval_s``) of active
workflows, exactly once each."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework.db.engine import readonly_session
from wirework.db.models import ScheduleState, Workflow, WorkflowVersion
from wirework.sdk.registry import registry

log = logging.getLogger(__name__)

Fire = Callable[["ScheduleEntry", dt.datetime], Awaitable[None]]
# A fire time missed by more than this counts as missed (the scheduler was down).
MISSED_AFTER = dt.timedelta(seconds=60)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    workflow_id: int
    node_id: str
    cron: str | None
    interval_s: int | None
    timezone: str
    missed_runs: str
    kind: str = "schedule"  # schedule | poll
    node_type: str = "core.schedule"

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first fire time strictly after ``moment`` (aware UTC in, aware UTC out)."""
        if self.interval_s:
            return moment + dt.timedelta(seconds=self.interval_s)
        assert self.cron is not None
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        nxt: dt.datetime = croniter(self.cron, local).get_next(dt.datetime)
        return nxt.astimezone(dt.UTC)


def entries_of(workflow_id: int, document: Mapping[str, Any]) -> list[ScheduleEntry]:
    settings = document.get("settings") or {}
    out = []
    for node in document.get("nodes", []):
        if node.get("disabled"):
            continue
        if node.get("type") != "core.schedule":
            poll = _poll_entry(workflow_id, node)
            if poll is not None:
                out.append(poll)
            continue
        params = node.get("params") or {}
        out.append(
            ScheduleEntry(
                workflow_id=workflow_id,
                node_id=str(node["id"]),
                cron=params.get("cron"),
                interval_s=params.get("interval_s"),
                timezone=params.get("timezone") or settings.get("timezone") or "UTC",
                missed_runs=params.get("missed_runs", "skip"),
            )
        )
    return out


DEFAULT_POLL_INTERVAL_S = 300


def _poll_entry(workflow_id: int, node: Mapping[str, Any]) -> ScheduleEntry | None:
    type_ = str(node.get("type"))
    if "." not in type_ or type_.startswith("core."):
        return None
    spec = registry.node(type_)
    if spec is None or "poll" not in spec.extra:
        return None
    interval = (node.get("params") or {}).get("interval_s")
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        interval = DEFAULT_POLL_INTERVAL_S
    return ScheduleEntry(
        workflow_id=workflow_id,
        node_id=str(node["id"]),
        cron=None,
        interval_s=interval,
        timezone="UTC",
        missed_runs="run_once",
        kind="poll",
        node_type=type_,
    )


class Scheduler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        fire: Fire,
        *,
        refresh_s: float = 5.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._fire = fire
        self._refresh_s = refresh_s
        self._clock = clock
        self._entries: list[ScheduleEntry] = []
        self._fingerprint: tuple[Any, ...] | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            try:  # between two ticks: never in the middle of a database call
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                delay = await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
                delay = self._refresh_s
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def tick(self) -> float:
        """Fire what is due; returns the seconds until something may be due next."""
        await self._refresh()
        now = self._clock()
        last_fires = await self._last_fires(now)
        soonest = now + dt.timedelta(seconds=self._refresh_s)
        for entry in self._entries:
            due = entry.next_after(last_fires[(entry.workflow_id, entry.node_id)])
            if due <= now:
                await self._claim_and_fire(entry, due, now)
            else:
                soonest = min(soonest, due)
        return max(0.0, (soonest - self._clock()).total_seconds())

    async def _refresh(self) -> None:
        async with readonly_session(self._sessionmaker) as session:
            fingerprint = tuple(
                (
                    await session.execute(
                        select(func.count(Workflow.id), func.max(Workflow.updated_at)).where(
                            Workflow.active
                        )
                    )
                ).one()
            )
            if fingerprint == self._fingerprint:
                return
            rows = (
                await session.execute(
                    select(Workflow.id, WorkflowVersion.document)
                    .join(
                        WorkflowVersion,
                        (WorkflowVersion.workflow_id == Workflow.id)
                        & (WorkflowVersion.version == Workflow.version),
                    )
                    .where(Workflow.active)
                )
            ).all()
        self._entries = [e for wf, doc in rows for e in entries_of(wf, doc)]
        self._fingerprint = fingerprint

    async def _last_fires(self, now: dt.datetime) -> dict[tuple[int, str], dt.datetime]:
        """When each schedule last fired, in one query; a new schedule starts counting from
        now (its state row is created, so activation never fires at once)."""
        async with readonly_session(self._sessionmaker) as session:
            rows = (await session.execute(select(ScheduleState))).scalars().all()
            last = {(r.workflow_id, r.node_id): r.last_fire_at for r in rows}
        missing = [e for e in self._entries if (e.workflow_id, e.node_id) not in last]
        if missing:
            # A poll's first fire is at once: it sets the cursor from which changes count.
            first = {
                (e.workflow_id, e.node_id): (
                    now - dt.timedelta(seconds=e.interval_s or 0) if e.kind == "poll" else now
                )
                for e in missing
            }
            async with self._sessionmaker() as session:
                session.add_all(
                    ScheduleState(
                        workflow_id=e.workflow_id,
                        node_id=e.node_id,
                        last_fire_at=first[(e.workflow_id, e.node_id)],
                    )
                    for e in missing
                )
                with contextlib.suppress(IntegrityError):  # another scheduler was first
                    await session.commit()
            last.update(first)
        return last

    async def _claim_and_fire(
        self, entry: ScheduleEntry, due: dt.datetime, now: dt.datetime
    ) -> None:
        fire_at = due
        if now - due > MISSED_AFTER:
            # Missed while down: skip to the newest missed time; fire it once or not at all.
            latest = due
            while (nxt := entry.next_after(latest)) <= now:
                latest = nxt
            fire_at = latest
            if entry.missed_runs == "skip":
                await self._claim(entry, fire_at)
                log.info("schedule %s/%s: skipped missed runs", entry.workflow_id, entry.node_id)
                return
        if await self._claim(entry, fire_at):
            started = time.perf_counter()
            try:
                await self._fire(entry, fire_at)
            except Exception:
                log.exception("schedule %s/%s could not start", entry.workflow_id, entry.node_id)
            log.debug("fired %s in %.1f ms", entry, (time.perf_counter() - started) * 1000)

    async def _claim(self, entry: ScheduleEntry, fire_at: dt.datetime) -> bool:
        """Move last_fire_at forward to ``fire_at`` unless another scheduler already did."""
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(ScheduleState)
                .where(
                    ScheduleState.workflow_id == entry.workflow_id,
                    ScheduleState.node_id == entry.node_id,
                    ScheduleState.last_fire_at < fire_at,
                )
                .values(last_fire_at=fire_at)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]
