"""Opening the vault against the database, refusing wrong or missing keys, and key rotation."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, SystemSetting
from wirework.schemas.integration_types import IntegrationTypeCreate
from wirework.schemas.integrations import IntegrationCreate
from wirework.services import integration_types, integrations
from wirework.services import vault as vault_service
from wirework.services.runtime import Runtime, open_runtime
from wirework.services.vault import KEY_CHECK, open_vault, rotate_keys
from wirework.settings import Settings
from wirework.vault import Vault, VaultError
from wirework.vault.crypto import KEY_FILE_NAME, generate_key, parse_keys, write_secret_file

TYPE = IntegrationTypeCreate.model_validate(
    {
        "name": "svc",
        "parameters": [
            {"name": "url", "type": "string", "required": True},
            {"name": "token", "type": "password", "required": True},
        ],
    }
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def secret_for(i: int) -> str:
    return f"token-{i:03d}-ü-🔑"


async def add_integrations(session: AsyncSession, vault: Vault, count: int, start: int = 0) -> None:
    if await integration_types.get_by_name(session, "svc") is None:
        await integration_types.create(session, TYPE)
    for i in range(start, start + count):
        await integrations.create(
            session,
            vault,
            IntegrationCreate(
                name=f"svc {i}",
                type="svc",
                credentials={"url": f"https://{i}", "token": secret_for(i)},
            ),
        )
    await session.commit()


async def all_secrets(session: AsyncSession, vault: Vault) -> dict[str, Any]:
    rows = (await session.scalars(select(Integration).order_by(Integration.id))).all()
    return {row.name: integrations.decrypted_credentials(row, vault)["token"] for row in rows}


async def stored_tokens(session: AsyncSession) -> dict[str, str | None]:
    rows = (await session.scalars(select(Integration))).all()
    return {row.name: row.secrets for row in rows}


def expected(count: int) -> dict[str, str]:
    return {f"svc {i}": secret_for(i) for i in range(count)}


# --- a fresh SQLite database per test ----------------------------------------------------


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="signing")


async def test_fresh_database_generates_a_key_file(sqlite_settings: Settings) -> None:
    runtime = await open_runtime(sqlite_settings)
    try:
        path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert mode(Path(sqlite_settings.data_dir)) == 0o700
        key = path.read_text().strip()
        parse_keys(key, source="file")
        async with runtime.sessionmaker() as session:
            check = await session.get(SystemSetting, KEY_CHECK)
            assert check is not None and Vault([key.encode()]).verify_key_check(check.value)
            await add_integrations(session, runtime.vault, 2)
    finally:
        await runtime.close()
    # Opening again reuses the key; nothing is regenerated.
    runtime = await open_runtime(sqlite_settings)
    try:
        assert path.read_text().strip() == key
        async with runtime.sessionmaker() as session:
            assert await all_secrets(session, runtime.vault) == expected(2)
    finally:
        await runtime.close()


async def test_missing_key_with_encrypted_data_refuses_to_start(sqlite_settings: Settings) -> None:
    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            await add_integrations(session, runtime.vault, 1)
    finally:
        await runtime.close()
    key_path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
    key_path.unlink()
    with pytest.raises(VaultError) as info:
        await open_runtime(sqlite_settings)
    message = str(info.value)
    assert "refusing to start" in message.lower()
    assert "WIREWORK_ENCRYPTION_KEY" in message and str(key_path) in message
    # It never silently makes a new key.
    assert not key_path.exists()


async def test_missing_key_with_only_a_key_check_refuses(sqlite_settings: Settings) -> None:
    """Even with no integration yet, a database whose key check exists needs its key."""
    runtime = await open_runtime(sqlite_settings)
    await runtime.close()
    (Path(sqlite_settings.data_dir) / KEY_FILE_NAME).unlink()
    with pytest.raises(VaultError, match="Refusing to start"):
        await open_runtime(sqlite_settings)


async def test_wrong_env_key_refuses(sqlite_settings: Settings) -> None:
    key = generate_key()
    runtime = await open_runtime(Settings(data_dir=sqlite_settings.data_dir, encryption_key=key))
    await runtime.close()
    wrong = Settings(data_dir=sqlite_settings.data_dir, encryption_key=generate_key())
    with pytest.raises(VaultError) as info:
        await open_runtime(wrong)
    assert "WIREWORK_ENCRYPTION_KEY" in str(info.value)
    assert "does not match" in str(info.value)
    assert "Refusing to start" in str(info.value)
    # The right key still opens it; old and new key (a rotation in progress) too.
    ok = await open_runtime(Settings(data_dir=sqlite_settings.data_dir, encryption_key=key))
    await ok.close()
    ok = await open_runtime(
        Settings(data_dir=sqlite_settings.data_dir, encryption_key=f"{generate_key()},{key}")
    )
    await ok.close()


async def test_wrong_key_file_refuses(sqlite_settings: Settings) -> None:
    runtime = await open_runtime(sqlite_settings)
    await runtime.close()
    path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
    write_secret_file(path, generate_key() + "\n")
    with pytest.raises(VaultError) as info:
        await open_runtime(sqlite_settings)
    assert str(path) in str(info.value)


async def test_invalid_env_key_is_explained(sqlite_settings: Settings) -> None:
    bad = Settings(data_dir=sqlite_settings.data_dir, encryption_key="not-a-fernet-key")
    with pytest.raises(VaultError) as info:
        await open_runtime(bad)
    assert "WIREWORK_ENCRYPTION_KEY" in str(info.value)
    assert "wirework keys generate" in str(info.value)
    assert "not-a-fernet-key" not in str(info.value)


async def test_legacy_database_without_key_check(sqlite_settings: Settings) -> None:
    """Secrets written before the key check existed: a wrong key is still detected."""
    key = generate_key()
    settings = Settings(data_dir=sqlite_settings.data_dir, encryption_key=key)
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            await add_integrations(session, runtime.vault, 1)
            await session.execute(delete(SystemSetting).where(SystemSetting.name == KEY_CHECK))
            await session.commit()
    finally:
        await runtime.close()
    with pytest.raises(VaultError, match="cannot be decrypted"):
        await open_runtime(
            Settings(data_dir=sqlite_settings.data_dir, encryption_key=generate_key())
        )
    runtime = await open_runtime(settings)  # the right key re-creates the check
    try:
        async with runtime.sessionmaker() as session:
            assert await session.get(SystemSetting, KEY_CHECK) is not None
    finally:
        await runtime.close()


async def test_rotation_interrupted_before_commit_still_opens(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            await add_integrations(session, runtime.vault, 10)
        path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
        old_key = path.read_text().strip()

        calls = 0
        real_rotate = Vault.rotate

        def failing_rotate(self: Vault, token: str) -> str:
            nonlocal calls
            calls += 1
            if calls == 5:
                raise RuntimeError("power cut")
            return real_rotate(self, token)

        monkeypatch.setattr(Vault, "rotate", failing_rotate)
        new_key = generate_key()
        async with runtime.sessionmaker() as session:
            with pytest.raises(RuntimeError, match="power cut"):
                await rotate_keys(session, sqlite_settings, new_key)
        monkeypatch.undo()
        # The file got [new, old] before the database was touched.
        assert path.read_text().split() == [new_key, old_key]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        await runtime.close()

    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            assert await all_secrets(session, runtime.vault) == expected(10)
            # Running the rotation again finishes the job.
            result = await rotate_keys(session, sqlite_settings)
        assert result.secrets_rotated == 10
        assert path.read_text().split() == [result.new_key]
    finally:
        await runtime.close()
    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            assert await all_secrets(session, runtime.vault) == expected(10)
        for key in (old_key, new_key):
            with pytest.raises(VaultError):
                await open_runtime(Settings(data_dir=sqlite_settings.data_dir, encryption_key=key))
    finally:
        await runtime.close()


async def test_rotation_interrupted_after_commit_still_opens(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            await add_integrations(session, runtime.vault, 3)
        path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
        old_key = path.read_text().strip()
        writes = 0
        real_write = vault_service.write_secret_file

        def failing_write(p: Path, content: str) -> None:
            nonlocal writes
            writes += 1
            if writes == 2:  # the final "new key only" write
                raise OSError("disk full")
            real_write(p, content)

        monkeypatch.setattr(vault_service, "write_secret_file", failing_write)
        new_key = generate_key()
        async with runtime.sessionmaker() as session:
            with pytest.raises(OSError, match="disk full"):
                await rotate_keys(session, sqlite_settings, new_key)
        monkeypatch.undo()
        assert path.read_text().split() == [new_key, old_key]
    finally:
        await runtime.close()
    runtime = await open_runtime(sqlite_settings)
    try:
        async with runtime.sessionmaker() as session:
            assert await all_secrets(session, Vault([new_key.encode()])) == expected(3)
            assert await all_secrets(session, runtime.vault) == expected(3)
    finally:
        await runtime.close()


async def test_rotation_refuses_a_key_in_use_or_invalid(sqlite_settings: Settings) -> None:
    runtime = await open_runtime(sqlite_settings)
    try:
        path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
        current = path.read_text().strip()
        async with runtime.sessionmaker() as session:
            with pytest.raises(VaultError, match="already in use"):
                await rotate_keys(session, sqlite_settings, current)
        async with runtime.sessionmaker() as session:
            with pytest.raises(VaultError, match="wirework keys generate"):
                await rotate_keys(session, sqlite_settings, "nope")
        assert path.read_text().strip() == current
    finally:
        await runtime.close()


async def test_rotation_on_a_database_without_a_key_yet(sqlite_settings: Settings) -> None:
    """`keys rotate` before anything was opened: a key is made, then rotated."""
    from wirework.db import migrate
    from wirework.db.engine import create_engine, create_sessionmaker

    engine = create_engine(sqlite_settings.effective_database_url)
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            result = await rotate_keys(session, sqlite_settings)
        assert result.origin == "file" and result.secrets_rotated == 0
        path = Path(sqlite_settings.data_dir) / KEY_FILE_NAME
        assert path.read_text().split() == [result.new_key]
    finally:
        await engine.dispose()
    runtime = await open_runtime(sqlite_settings)
    await runtime.close()


# --- rotation on every backend -------------------------------------------------------------

COUNT = 50


async def test_rotate_env_key_every_backend(
    runtime: Runtime, encryption_key: str, tmp_path: Path
) -> None:
    """WIREWORK_ENCRYPTION_KEY: rotate, prove only the new key reads, rotate back."""
    settings = Settings(
        data_dir=tmp_path, database_url=runtime.settings.database_url, encryption_key=encryption_key
    )
    async with runtime.sessionmaker() as session:
        await add_integrations(session, runtime.vault, COUNT)
        before = await stored_tokens(session)
    async with runtime.sessionmaker() as session:
        with pytest.raises(VaultError, match="--new-key"):
            await rotate_keys(session, settings)  # an env key is never generated unseen
    new_key = ""
    try:
        async with runtime.sessionmaker() as session:
            result = await rotate_keys(session, settings, generate_key())
        new_key = result.new_key
        assert result.origin == "env" and result.path is None
        assert result.secrets_rotated == COUNT
        assert not (tmp_path / KEY_FILE_NAME).exists()

        await _check_only_key_reads(runtime, tmp_path, new_key, encryption_key, before)
    finally:
        # Leave the database readable by the session's key for the other tests.
        if new_key:
            async with runtime.sessionmaker() as session:
                back = Settings(
                    data_dir=tmp_path,
                    database_url=runtime.settings.database_url,
                    encryption_key=new_key,
                )
                await rotate_keys(session, back, encryption_key)
    async with runtime.sessionmaker() as session:
        assert await all_secrets(session, runtime.vault) == expected(COUNT)
        await open_vault(session, runtime.settings)


async def test_rotate_file_key_every_backend(
    runtime: Runtime, encryption_key: str, tmp_path: Path
) -> None:
    """A key file: the file ends up with the new key only, mode 0600."""
    settings = Settings(data_dir=tmp_path, database_url=runtime.settings.database_url)
    path = tmp_path / KEY_FILE_NAME
    write_secret_file(path, encryption_key + "\n")
    async with runtime.sessionmaker() as session:
        await add_integrations(session, runtime.vault, COUNT)
        before = await stored_tokens(session)
    new_key = ""
    try:
        async with runtime.sessionmaker() as session:
            result = await rotate_keys(session, settings)
        new_key = result.new_key
        assert result.origin == "file" and result.path == path
        assert result.secrets_rotated == COUNT
        assert path.read_text().split() == [new_key]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # The key file alone opens the database.
        async with runtime.sessionmaker() as session:
            vault = await open_vault(session, settings)
            assert await all_secrets(session, vault) == expected(COUNT)

        await _check_only_key_reads(runtime, tmp_path, new_key, encryption_key, before)
    finally:
        if new_key:
            async with runtime.sessionmaker() as session:
                await rotate_keys(session, settings, encryption_key)
    assert path.read_text().split() == [encryption_key]
    async with runtime.sessionmaker() as session:
        assert await all_secrets(session, runtime.vault) == expected(COUNT)


async def _check_only_key_reads(
    runtime: Runtime, tmp_path: Path, new_key: str, old_key: str, before: dict[str, str]
) -> None:
    async with runtime.sessionmaker() as session:
        after = await stored_tokens(session)
        # Every secret was re-encrypted...
        assert set(after) == set(before)
        assert all(after[name] != before[name] for name in before)
        # ...and the new key alone reads all of them, with zero failures.
        new_only = Settings(
            data_dir=tmp_path, database_url=runtime.settings.database_url, encryption_key=new_key
        )
        vault = await open_vault(session, new_only)
        assert await all_secrets(session, vault) == expected(COUNT)
        assert await all_secrets(session, Vault([new_key.encode()])) == expected(COUNT)
        # The old key alone opens nothing and decrypts nothing.
        old_only = Settings(
            data_dir=tmp_path, database_url=runtime.settings.database_url, encryption_key=old_key
        )
        with pytest.raises(VaultError, match="does not match"):
            await open_vault(session, old_only)
        old_vault = Vault([old_key.encode()])
        for token in after.values():
            with pytest.raises(VaultError):
                old_vault.decrypt(token)
        await session.rollback()


async def test_decrypted_credentials_know_their_secrets(runtime: Runtime) -> None:
    """What nodes get knows which values are secret (the type's password fields), so the
    engine redacts those — and not, say, the base URL — from what a step records."""
    from wirework.vault.masking import credential_secrets
    from wirework.vault.redaction import known

    known.clear()
    async with runtime.sessionmaker() as session:
        await add_integrations(session, runtime.vault, 1)
        row = await session.scalar(select(Integration))
        assert row is not None
        creds = integrations.decrypted_credentials(row, runtime.vault)
    assert creds == {"url": "https://0", "token": secret_for(0)}
    assert creds.secret_fields == {"token"}
    assert credential_secrets(creds) == ([secret_for(0)], ["https://0"])
    # Decrypting made the secret known to the log and error-body redaction.
    assert known.redactor().text(f"x {secret_for(0)} y") == "x ******** y"
