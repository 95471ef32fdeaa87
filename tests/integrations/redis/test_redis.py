"""The Redis integration against the machine's Redis (database 13, a unique key prefix):
get/set with TTL and NX/XX, JSON values, counters with a window, publish, list push and
pop (blocking a little), errors named, a wrong password, the outbound policy."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from tests.integrations.conftest import failure, output, run_node
from tests.integrations.redis.conftest import DB, redis_creds
from wirework.integrations.redis import REDIS


async def test_connection_test(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    connection = await REDIS.connect(redis_creds(prefix), 1)
    assert REDIS.tester is not None
    message = await REDIS.tester(connection)
    assert message.startswith("connected to Redis ") and f"(db {DB}) as default" in message


async def test_set_get_with_ttl_nx_xx_and_json(
    rds: aioredis.Redis, prefix: str, loopback: None
) -> None:
    creds = redis_creds(prefix)
    run = await run_node(
        "redis.set",
        {"key": "s:{{ json.id }}", "value": "{{ json.user }}", "ttl_s": 100},
        creds,
        items=[{"id": 1, "user": "ann"}],
    )
    assert output(run) == [{"key": "s:1", "set": True}]
    assert await rds.get(f"{prefix}s:1") == b"ann" and 0 < await rds.ttl(f"{prefix}s:1") <= 100
    run = await run_node("redis.set", {"key": "s:1", "value": "bob", "mode": "nx"}, creds)
    assert output(run) == [{"key": "s:1", "set": False}]
    run = await run_node("redis.set", {"key": "s:2", "value": "bob", "mode": "xx"}, creds)
    assert output(run) == [{"key": "s:2", "set": False}]
    run = await run_node(
        "redis.set", {"key": "obj", "value": {"a": [1, 2]}, "json_values": True}, creds
    )
    assert await rds.get(f"{prefix}obj") == b'{"a":[1,2]}'
    run = await run_node("redis.get", {"key": "obj", "json_values": True}, creds)
    assert output(run) == [{"key": "obj", "value": {"a": [1, 2]}, "exists": True}]
    run = await run_node("redis.get", {"key": "s:1"}, creds)
    assert output(run) == [{"key": "s:1", "value": "ann", "exists": True}]
    run = await run_node("redis.get", {"key": "missing"}, creds)
    assert output(run) == [{"key": "missing", "value": None, "exists": False}]
    run = await run_node("redis.get", {"key": "s:1", "json_values": True}, creds)
    assert "Redis: the value is not JSON" in failure(run)


async def test_incr_counts_in_a_window(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    creds = redis_creds(prefix)
    run = await run_node(
        "redis.incr",
        {"key": "rate:{{ json.ip }}", "ttl_s": 60},
        creds,
        items=[{"ip": "1.2.3.4"}] * 3,
    )
    assert [o["value"] for o in output(run)] == [1, 2, 3]
    assert 0 < await rds.ttl(f"{prefix}rate:1.2.3.4") <= 60
    run = await run_node("redis.incr", {"key": "rate:1.2.3.4", "by": -5}, creds)
    assert output(run) == [{"key": "rate:1.2.3.4", "value": -2}]


async def test_publish_reaches_a_subscriber(
    rds: aioredis.Redis, prefix: str, loopback: None
) -> None:
    pubsub = rds.pubsub()
    await pubsub.subscribe(f"{prefix}orders")
    await pubsub.get_message(timeout=1)  # the subscription's confirmation
    run = await run_node(
        "redis.publish",
        {"channel": "orders", "message": {"id": 7}, "json_values": True},
        redis_creds(prefix),
    )
    assert output(run) == [{"channel": "orders", "receivers": 1}]
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
    assert message is not None and message["data"] == b'{"id":7}'
    await pubsub.aclose()


async def test_list_push_and_pop(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    creds = redis_creds(prefix)
    run = await run_node("redis.list_push", {"key": "q", "values": ["a", "b"]}, creds)
    assert output(run) == [{"key": "q", "length": 2}]
    run = await run_node("redis.list_push", {"key": "q", "values": "z", "side": "left"}, creds)
    assert output(run) == [{"key": "q", "length": 3}]
    assert await rds.lrange(f"{prefix}q", 0, -1) == [b"z", b"a", b"b"]
    run = await run_node("redis.list_pop", {"key": "q"}, creds)
    assert output(run) == [{"key": "q", "value": "z", "found": True}]
    run = await run_node("redis.list_pop", {"key": "q", "side": "right"}, creds)
    assert output(run) == [{"key": "q", "value": "b", "found": True}]
    run = await run_node(
        "redis.list_push",
        {"key": "jobs", "values": [{"id": 1}, {"id": 2}], "json_values": True},
        creds,
    )
    assert output(run) == [{"key": "jobs", "length": 2}]
    run = await run_node("redis.list_pop", {"key": "jobs", "json_values": True}, creds)
    assert output(run)[0]["value"] == {"id": 1}


async def test_a_blocking_pop_waits_for_a_push(
    rds: aioredis.Redis, prefix: str, loopback: None
) -> None:
    creds = redis_creds(prefix)
    run = await run_node("redis.list_pop", {"key": "empty", "timeout_s": 0.2}, creds)
    assert output(run) == [{"key": "empty", "value": None, "found": False}]

    async def push_later() -> None:
        await asyncio.sleep(0.3)
        await rds.rpush(f"{prefix}later", "hello")

    pushing = asyncio.create_task(push_later())
    run = await run_node("redis.list_pop", {"key": "later", "timeout_s": 5}, creds)
    await pushing
    assert output(run) == [{"key": "later", "value": "hello", "found": True}]


async def test_errors_are_named(rds: aioredis.Redis, prefix: str, loopback: None) -> None:
    await rds.rpush(f"{prefix}alist", "x")
    run = await run_node("redis.get", {"key": "alist"}, redis_creds(prefix))
    assert failure(run).startswith("Redis: get failed: WRONGTYPE Operation against a key")
    assert run.record.error is not None and run.record.error["details"]["code"] == "WRONGTYPE"
    user = prefix.rstrip(":")
    await rds.execute_command("ACL", "SETUSER", user, "on", ">right-password", "~*", "+@all")
    try:
        run = await run_node(
            "redis.get",
            {"key": "k"},
            redis_creds(prefix, username=user, password="redis-canary-password"),
        )
    finally:
        await rds.execute_command("ACL", "DELUSER", user)
    message = failure(run)
    assert message.startswith("Redis: get failed:") and "pair or user is disabled" in message
    assert "redis-canary-password" not in str(run.record.error)


async def test_tls_against_a_plain_server_fails_clearly(
    rds: aioredis.Redis, prefix: str, loopback: None
) -> None:
    run = await run_node(
        "redis.get", {"key": "k"}, redis_creds(prefix, tls="require", connect_timeout_s=0.5)
    )
    assert failure(run).startswith("Redis: get failed:")


async def test_loopback_is_refused_without_the_allow_list(rds: aioredis.Redis, prefix: str) -> None:
    run = await run_node("redis.get", {"key": "k"}, redis_creds(prefix))
    message = failure(run)
    assert message.startswith("Redis: outbound request to 127.0.0.1")
    assert "WIREWORK_OUTBOUND_ALLOW" in message
