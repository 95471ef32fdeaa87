"""Operations (owners and admins): the cluster's processes and how much work waits and runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from wirework.api.deps import RuntimeDep, SessionDep, require_role
from wirework.schemas.system import QueueOut, WorkersOut
from wirework.services import workers as svc

router = APIRouter(prefix="/system", tags=["system"], dependencies=[require_role("owner", "admin")])

StaleAfter = Annotated[
    float,
    Query(
        gt=0,
        le=86400,
        description="A heartbeat older than this many seconds marks a process stale",
    ),
]


@router.get(
    "/workers",
    response_model=WorkersOut,
    summary="Servers, workers and schedulers from their heartbeats, alive or stale",
)
async def list_workers(
    session: SessionDep, stale_after_s: StaleAfter = svc.STALE_AFTER_S
) -> WorkersOut:
    return await svc.list_workers(session, stale_after_s=stale_after_s)


@router.get(
    "/queue",
    response_model=QueueOut,
    summary="Unfinished executions by state, running steps and (distributed mode) the "
    "broker queue's length",
)
async def queue(
    session: SessionDep, runtime: RuntimeDep, stale_after_s: StaleAfter = svc.STALE_AFTER_S
) -> QueueOut:
    return await svc.queue_depth(session, runtime.settings, stale_after_s=stale_after_s)
