"""Alembic migrations: upgrade/downgrade on a fresh database, and the schema they build
matches the models exactly (autogenerate finds nothing to do) on every backend."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from wirework.db import (
    migrate,
    models,  # noqa: F401  (registers the tables)
)
from wirework.db.base import Base, UTCDateTime
from wirework.db.engine import async_url, create_engine
from wirework.services.runtime import Runtime

HEAD = migrate.head_revision()


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def schema_diff(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(_diff)


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_tables)


@pytest.fixture
async def fresh_engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A new, empty database on the same backend as ``database_url``."""
    from tests import conftest

    backend = make_url(database_url).get_backend_name()
    name = f"ww_mig_{secrets.token_hex(4)}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    elif backend == "postgresql":
        url = await conftest._create_pg(name)
    else:
        url = await conftest._create_mariadb(name)
    engine = create_engine(async_url(url), pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        if backend == "postgresql":
            await conftest._drop_pg(name)
        elif backend != "sqlite":
            await conftest._drop_mariadb(name)


def test_single_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert HEAD is not None


async def test_upgrade_fresh(fresh_engine: AsyncEngine) -> None:
    """Upgrading a fresh database gives exactly the models' schema."""
    await migrate.upgrade(fresh_engine)
    assert await migrate.current_revision(fresh_engine) == HEAD
    assert await schema_diff(fresh_engine) == []


async def test_session_database_matches_models(session_runtime: Runtime) -> None:
    """The database open_runtime migrated (every backend) has exactly the models' schema."""
    assert await migrate.current_revision(session_runtime.engine) == HEAD
    assert await schema_diff(session_runtime.engine) == []


async def test_upgrade_downgrade_upgrade(fresh_engine: AsyncEngine) -> None:
    assert await migrate.is_empty(fresh_engine)
    assert await migrate.current_revision(fresh_engine) is None

    await migrate.upgrade(fresh_engine)
    assert await migrate.current_revision(fresh_engine) == HEAD
    assert not await migrate.is_empty(fresh_engine)
    model_tables = {t.name for t in Base.metadata.sorted_tables}
    assert model_tables <= await tables(fresh_engine)
    assert await schema_diff(fresh_engine) == []

    # Upgrading again is a no-op.
    await migrate.upgrade(fresh_engine)
    assert await migrate.current_revision(fresh_engine) == HEAD

    await migrate.downgrade(fresh_engine, "base")
    assert await migrate.current_revision(fresh_engine) is None
    assert (await tables(fresh_engine)) - {"alembic_version"} == set()

    await migrate.upgrade(fresh_engine)
    assert await migrate.current_revision(fresh_engine) == HEAD
    assert await schema_diff(fresh_engine) == []


async def test_step_by_step_matches_head(fresh_engine: AsyncEngine) -> None:
    """Every revision upgrades and downgrades one step at a time."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        await migrate.upgrade(fresh_engine, revision)
        assert await migrate.current_revision(fresh_engine) == revision
    assert await schema_diff(fresh_engine) == []
    for revision in reversed(revisions[:-1]):
        await migrate.downgrade(fresh_engine, revision)
        assert await migrate.current_revision(fresh_engine) == revision
    await migrate.downgrade(fresh_engine, "base")
    assert await migrate.current_revision(fresh_engine) is None


async def test_0005_workflow_tags_from_existing_workflows(fresh_engine: AsyncEngine) -> None:
    """Upgrading from 0004 keeps the workflows and fills workflow_tags from their current
    documents; downgrading drops the table and leaves the workflows alone."""
    import datetime as dt

    import sqlalchemy as sa

    await migrate.upgrade(fresh_engine, "0004")
    now = dt.datetime.now(dt.UTC)
    workflows = sa.table(
        "workflows",
        *(sa.column(c) for c in ("id", "name", "description", "active", "version")),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    versions = sa.table(
        "workflow_versions",
        *(sa.column(c) for c in ("workflow_id", "version")),
        sa.column("document", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
    )
    plain = {"name": "a", "nodes": [{"id": "s", "type": "core.manual"}]}
    async with fresh_engine.begin() as conn:
        for wid, version in ((1, 1), (2, 2)):
            await conn.execute(
                sa.insert(workflows).values(
                    id=wid,
                    name=f"w{wid}",
                    description="",
                    active=False,
                    version=version,
                    created_at=now,
                    updated_at=now,
                )
            )
        docs = [
            (1, 1, plain),
            (2, 1, {**plain, "tags": ["old"]}),  # not the current version
            (2, 2, {**plain, "tags": [" ops ", "OPS", "billing", "", 7]}),
        ]
        for wid, version, document in docs:
            await conn.execute(
                sa.insert(versions).values(
                    workflow_id=wid, version=version, document=document, created_at=now
                )
            )

    await migrate.upgrade(fresh_engine, "0005")
    async with fresh_engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT workflow_id, tag FROM workflow_tags"))).all()
    assert sorted(map(tuple, rows)) == [(2, "billing"), (2, "ops")]
    await migrate.upgrade(fresh_engine)
    assert await schema_diff(fresh_engine) == []

    await migrate.downgrade(fresh_engine, "0004")
    assert "workflow_tags" not in await tables(fresh_engine)
    async with fresh_engine.connect() as conn:
        count = await conn.scalar(sa.text("SELECT count(*) FROM workflows"))
    assert count == 2
