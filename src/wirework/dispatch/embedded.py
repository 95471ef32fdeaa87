"""Embedded mode: ready steps run as asyncio tasks of this process (a lone ready node is
awaited inline, which keeps linear workflows cheap), and timers fire from one task holding a
heap of them."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import logging
from typing import Any

from wirework.dispatch.base import Dispatcher, DueTimers, FireTimer, ReadyWork

log = logging.getLogger(__name__)


class EmbeddedDispatcher(Dispatcher):
    def __init__(self) -> None:
        self._timers: list[tuple[dt.datetime, str]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- ready steps ------------------------------------------------------------------------

    async def run_ready(self, ready: list[str], work: ReadyWork[Any]) -> None:
        running: dict[asyncio.Future[Any], str] = {}
        try:
            while ready or running:
                if len(ready) == 1 and not running:
                    node_id = ready.pop()
                    work.begin(node_id)
                    work.complete(node_id, await work.run_node(node_id), ready)
                    continue
                while ready:
                    node_id = ready.pop(0)
                    work.begin(node_id)
                    running[asyncio.ensure_future(work.run_node(node_id))] = node_id
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    node_id = running.pop(task)
                    # A failed execution raises here; ``finally`` cancels the others.
                    work.complete(node_id, task.result(), ready)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    # -- timers -----------------------------------------------------------------------------

    def arm_timer(self, execution_id: str, due: dt.datetime) -> None:
        heapq.heappush(self._timers, (due, execution_id))
        self._wakeup.set()

    def start_timers(self, fire: FireTimer, due: DueTimers, poll_interval_s: float) -> None:
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(
            self._timer_loop(fire, due, poll_interval_s), name="wirework-wait-timers"
        )

    async def stop_timers(self) -> None:
        """Stop between two iterations (cancelling one in the middle of a database call
        could leave its connection in a transaction); cancel only if that takes more than a
        few seconds."""
        self._stopping = True
        self._wakeup.set()
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=5)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _timer_loop(self, fire: FireTimer, due: DueTimers, poll_interval_s: float) -> None:
        last_poll = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if loop.time() - last_poll >= poll_interval_s:
                last_poll = loop.time()
                try:
                    for timer in await due():
                        heapq.heappush(self._timers, timer)
                except Exception:
                    log.exception("could not poll for due waits")
            now = _utcnow()
            while self._timers and self._timers[0][0] <= now:
                _, execution_id = heapq.heappop(self._timers)
                await fire(execution_id)
            delay = poll_interval_s
            if self._timers:
                delay = min(delay, max(0.0, (self._timers[0][0] - _utcnow()).total_seconds()))
            self._wakeup.clear()
            if self._stopping:  # asked to stop while this iteration awaited something
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
