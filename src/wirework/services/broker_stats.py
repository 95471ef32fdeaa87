"""The broker's side of the queue-depth figure: how many step messages wait in Celery's queue.

Only read, never written: Redis ``LLEN`` of the queue's lists, RabbitMQ a passive
``queue_declare`` (which creates nothing). Without a broker URL (embedded mode) every function
here is a no-op returning None. Errors are reported, never raised, and never carry the URL's
password.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import unquote, urlsplit

from wirework.schemas.system import BrokerQueue

TIMEOUT_S = 3.0

# Celery on Redis keeps one list per priority step: the queue's name for the default
# priority, and name + this separator + the step for the others (kombu's redis transport).
REDIS_PRIORITY_SEP = "\x06\x16"
REDIS_PRIORITY_STEPS = (3, 6, 9)


def transport_of(broker_url: str) -> str:
    scheme = urlsplit(broker_url).scheme.lower()
    if scheme in ("redis", "rediss"):
        return "redis"
    if scheme in ("amqp", "amqps", "pyamqp"):
        return "amqp"
    return scheme or "unknown"


def _scrub(message: str, broker_url: str) -> str:
    password = urlsplit(broker_url).password
    if password:
        message = message.replace(password, "***").replace(unquote(password), "***")
    return message


async def broker_queue(broker_url: str, queue: str) -> BrokerQueue | None:
    """The queue's length on the broker, or None in embedded mode (no broker URL)."""
    if not broker_url:
        return None
    transport = transport_of(broker_url)
    try:
        if transport == "redis":
            messages: int | None = await asyncio.wait_for(
                _redis_length(broker_url, queue), TIMEOUT_S
            )
        elif transport == "amqp":
            messages = await asyncio.wait_for(
                asyncio.to_thread(_amqp_length, broker_url, queue), TIMEOUT_S + 1
            )
        else:
            return BrokerQueue(
                transport=transport,
                queue=queue,
                messages=None,
                error=f"the queue length of a {transport} broker is not read",
            )
    except Exception as exc:
        text = str(exc) or ("no answer in time" if isinstance(exc, TimeoutError) else "")
        error = _scrub(f"{transport} broker: {type(exc).__name__}: {text}", broker_url)
        return BrokerQueue(transport=transport, queue=queue, messages=None, error=error)
    return BrokerQueue(transport=transport, queue=queue, messages=messages)


async def _redis_length(broker_url: str, queue: str) -> int:
    from redis.asyncio import Redis

    client = Redis.from_url(broker_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.llen(queue)
            for step in REDIS_PRIORITY_STEPS:
                pipe.llen(f"{queue}{REDIS_PRIORITY_SEP}{step}")
            lengths = await pipe.execute()
    finally:
        await client.aclose()
    return sum(int(n) for n in lengths)


def _amqp_length(broker_url: str, queue: str) -> int:
    import amqp  # type: ignore[import-untyped]

    url = urlsplit(broker_url)
    vhost = unquote(url.path[1:]) if len(url.path) > 1 else "/"
    connection = amqp.Connection(
        host=f"{url.hostname or 'localhost'}:{url.port or 5672}",
        userid=unquote(url.username or "guest"),
        password=unquote(url.password or "guest"),
        virtual_host=vhost,
        ssl=url.scheme == "amqps",
        connect_timeout=TIMEOUT_S,
        read_timeout=TIMEOUT_S,
        write_timeout=TIMEOUT_S,
    )
    connection.connect()
    try:
        channel = connection.channel()
        try:
            _name, messages, _consumers = channel.queue_declare(queue, passive=True)
        except amqp.exceptions.NotFound:
            return 0  # not declared yet: no worker or sender has used it, nothing waits
        return int(messages)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
