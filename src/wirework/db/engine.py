"""Engine and session factory for SQLite (WAL), PostgreSQL and MariaDB/MySQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from wirework.settings import UnsupportedDatabase as UnsupportedDatabase
from wirework.settings import async_url as async_url

# Execution option marking a connection that only reads (see _configure_sqlite).
READONLY = "wirework_readonly"


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Create the async engine; ``url`` must already be an async URL (see :func:`async_url`)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    if parsed.get_backend_name() == "mysql":
        kwargs["pool_recycle"] = 3600
    return create_async_engine(url, **kwargs)


def create_sync_writer(engine: AsyncEngine) -> Engine | None:
    """For SQLite, a synchronous engine on the same file with one connection, for the
    execution store's writer thread: a batch of statements then costs one thread hop instead
    of one per statement (aiosqlite runs each on its own thread). None for other databases.
    It behaves like the async engine: WAL, foreign keys, BEGIN IMMEDIATE."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    sync = create_sync_engine(
        url.set(drivername="sqlite+pysqlite"),
        poolclass=StaticPool,
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    _configure_sqlite_events(sync)
    return sync


def _configure_sqlite(engine: AsyncEngine) -> None:
    _configure_sqlite_events(engine.sync_engine)


def _configure_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two transactions that read and then write
        # would otherwise fail with "database is locked" instead of waiting their turn.
        # Connections that only read (execution option ``readonly``) don't take it: in WAL
        # mode they never block the writer.
        if conn.get_execution_options().get(READONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def readonly_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for reads only: on SQLite it never waits for (or blocks) the writer."""
    async with sessionmaker() as session:
        await session.connection(execution_options={READONLY: True})
        yield session
