"""The event bus interface and the in-process backend.

An event is a JSON-able dict: ``{"event": kind, "execution_id": …, "t": …, …}``. ``publish``
is synchronous and never blocks (the engine calls it from its hot path); ``subscribe`` is an
async context yielding a bounded queue; ``listening`` says, without any I/O, whether anyone
(in this process or, for a shared backend, in any process) follows an execution.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

Event = dict[str, Any]

#: A subscriber's queue holds at most this many events; a subscriber that falls this far
#: behind loses the newest ones (publishing never waits for a reader) and, once it has room
#: again, receives one ``events.lost`` event so it can re-read the execution's state.
QUEUE_SIZE = 10_000

#: The event a subscriber receives when it may have missed events (a full queue, a lost
#: connection to the shared backend): re-read the execution (the database is the truth).
LOST = "events.lost"

#: The channel of events about the cluster rather than one execution (published and
#: subscribed to with this in place of an execution id). Every worker follows it.
CLUSTER = "$cluster"
#: On :data:`CLUSTER`: ``target`` (an execution id) was canceled; a worker running it stops.
CANCELED = "cluster.execution_canceled"


class Bus(abc.ABC):
    """Live progress of executions: publish, subscribe(execution_id), listening."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._local: dict[str, set[asyncio.Queue[Event]]] = {}
        self._overflowed: set[asyncio.Queue[Event]] = set()

    # -- the interface ---------------------------------------------------------------------

    def listening(self, execution_id: str) -> bool:
        """Whether anyone follows ``execution_id``: a dictionary look-up, never I/O."""
        return execution_id in self._local

    @abc.abstractmethod
    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Hand ``data`` (with its ``execution_id``) to every subscriber of that execution."""

    @contextlib.asynccontextmanager
    async def subscribe(self, execution_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """Follow one execution: events published after this is entered arrive in the queue,
        in the order each publisher published them."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=self.queue_size)
        queues = self._local.get(execution_id)
        first = queues is None
        if queues is None:
            queues = self._local[execution_id] = set()
        queues.add(queue)
        try:
            if first:
                await self._watch(execution_id)
            yield queue
        finally:
            queues.discard(queue)
            self._overflowed.discard(queue)
            if not queues and self._local.get(execution_id) is queues:
                del self._local[execution_id]
                await self._unwatch(execution_id)

    async def watch(self, execution_id: str) -> Watch:
        """:meth:`subscribe` opened now and closed by ``Watch.close()`` (a subscription that
        outlives the call that opens it: a server following an execution's response)."""
        context = self.subscribe(execution_id)
        queue = await context.__aenter__()
        return Watch(queue, context)

    async def start(self) -> None:  # noqa: B027 - a no-op unless overridden
        """Connect (a shared backend); the in-process bus has nothing to do."""

    async def close(self) -> None:  # noqa: B027 - a no-op unless overridden
        """Disconnect; subscribers' queues stay as they are."""

    # -- for the backends ------------------------------------------------------------------

    async def _watch(self, execution_id: str) -> None:  # noqa: B027 - a no-op unless overridden
        """This process follows ``execution_id`` from now on (tell the other processes)."""

    async def _unwatch(self, execution_id: str) -> None:  # noqa: B027 - a no-op unless overridden
        """This process no longer follows ``execution_id``."""

    def _deliver(self, event: Event) -> None:
        """Put ``event`` into this process's subscribers' queues (never blocks)."""
        queues = self._local.get(event.get("execution_id", ""))
        if not queues:
            return
        for queue in queues:
            self._offer(queue, event)

    def _offer(self, queue: asyncio.Queue[Event], event: Event) -> None:
        if queue in self._overflowed:
            if queue.qsize() >= queue.maxsize - 1:
                return  # still full: keep dropping
            self._overflowed.discard(queue)
            queue.put_nowait({"event": LOST, "execution_id": event.get("execution_id")})
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed.add(queue)
            log.warning(
                "event subscriber of execution %s is too slow: events dropped",
                event.get("execution_id"),
            )

    def _lost(self) -> None:
        """Every subscriber may have missed events (the backend's connection was lost)."""
        for execution_id, queues in self._local.items():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait({"event": LOST, "execution_id": execution_id})


class Watch:
    """An open subscription to one execution's events (:meth:`Bus.watch`)."""

    def __init__(
        self,
        queue: asyncio.Queue[Event],
        context: contextlib.AbstractAsyncContextManager[asyncio.Queue[Event]],
    ) -> None:
        self.queue = queue
        self._context: contextlib.AbstractAsyncContextManager[Any] | None = context

    async def next_event(self) -> Event:
        return await self.queue.get()

    async def close(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            await context.__aexit__(None, None, None)


class LocalBus(Bus):
    """Events of executions running in this process only (embedded mode): publishing when
    nobody in the process listens is one dictionary look-up."""

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        queues = self._local.get(data.get("execution_id", ""))
        if not queues:
            return
        event = {"event": kind, **data}
        for queue in queues:
            self._offer(queue, event)
