"""Following an execution live: what ``GET /api/executions/{id}/events`` streams, and the run
started and followed in one request (``POST /api/workflows/{id}/execute?follow=true``).

:func:`progress` is the one stream both give: a ``snapshot`` (the execution record, read once
subscribed), the execution's events as they happen on any server or worker (``step.started``,
``step.delta``, ``step.finished``, …), a fresh ``snapshot`` after a gap (``events.lost``),
then ``end``. :func:`start_followed` subscribes to the events of an execution that does not
exist yet, then starts it with that id (the id is made here, never by the client), so none of
its events is missed — not even the first ``step.delta`` of a node that streams, which is
published only while someone follows the execution (services/chat.py ``converse`` does the
same for a chat's reply).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wirework.db.base import new_id
from wirework.engine.states import ExecutionStatus
from wirework.events.base import Event, Watch
from wirework.schemas.executions import ExecutionOut
from wirework.services import executions as records
from wirework.services.engine import EVENTS_LOST, EngineHost

#: Seconds without an event after which the stream looks at the record (a lost event must
#: not hang it) and, the execution still going, says it is still there.
KEEPALIVE_S = 15.0

#: The engine's events that end an execution's stream (it finished, or it waits).
ENDING = frozenset({"execution.finished", "execution.waiting"})

_LIVE = frozenset({ExecutionStatus.RUNNING, ExecutionStatus.QUEUED})


class Kind(StrEnum):
    """The stream's own events (the engine's pass through under their names)."""

    STARTED = "started"  # follow=true only, first: {"execution_id"}
    SNAPSHOT = "snapshot"  # the execution record
    END = "end"  # last: {"status"}
    KEEP_ALIVE = "keep-alive"  # no data: a comment that keeps proxies from closing


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event of the stream: its name and its JSON-able data."""

    kind: str
    data: Any = None


KEEP_ALIVE = LiveEvent(Kind.KEEP_ALIVE)


async def progress(
    engine: EngineHost,
    execution_id: str,
    queue: asyncio.Queue[Event],
    *,
    from_start: bool = False,
) -> AsyncIterator[LiveEvent]:
    """The live progress of ``execution_id`` from ``queue``, a subscription to its events
    opened before this is called. ``from_start``: it was opened before the execution started,
    so every event of the execution is coming and the stream ends at the execution's own end
    event, even when the snapshot already shows it ended (the events before it still pass);
    otherwise (and after a gap) the record says when it is over."""

    async def current(max_items: int | None = records.DEFAULT_MAX_ITEMS) -> ExecutionOut:
        async with engine.runtime.sessionmaker() as s:
            return await records.get_record(
                s, execution_id, max_items=max_items, storage=engine.runtime.storage
            )

    def ended(record: ExecutionOut) -> bool:
        return record.status not in _LIVE and execution_id not in engine.runner.running

    # Read once subscribed: whatever happens from here on arrives as an event.
    record = await current()
    yield LiveEvent(Kind.SNAPSHOT, record.model_dump(mode="json"))
    complete = from_start
    while complete or not ended(record):
        try:
            event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
        except TimeoutError:
            # Quiet for a while: still going? (A lost event must not hang the stream.)
            record = await current(max_items=0)
            if ended(record):
                break
            yield KEEP_ALIVE
            continue
        if event["event"] == EVENTS_LOST:
            record = await current()
            yield LiveEvent(Kind.SNAPSHOT, record.model_dump(mode="json"))
            complete = False  # some events are gone: the record says when it is over
            continue
        yield LiveEvent(event["event"], event)
        if event["event"] in ENDING:
            yield LiveEvent(Kind.END, {"status": event.get("status", "waiting")})
            return
    yield LiveEvent(Kind.END, {"status": record.status})


async def watched(engine: EngineHost, execution_id: str) -> AsyncIterator[LiveEvent]:
    """:func:`progress` of an execution that exists (``GET …/events``), subscribed now."""
    async with engine.events.subscribe(execution_id) as queue:
        async for event in progress(engine, execution_id, queue):
            yield event


@dataclass(slots=True)
class Followed:
    """A run started with its events followed from before its start: close ``watch`` when
    done with it (:meth:`close`; :meth:`events` does once they are over)."""

    engine: EngineHost
    execution_id: str
    watch: Watch

    async def events(self) -> AsyncIterator[LiveEvent]:
        """``started`` (``{"execution_id"}``), then :func:`progress` from the very start."""
        try:
            yield LiveEvent(Kind.STARTED, {"execution_id": self.execution_id})
            async for event in progress(
                self.engine, self.execution_id, self.watch.queue, from_start=True
            ):
                yield event
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop following (again: nothing); the execution goes on regardless."""
        await self.watch.close()


async def start_followed(engine: EngineHost, workflow_id: int, input_value: Any = None) -> Followed:
    """Start a run of the workflow's newest version (as ``execute`` does, mode ``manual``)
    with its events followed from before it exists. Everything that refuses the run (an
    unknown workflow, an unrunnable document, the store unavailable) raises here, before any
    event: nothing stays subscribed then."""
    execution_id = new_id()
    watch = await engine.events.watch(execution_id)
    try:
        await engine.execute(
            workflow_id, input_value=input_value, elsewhere=True, execution_id=execution_id
        )
        # Nothing is answered as started before it is recorded (the store writes behind).
        await engine.runner.store.flush(execution_id)
    except BaseException:
        await watch.close()
        raise
    return Followed(engine, execution_id, watch)
