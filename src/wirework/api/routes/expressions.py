"""/api/expressions: the expression library's catalogue (autocomplete) and live previews."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from wirework.api.deps import current_user
from wirework.api.routes.workflows import PayloadTooLarge
from wirework.schemas.expressions import (
    MAX_PREVIEW_BYTES,
    FunctionsOut,
    PreviewError,
    PreviewIn,
    PreviewOk,
)
from wirework.services import expressions as svc

router = APIRouter(
    prefix="/expressions", tags=["expressions"], dependencies=[Depends(current_user)]
)


async def _capped(request: Request) -> None:
    if len(await request.body()) > MAX_PREVIEW_BYTES:
        raise PayloadTooLarge(f"preview: larger than {MAX_PREVIEW_BYTES} bytes")


@router.get(
    "/functions",
    response_model=FunctionsOut,
    summary="Every function, filter and variable of the expression library, with examples",
)
async def list_functions() -> FunctionsOut:
    return svc.catalogue()


@router.post(
    "/preview",
    response_model=PreviewOk | PreviewError,
    dependencies=[Depends(_capped)],
    summary="The value an expression gives on sample data (ok: false with the reason if it "
    "fails; the same sandbox and limits as a step)",
    responses={413: {"description": "The body is larger than 8 MiB"}},
)
async def preview(data: PreviewIn) -> PreviewOk | PreviewError:
    return await svc.preview(data)
