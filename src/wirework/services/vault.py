"""Opening the vault against the database's key check, and rotating the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, SystemSetting
from wirework.settings import Settings
from wirework.vault.crypto import (
    KEY_FILE_NAME,
    Vault,
    VaultError,
    generate_key,
    parse_keys,
    write_secret_file,
)
from wirework.vault.masking import redact_known as redact_known

KEY_CHECK = "vault.key_check"


@dataclass
class KeySource:
    keys: list[bytes]
    origin: str  # "env" | "file" | "none"
    path: Path | None = None


def key_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / KEY_FILE_NAME


def configured_keys(settings: Settings) -> KeySource:
    if settings.encryption_key is not None and settings.encryption_key.get_secret_value().strip():
        raw = settings.encryption_key.get_secret_value()
        return KeySource(parse_keys(raw, source="WIREWORK_ENCRYPTION_KEY"), "env")
    path = key_file(settings)
    if path.exists():
        return KeySource(parse_keys(path.read_text(), source=str(path)), "file", path)
    return KeySource([], "none", path)


async def _has_encrypted_data(session: AsyncSession) -> bool:
    check = await session.get(SystemSetting, KEY_CHECK)
    if check is not None:
        return True
    count = await session.scalar(
        select(func.count()).select_from(Integration).where(Integration.secrets.is_not(None))
    )
    return bool(count)


async def open_vault(session: AsyncSession, settings: Settings) -> Vault:
    """Open the vault; generate a key only for a database that holds no encrypted data."""
    source = configured_keys(settings)
    if not source.keys:
        if await _has_encrypted_data(session):
            raise VaultError(
                "the database holds encrypted credentials but no encryption key is configured: "
                f"set WIREWORK_ENCRYPTION_KEY or restore {source.path}. "
                "Refusing to start rather than create a new key that cannot read them."
            )
        key = generate_key()
        assert source.path is not None
        write_secret_file(source.path, key + "\n")
        source = KeySource([key.encode("ascii")], "file", source.path)
    vault = Vault(source.keys)
    check = await session.get(SystemSetting, KEY_CHECK)
    if check is None:
        # Secrets written before any key check existed must still be readable.
        token = await session.scalar(
            select(Integration.secrets).where(Integration.secrets.is_not(None)).limit(1)
        )
        if token is not None:
            vault.decrypt(token)  # raises VaultError on a wrong key
        session.add(SystemSetting(name=KEY_CHECK, value=vault.key_check()))
        await session.flush()
    elif not vault.verify_key_check(check.value):
        where = "WIREWORK_ENCRYPTION_KEY" if source.origin == "env" else str(source.path)
        raise VaultError(
            f"the encryption key in {where} does not match the one this database's credentials "
            "were encrypted with. Refusing to start: configure the original key "
            "(or old and new keys, comma-separated, during a rotation)."
        )
    return vault


@dataclass
class RotationResult:
    secrets_rotated: int
    new_key: str
    origin: str
    path: Path | None


async def rotate_keys(
    session: AsyncSession, settings: Settings, new_key: str | None = None
) -> RotationResult:
    """Re-encrypt every secret under a new key, in one transaction.

    With a key file, the file first gets [new, old…] (so both read everything whatever
    happens), then the database is re-encrypted and committed, then the file keeps only the
    new key. With WIREWORK_ENCRYPTION_KEY the caller must set the printed key afterwards.
    """
    source = configured_keys(settings)
    if source.origin == "env" and new_key is None:
        raise VaultError(
            "the key comes from WIREWORK_ENCRYPTION_KEY: make the new key first "
            "(`wirework keys generate`), keep it safe, and pass it with --new-key, so it is in "
            "your hands before anything is re-encrypted"
        )
    old = await open_vault(session, settings)
    if source.origin == "none":  # open_vault just generated the file
        source = configured_keys(settings)
    new = new_key or generate_key()
    new_bytes = parse_keys(new, source="the new key")[0]
    if new_bytes in source.keys:
        raise VaultError("the new key is already in use; give a different one")
    both = Vault([new_bytes, *source.keys])
    if source.origin == "file":
        assert source.path is not None
        write_secret_file(
            source.path, "\n".join(k.decode("ascii") for k in [new_bytes, *source.keys]) + "\n"
        )
    del old
    rows = (
        await session.scalars(select(Integration).where(Integration.secrets.is_not(None)))
    ).all()
    for row in rows:
        assert row.secrets is not None
        row.secrets = both.rotate(row.secrets)
    check = await session.get(SystemSetting, KEY_CHECK)
    token = Vault([new_bytes]).key_check()
    if check is None:
        session.add(SystemSetting(name=KEY_CHECK, value=token))
    else:
        check.value = token
    await session.commit()
    if source.origin == "file":
        assert source.path is not None
        write_secret_file(source.path, new + "\n")
    return RotationResult(len(rows), new, source.origin, source.path)
