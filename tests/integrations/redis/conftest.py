"""The local Redis (127.0.0.1:6379): database 13 and a unique key prefix per test, whose
keys are deleted afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.integrations.conftest import credentials
from tests.integrations.services import REDIS, unavailable, unique
from wirework.sdk.outbound import IntegrationCredentials

DB = 13


@pytest.fixture
async def rds() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host=REDIS["host"], port=REDIS["port"], db=DB, socket_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis at {REDIS['host']}:{REDIS['port']} unreachable: {exc}")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(rds: aioredis.Redis) -> AsyncIterator[str]:
    value = unique("wwtest") + ":"
    try:
        yield value
    finally:
        keys = [k async for k in rds.scan_iter(match=f"{value}*")]
        if keys:
            await rds.delete(*keys)


def redis_creds(prefix: str, **over: Any) -> IntegrationCredentials:
    values = {**REDIS, "db": DB, "key_prefix": prefix, **over}
    return credentials(values, {"password"}, name="Redis local")
