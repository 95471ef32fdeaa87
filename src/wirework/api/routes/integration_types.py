from __future__ import annotations

from fastapi import APIRouter, Depends, status

from wirework.api.deps import CanEdit, DbId, SessionDep, current_user
from wirework.schemas.integration_types import (
    IntegrationTypeCreate,
    IntegrationTypeOut,
    IntegrationTypeUpdate,
    PluginOut,
)
from wirework.services import integration_types as svc

router = APIRouter(
    prefix="/integration-types",
    tags=["integration types"],
    dependencies=[Depends(current_user)],
)


plugins_router = APIRouter(
    prefix="/plugins", tags=["integration types"], dependencies=[Depends(current_user)]
)


@plugins_router.get(
    "",
    response_model=list[PluginOut],
    summary="Installed integration packages (entry points), and why any failed to load",
)
async def list_plugins() -> list[PluginOut]:
    return svc.plugins()


@router.get("", response_model=list[IntegrationTypeOut])
async def list_types(session: SessionDep) -> list[IntegrationTypeOut]:
    return [svc.to_out(row) for row in await svc.list_all(session)]


@router.post(
    "",
    response_model=IntegrationTypeOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    responses={409: {"description": "A type with this key exists"}},
    summary="Create an integration type (`name` may be a display name: the key is derived)",
)
async def create_type(data: IntegrationTypeCreate, session: SessionDep) -> IntegrationTypeOut:
    return svc.to_out(await svc.create(session, data))


@router.get("/{type_id}", response_model=IntegrationTypeOut)
async def get_type(type_id: DbId, session: SessionDep) -> IntegrationTypeOut:
    return svc.to_out(await svc.get(session, type_id))


@router.patch("/{type_id}", response_model=IntegrationTypeOut, dependencies=[CanEdit])
async def update_type(
    type_id: DbId, data: IntegrationTypeUpdate, session: SessionDep
) -> IntegrationTypeOut:
    return svc.to_out(await svc.update(session, type_id, data))


@router.put("/{type_id}", response_model=IntegrationTypeOut, dependencies=[CanEdit])
async def replace_type(
    type_id: DbId, data: IntegrationTypeUpdate, session: SessionDep
) -> IntegrationTypeOut:
    return svc.to_out(await svc.update(session, type_id, data))


@router.delete(
    "/{type_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[CanEdit],
    responses={409: {"description": "Integrations still use this type"}},
)
async def delete_type(type_id: DbId, session: SessionDep) -> None:
    await svc.delete(session, type_id)
