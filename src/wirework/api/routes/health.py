from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
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
    status: str = Field(description='"ok", or "unavailable" (answered 503) when a part is down')
    version: str
    mode: str
    database: DatabaseHealth
    down: list[str] = Field(default_factory=list, description="What is down (e.g. database)")


class Liveness(BaseModel):
    status: str = Field(description='Always "alive": the process answers')
    version: str


# One cheap query, not Alembic: health is probed every few seconds, and Alembic's migration
# context logs at INFO and loads its environment each time it is configured.
REVISION = text("SELECT version_num FROM alembic_version")


@router.get(
    "/health",
    response_model=Health,
    summary="Readiness: 200 when the database answers, else 503 naming what is down (no auth)",
    responses={503: {"model": Health, "description": "A part this process needs is down"}},
)
async def health(runtime: RuntimeDep) -> Health | JSONResponse:
    """For a load balancer or a readiness probe: a server that cannot reach its database
    cannot serve, so it answers 503 and is taken out of rotation until it can again."""
    dialect = runtime.engine.dialect.name
    try:
        async with runtime.engine.connect() as conn:
            revision = (await conn.execute(REVISION)).scalar()
        db = DatabaseHealth(ok=True, dialect=dialect, revision=revision)
    except Exception as exc:
        db = DatabaseHealth(ok=False, dialect=dialect, error=type(exc).__name__)
    body = Health(
        status="ok" if db.ok else "unavailable",
        version=__version__,
        mode="distributed" if runtime.settings.broker_url else "embedded",
        database=db,
        down=[] if db.ok else ["database"],
    )
    if not db.ok:
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    return body


@router.get(
    "/health/live",
    response_model=Liveness,
    summary="Liveness: the process answers (no I/O, no auth)",
)
async def live() -> Liveness:
    """For a liveness probe: restart the process only when it stops answering, not when a
    service it depends on is down (that is /api/health's 503)."""
    return Liveness(status="alive", version=__version__)
