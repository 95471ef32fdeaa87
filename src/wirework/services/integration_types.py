"""Integration types: CRUD of declared credential schemas and actions, and the built-in
types (declared in Python with the SDK, by this package or a plugin) kept in the table."""

from __future__ import annotations

import logging
from typing import Any

import jmespath
import jmespath.exceptions
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, IntegrationType
from wirework.engine import expressions
from wirework.errors import Conflict, InvalidInput, NotFound
from wirework.schemas.integration_types import (
    IntegrationTypeCreate,
    IntegrationTypeOut,
    IntegrationTypeUpdate,
    PluginOut,
    derive_key,
    is_key,
)
from wirework.sdk.integration import declarative
from wirework.sdk.registry import registry

log = logging.getLogger(__name__)


def _declared(name: str) -> Any | None:
    """The SDK declaration of a built-in type (None for a user-defined one)."""
    return registry.definition(name)


def _action_out(type_name: str, action: dict[str, Any]) -> dict[str, Any]:
    node_type = f"{type_name}.{action.get('name')}"
    spec = registry.node(node_type)
    return {
        **action,
        "node_type": node_type,
        "runnable": spec is not None,
        "params_schema": spec.params.model_json_schema() if spec is not None else None,
    }


def _triggers_out(definition: Any) -> list[dict[str, Any]]:
    out = []
    for trigger in definition.triggers.values():
        kind = "webhook" if hasattr(trigger, "signature_header") else "polling"
        out.append(
            {
                "name": trigger.name,
                "node_type": trigger.node_type,
                "kind": kind,
                "display_name": trigger.display_name,
                "description": trigger.description,
                "params_schema": trigger.params.model_json_schema(),
            }
        )
    return out


def to_out(row: IntegrationType) -> IntegrationTypeOut:
    definition = _declared(row.name) if row.builtin else None
    return IntegrationTypeOut.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "key": row.name,
            "display_name": row.display_name or row.name,
            "description": row.description,
            "parameters": row.parameters,
            "actions": [_action_out(row.name, a) for a in row.actions],
            "triggers": _triggers_out(definition) if definition is not None else [],
            "builtin": row.builtin,
            "has_tester": registry.tester(row.name) is not None,
            "icon": definition.icon
            if definition is not None
            else registry.integration(row.name).icon,
            "category": definition.category if definition is not None else "Custom",
            "docs": definition.docs if definition is not None else "",
            "package": _package(definition) if definition is not None else None,
            "http": row.http,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _package(definition: Any) -> str | None:
    """The installed distribution whose entry point declared it."""
    module = str(getattr(definition, "module", ""))
    for plugin in registry.plugins:
        if plugin.ok and (module == plugin.module or module.startswith(plugin.module + ".")):
            return plugin.package
    return None


def _builtin_values(definition: Any) -> dict[str, Any]:
    return {
        "display_name": definition.display_name,
        "description": definition.description,
        "parameters": definition.credential_parameters(),
        "actions": definition.catalogue_actions(),
    }


async def sync_builtin(session: AsyncSession) -> int:
    """Write every SDK-declared type into the table (read-only rows marked built-in), once
    per change; returns how many rows were written. A user-defined type with a built-in's
    key becomes the built-in (its integrations keep working with the built-in's actions)."""
    declared = {d.name: d for d in registry.definitions()}
    if not declared:
        return 0
    rows = {
        r.name: r
        for r in (
            await session.scalars(
                select(IntegrationType).where(IntegrationType.name.in_(list(declared)))
            )
        ).all()
    }
    written = 0
    for name, definition in declared.items():
        values = _builtin_values(definition)
        row = rows.get(name)
        if row is None:
            session.add(IntegrationType(name=name, builtin=True, **values))
            written += 1
            continue
        if not row.builtin:
            log.warning("integration type %r is now built in: its declaration replaces it", name)
        current = {k: getattr(row, k) for k in values}
        if row.builtin and current == values:
            continue
        row.builtin = True
        for key, value in values.items():
            setattr(row, key, value)
        written += 1
    if written:
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:  # another process synced at the same time
            return 0
    return written


async def ensure_builtin(session: AsyncSession) -> None:
    """:func:`sync_builtin` when the table lacks a built-in type (e.g. an emptied database)."""
    names = set(
        (
            await session.scalars(
                select(IntegrationType.name).where(IntegrationType.builtin.is_(True))
            )
        ).all()
    )
    if {d.name for d in registry.definitions()} - names:
        await sync_builtin(session)


async def get(session: AsyncSession, type_id: int) -> IntegrationType:
    row = await session.get(IntegrationType, type_id)
    if row is None:
        raise NotFound(f"integration type {type_id} not found")
    return row


async def get_by_name(session: AsyncSession, name: str) -> IntegrationType | None:
    if registry.definition(name) is not None:
        await ensure_builtin(session)
    return await session.scalar(select(IntegrationType).where(IntegrationType.name == name))


async def list_all(session: AsyncSession) -> list[IntegrationType]:
    await ensure_builtin(session)
    await refresh_custom(session)
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
    if registry.definition(key) is not None:
        raise Conflict(
            f"key: {key!r} is a built-in integration type (it is already in the catalogue); "
            "choose another key for a type of your own"
        )
    if await get_by_name(session, key) is not None:
        raise _taken(key)
    row = IntegrationType(
        name=key,
        display_name=display_name,
        description=data.description,
        parameters=[p.model_dump() for p in data.parameters],
        actions=[_action_row(a) for a in data.actions],
        http=data.http.model_dump() if data.http is not None else None,
    )
    check_http(row.http, row.parameters, row.actions)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise _taken(key) from None
    refresh_one(row)
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
        row.actions = [_action_row(a) for a in data.actions]
    if "http" in data.model_fields_set:  # null clears it; absent keeps it
        row.http = data.http.model_dump() if data.http is not None else None
    check_http(row.http, row.parameters, row.actions)
    await session.flush()
    refresh_one(row)
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
    registry.unregister_custom(row.name)
    await session.delete(row)
    await session.flush()


def plugins() -> list[PluginOut]:
    """Every installed plugin (the built-ins too) and whether it loaded."""
    registry.ensure_loaded()
    out = []
    for plugin in registry.plugins:
        types = [
            d.name
            for d in registry.definitions()
            if d.module == plugin.module or str(d.module).startswith(plugin.module + ".")
        ]
        out.append(
            PluginOut(
                name=plugin.name,
                module=plugin.module,
                package=plugin.package,
                version=plugin.version,
                ok=plugin.ok,
                error=plugin.error,
                integration_types=types,
            )
        )
    return out


# --------------------------------------------------------------------------- declarative


def _action_row(action: Any) -> dict[str, Any]:
    out: dict[str, Any] = action.model_dump()
    if out.get("request") is None:
        out.pop("request", None)
    return out


def check_http(
    http: dict[str, Any] | None, parameters: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> None:
    """A declarative type's templates compile and its auth names existing credential
    fields; InvalidInput naming the field otherwise."""
    runnable = [i for i, a in enumerate(actions) if a.get("request") is not None]
    if http is None:
        if runnable:
            raise InvalidInput.one(
                f"actions[{runnable[0]}].request", "needs the type's `http` (base_url and auth)"
            )
        return
    names = {p["name"] for p in parameters}
    auth = http.get("auth") or {}
    kind = auth.get("kind", "none")
    needed = {
        "api_key_header": ["field"],
        "api_key_query": ["field"],
        "bearer": ["field"],
        "basic": ["username_field", "password_field"],
    }.get(kind, [])
    for attr in needed:
        if auth.get(attr) not in names:
            raise InvalidInput.one(
                f"http.auth.{attr}",
                f"names credential field {auth.get(attr)!r}, which is not among `parameters`",
            )
    for i in runnable:
        _check_request(f"actions[{i}].request", actions[i]["request"])


def _check_request(where: str, request: dict[str, Any]) -> None:
    for part in ("method", "path", "query", "headers", "body", "response"):
        try:
            expressions.compile_value(request.get(part))
        except expressions.ExpressionError as exc:
            raise InvalidInput.one(f"{where}.{part}", str(exc)) from None
    if request.get("jmespath"):
        try:
            jmespath.compile(request["jmespath"])
        except jmespath.exceptions.JMESPathError as exc:
            raise InvalidInput.one(f"{where}.jmespath", f"not a JMESPath: {exc}") from None


def _declaration(row: IntegrationType) -> dict[str, Any]:
    return {
        "key": row.name,
        "display_name": row.display_name,
        "description": row.description,
        "parameters": row.parameters,
        "actions": row.actions,
        "http": row.http,
    }


def refresh_one(row: IntegrationType) -> None:
    """(Re)register a custom type's actions as node types when its declaration changed."""
    if row.builtin:
        return
    declaration = _declaration(row)
    found = registry.custom_definition(row.name)
    if row.http is None:
        registry.unregister_custom(row.name)
        return
    if found is not None and found.fingerprint == declarative.fingerprint(declaration):
        return
    registry.unregister_custom(row.name)
    try:
        declarative.build(declaration)
    except Exception:  # a stored declaration this version cannot build: skip, never fatal
        registry.unregister_custom(row.name)
        log.exception("custom integration type %r could not be registered", row.name)


async def refresh_custom(session: AsyncSession) -> None:
    """Bring the registry's custom types in line with the table (created, changed or
    deleted by any process), without a restart."""
    rows = (
        await session.scalars(select(IntegrationType).where(IntegrationType.builtin.is_(False)))
    ).all()
    present = {r.name for r in rows}
    for definition in registry.custom_definitions():
        if definition.name not in present:
            registry.unregister_custom(definition.name)
    for row in rows:
        refresh_one(row)
