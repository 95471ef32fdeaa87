"""Integration types: CRUD of declared credential schemas and actions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, IntegrationType
from wirework.errors import Conflict, InvalidInput, NotFound
from wirework.schemas.integration_types import (
    IntegrationTypeCreate,
    IntegrationTypeOut,
    IntegrationTypeUpdate,
    derive_key,
    is_key,
)
from wirework.sdk.registry import registry


def to_out(row: IntegrationType) -> IntegrationTypeOut:
    return IntegrationTypeOut.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "key": row.name,
            "display_name": row.display_name or row.name,
            "description": row.description,
            "parameters": row.parameters,
            "actions": row.actions,
            "builtin": row.builtin,
            "has_tester": registry.tester(row.name) is not None,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


async def get(session: AsyncSession, type_id: int) -> IntegrationType:
    row = await session.get(IntegrationType, type_id)
    if row is None:
        raise NotFound(f"integration type {type_id} not found")
    return row


async def get_by_name(session: AsyncSession, name: str) -> IntegrationType | None:
    return await session.scalar(select(IntegrationType).where(IntegrationType.name == name))


async def list_all(session: AsyncSession) -> list[IntegrationType]:
    return list((await session.scalars(select(IntegrationType).order_by(IntegrationType.id))).all())


def _key_and_display_name(data: IntegrationTypeCreate) -> tuple[str, str]:
    """The key: ``key``, else ``name`` when it is a slug, else derived from ``name``."""
    if data.key is not None:
        return data.key, data.display_name or data.name
    if is_key(data.name):
        return data.name, data.display_name or data.name
    key = derive_key(data.name)
    if not key:
        raise InvalidInput.one(
            "name", "no key can be derived from this name: give `key` (e.g. acme_api)"
        )
    return key, data.display_name or data.name


def _taken(key: str) -> Conflict:
    return Conflict(f"key: an integration type with key {key!r} already exists")


async def create(session: AsyncSession, data: IntegrationTypeCreate) -> IntegrationType:
    key, display_name = _key_and_display_name(data)
    if await get_by_name(session, key) is not None:
        raise _taken(key)
    row = IntegrationType(
        name=key,
        display_name=display_name,
        description=data.description,
        parameters=[p.model_dump() for p in data.parameters],
        actions=[a.model_dump() for a in data.actions],
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise _taken(key) from None
    return row


async def update(
    session: AsyncSession, type_id: int, data: IntegrationTypeUpdate
) -> IntegrationType:
    row = await get(session, type_id)
    if row.builtin:
        raise Conflict(f"integration type {row.name!r} is built in and cannot be changed")
    if data.key is not None and data.key != row.name:
        raise InvalidInput.one("key", f"cannot change (it is {row.name!r})")
    if data.display_name is not None:
        row.display_name = data.display_name
    elif data.name is not None and data.name != row.name:
        row.display_name = data.name
    if data.description is not None:
        row.description = data.description
    if data.parameters is not None:
        row.parameters = [p.model_dump() for p in data.parameters]
    if data.actions is not None:
        row.actions = [a.model_dump() for a in data.actions]
    await session.flush()
    return row


async def delete(session: AsyncSession, type_id: int) -> None:
    row = await get(session, type_id)
    if row.builtin:
        raise Conflict(f"integration type {row.name!r} is built in and cannot be deleted")
    used = await session.scalar(
        select(func.count()).select_from(Integration).where(Integration.type_id == type_id)
    )
    if used:
        raise Conflict(
            f"integration type {row.name!r} is used by {used} integration(s); delete them first"
        )
    await session.delete(row)
    await session.flush()
