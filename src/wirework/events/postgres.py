"""Events over PostgreSQL LISTEN/NOTIFY (asyncpg): channel ``wirework_events`` of the
database the URL names (NOTIFY is per database). A payload holds at most 8000 bytes: an
event too big for that goes out cut down (see shared.compact) and marked ``truncated``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from wirework.events.shared import SharedBus

DEFAULT_CHANNEL = "wirework_events"
#: How often the listening connection is checked while no notification arrives.
CHECK_S = 10.0


def asyncpg_dsn(url: str) -> tuple[str, str]:
    """A libpq URL asyncpg accepts (``postgresql+asyncpg://`` → ``postgresql://``), without
    a ``channel`` query parameter, and that channel."""
    parsed = make_url(url)
    channel = str(parsed.query.get("channel") or DEFAULT_CHANNEL)
    parsed = parsed.set(drivername="postgresql").difference_update_query(["channel"])
    return parsed.render_as_string(hide_password=False), channel


class PostgresBus(SharedBus):
    max_payload = 7_900  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dsn, self.channel = asyncpg_dsn(url)
        self._sender_conn: asyncpg.Connection | None = None
        self._send_lock = asyncio.Lock()

    def __repr__(self) -> str:
        parsed = make_url(self._dsn)
        return f"<PostgresBus {parsed.host}/{parsed.database} {self.channel}>"

    async def _connect(self) -> asyncpg.Connection:
        # pg_stat_activity shows whose connections these are.
        return await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": self.client_name}
        )

    async def _listen(self) -> None:
        conn = await self._connect()
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(
                self.channel, lambda _conn, _pid, _channel, payload: self._receive(payload)
            )
            await self._on_connected()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), CHECK_S)
                    break
                await conn.fetchval("SELECT 1", timeout=10)  # raises on a dead connection
            raise ConnectionError("the listening connection was closed")
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
            conn.terminate()

    async def _send(self, payload: str) -> None:
        async with self._send_lock:
            if self._sender_conn is None or self._sender_conn.is_closed():
                self._sender_conn = await self._connect()
            try:
                await self._sender_conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)
            except (
                asyncpg.InterfaceError,
                asyncpg.PostgresConnectionError,
                asyncpg.exceptions.OperatorInterventionError,
                OSError,
            ):
                # A dropped connection: one retry on a new one.
                self._sender_conn.terminate()
                self._sender_conn = await self._connect()
                await self._sender_conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)

    async def _close_transport(self) -> None:
        if self._sender_conn is not None:
            with contextlib.suppress(Exception):
                await self._sender_conn.close(timeout=2)
            self._sender_conn.terminate()
            self._sender_conn = None
