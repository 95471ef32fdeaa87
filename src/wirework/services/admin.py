"""Operator tasks the CLI runs outside a server: the database schema and encryption keys.

The CLI reaches the database and the vault only through here (and the other services), so the
errors it reports are re-exported below as part of this module's interface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from wirework.db import migrate
from wirework.db.engine import UnsupportedDatabase as UnsupportedDatabase
from wirework.db.engine import create_engine
from wirework.events import EventsConfigError, events_url
from wirework.settings import Settings
from wirework.vault import VaultError as VaultError
from wirework.vault.crypto import generate_key as generate_key
from wirework.vault.crypto import parse_keys
from wirework.vault.masking import mask_url


async def upgrade_schema(settings: Settings) -> str | None:
    """Upgrade the configured database to this version's schema; its revision afterwards."""
    engine = create_engine(settings.effective_database_url)
    try:
        await migrate.upgrade(engine)
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


async def schema_revision(settings: Settings) -> str | None:
    """The configured database's schema revision (None: no schema yet)."""
    engine = create_engine(settings.effective_database_url)
    try:
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def required_revision() -> str | None:
    """The schema revision this version needs."""
    return migrate.head_revision()


def check_key(value: str, source: str) -> None:
    """Raise VaultError (naming ``source``) unless ``value`` is a usable key list."""
    parse_keys(value, source=source)


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting with secrets masked, for ``wirework config``."""
    out: dict[str, Any] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "********" if value.get_secret_value() else ""
        elif (
            name in {"database_url", "broker_url", "events_url", "rate_limit_storage_uri"} and value
        ):
            value = mask_url(str(value))
        elif isinstance(value, Path):
            value = str(value)
        out[name] = value
    out["effective_database_url"] = mask_url(settings.effective_database_url)
    out["mode"] = "distributed" if settings.broker_url else "embedded"
    try:
        out["effective_events_url"] = mask_url(
            events_url(settings.events_url, settings.broker_url, settings.database_url)
        )
    except EventsConfigError as exc:
        out["effective_events_url"] = f"(error) {exc}"
    return out
