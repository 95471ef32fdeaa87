"""AI accounting and prompt templates: ``/api/ai/prices``, ``/api/ai/usage``,
``/api/ai/limits``, ``/api/ai/templates``. Everyone signed in reads; prices and limits are
changed by owners and admins, templates by editors too."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status

from wirework.api.deps import CanEdit, CurrentUser, DbId, SessionDep, current_user, require_role
from wirework.schemas.ai import (
    LimitIn,
    LimitOut,
    PriceIn,
    PriceOut,
    TemplateIn,
    TemplateOut,
    TemplatePreviewIn,
    TemplatePreviewOut,
    TemplateSummary,
    TemplateUpdate,
    TemplateVersionOut,
    UsageGroupBy,
    UsageReport,
)
from wirework.services import ai_host, ai_prices, ai_usage
from wirework.services import prompt_templates as templates

router = APIRouter(prefix="/ai", tags=["ai"], dependencies=[Depends(current_user)])

CanAdmin = require_role("owner", "admin")
TemplateNameP = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
VersionP = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _committed(session: SessionDep) -> None:
    """Commit now, then let this process's engine read prices and limits again."""
    await session.commit()
    ai_host.invalidate()


# --- prices --------------------------------------------------------------------------------


@router.get("/prices", response_model=list[PriceOut], summary="The price table of models")
async def list_prices(session: SessionDep) -> list[PriceOut]:
    return await ai_prices.list_prices(session)


@router.post(
    "/prices",
    response_model=PriceOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanAdmin],
    summary="Price a model (per million tokens in and out)",
)
async def create_price(data: PriceIn, session: SessionDep, user: CurrentUser) -> PriceOut:
    out = await ai_prices.create_price(session, data, user)
    await _committed(session)
    return out


@router.get("/prices/{price_id}", response_model=PriceOut)
async def get_price(price_id: DbId, session: SessionDep) -> PriceOut:
    return await ai_prices.get_price(session, price_id)


@router.put("/prices/{price_id}", response_model=PriceOut, dependencies=[CanAdmin])
async def update_price(
    price_id: DbId, data: PriceIn, session: SessionDep, user: CurrentUser
) -> PriceOut:
    out = await ai_prices.update_price(session, price_id, data, user)
    await _committed(session)
    return out


@router.delete(
    "/prices/{price_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanAdmin]
)
async def delete_price(price_id: DbId, session: SessionDep, user: CurrentUser) -> None:
    await ai_prices.delete_price(session, price_id, user)
    await _committed(session)


# --- usage and limits ----------------------------------------------------------------------


@router.get(
    "/usage",
    response_model=UsageReport,
    response_model_by_alias=True,
    summary="Tokens and cost of model calls per day, workflow, project, model or template",
)
async def usage(
    session: SessionDep,
    group_by: UsageGroupBy = Query(default=UsageGroupBy.DAY),
    from_: dt.date | None = Query(
        default=None, alias="from", description="First UTC day (default: 29 days before `to`)"
    ),
    to: dt.date | None = Query(default=None, description="Last UTC day (default: today)"),
    project_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
    workflow_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
    limit: int = Query(default=100, ge=1, le=1000, description="Groups at most"),
) -> UsageReport:
    return await ai_usage.usage_report(
        session,
        group_by,
        start=from_,
        end=to,
        project_id=project_id,
        workflow_id=workflow_id,
        limit=limit,
    )


@router.get("/limits", response_model=list[LimitOut], summary="Daily spending limits")
async def list_limits(session: SessionDep) -> list[LimitOut]:
    return await ai_usage.list_limits(session)


@router.put(
    "/limits",
    response_model=LimitOut,
    dependencies=[CanAdmin],
    summary="Set the daily limit of the instance, a workflow or a project (replaces it)",
)
async def set_limit(data: LimitIn, session: SessionDep, user: CurrentUser) -> LimitOut:
    out = await ai_usage.set_limit(session, data, user)
    await _committed(session)
    return out


@router.delete(
    "/limits/{limit_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanAdmin]
)
async def delete_limit(limit_id: DbId, session: SessionDep, user: CurrentUser) -> None:
    await ai_usage.delete_limit(session, limit_id, user)
    await _committed(session)


# --- prompt templates ----------------------------------------------------------------------


@router.get("/templates", response_model=list[TemplateSummary], summary="Prompt templates")
async def list_templates(session: SessionDep) -> list[TemplateSummary]:
    return await templates.list_templates(session)


@router.post(
    "/templates",
    response_model=TemplateOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    summary="Create a prompt template (its version 1)",
)
async def create_template(data: TemplateIn, session: SessionDep, user: CurrentUser) -> TemplateOut:
    return await templates.create_template(session, data, user)


@router.post(
    "/templates/preview",
    response_model=TemplatePreviewOut,
    summary="Render an unsaved template with its sample variables (nothing is saved)",
)
async def preview_template(data: TemplatePreviewIn) -> TemplatePreviewOut:
    return await templates.render(data)


@router.get("/templates/{name}", response_model=TemplateOut, summary="The latest version")
async def get_template(name: TemplateNameP, session: SessionDep) -> TemplateOut:
    return await templates.get_template(session, name)


@router.put(
    "/templates/{name}",
    response_model=TemplateOut,
    dependencies=[CanEdit],
    summary="Save a new version (the old ones stay readable)",
)
async def save_template(
    name: TemplateNameP, data: TemplateUpdate, session: SessionDep, user: CurrentUser
) -> TemplateOut:
    return await templates.save_version(session, name, data, user)


@router.delete("/templates/{name}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanEdit])
async def delete_template(name: TemplateNameP, session: SessionDep, user: CurrentUser) -> None:
    await templates.delete_template(session, name, user)


@router.get("/templates/{name}/versions/{version}", response_model=TemplateVersionOut)
async def get_template_version(
    name: TemplateNameP, version: VersionP, session: SessionDep
) -> TemplateVersionOut:
    return await templates.get_version(session, name, version)


@router.post(
    "/templates/{name}/versions/{version}/preview",
    response_model=TemplatePreviewOut,
    summary="Render a saved version with its sample variables (or the ones given)",
)
async def preview_version(
    name: TemplateNameP,
    version: VersionP,
    session: SessionDep,
    variables: dict[str, Any] | None = Body(default=None, embed=True),
) -> TemplatePreviewOut:
    return await templates.preview_version(session, name, version, variables)
