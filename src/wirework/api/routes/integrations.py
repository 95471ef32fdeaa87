from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from wirework.api.deps import (
    CanEdit,
    CurrentUser,
    DbId,
    RuntimeDep,
    SessionDep,
    VaultDep,
    current_user,
)
from wirework.schemas.ai_assistant import ModelOut
from wirework.schemas.integrations import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationTest,
    IntegrationTestResult,
    IntegrationUpdate,
    OAuth2Connected,
    OAuth2Start,
    OAuth2StartIn,
)
from wirework.services import ai_assistant, oauth2
from wirework.services import integrations as svc

router = APIRouter(
    prefix="/integrations", tags=["integrations"], dependencies=[Depends(current_user)]
)


@router.get("", response_model=list[IntegrationOut], summary="List integrations (secrets masked)")
async def list_integrations(
    session: SessionDep,
    type: str | None = Query(default=None, max_length=100, description="Only this type (key)"),
    integration_type_id: int | None = Query(
        default=None, ge=1, le=2**31 - 1, description="Only this type (id)"
    ),
) -> list[IntegrationOut]:
    rows = await svc.list_all(session, type, integration_type_id)
    return [svc.to_out(row) for row in rows]


@router.post(
    "",
    response_model=IntegrationOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    summary="Create an integration (type by key or integration_type_id); credentials are "
    "checked against its type",
)
async def create_integration(
    data: IntegrationCreate, session: SessionDep, vault: VaultDep
) -> IntegrationOut:
    return svc.to_out(await svc.create(session, vault, data))


@router.post(
    "/test",
    response_model=IntegrationTestResult,
    dependencies=[CanEdit],
    summary="Test a connection (saved or not) without saving anything",
)
async def test_integration(
    data: IntegrationTest, session: SessionDep, vault: VaultDep
) -> IntegrationTestResult:
    return await svc.test_connection(session, vault, data)


@router.get(
    "/{integration_id}/models",
    response_model=list[ModelOut],
    dependencies=[CanEdit],
    summary="The models a model-provider integration lists (asks the provider)",
)
async def list_models(
    integration_id: DbId, session: SessionDep, runtime: RuntimeDep
) -> list[ModelOut]:
    return await ai_assistant.list_models(session, runtime, integration_id)


@router.get("/{integration_id}", response_model=IntegrationOut)
async def get_integration(integration_id: DbId, session: SessionDep) -> IntegrationOut:
    return svc.to_out(await svc.get(session, integration_id))


@router.patch("/{integration_id}", response_model=IntegrationOut, dependencies=[CanEdit])
async def update_integration(
    integration_id: DbId, data: IntegrationUpdate, session: SessionDep, vault: VaultDep
) -> IntegrationOut:
    return svc.to_out(await svc.update(session, vault, integration_id, data))


@router.put("/{integration_id}", response_model=IntegrationOut, dependencies=[CanEdit])
async def replace_integration(
    integration_id: DbId, data: IntegrationUpdate, session: SessionDep, vault: VaultDep
) -> IntegrationOut:
    return svc.to_out(await svc.update(session, vault, integration_id, data))


@router.post("/{integration_id}/activate", response_model=IntegrationOut, dependencies=[CanEdit])
async def activate(integration_id: DbId, session: SessionDep) -> IntegrationOut:
    return svc.to_out(await svc.set_active(session, integration_id, True))


@router.post("/{integration_id}/deactivate", response_model=IntegrationOut, dependencies=[CanEdit])
async def deactivate(integration_id: DbId, session: SessionDep) -> IntegrationOut:
    return svc.to_out(await svc.set_active(session, integration_id, False))


@router.delete("/{integration_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanEdit])
async def delete_integration(integration_id: DbId, session: SessionDep) -> None:
    await svc.delete(session, integration_id)


@router.post(
    "/{integration_id}/oauth2/authorize",
    response_model=OAuth2Start,
    dependencies=[CanEdit],
    summary="Connect an OAuth2 (authorization code) integration: the provider URL to open",
)
async def oauth2_authorize(
    integration_id: DbId,
    data: OAuth2StartIn,
    session: SessionDep,
    vault: VaultDep,
    runtime: RuntimeDep,
    user: CurrentUser,
) -> OAuth2Start:
    redirect = data.redirect_uri or f"{runtime.settings.base_url}/api/oauth2/callback"
    return await oauth2.start(session, vault, integration_id, user.id, redirect)


oauth2_router = APIRouter(
    prefix="/oauth2", tags=["integrations"], dependencies=[Depends(current_user)]
)


@oauth2_router.get(
    "/callback",
    response_model=OAuth2Connected,
    dependencies=[CanEdit],
    summary="Where the provider sends the browser back: stores the integration's tokens",
)
async def oauth2_callback(
    session: SessionDep,
    vault: VaultDep,
    user: CurrentUser,
    code: str = Query(min_length=1, max_length=4000),
    state: str = Query(min_length=1, max_length=4000),
) -> OAuth2Connected:
    return await oauth2.finish(session, vault, code, state, user.id)
