"""Shared fixtures. Database-backed tests run once per backend: SQLite, PostgreSQL, MariaDB.

``WIREWORK_TEST_DATABASES`` (comma-separated, default all three) picks the backends. A backend
whose server is unreachable is skipped with the reason, except under ``CI=true`` where that is
a failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.api.app import create_app
from wirework.db.base import Base
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

PG_ADMIN = os.environ.get("WIREWORK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN = os.environ.get("WIREWORK_TEST_MARIADB", "mysql://root@127.0.0.1:3306/test")
BACKENDS = [
    b.strip()
    for b in os.environ.get("WIREWORK_TEST_DATABASES", "sqlite,postgresql,mariadb").split(",")
    if b.strip()
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The ``engine`` fixture: the engine embedded and distributed (tests/engine/engines.py).
pytest_plugins = ["tests.engine.engines"]

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse battery"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every database backend must be available)")
    pytest.skip(reason)


async def _create_pg(name: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    try:
        conn = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            database=admin.database,
            password=admin.password,
            timeout=5,
        )
    except Exception as exc:
        _unavailable(f"PostgreSQL at {admin.host}:{admin.port} unreachable: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.set(database=name).render_as_string(hide_password=False)


async def _drop_pg(name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    conn = await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        database=admin.database,
        password=admin.password,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _mariadb_admin() -> Any:
    import aiomysql
    from sqlalchemy.engine import make_url

    admin = make_url(MARIADB_ADMIN)
    return await aiomysql.connect(
        host=admin.host or "127.0.0.1",
        port=admin.port or 3306,
        user=admin.username or "root",
        password=admin.password or "",
        connect_timeout=5,
    )


async def _create_mariadb(name: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        conn = await _mariadb_admin()
    except Exception as exc:
        _unavailable(f"MariaDB at {MARIADB_ADMIN} unreachable: {exc}")
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        conn.close()
    return make_url(MARIADB_ADMIN).set(database=name).render_as_string(hide_password=False)


async def _drop_mariadb(name: str) -> None:
    conn = await _mariadb_admin()
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def fresh_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The URL of a fresh, empty database on ``backend``, dropped afterwards."""
    name = f"ww_test_{secrets.token_hex(4)}"
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'wirework.db'}"
    elif backend == "postgresql":
        url = await _create_pg(name)
        yield url
        await _drop_pg(name)
    elif backend == "mariadb":
        url = await _create_mariadb(name)
        yield url
        await _drop_mariadb(name)
    else:
        raise ValueError(f"unknown backend {backend!r} in WIREWORK_TEST_DATABASES")


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, empty database on one backend, for the whole session."""
    async with fresh_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
async def session_runtime(
    database_url: str, encryption_key: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        encryption_key=encryption_key,
        secret_key="test-signing-key-" + secrets.token_hex(8),
    )
    runtime = await open_runtime(settings)
    yield runtime
    await runtime.close()


async def _truncate(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))


@pytest.fixture
async def runtime(session_runtime: Runtime) -> AsyncIterator[Runtime]:
    """The session's runtime on an emptied database (every test starts from no rows)."""
    await _truncate(session_runtime)
    async with session_runtime.sessionmaker() as session:
        from wirework.services.vault import open_vault

        await open_vault(session, session_runtime.settings)
        await session.commit()
    yield session_runtime
    if session_runtime.engine_host is not None:
        await session_runtime.engine_host.stop()
        session_runtime.engine_host = None


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as s:
        yield s


@pytest.fixture
async def anon_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no credentials."""
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def client(anon_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client logged in as the owner (created through first-run set-up)."""
    resp = await anon_client.post(
        "/api/setup", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "name": "Owner"}
    )
    assert resp.status_code == 201, resp.text
    anon_client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    return anon_client


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "data"
    d.mkdir()
    yield d
