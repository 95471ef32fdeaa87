"""Alembic environment: runs on a connection handed in by wirework.db.migrate, or on its own
(``alembic`` command line, for developers) against WIREWORK_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from wirework.db import models  # noqa: F401  (registers the tables)
from wirework.db.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from wirework.db.engine import create_engine
    from wirework.settings import get_settings

    engine = create_engine(get_settings().effective_database_url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `wirework db upgrade`")
elif connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
