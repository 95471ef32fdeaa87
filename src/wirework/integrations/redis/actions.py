"""Redis actions: ``redis.get``, ``set`` (TTL, NX/XX), ``incr`` (by n, TTL on a new
counter), ``publish``, ``list_push`` and ``list_pop`` (left or right, optionally blocking a
little while). Values are strings, or JSON with ``json_values: true``."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import redis.asyncio as aioredis
from pydantic import Field

from wirework.integrations.redis.credentials import (
    MAX_BLOCK_S,
    REDIS,
    RedisCredentials,
    client,
    failure,
)
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item, NodeError

T = TypeVar("T")
JSON_DESCRIPTION = (
    "Store values as JSON and read them back parsed (objects and lists are JSON anyway)"
)


def encode(value: Any, as_json: bool) -> str:
    if as_json or isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        raise NodeError(
            "params.value: null cannot be stored as text (set json_values: true)", retryable=False
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode(raw: bytes | str | None, as_json: bool) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode()
        except UnicodeDecodeError:  # binary: base64
            return base64.b64encode(raw).decode("ascii")
    if as_json:
        try:
            return json.loads(text)
        except ValueError:
            raise NodeError(
                f"Redis: the value is not JSON ({text[:80]!r}); unset json_values to read it "
                "as text",
                retryable=False,
            ) from None
    return text


async def call(
    ctx: ActionContext[RedisCredentials], what: str, fn: Callable[[aioredis.Redis], Awaitable[T]]
) -> T:
    credentials = ctx.credentials
    redis_client = await client(ctx.connection.integration_id, credentials)
    try:
        return await fn(redis_client)
    except NodeError:
        raise
    except Exception as exc:
        raise failure(exc, what, credentials) from None


def key_of(ctx: ActionContext[RedisCredentials], key: str) -> str:
    return ctx.credentials.key_prefix + key


class Get(ActionParams):
    key: str = Field(min_length=1, max_length=4096, description="Key (after the key prefix)")
    json_values: bool = Field(default=False, description=JSON_DESCRIPTION)


@REDIS.action(
    "get",
    params=Get,
    description="Read a key; emits {key, value, exists}",
    example={"key": "session:{{ json.id }}"},
)
async def get(ctx: ActionContext[RedisCredentials], params: Get) -> Item:
    raw = await call(ctx, "get", lambda r: r.get(key_of(ctx, params.key)))
    return {"key": params.key, "value": decode(raw, params.json_values), "exists": raw is not None}


class Set(ActionParams):
    key: str = Field(min_length=1, max_length=4096, description="Key (after the key prefix)")
    value: Any = Field(description="Value: text, a number, or (as JSON) an object or list")
    ttl_s: int | None = Field(default=None, ge=1, description="Expire after this many seconds")
    mode: Literal["always", "nx", "xx"] = Field(
        default="always",
        description="always; nx: only if the key does not exist; xx: only if it exists",
    )
    json_values: bool = Field(default=False, description=JSON_DESCRIPTION)


@REDIS.action(
    "set",
    params=Set,
    description="Set a key (optionally with a TTL, only if absent or present); emits {key, set}",
    example={"key": "session:{{ json.id }}", "value": "active", "ttl_s": 3600},
)
async def set_(ctx: ActionContext[RedisCredentials], params: Set) -> Item:
    value = encode(params.value, params.json_values)
    done = await call(
        ctx,
        "set",
        lambda r: r.set(
            key_of(ctx, params.key),
            value,
            ex=params.ttl_s,
            nx=params.mode == "nx",
            xx=params.mode == "xx",
        ),
    )
    return {"key": params.key, "set": bool(done)}


class Incr(ActionParams):
    key: str = Field(min_length=1, max_length=4096, description="Key (after the key prefix)")
    by: int = Field(default=1, description="Add this (negative: subtract)")
    ttl_s: int | None = Field(
        default=None,
        ge=1,
        description="When this call creates the counter, expire it after this many seconds "
        "(a fixed window: rate limits)",
    )


@REDIS.action(
    "incr",
    params=Incr,
    description="Add to a counter (created at 0); emits {key, value}",
    example={"key": "rate:{{ json.ip }}", "by": 1, "ttl_s": 60},
)
async def incr(ctx: ActionContext[RedisCredentials], params: Incr) -> Item:
    key = key_of(ctx, params.key)

    async def run(r: aioredis.Redis) -> int:
        async with r.pipeline(transaction=True) as pipe:
            pipe.incrby(key, params.by)
            if params.ttl_s:
                pipe.expire(key, params.ttl_s, nx=True)
            results = await pipe.execute()
        return int(results[0])

    return {"key": params.key, "value": await call(ctx, "incr", run)}


class Publish(ActionParams):
    channel: str = Field(
        min_length=1, max_length=4096, description="Channel (after the key prefix)"
    )
    message: Any = Field(description="Message: text, a number, or (as JSON) an object or list")
    json_values: bool = Field(default=False, description="Send the message as JSON")


@REDIS.action(
    "publish",
    params=Publish,
    description="Publish a message on a channel; emits {channel, receivers}",
    example={"channel": "orders", "message": {"id": "{{ json.id }}"}, "json_values": True},
)
async def publish(ctx: ActionContext[RedisCredentials], params: Publish) -> Item:
    message = encode(params.message, params.json_values)
    receivers = await call(
        ctx, "publish", lambda r: r.publish(key_of(ctx, params.channel), message)
    )
    return {"channel": params.channel, "receivers": int(receivers)}


class ListPush(ActionParams):
    key: str = Field(min_length=1, max_length=4096, description="List key (after the key prefix)")
    values: Any = Field(
        description="A value, or a list of values pushed one by one in order (each stored as "
        "JSON with json_values)"
    )
    side: Literal["left", "right"] = Field(
        default="right", description="right (RPUSH: append) or left (LPUSH: prepend)"
    )
    json_values: bool = Field(default=False, description=JSON_DESCRIPTION)


@REDIS.action(
    "list_push",
    params=ListPush,
    description="Push values onto a list; emits {key, length}",
    example={"key": "jobs", "values": {"id": "{{ json.id }}"}, "json_values": True},
)
async def list_push(ctx: ActionContext[RedisCredentials], params: ListPush) -> Item:
    values = params.values if isinstance(params.values, list) else [params.values]
    encoded = [encode(v, params.json_values) for v in values]
    if not encoded:
        raise NodeError("params.values: nothing to push", retryable=False)
    key = key_of(ctx, params.key)

    async def run(r: aioredis.Redis) -> int:
        if params.side == "left":
            return int(await r.lpush(key, *encoded))
        return int(await r.rpush(key, *encoded))

    return {"key": params.key, "length": await call(ctx, "list push", run)}


class ListPop(ActionParams):
    key: str = Field(min_length=1, max_length=4096, description="List key (after the key prefix)")
    side: Literal["left", "right"] = Field(
        default="left", description="left (LPOP: the oldest of a right-pushed queue) or right"
    )
    timeout_s: float = Field(
        default=0,
        ge=0,
        le=MAX_BLOCK_S,
        description="Wait up to this many seconds for a value (BLPOP/BRPOP); 0: do not wait",
    )
    json_values: bool = Field(default=False, description=JSON_DESCRIPTION)


@REDIS.action(
    "list_pop",
    params=ListPop,
    description="Pop a value from a list (optionally waiting a little); emits {key, value, found}",
    example={"key": "jobs", "side": "left", "timeout_s": 1, "json_values": True},
)
async def list_pop(ctx: ActionContext[RedisCredentials], params: ListPop) -> Item:
    key = key_of(ctx, params.key)

    async def run(r: aioredis.Redis) -> Any:
        if params.timeout_s > 0:
            blocking = r.blpop if params.side == "left" else r.brpop
            got = await blocking([key], timeout=params.timeout_s)
            return got[1] if got else None
        popping = r.lpop if params.side == "left" else r.rpop
        return await popping(key)

    raw = await call(ctx, "list pop", run)
    return {"key": params.key, "value": decode(raw, params.json_values), "found": raw is not None}
