"""The local MariaDB (127.0.0.1:3306, root without a password, database test): a direct
aiomysql connection for setting up and checking tables, and credentials for the
integration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiomysql
import pytest

from tests.integrations.conftest import credentials
from tests.integrations.services import MARIADB, unavailable, unique
from wirework.sdk.outbound import IntegrationCredentials


@pytest.fixture
async def my() -> AsyncIterator[Any]:
    try:
        conn = await aiomysql.connect(
            host=MARIADB["host"],
            port=MARIADB["port"],
            user=MARIADB["user"],
            db=MARIADB["database"],
            autocommit=True,
            connect_timeout=5,
        )
    except Exception as exc:
        unavailable(f"MariaDB at {MARIADB['host']}:{MARIADB['port']} unreachable: {exc}")
    try:
        yield conn
    finally:
        conn.close()


async def fetch(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    async with conn.cursor() as cur:
        await cur.execute(sql)
        return list(await cur.fetchall())


@pytest.fixture
async def table(my: Any) -> AsyncIterator[str]:
    """A fresh table (dropped after the test)."""
    name = unique("ww_my")
    await fetch(
        my,
        f"CREATE TABLE {name} (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT, "
        "total DECIMAL(10,2), created DATETIME NULL, tags JSON NULL, "
        "status VARCHAR(20) DEFAULT 'new')",
    )
    try:
        yield name
    finally:
        await fetch(my, f"DROP TABLE IF EXISTS {name}")


def my_creds(**over: Any) -> IntegrationCredentials:
    values = {**MARIADB, "tls": "disable", **over}
    return credentials(values, {"password"}, name="MariaDB local")
