"""examples/redis_rate_limit.yaml through the engine against the machine's Redis (the 11th
call in a minute is limited)."""

from __future__ import annotations

import redis.asyncio as aioredis

from tests.integrations.redis.conftest import redis_creds
from tests.integrations.workflows import example, run_in_engine


async def test_redis_rate_limit(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    doc = example("redis_rate_limit.yaml")
    item = {"body": {}, "headers": {"x-api-key": "k1"}, "query": {}}
    took = []
    for _ in range(11):
        run = await run_in_engine(doc, redis_creds(prefix), [item])
        assert run.record.status == "success", run.record.error
        took.append("limited" if run.outputs.get("limited", {}).get("main") else "ok")
    assert took == ["ok"] * 10 + ["limited"]
    assert 0 < await rds.ttl(f"{prefix}calls:k1") <= 60
