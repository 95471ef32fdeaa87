"""Everything a process needs to serve requests or run commands: opened once, closed once."""

from __future__ import annotations

import logging
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wirework.db import migrate
from wirework.db.engine import create_engine, create_sessionmaker
from wirework.sdk.outbound import OutboundPolicy, set_policy
from wirework.services import integration_types
from wirework.services import vault as vault_service
from wirework.settings import Settings
from wirework.storage import Storage, StorageConfigError, StorageError, open_storage
from wirework.vault import Vault as Vault  # what routes and commands decrypt with
from wirework.vault import VaultError
from wirework.vault.crypto import write_secret_file

if TYPE_CHECKING:
    from wirework.services.engine import EngineHost

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class SchemaOutOfDate(RuntimeError):
    pass


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    vault: Vault
    signing_key: str
    # Set when this process runs executions (the server; `wirework run` uses its own).
    engine_host: EngineHost | None = None
    # Where large step outputs go (WIREWORK_STORAGE_URL); None: <data_dir>/executions.
    storage: Storage | None = None

    async def close(self) -> None:
        if self.engine_host is not None:
            await self.engine_host.stop()
            self.engine_host = None
        if self.storage is not None:
            await self.storage.close()
        await self.engine.dispose()


async def sync_builtin_types(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The installed integration types (built-ins and plugins) into the catalogue table, so
    `GET /api/integration-types` lists them. A failure is logged, never fatal (a read-only
    database, a schema this version does not migrate)."""
    try:
        async with sessionmaker() as session:
            written = await integration_types.sync_builtin(session)
            await integration_types.refresh_custom(session)
            await session.commit()
    except Exception:
        log.exception("could not write the built-in integration types into the catalogue")
        return
    if written:
        log.info("catalogue: %d built-in integration type(s) written", written)


def load_signing_key(settings: Settings) -> str:
    """The key that signs login tokens: from the settings, or generated once into the data dir."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = pysecrets.token_urlsafe(48)
    write_secret_file(path, key + "\n")
    return key


def ensure_data_dir(settings: Settings) -> None:
    """Owner-only: keys, the SQLite file and spilled data live here (code steps run as
    another user and must not read it)."""
    Path(settings.data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)


async def prepare_database(engine: AsyncEngine, settings: Settings) -> None:
    """Upgrade an empty database (always) or an older one (if auto_migrate); else refuse."""
    head = migrate.head_revision()
    if await migrate.is_empty(engine) or settings.auto_migrate:
        if await migrate.current_revision(engine) != head:
            await migrate.upgrade(engine)
        return
    current = await migrate.current_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, this version needs {head}: "
            "run `wirework db upgrade`"
        )


async def open_runtime(settings: Settings, *, migrate_db: bool = True) -> Runtime:
    """Open the database (migrating it if allowed) and the vault.

    Raises VaultError when encrypted data exists but the configured key cannot read it.
    """
    ensure_data_dir(settings)
    set_policy(
        OutboundPolicy(
            settings.outbound_allow.split(","),
            max_response_bytes=settings.http_max_response_bytes,
            max_response_bytes_ceiling=settings.http_max_response_bytes_ceiling,
        )
    )
    engine = create_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    storage: Storage | None = None
    try:
        storage = open_storage(settings, engine)  # refuses file:// in distributed mode
        await storage.start()
        if migrate_db:
            await prepare_database(engine, settings)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            vault = await vault_service.open_vault(session, settings)
            await session.commit()
        await sync_builtin_types(sessionmaker)
        signing_key = load_signing_key(settings)
    except BaseException:
        if storage is not None:
            await storage.close()
        await engine.dispose()
        raise
    return Runtime(settings, engine, sessionmaker, vault, signing_key, storage=storage)


__all__ = [
    "Runtime",
    "SchemaOutOfDate",
    "StorageConfigError",
    "StorageError",
    "VaultError",
    "load_signing_key",
    "open_runtime",
]
