"""MySQL / MariaDB credentials (host, port, database, user, password, TLS, timeouts), the
connection pool per integration, error messages and the connection test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiomysql
import pymysql
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

SERVICE = "MySQL"
POOL_SIZE = 5
# Client-side codes (2xxx) that are the connection's, not the statement's.
_CONNECTION_CODES = {2002, 2003, 2005, 2006, 2013, 2055}
# Server codes that may pass on a retry: lock wait timeout, deadlock, too many connections.
_RETRYABLE_CODES = {1205, 1213, 1040, 1053}


class MySQLCredentials(ServerCredentials):
    port: ServerPort = 3306
    database: str = Field(min_length=1, description="Database (schema) name")
    user: str = Field(min_length=1, description="User name")
    password: SecretStr | None = Field(default=None, description="Password (none: no password)")
    tls: ServerTls = "require"
    tls_ca: ServerTlsCa = None
    connect_timeout_s: ConnectTimeout = 10
    statement_timeout_s: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="A statement running longer is stopped by the server (MariaDB: "
        "max_statement_time; MySQL: max_execution_time, SELECT only)",
    )


def failure(exc: BaseException, what: str, credentials: MySQLCredentials) -> NodeError:
    """A driver's exception as ``MySQL: <what> failed: <message> (<code>)``, never quoting
    the password."""
    if isinstance(exc, NodeError):
        return exc
    password = secret(credentials.password)
    if (
        isinstance(exc, pymysql.err.MySQLError)
        and len(exc.args) >= 2
        and isinstance(exc.args[0], int)
    ):
        code = int(exc.args[0])
        message = scrub(str(exc.args[1]), password)
        if code in (1969, 3024):  # statement time exceeded (MariaDB, MySQL)
            message = f"{message} (statement_timeout_s is {credentials.statement_timeout_s:g})"
        return service_failure(
            SERVICE,
            what,
            f"{message} ({code})",
            retryable=code in _CONNECTION_CODES or code in _RETRYABLE_CODES,
            code=code,
        )
    pooled = pool_failure(SERVICE, exc, what, credentials, POOL_SIZE)
    if pooled is not None:
        return pooled
    text = scrub(str(exc) or type(exc).__name__, password)
    return service_failure(SERVICE, what, text, retryable=isinstance(exc, OSError))


async def _configure(conn: Any, credentials: MySQLCredentials) -> None:
    """The statement timeout, once per connection (MariaDB, else MySQL's SELECT-only one)."""
    if getattr(conn, "_wirework_ready", False):
        return
    async with conn.cursor() as cur:
        try:
            await cur.execute(
                f"SET SESSION max_statement_time = {float(credentials.statement_timeout_s):.3f}"
            )
        except pymysql.err.MySQLError:
            try:
                ms = int(credentials.statement_timeout_s * 1000)
                await cur.execute(f"SET SESSION max_execution_time = {ms}")
            except pymysql.err.MySQLError:
                pass
        if credentials.tls != "disable":
            # The driver falls back to plain text when the server offers no TLS: refuse.
            await cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            row = await cur.fetchone()
            if not row or not row[1]:
                conn.close()
                raise service_failure(
                    SERVICE,
                    "connect",
                    f"the server does not offer TLS (tls is {credentials.tls}; set tls=disable "
                    "only on a trusted network)",
                )
    conn._wirework_ready = True


@asynccontextmanager
async def mysql_connection(
    integration_id: int | None, credentials: MySQLCredentials
) -> AsyncIterator[Any]:
    """A connection from the integration's pool (opened to the address the outbound policy
    allows; at most POOL_SIZE per integration and process). A connection left mid-result is
    closed, not returned."""
    address = await checked_address(SERVICE, credentials.host, credentials.port)
    ssl = tls_context(credentials.tls, credentials.host, credentials.tls_ca)
    password = secret(credentials.password)

    async def open_pool() -> Any:
        return await aiomysql.create_pool(
            host=address,
            port=credentials.port,
            user=credentials.user,
            password=password,
            db=credentials.database,
            ssl=ssl,
            connect_timeout=credentials.connect_timeout_s,
            autocommit=True,
            charset="utf8mb4",
            client_flag=pymysql.constants.CLIENT.FOUND_ROWS,  # UPDATE counts matched rows
            minsize=0,
            maxsize=POOL_SIZE,
            pool_recycle=300,
        )

    async def close_pool(pool: Any) -> None:
        pool.close()
        await pool.wait_closed()

    key = fingerprint(credentials.model_dump(mode="json"), password, address)
    try:
        pool = await native_pool(SERVICE, integration_id, key, open_pool, close_pool)
        # A free connection may take a running statement's time (the pool is full).
        wait = credentials.connect_timeout_s + credentials.statement_timeout_s
        conn = await asyncio.wait_for(pool.acquire(), wait)
    except Exception as exc:
        raise failure(exc, "connect", credentials) from None
    try:
        await _configure(conn, credentials)
    except Exception as exc:
        conn.close()
        pool.release(conn)
        raise failure(exc, "connect", credentials) from None
    try:
        yield conn
    except BaseException:
        conn.close()  # mid-result or mid-transaction: never back to the pool
        raise
    finally:
        pool.release(conn)


MYSQL = IntegrationDefinition(
    "mysql",
    "MySQL",
    credentials=MySQLCredentials,
    auth=no_auth("the server's own login: user and password, over TLS unless disabled"),
    description="MySQL and MariaDB: run parameterised queries (large results streamed from "
    "the server), insert and update rows",
    icon="database-zap",
    category="Databases",
    docs="https://dev.mysql.com/doc/refman/8.0/en/",
    base_url=None,
    native=point_at(tls="disable"),
    example_credentials={
        "host": "mysql.acme.example",
        "port": 3306,
        "database": "shop",
        "user": "wirework",
        "password": "mysql-test-password",
        "tls": "require",
    },
)


@MYSQL.connection_test
async def test_connection(connection: Connection[MySQLCredentials]) -> str:
    credentials = connection.credentials
    async with mysql_connection(connection.integration_id, credentials) as conn:
        try:
            async with conn.cursor() as cur:
                await cur.execute("SELECT version(), current_user()")
                version, who = await cur.fetchone()
        except Exception as exc:
            raise failure(exc, "connection test", credentials) from None
    server = "MariaDB" if "mariadb" in str(version).lower() else "MySQL"
    return f"connected to {server} {version} at {credentials.host}:{credentials.port} as {who}"
