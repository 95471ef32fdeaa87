from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from wirework import __version__
from wirework.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


class DatabaseHealth(BaseModel):
    ok: bool
    dialect: str
    revision: str | None = None
    error: str | None = None


class Health(BaseModel):
    status: str
    version: str
    mode: str
    database: DatabaseHealth


# One cheap query, not Alembic: health is probed every few seconds, and Alembic's migration
# context logs at INFO and loads its environment each time it is configured.
REVISION = text("SELECT version_num FROM alembic_version")


@router.get("/health", response_model=Health, summary="Liveness and database status (no auth)")
async def health(runtime: RuntimeDep) -> Health:
    dialect = runtime.engine.dialect.name
    try:
        async with runtime.engine.connect() as conn:
            revision = (await conn.execute(REVISION)).scalar()
        db = DatabaseHealth(ok=True, dialect=dialect, revision=revision)
    except Exception as exc:
        db = DatabaseHealth(ok=False, dialect=dialect, error=type(exc).__name__)
    return Health(
        status="ok" if db.ok else "degraded",
        version=__version__,
        mode="distributed" if runtime.settings.broker_url else "embedded",
        database=db,
    )
