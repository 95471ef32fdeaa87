from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from wirework.api.deps import DbId, RuntimeDep, SessionDep, current_user
from wirework.schemas.common import CursorPage
from wirework.schemas.executions import ExecutionOut, ExecutionStatus, ExecutionSummary
from wirework.services import executions as svc

router = APIRouter(tags=["executions"], dependencies=[Depends(current_user)])

LimitQ = Annotated[int, Query(ge=1, le=svc.MAX_LIMIT, description="Page size")]
CursorQ = Annotated[
    str | None, Query(max_length=64, description="next_cursor of the previous page")
]
StatusQ = Annotated[list[ExecutionStatus] | None, Query(description="Only these statuses")]
AfterQ = Annotated[
    dt.datetime | None,
    Query(
        description="Only executions started at or after this time (ISO 8601; UTC if no "
        "zone is given)"
    ),
]
BeforeQ = Annotated[
    dt.datetime | None,
    Query(
        description="Only executions started before this time (ISO 8601; UTC if no zone is given)"
    ),
]


@router.get(
    "/executions",
    response_model=CursorPage[ExecutionSummary],
    summary="All executions, newest first",
)
async def list_executions(
    session: SessionDep,
    workflow_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: StatusQ = None,
    limit: LimitQ = 50,
    cursor: CursorQ = None,
    started_after: AfterQ = None,
    started_before: BeforeQ = None,
) -> CursorPage[ExecutionSummary]:
    items, next_cursor = await svc.list_page(
        session,
        workflow_id=workflow_id,
        status=status,
        limit=limit,
        cursor=cursor,
        started_after=started_after,
        started_before=started_before,
    )
    return CursorPage(items=items, next_cursor=next_cursor)


@router.get(
    "/workflows/{workflow_id}/executions",
    response_model=CursorPage[ExecutionSummary],
    summary="Executions of one workflow, newest first",
)
async def list_workflow_executions(
    workflow_id: DbId,
    session: SessionDep,
    status: StatusQ = None,
    limit: LimitQ = 50,
    cursor: CursorQ = None,
    started_after: AfterQ = None,
    started_before: BeforeQ = None,
) -> CursorPage[ExecutionSummary]:
    items, next_cursor = await svc.list_page(
        session,
        workflow_id=workflow_id,
        status=status,
        limit=limit,
        cursor=cursor,
        started_after=started_after,
        started_before=started_before,
    )
    return CursorPage(items=items, next_cursor=next_cursor)


@router.get("/executions/{execution_id}", response_model=ExecutionOut)
async def get_execution(
    execution_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    max_items: Annotated[
        int,
        Query(
            ge=0,
            le=svc.MAX_ITEMS,
            description="Items shown per output port and of the result (`truncated` says "
            "when a port holds more)",
        ),
    ] = svc.DEFAULT_MAX_ITEMS,
) -> ExecutionOut:
    return await svc.get_record(session, execution_id, max_items=max_items, storage=runtime.storage)
