"""Run Alembic migrations programmatically on the async engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def is_empty(engine: AsyncEngine) -> bool:
    """True when the database holds none of Wirework's tables."""

    def _tables(conn: Connection) -> list[str]:
        return inspect(conn).get_table_names()

    async with engine.connect() as conn:
        tables = await conn.run_sync(_tables)
    return not any(t in ("alembic_version", "users", "workflows") for t in tables)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    cfg = alembic_config()

    def _upgrade(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with engine.connect() as conn:
        await conn.run_sync(_upgrade)
        await conn.commit()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    cfg = alembic_config()

    def _downgrade(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.connect() as conn:
        await conn.run_sync(_downgrade)
        await conn.commit()
