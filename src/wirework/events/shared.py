"""What the cross-process backends share: who watches which execution, batching, framing.

One channel carries everything. A message is one JSON object::

    {"o": origin, "w": [ids], "u": [ids], "s": 1, "e": [events]}

``o`` is the sending bus (its own messages come back to it and are ignored), ``w``/``u``
announce that the sender starts/stops following executions, ``s`` asks every bus to announce
what it follows, ``e`` carries events. Each bus keeps the watches it heard in a dictionary
(execution id → {origin: expiry}), refreshed every ``WATCH_TTL_S / 3`` while the watch lasts:
``listening`` and ``publish`` of an execution nobody follows are dictionary look-ups, no I/O.
Events are sent by one task per bus, in batches, in the order they were published.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from typing import Any

from wirework.events.base import Bus, Event

log = logging.getLogger(__name__)

#: A watch not refreshed for this long is forgotten (its process died or lost its connection).
WATCH_TTL_S = 30.0
#: How long subscribe waits for its watch to travel through the backend (it then goes on).
WATCH_ECHO_S = 2.0
#: Events waiting to be sent, at most; beyond, new ones are dropped (the backend is down).
OUTBOX_MAX = 50_000
#: Pause between reconnection attempts, growing to the maximum.
RECONNECT_S = (0.2, 5.0)

#: Kept in an event cut down to fit a backend's payload limit.
_COMPACT_KEYS = (
    "event",
    "execution_id",
    "t",
    "node_id",
    "status",
    "attempt",
    "items",
    "wait_until",
)
_ERROR_CHARS = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)


def compact(event: Event, limit: int) -> str:
    """``event`` as JSON of at most ``limit`` bytes: as is when it fits, else its small fields
    and the start of its error, marked ``"truncated": true`` (the whole record is in the
    database: GET /api/executions/{id})."""
    text = _dumps(event)
    if len(text.encode()) <= limit:
        return text
    small: Event = {k: event[k] for k in _COMPACT_KEYS if k in event}
    small["truncated"] = True
    error = event.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        small["error"] = {"message": error["message"][:_ERROR_CHARS]}
    elif isinstance(error, str):
        small["error"] = {"message": error[:_ERROR_CHARS]}
    text = _dumps(small)
    if len(text.encode()) <= limit:
        return text
    small.pop("error", None)
    return _dumps({k: small[k] for k in ("event", "execution_id", "t", "truncated") if k in small})


class SharedBus(Bus):
    """A bus whose events cross processes through a backend (Redis, PostgreSQL)."""

    #: Largest message the backend carries, in bytes.
    max_payload = 1_000_000

    def __init__(self, *, watch_ttl_s: float = WATCH_TTL_S, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.origin = secrets.token_hex(8)
        self.client_name = f"wirework-events-{self.origin}"
        self.watch_ttl_s = watch_ttl_s
        self._remote: dict[str, dict[str, float]] = {}
        self._outbox: deque[Event] = deque()
        self._wake = asyncio.Event()
        self._echo: dict[str, asyncio.Future[None]] = {}
        self._connected = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0  # events not sent: the outbox was full or the backend down
        self.connections = 0  # made so far (more than one: it reconnected)
        self._sending = False

    # -- the backend's part ----------------------------------------------------------------

    @abc.abstractmethod
    async def _listen(self) -> None:
        """Connect, subscribe to the channel, call ``await self._on_connected()``, then hand
        each message to ``self._receive`` until the connection is lost (raise then)."""

    @abc.abstractmethod
    async def _send(self, payload: str) -> None:
        """Publish one message on the channel (raise when the backend is unreachable)."""

    async def _close_transport(self) -> None:
        """Release the backend's connections."""

    # -- the interface ---------------------------------------------------------------------

    def listening(self, execution_id: str) -> bool:
        if execution_id in self._local:
            return True
        return execution_id in self._remote and self._watched(execution_id)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        execution_id = data.get("execution_id", "")
        local = self._local.get(execution_id)
        remote = execution_id in self._remote
        if not local and not remote:
            return  # the hot path: nobody anywhere follows this execution
        event = {"event": kind, **data}
        if local:
            for queue in local:
                self._offer(queue, event)
        if remote and self._watched(execution_id):
            if len(self._outbox) >= OUTBOX_MAX:
                self.dropped += 1
                return
            self._outbox.append(event)
            self._wake.set()

    async def start(self, wait_s: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen_forever(), name="events-listen"),
            loop.create_task(self._sender(), name="events-send"),
            loop.create_task(self._refresher(), name="events-refresh"),
        ]
        try:
            await asyncio.wait_for(self._connected.wait(), wait_s)
        except TimeoutError:
            log.error("event bus %s: not connected yet; retrying in the background", self)

    async def close(self, drain_s: float = 1.0) -> None:
        # Events already published (the last steps of executions a stopping worker finished)
        # go out first, if the backend takes them within ``drain_s``.
        deadline = time.monotonic() + drain_s
        while (self._outbox or self._sending) and self._connected.is_set():
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._connected.clear()
        await self._close_transport()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- watches ---------------------------------------------------------------------------

    def _watched(self, execution_id: str) -> bool:
        origins = self._remote.get(execution_id)
        if not origins:
            return False
        now = time.monotonic()
        for origin, expires in list(origins.items()):
            if expires < now:
                del origins[origin]
        if not origins:
            del self._remote[execution_id]
            return False
        return True

    async def _watch(self, execution_id: str) -> None:
        if not self._connected.is_set():
            return  # announced with every watch once connected
        echo: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._echo[execution_id] = echo
        try:
            await self._control({"w": [execution_id]})
            # Once our own announcement is back, every other bus has been sent it too.
            await asyncio.wait_for(asyncio.shield(echo), WATCH_ECHO_S)
        except (TimeoutError, Exception):
            log.debug("watch of %s not confirmed", execution_id, exc_info=True)
        finally:
            if self._echo.get(execution_id) is echo:
                del self._echo[execution_id]

    async def _unwatch(self, execution_id: str) -> None:
        if self._connected.is_set():
            with contextlib.suppress(Exception):
                await self._control({"u": [execution_id]})

    async def _control(self, message: dict[str, Any]) -> None:
        await self._send(_dumps({"o": self.origin, **message}))

    async def _announce(self, sync: bool = False) -> None:
        ids = list(self._local)
        # A bus that heard nothing may ask the others (s) to announce theirs.
        message: dict[str, Any] = {"s": 1} if sync else {}
        for start in range(0, max(len(ids), 1), 100):
            chunk = ids[start : start + 100]
            if chunk or message:
                await self._control({**message, "w": chunk})
            message = {}

    async def _on_connected(self) -> None:
        reconnected = self.connections > 0
        self.connections += 1
        self._connected.set()
        await self._announce(sync=True)
        if reconnected:
            self._lost()  # events may have passed while we were away

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            origin = message["o"]
        except (ValueError, KeyError, TypeError):
            log.warning("event bus: unreadable message ignored")
            return
        if origin == self.origin:
            for execution_id in message.get("w", ()):
                echo = self._echo.get(execution_id)
                if echo is not None and not echo.done():
                    echo.set_result(None)
            return
        expires = time.monotonic() + self.watch_ttl_s
        for execution_id in message.get("w", ()):
            self._remote.setdefault(execution_id, {})[origin] = expires
        for execution_id in message.get("u", ()):
            origins = self._remote.get(execution_id)
            if origins is not None:
                origins.pop(origin, None)
                if not origins:
                    del self._remote[execution_id]
        if message.get("s") and self._local:
            task = asyncio.get_running_loop().create_task(self._safe(self._announce()))
            self._tasks.append(task)
            task.add_done_callback(self._forget)
        for event in message.get("e", ()):
            self._deliver(event)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    async def _safe(self, coro: Any) -> None:
        try:
            await coro
        except Exception:
            log.debug("event bus: announcement failed", exc_info=True)

    # -- background tasks ------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        pause = RECONNECT_S[0]
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._connected.is_set():
                    log.warning("event bus %s: connection lost (%s); reconnecting", self, exc)
                    pause = RECONNECT_S[0]
                else:
                    log.debug("event bus %s: cannot connect: %s", self, exc)
            self._connected.clear()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_S[1])

    async def _sender(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._sending = True
            try:
                while self._outbox:
                    batch = list(self._outbox)
                    self._outbox.clear()
                    for payload in self._frames(batch):
                        try:
                            await self._send(payload)
                        except asyncio.CancelledError:
                            raise
                        except Exception as exc:
                            self.dropped += len(batch)
                            log.warning("event bus %s: events not sent: %s", self, exc)
                            break
            finally:
                self._sending = False

    def _frames(self, events: list[Event]) -> list[str]:
        """The messages carrying ``events``, each within ``max_payload`` bytes."""
        head = '{"o":"' + self.origin + '","e":['
        room = self.max_payload - len(head) - 2
        frames: list[str] = []
        parts: list[str] = []
        size = 0
        for event in events:
            text = compact(event, room)
            length = len(text.encode()) + 1
            if parts and size + length > room:
                frames.append(head + ",".join(parts) + "]}")
                parts, size = [], 0
            parts.append(text)
            size += length
        if parts:
            frames.append(head + ",".join(parts) + "]}")
        return frames

    async def _refresher(self) -> None:
        while True:
            await asyncio.sleep(self.watch_ttl_s / 3)
            for execution_id in list(self._remote):
                self._watched(execution_id)  # forgets expired watches
            if self._local and self._connected.is_set():
                await self._safe(self._announce())
