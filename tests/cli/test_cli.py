"""The real `wirework` console script, run as a subprocess against a temporary data dir."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from wirework import __version__
from wirework.db import migrate
from wirework.schemas.integration_types import IntegrationTypeCreate
from wirework.schemas.integrations import IntegrationCreate
from wirework.services import auth, integration_types, integrations
from wirework.services.runtime import open_runtime
from wirework.settings import Settings
from wirework.vault import MASK
from wirework.vault.crypto import KEY_FILE_NAME, generate_key

WIREWORK = Path(sys.executable).parent / "wirework"
SECRET = "cli-secret-token-value"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err

    @property
    def flat_err(self) -> str:
        """stderr with line wrapping undone (rich wraps long messages)."""
        return " ".join(self.err.split())


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWORK_")}
    env.update(WIREWORK_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1", TERM="dumb", **extra)
    return env


async def ww(
    *args: str, env: dict[str, str], stdin: str | None = None, cwd: Path | None = None
) -> Result:
    proc = await asyncio.create_subprocess_exec(
        str(WIREWORK),
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        proc.communicate(stdin.encode() if stdin is not None else None), timeout=60
    )
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def exists(path: Path) -> bool:
    return path.exists()


def clean_failure(result: Result) -> None:
    assert result.code != 0, result
    assert "Traceback" not in result.both, result.both
    assert "error:" in result.err, result.err


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return base_env(data_dir)


def test_console_script_installed() -> None:
    assert WIREWORK.exists(), WIREWORK


async def test_version_help_and_generate(env: dict[str, str]) -> None:
    version, help_, key1, key2 = await asyncio.gather(
        ww("--version", env=env),
        ww("--help", env=env),
        ww("keys", "generate", env=env),
        ww("keys", "generate", env=env),
    )
    assert version.code == 0 and version.out.strip() == f"wirework {__version__}"
    assert help_.code == 0
    for command in ("server", "config", "db", "user", "api-key", "keys"):
        assert command in help_.out
    for result in (key1, key2):
        assert result.code == 0
        Fernet(result.out.strip().encode())
    assert key1.out != key2.out


async def test_config_masks_secrets(data_dir: Path) -> None:
    key = generate_key()
    env = base_env(
        data_dir,
        WIREWORK_ENCRYPTION_KEY=key,
        WIREWORK_SECRET_KEY="signing-secret-value",
        WIREWORK_DATABASE_URL="postgresql://u:topsecret@h/db",
        WIREWORK_BROKER_URL="redis://:brokersecret@r:6379/0",
    )
    table, as_json = await asyncio.gather(ww("config", env=env), ww("config", "--json", env=env))
    for result in (table, as_json):
        assert result.code == 0, result
        for secret in (key, "topsecret", "signing-secret-value", "brokersecret"):
            assert secret not in result.both
    assert "WIREWORK_DATABASE_URL" in table.out and MASK in table.out
    values = json.loads(as_json.out)
    assert values["encryption_key"] == MASK
    assert values["secret_key"] == MASK
    assert values["database_url"] == f"postgresql://u:{MASK}@h/db"
    assert values["broker_url"] == f"redis://:{MASK}@r:6379/0"
    assert values["data_dir"] == str(data_dir)
    assert values["mode"] == "distributed"
    assert values["port"] == 8000


async def test_config_defaults_json(env: dict[str, str], data_dir: Path) -> None:
    result = await ww("config", "--json", env=env)
    assert result.code == 0, result
    values = json.loads(result.out)
    assert values["encryption_key"] == f"(generated on first start) {data_dir / KEY_FILE_NAME}"
    assert values["secret_key"] == f"(generated on first start) {data_dir / 'secret.key'}"
    assert values["public_url"] == "(default) http://127.0.0.1:8000"
    assert values["mode"] == "embedded"
    assert values["effective_database_url"] == f"sqlite+aiosqlite:///{data_dir}/wirework.db"
    # Printing the config creates nothing.
    assert not exists(data_dir)


async def test_config_says_where_generated_keys_are(tmp_path: Path) -> None:
    """Keys generated into the data dir show as "(generated) <absolute path>", never as None
    and never their value, in the table and in JSON; a relative data dir is resolved."""
    env = base_env(Path("relative-data"))
    create = ("user", "create", "--email", "a@example.com", "--password", "password-123")
    result = await ww(*create, env=env, cwd=tmp_path)
    assert result.code == 0, result
    data_dir = tmp_path / "relative-data"
    keys = {"encryption_key": data_dir / KEY_FILE_NAME, "secret_key": data_dir / "secret.key"}
    table, as_json = await asyncio.gather(
        ww("config", env=env, cwd=tmp_path), ww("config", "--json", env=env, cwd=tmp_path)
    )
    assert table.code == 0 and as_json.code == 0, (table, as_json)
    values = json.loads(as_json.out)
    rows = {line.split()[0]: line for line in table.out.splitlines() if line.strip()}
    for name, path in keys.items():
        assert path.exists()
        assert values[name] == f"(generated) {path}"
        assert f"(generated) {path}" in rows[name] and "None" not in rows[name]
        secret = path.read_text().strip()
        assert secret not in table.both and secret not in as_json.both


async def test_invalid_settings_are_named(data_dir: Path) -> None:
    """Bad configuration: one clear line naming the variable, exit code 1, no traceback."""
    unreachable = "postgresql://u:topsecret@127.0.0.1:1/db"
    cases = [
        ({"WIREWORK_PORT": "abc"}, ("config",), "WIREWORK_PORT"),
        ({"WIREWORK_PORT": "70000"}, ("config",), "WIREWORK_PORT"),
        ({"WIREWORK_PORT": "-1"}, ("db", "current"), "WIREWORK_PORT"),
        ({"WIREWORK_PORT": "x"}, ("server",), "WIREWORK_PORT"),
        ({"WIREWORK_LOG_LEVEL": "loud"}, ("config",), "WIREWORK_LOG_LEVEL"),
        (
            {"WIREWORK_DATABASE_URL": "oracle://u:topsecret@h/db"},
            ("db", "upgrade"),
            "WIREWORK_DATABASE_URL",
        ),
        ({"WIREWORK_DATABASE_URL": unreachable}, ("db", "current"), "database"),
    ]
    results = await asyncio.gather(
        *(ww(*args, env=base_env(data_dir, **extra)) for extra, args, _ in cases)
    )
    for (extra, args, needle), result in zip(cases, results, strict=True):
        clean_failure(result)
        assert result.code == 1, (extra, args, result)
        assert needle in result.flat_err, (extra, args, result.err)
        assert "topsecret" not in result.both


async def test_db_upgrade_and_current(env: dict[str, str], data_dir: Path) -> None:
    head = migrate.head_revision()
    assert head is not None
    result = await ww("db", "upgrade", env=env)
    assert result.code == 0, result
    assert head in result.out
    assert (data_dir / "wirework.db").exists()
    result = await ww("db", "current", env=env)
    assert result.code == 0, result
    assert result.out.count(head) == 2, result.out
    # Idempotent.
    assert (await ww("db", "upgrade", env=env)).code == 0


async def test_user_and_api_key(env: dict[str, str], data_dir: Path) -> None:
    result = await ww(
        "user", "create", "--email", "Owner@Example.com", "--password", "password-123", env=env
    )
    assert result.code == 0, result
    assert "owner@example.com" in result.out and "owner" in result.out
    assert "password-123" not in result.both

    # A second user, password typed at the prompt (twice).
    result = await ww(
        "user",
        "create",
        "--email",
        "ed@example.com",
        "--role",
        "editor",
        env=env,
        stdin="password-456\npassword-456\n",
    )
    assert result.code == 0, result
    assert "password-456" not in result.both

    result = await ww(
        "user", "create", "--email", "owner@example.com", "--password", "password-123", env=env
    )
    clean_failure(result)
    assert "already exists" in result.flat_err

    result, unknown, bad_expiry = await asyncio.gather(
        ww("api-key", "create", "--email", "owner@example.com", "--name", "ci", env=env),
        ww("api-key", "create", "--email", "nobody@example.com", "--name", "x", env=env),
        ww(
            "api-key",
            "create",
            "--email",
            "owner@example.com",
            "--name",
            "x",
            "--expires-in-days",
            "0",
            env=env,
        ),
    )
    assert result.code == 0, result
    key = result.out.strip()
    assert key.startswith(auth.API_KEY_PREFIX) and "\n" not in key
    assert key not in result.err
    clean_failure(unknown)
    assert "--email" in unknown.flat_err
    clean_failure(bad_expiry)
    assert "--expires-in-days" in bad_expiry.flat_err

    runtime = await open_runtime(Settings(data_dir=data_dir))
    try:
        async with runtime.sessionmaker() as session:
            user = await auth.authenticate(session, key, runtime.signing_key)
            assert user.email == "owner@example.com" and user.role == "owner"
            user = await auth.login(session, "ed@example.com", "password-456")
            assert user.role == "editor"
    finally:
        await runtime.close()


async def test_user_create_validation(env: dict[str, str], data_dir: Path) -> None:
    cases = [
        (("--email", "not-an-email", "--password", "password-123"), "--email"),
        (("--email", "a@example.com", "--password", "short"), "--password"),
        (("--email", "a@example.com", "--password", "password-123", "--role", "god"), "--role"),
    ]
    results = await asyncio.gather(*(ww("user", "create", *args, env=env) for args, _ in cases))
    for (args, option), result in zip(cases, results, strict=True):
        clean_failure(result)
        assert result.code == 1, (args, result)
        assert option in result.flat_err, (args, result.err)
    # Nothing was created, not even the database.
    assert not (data_dir / "wirework.db").exists()


async def _seed_integration(settings: Settings) -> None:
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            await integration_types.create(
                session,
                IntegrationTypeCreate.model_validate(
                    {"name": "svc", "parameters": [{"name": "token", "type": "password"}]}
                ),
            )
            await integrations.create(
                session,
                runtime.vault,
                IntegrationCreate(name="svc", type="svc", credentials={"token": SECRET}),
            )
            await session.commit()
    finally:
        await runtime.close()


async def _read_secret(settings: Settings) -> str:
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            (row,) = await integrations.list_all(session)
            return str(integrations.decrypted_credentials(row, runtime.vault)["token"])
    finally:
        await runtime.close()


async def test_keys_rotate_file_key(env: dict[str, str], data_dir: Path) -> None:
    await _seed_integration(Settings(data_dir=data_dir))
    key_file = data_dir / KEY_FILE_NAME
    old = key_file.read_text().strip()
    result = await ww("keys", "rotate", env=env)
    assert result.code == 0, result
    assert "re-encrypted 1 secret" in result.out
    assert str(key_file) in " ".join(result.out.split())
    new = key_file.read_text().strip()
    assert new != old and "," not in new and "\n" not in new
    assert new not in result.both and old not in result.both
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert await _read_secret(Settings(data_dir=data_dir)) == SECRET
    # The old key no longer opens the database.
    result = await ww(
        "api-key",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "n",
        env={**env, "WIREWORK_ENCRYPTION_KEY": old},
    )
    clean_failure(result)
    assert "does not match" in result.flat_err


async def test_keys_rotate_env_key(data_dir: Path) -> None:
    old = generate_key()
    await _seed_integration(Settings(data_dir=data_dir, encryption_key=old))
    env = base_env(data_dir, WIREWORK_ENCRYPTION_KEY=old)
    refused = await ww("keys", "rotate", env=env)
    clean_failure(refused)
    assert "--new-key" in refused.flat_err
    assert await _read_secret(Settings(data_dir=data_dir, encryption_key=old)) == SECRET
    new = generate_key()
    result = await ww("keys", "rotate", "--new-key", new, env=env)
    assert result.code == 0, result
    assert result.out.strip().splitlines()[-1] == new
    assert "WIREWORK_ENCRYPTION_KEY" in result.flat_err
    assert old not in result.both
    assert not (data_dir / KEY_FILE_NAME).exists()
    assert await _read_secret(Settings(data_dir=data_dir, encryption_key=new)) == SECRET

    # The old key is now refused, clearly, by every command that opens the vault.
    refusals = await asyncio.gather(
        ww("keys", "rotate", env=env),
        ww("user", "create", "--email", "a@example.com", "--password", "password-123", env=env),
        ww("server", "--port", "1", env=env),
    )
    for result in refusals:
        clean_failure(result)
        assert result.code == 1
        assert "does not match" in result.flat_err
        assert "Refusing to start" in result.flat_err
        assert old not in result.both


async def test_bad_keys_are_refused(tmp_path: Path) -> None:
    wrong_dir, missing_dir, invalid_dir = (tmp_path / n for n in ("wrong", "missing", "invalid"))
    await _seed_integration(Settings(data_dir=wrong_dir))
    await _seed_integration(Settings(data_dir=missing_dir))
    (missing_dir / KEY_FILE_NAME).unlink()
    create = ("user", "create", "--email", "a@example.com", "--password", "password-123")
    wrong, missing, invalid = await asyncio.gather(
        ww(*create, env=base_env(wrong_dir, WIREWORK_ENCRYPTION_KEY=generate_key())),
        ww(*create, env=base_env(missing_dir)),
        ww(*create, env=base_env(invalid_dir, WIREWORK_ENCRYPTION_KEY="not-a-key")),
    )
    for result in (wrong, missing, invalid):
        clean_failure(result)
        assert result.code == 1
    assert "WIREWORK_ENCRYPTION_KEY" in wrong.flat_err and "does not match" in wrong.flat_err
    assert "Refusing to start" in missing.flat_err
    assert not (missing_dir / KEY_FILE_NAME).exists()  # never silently made a new one
    assert "wirework keys generate" in invalid.flat_err
    assert "not-a-key" not in invalid.both
