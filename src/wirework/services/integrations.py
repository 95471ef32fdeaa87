"""Integrations: credentials validated against their type, secrets encrypted by the vault."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, IntegrationType
from wirework.errors import Conflict, FieldError, InvalidInput, NotFound
from wirework.schemas.integration_types import ParameterSpec
from wirework.schemas.integrations import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationTest,
    IntegrationTestResult,
    IntegrationUpdate,
)
from wirework.schemas.params import check_values
from wirework.sdk.outbound import IntegrationCredentials
from wirework.sdk.outbound.credentials import HEADER_FIELDS
from wirework.sdk.registry import registry
from wirework.services import integration_types, references
from wirework.vault import MASK, Vault
from wirework.vault.masking import Credentials, Redactor, credential_secrets, redact_known


def _specs(itype: IntegrationType) -> list[ParameterSpec]:
    return [ParameterSpec.model_validate(p) for p in itype.parameters]


def _split(itype: IntegrationType, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    secret_names = {p["name"] for p in itype.parameters if p.get("type") == "password"}
    config = {k: v for k, v in values.items() if k not in secret_names}
    secrets = {k: v for k, v in values.items() if k in secret_names}
    return config, secrets


def to_out(row: Integration) -> IntegrationOut:
    masked = dict(row.config)
    for name in row.secret_fields or []:
        masked[name] = MASK  # set secrets show as the mask; unset ones are absent
    return IntegrationOut(
        id=row.id,
        name=row.name,
        type=row.type.name,
        integration_type_id=row.type_id,
        credentials=masked,
        active=row.active,
        allowed_hosts=row.allowed_hosts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _stored_secrets(row: Integration, vault: Vault) -> dict[str, Any]:
    return vault.decrypt_json(row.secrets) if row.secrets else {}


async def _type_or_422(
    session: AsyncSession, name: str | None, type_id: int | None
) -> IntegrationType:
    """The type named by key (``type``) and/or id (``integration_type_id``)."""
    by_id = None
    if type_id is not None:
        by_id = await session.get(IntegrationType, type_id)
        if by_id is None:
            raise InvalidInput.one("integration_type_id", f"unknown integration type {type_id}")
    if name is None:
        if by_id is None:
            raise InvalidInput.one("type", "is required (or give integration_type_id)")
        return by_id
    itype = await integration_types.get_by_name(session, name)
    if itype is None:
        raise InvalidInput.one("type", f"unknown integration type {name!r}")
    if by_id is not None and by_id.id != itype.id:
        raise InvalidInput.one(
            "integration_type_id",
            f"is type {by_id.name!r} (id {by_id.id}), but type is {name!r} (id {itype.id})",
        )
    return itype


def _check_header_values(itype: IntegrationType, given: Mapping[str, Any] | None) -> None:
    """Values that go into HTTP headers must not hold CR, LF, NUL or other control
    characters (header injection; the client would fail with the value in its message)."""
    if not given:
        return
    marked = {p["name"] for p in itype.parameters if p.get("header_bound")}
    errors = []
    for name, value in given.items():
        field = f"credentials.{name}"
        if name == "headers" and isinstance(value, Mapping):
            for index, (header, header_value) in enumerate(value.items()):
                if not _TOKEN.fullmatch(str(header)):
                    errors.append(FieldError(f"{field}[{index}]", "is not a valid header name"))
                elif _unsafe(header_value):
                    errors.append(FieldError(f"{field}.{header}", _CONTROL_MESSAGE))
        elif (name in HEADER_FIELDS or name in marked) and value != MASK:
            if name == "api_key_header" and not _TOKEN.fullmatch(str(value)):
                errors.append(FieldError(field, "is not a valid header name"))
            elif _unsafe(value):
                errors.append(FieldError(field, _CONTROL_MESSAGE))
    if errors:
        raise InvalidInput(errors)


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL_MESSAGE = (
    "must not contain control characters (CR, LF, NUL, tab…): it is sent in an HTTP header"
)


def _unsafe(value: Any) -> bool:
    if not isinstance(value, str | int | float | bool):
        return False
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in str(value))


async def get(session: AsyncSession, integration_id: int) -> Integration:
    row = await session.get(Integration, integration_id)
    if row is None:
        raise NotFound(f"integration {integration_id} not found")
    return row


async def list_all(
    session: AsyncSession, type_name: str | None = None, type_id: int | None = None
) -> list[Integration]:
    query = select(Integration).order_by(Integration.id)
    if type_name is not None:
        query = query.join(IntegrationType).where(IntegrationType.name == type_name)
    if type_id is not None:
        query = query.where(Integration.type_id == type_id)
    return list((await session.scalars(query)).all())


async def _name_free(session: AsyncSession, name: str, exclude_id: int | None = None) -> None:
    query = select(Integration.id).where(Integration.name == name)
    found = await session.scalar(query)
    if found is not None and found != exclude_id:
        raise Conflict(f"name: an integration named {name!r} already exists")


async def create(session: AsyncSession, vault: Vault, data: IntegrationCreate) -> Integration:
    itype = await _type_or_422(session, data.type, data.integration_type_id)
    values, errors = check_values(_specs(itype), data.credentials, prefix="credentials")
    if errors:
        raise InvalidInput(errors)
    _check_header_values(itype, data.credentials)
    await _name_free(session, data.name)
    config, secrets = _split(itype, values)
    row = Integration(
        name=data.name,
        type_id=itype.id,
        config=config,
        secrets=vault.encrypt_json(secrets) if secrets else None,
        secret_fields=sorted(secrets),
        active=data.active,
        allowed_hosts=data.allowed_hosts,
    )
    row.type = itype
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"name: an integration named {data.name!r} already exists") from None
    return row


async def update(
    session: AsyncSession, vault: Vault, integration_id: int, data: IntegrationUpdate
) -> Integration:
    row = await get(session, integration_id)
    if data.name is not None and data.name != row.name:
        await _name_free(session, data.name, exclude_id=row.id)
        row.name = data.name
    if data.credentials is not None:
        existing = {**row.config, **_stored_secrets(row, vault)}
        values, errors = check_values(
            _specs(row.type), data.credentials, prefix="credentials", existing=existing
        )
        if errors:
            raise InvalidInput(errors)
        _check_header_values(row.type, data.credentials)
        config, secrets = _split(row.type, values)
        row.config = config
        row.secrets = vault.encrypt_json(secrets) if secrets else None
        row.secret_fields = sorted(secrets)
    if data.active is not None:
        row.active = data.active
    if "allowed_hosts" in data.model_fields_set:
        row.allowed_hosts = data.allowed_hosts
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"name: an integration named {data.name!r} already exists") from None
    return row


async def set_active(session: AsyncSession, integration_id: int, active: bool) -> Integration:
    row = await get(session, integration_id)
    row.active = active
    await session.flush()
    return row


async def delete(session: AsyncSession, integration_id: int) -> None:
    row = await get(session, integration_id)
    await references.refuse_integration_in_use(session, row.id)  # 409 naming the workflows
    await session.delete(row)
    await session.flush()


def decrypted_credentials(row: Integration, vault: Vault) -> Credentials:
    """The full credentials, secrets in clear: only for the step or tester that uses them.
    They know their secret fields, so whoever uses them can redact them."""
    return Credentials(
        {**row.config, **_stored_secrets(row, vault)},
        {*(row.secret_fields or []), *_secret_names(row.type)},
    )


def _secret_names(itype: IntegrationType) -> set[str]:
    return {p["name"] for p in itype.parameters if p.get("type") == "password"}


def credentials_for_use(row: Integration, vault: Vault) -> IntegrationCredentials:
    """The decrypted credentials with the integration's id, name and allowed hosts, which
    outbound clients check before attaching them to a request."""
    values = decrypted_credentials(row, vault)
    return IntegrationCredentials(
        values,
        integration_id=row.id,
        name=row.name,
        allowed_hosts=row.allowed_hosts,
        secret_fields=values.secret_fields,
        integration_type=row.type.name,
    )


async def test_connection(
    session: AsyncSession, vault: Vault, data: IntegrationTest
) -> IntegrationTestResult:
    existing: dict[str, Any] | None = None
    if data.integration_id is not None:
        row = await get(session, data.integration_id)
        itype = row.type
        existing = decrypted_credentials(row, vault)
        given = data.credentials if data.credentials is not None else existing
    else:
        itype = await _type_or_422(session, data.type, data.integration_type_id)
        given = data.credentials or {}
    values, errors = check_values(_specs(itype), given, prefix="credentials", existing=existing)
    if errors:
        raise InvalidInput(errors)
    _check_header_values(itype, data.credentials)
    values = Credentials(values, _secret_names(itype))
    tester = registry.tester(itype.name)
    if tester is None:
        return IntegrationTestResult(
            ok=False,
            supported=False,
            message=(
                f"integration type {itype.name!r} has no connection tester; the credentials "
                "match its schema, but they can only be checked by running a workflow"
            ),
        )
    try:
        if data.integration_id is not None:
            values = IntegrationCredentials(
                values,
                integration_id=row.id,
                name=row.name,
                allowed_hosts=row.allowed_hosts,
                integration_type=itype.name,
            )
        ok, message = await tester(values)
    except Exception as exc:  # a tester's failure is the answer, not a server error
        ok, message = False, f"{type(exc).__name__}: {exc}"
    # Every form of every secret (raw, escaped, encoded, long pieces) is redacted.
    message = Redactor(*credential_secrets(values)).text(str(message))
    return IntegrationTestResult(ok=ok, supported=True, message=redact_known(message))


async def save_tokens(
    session: AsyncSession, vault: Vault, integration_id: int, tokens: Mapping[str, Any]
) -> None:
    """Store an integration's new OAuth2 tokens (refreshed, or from an authorization code):
    ``access_token`` and ``refresh_token`` encrypted with its secrets, ``expires_at`` with
    its configuration."""
    row = await get(session, integration_id)
    secrets = _stored_secrets(row, vault)
    for name in ("access_token", "refresh_token"):
        if tokens.get(name):
            secrets[name] = str(tokens[name])
    row.secrets = vault.encrypt_json(secrets) if secrets else None
    row.secret_fields = sorted(secrets)
    if tokens.get("expires_at") is not None:
        row.config = {**row.config, "expires_at": float(tokens["expires_at"])}
    await session.flush()
