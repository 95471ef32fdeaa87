"""The dashboard: execution figures over a period (any signed-in user, viewers included)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from wirework.api.deps import SessionDep, current_user
from wirework.schemas.dashboard import DashboardOut, Period
from wirework.services import dashboard as svc

router = APIRouter(tags=["dashboard"], dependencies=[Depends(current_user)])


@router.get(
    "/dashboard",
    response_model=DashboardOut,
    summary="Execution KPIs, executions over time by status, slowest and most-failing "
    "workflows over a period",
)
async def dashboard(
    session: SessionDep,
    period: Annotated[
        Period | None,
        Query(
            description="A window ending at `until` (default now); 24h when neither this "
            "nor `since` is given"
        ),
    ] = None,
    since: Annotated[
        dt.datetime | None,
        Query(
            description="Start of a custom period (inclusive; ISO 8601, UTC if no zone); "
            "instead of `period`"
        ),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        Query(description="End of the period (exclusive; default now)"),
    ] = None,
    top: Annotated[
        int, Query(ge=1, le=svc.MAX_TOP, description="How many slowest and failing workflows")
    ] = svc.DEFAULT_TOP,
) -> DashboardOut:
    return await svc.dashboard(session, period=period, since=since, until=until, top=top)
