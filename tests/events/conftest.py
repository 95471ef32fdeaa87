"""Buses on the machine's real Redis and PostgreSQL (a test whose service is down is skipped
with the reason, and fails under CI=true). Each test gets its own channel, so tests running
beside each other (or other helpers' processes on the same servers) never hear one another."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from tests.integrations.services import unavailable
from wirework.events import Bus, open_bus

REDIS_URL = os.environ.get("WIREWORK_TEST_REDIS", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("WIREWORK_TEST_PG_EVENTS", "postgresql://postgres@127.0.0.1:5432/test")

BusFactory = Callable[[], Bus]


async def _check(kind: str) -> None:
    if kind == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            await client.ping()
        except Exception as exc:
            unavailable(f"Redis at {REDIS_URL} unreachable: {exc}")
        finally:
            await client.aclose()
    elif kind == "postgresql":
        import asyncpg

        try:
            conn = await asyncpg.connect(PG_URL, timeout=3)
        except Exception as exc:
            unavailable(f"PostgreSQL at {PG_URL} unreachable: {exc}")
        await conn.close()


def url_of(kind: str, channel: str) -> str:
    if kind == "redis":
        return f"{REDIS_URL}?channel=test:{channel}"
    if kind == "postgresql":
        return f"{PG_URL}?channel={channel}"
    return "memory://"


@pytest.fixture(params=["redis", "postgresql"])
async def shared_kind(request: pytest.FixtureRequest) -> str:
    await _check(request.param)
    return str(request.param)


@pytest.fixture
async def make_bus(shared_kind: str) -> AsyncIterator[BusFactory]:
    """Started buses on one fresh channel of the backend: each one a process's view."""
    channel = f"ww_ev_{secrets.token_hex(4)}"
    buses: list[Bus] = []

    async def make() -> Bus:
        bus = open_bus(url_of(shared_kind, channel))
        await bus.start()
        assert getattr(bus, "connected", True), f"{bus!r} did not connect"
        buses.append(bus)
        return bus

    make.url = url_of(shared_kind, channel)  # type: ignore[attr-defined]
    make.kind = shared_kind  # type: ignore[attr-defined]
    yield make  # type: ignore[misc]
    for bus in buses:
        await bus.close()
