"""Redis credentials (host, port, db, user name, password, TLS), the connection pool per
integration, error messages and the connection test."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from pydantic import Field, SecretStr
from redis.asyncio.connection import SSLConnection

from wirework.sdk.integration import (
    Connection,
    IntegrationDefinition,
    checked_address,
    no_auth,
    secret,
    service_failure,
)
from wirework.sdk.integration.server import (
    ConnectTimeout,
    ServerCredentials,
    ServerHost,
    ServerPort,
    ServerTls,
    ServerTlsCa,
    point_at,
)
from wirework.sdk.integration.sql import fingerprint, native_pool, scrub, tls_context
from wirework.sdk.node import NodeError

SERVICE = "Redis"
POOL_SIZE = 10
# Blocking pops wait at most this long; the socket timeout is above it.
MAX_BLOCK_S = 20.0


class RedisCredentials(ServerCredentials):
    host: ServerHost = Field(examples=["redis.acme.example"])
    port: ServerPort = 6379
    db: int = Field(default=0, ge=0, le=1024, description="Database number (SELECT)")
    username: str | None = Field(
        default=None, description="ACL user name (Redis 6+; none: the default user)"
    )
    password: SecretStr | None = Field(default=None, description="Password (none: no AUTH)")
    tls: ServerTls = "disable"
    tls_ca: ServerTlsCa = None
    key_prefix: str = Field(
        default="",
        max_length=200,
        description="Put before every key and channel name (e.g. wirework:), to share a "
        "database safely",
    )
    connect_timeout_s: ConnectTimeout = 5


class _NamedSSLConnection(SSLConnection):
    """redis-py's TLS connection with our context (the server name checked is the host's,
    while the connection goes to the checked address)."""

    def __init__(self, *args: Any, wirework_ssl: ssl.SSLContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wirework_ssl = wirework_ssl

    def _connection_arguments(self) -> Any:
        kwargs = dict(super()._connection_arguments())
        kwargs["ssl"] = self._wirework_ssl
        return kwargs


def failure(exc: BaseException, what: str, credentials: RedisCredentials) -> NodeError:
    """A driver's exception as ``Redis: <what> failed: <message>`` (the error's code, e.g.
    WRONGTYPE, in details), never quoting the password."""
    if isinstance(exc, NodeError):
        return exc
    message = scrub(str(exc) or type(exc).__name__, secret(credentials.password))
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return service_failure(SERVICE, what, message, code="AUTH")
    if isinstance(exc, redis.exceptions.ResponseError):
        first = message.split(" ", 1)[0]
        code = first if first.isupper() else "ERR"
        return service_failure(SERVICE, what, message, code=code)
    if isinstance(exc, (redis.exceptions.TimeoutError, asyncio.TimeoutError, TimeoutError)):
        return service_failure(SERVICE, what, f"timed out ({message})", retryable=True)
    if isinstance(exc, (redis.exceptions.ConnectionError, OSError)):
        return service_failure(SERVICE, what, message, retryable=True)
    return service_failure(SERVICE, what, message)


async def client(integration_id: int | None, credentials: RedisCredentials) -> aioredis.Redis:
    """A client on the integration's pool (to the address the outbound policy allows)."""
    address = await checked_address(SERVICE, credentials.host, credentials.port)
    context = tls_context(credentials.tls, credentials.host, credentials.tls_ca)
    password = secret(credentials.password) or None

    async def open_pool() -> aioredis.BlockingConnectionPool:
        extra: dict[str, Any] = {}
        if context is not None:
            extra = {"connection_class": _NamedSSLConnection, "wirework_ssl": context}
        return aioredis.BlockingConnectionPool(
            host=address,
            port=credentials.port,
            db=credentials.db,
            username=credentials.username or None,
            password=password,
            socket_connect_timeout=credentials.connect_timeout_s,
            socket_timeout=MAX_BLOCK_S + 10,
            max_connections=POOL_SIZE,
            timeout=credentials.connect_timeout_s,
            decode_responses=False,
            **extra,
        )

    async def close_pool(pool: aioredis.BlockingConnectionPool) -> None:
        await pool.disconnect()

    key = fingerprint(credentials.model_dump(mode="json"), password, address)
    pool = await native_pool(SERVICE, integration_id, key, open_pool, close_pool)
    return aioredis.Redis(connection_pool=pool)


REDIS = IntegrationDefinition(
    "redis",
    "Redis",
    credentials=RedisCredentials,
    auth=no_auth("Redis AUTH with the username and password, over TLS if enabled"),
    description="Redis: get and set values (TTL, NX/XX), counters, publish, list push and pop",
    icon="layers",
    category="Databases",
    docs="https://redis.io/docs/latest/commands/",
    base_url=None,
    native=point_at(tls="disable"),
    example_credentials={
        "host": "redis.acme.example",
        "port": 6379,
        "db": 0,
        "password": "redis-test-password",
        "key_prefix": "wirework:",
    },
)


@REDIS.connection_test
async def test_connection(connection: Connection[RedisCredentials]) -> str:
    credentials = connection.credentials
    redis_client = await client(connection.integration_id, credentials)
    try:
        info = await redis_client.info("server")
    except Exception as exc:
        raise failure(exc, "connection test", credentials) from None
    try:
        who = await redis_client.acl_whoami()
    except redis.exceptions.ResponseError:  # before Redis 6: no ACL
        who = b"default"
    except Exception as exc:
        raise failure(exc, "connection test", credentials) from None
    name = who.decode() if isinstance(who, bytes) else str(who)
    version = info.get("redis_version", "?")
    return (
        f"connected to Redis {version} at {credentials.host}:{credentials.port} "
        f"(db {credentials.db}) as {name}"
    )
