"""examples/redis_rate_limit.yaml through the engine against the machine's Redis (the 11th
call in a minute is limited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import yaml

from tests.integrations.redis.conftest import redis_creds
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.outbound import IntegrationCredentials

EXAMPLES = Path(__file__).parents[3] / "examples"


async def run_example(
    doc: dict[str, Any], values: IntegrationCredentials, item: dict[str, Any]
) -> ExecutionRun:
    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=[item])
    await started.wait()
    return started.run


async def test_redis_rate_limit(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    doc = yaml.safe_load((EXAMPLES / "redis_rate_limit.yaml").read_text())
    item = {"body": {}, "headers": {"x-api-key": "k1"}, "query": {}}
    took = []
    for _ in range(11):
        run = await run_example(doc, redis_creds(prefix), item)
        assert run.record.status == "success", run.record.error
        took.append("limited" if run.outputs.get("limited", {}).get("main") else "ok")
    assert took == ["ok"] * 10 + ["limited"]
    assert 0 < await rds.ttl(f"{prefix}calls:k1") <= 60
