"""PostgreSQL's credentials (host, port, database, user, password, TLS, timeouts), its
connection pool per integration, its error messages and its connection test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from pydantic import Field, SecretStr

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
    ServerPort,
    ServerTls,
    ServerTlsCa,
    point_at,
    pool_failure,
)
from wirework.sdk.integration.sql import fingerprint, native_pool, scrub, tls_context
from wirework.sdk.node import NodeError

SERVICE = "PostgreSQL"
POOL_SIZE = 5


class PostgresCredentials(ServerCredentials):
    port: ServerPort = 5432
    database: str = Field(min_length=1, description="Database name")
    user: str = Field(min_length=1, description="User name")
    password: SecretStr | None = Field(default=None, description="Password (none: trust/peer)")
    tls: ServerTls = "require"
    tls_ca: ServerTlsCa = None
    connect_timeout_s: ConnectTimeout = 10
    statement_timeout_s: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="A statement running longer is cancelled by the server (seconds)",
    )


def _message(exc: BaseException, credentials: PostgresCredentials) -> str:
    return scrub(str(exc) or type(exc).__name__, secret(credentials.password))


def failure(exc: BaseException, what: str, credentials: PostgresCredentials) -> NodeError:
    """A driver's exception as ``PostgreSQL: <what> failed: <message> (SQLSTATE)``, never
    quoting the password."""
    if isinstance(exc, NodeError):
        return exc
    if isinstance(exc, asyncpg.PostgresError):
        code = getattr(exc, "sqlstate", None) or ""
        message = _message(exc, credentials)
        detail = getattr(exc, "detail", None)
        if detail:
            message = f"{message} ({scrub(str(detail), secret(credentials.password))})"
        # Class 08 (connection), 40 (serialization, deadlock), 53 (resources), 57P0x
        # (shutdown) may pass on a retry; the rest are the statement's own fault.
        retryable = code[:2] in ("08", "40", "53") or code in ("57P01", "57P02", "57P03")
        if code == "57014":
            message = f"{message} (statement_timeout_s is {credentials.statement_timeout_s:g})"
        return service_failure(
            SERVICE,
            what,
            f"{message} ({code})" if code else message,
            retryable=retryable,
            code=code or None,
        )
    pooled = pool_failure(SERVICE, exc, what, credentials, POOL_SIZE)
    if pooled is not None:
        return pooled
    if isinstance(exc, (OSError, asyncpg.InterfaceError, ConnectionError)):
        return service_failure(SERVICE, what, _message(exc, credentials), retryable=True)
    return service_failure(SERVICE, what, _message(exc, credentials), retryable=False)


async def _init(conn: asyncpg.Connection) -> None:
    # json/jsonb as Python objects both ways (items are JSON already).
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: json.dumps(v, separators=(",", ":")),
            decoder=json.loads,
            schema="pg_catalog",
        )


@asynccontextmanager
async def pg_connection(
    integration_id: int | None, credentials: PostgresCredentials
) -> AsyncIterator[asyncpg.Connection]:
    """A connection from the integration's pool (opened to the address the outbound policy
    allows; at most POOL_SIZE connections per integration and process)."""
    address = await checked_address(SERVICE, credentials.host, credentials.port)
    ssl = tls_context(credentials.tls, credentials.host, credentials.tls_ca)
    password = secret(credentials.password) or None

    async def open_pool() -> asyncpg.Pool:
        return await asyncpg.create_pool(
            host=address,
            port=credentials.port,
            user=credentials.user,
            password=password,
            database=credentials.database,
            ssl=ssl if ssl is not None else False,
            timeout=credentials.connect_timeout_s,
            command_timeout=credentials.statement_timeout_s + 5,
            server_settings={
                "statement_timeout": str(int(credentials.statement_timeout_s * 1000)),
                "application_name": "wirework",
            },
            init=_init,
            min_size=0,
            max_size=POOL_SIZE,
            max_inactive_connection_lifetime=60,
        )

    async def close_pool(pool: asyncpg.Pool) -> None:
        await pool.close()

    key = fingerprint(credentials.model_dump(mode="json"), password, address)
    pool: asyncpg.Pool = await native_pool(SERVICE, integration_id, key, open_pool, close_pool)
    try:
        # A free connection may take a running statement's time (the pool is full).
        wait = credentials.connect_timeout_s + credentials.statement_timeout_s
        conn = await asyncio.wait_for(pool.acquire(), wait)
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise failure(exc, "connect", credentials) from None
    try:
        yield conn
    finally:
        await pool.release(conn)


POSTGRES = IntegrationDefinition(
    "postgres",
    "PostgreSQL",
    credentials=PostgresCredentials,
    auth=no_auth("the server's own login: user and password, over TLS unless disabled"),
    description="PostgreSQL: run parameterised queries (large results through a server-side "
    "cursor), insert and update rows",
    icon="database",
    category="Databases",
    docs="https://www.postgresql.org/docs/current/",
    base_url=None,
    native=point_at(tls="disable"),
    example_credentials={
        "host": "db.acme.example",
        "port": 5432,
        "database": "shop",
        "user": "wirework",
        "password": "postgres-test-password",
        "tls": "require",
    },
)


@POSTGRES.connection_test
async def test_connection(connection: Connection[PostgresCredentials]) -> str:
    credentials = connection.credentials
    async with pg_connection(connection.integration_id, credentials) as conn:
        try:
            row = await conn.fetchrow("SELECT version() AS version, current_user AS who")
        except Exception as exc:
            raise failure(exc, "connection test", credentials) from None
    version = str(row["version"]).split(" on ")[0].split(",")[0]
    return f"connected to {version} at {credentials.host}:{credentials.port} as {row['who']}"
