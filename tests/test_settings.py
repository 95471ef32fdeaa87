"""Settings: the WIREWORK_ environment, documentation of every field, masking for display."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from wirework.services.admin import masked_settings
from wirework.settings import SECRET_FIELDS, Settings
from wirework.vault import MASK


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WIREWORK_* variable of the developer's shell leaks into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("WIREWORK_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = Settings()
    assert s.data_dir == Path(".wirework")
    assert s.database_url == ""
    assert s.broker_url == ""
    assert s.encryption_key is None
    assert s.port == 8000
    assert s.host == "127.0.0.1"
    assert s.log_level == "info"
    assert s.sqlite_path == Path(".wirework") / "wirework.db"
    assert s.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert s.effective_database_url.endswith("wirework.db")


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WIREWORK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIREWORK_PORT", "9123")
    monkeypatch.setenv("WIREWORK_HOST", "0.0.0.0")
    monkeypatch.setenv("WIREWORK_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("WIREWORK_LOG_FORMAT", "json")
    monkeypatch.setenv("WIREWORK_ENCRYPTION_KEY", "k1,k2")
    monkeypatch.setenv("WIREWORK_SECRET_KEY", "signing")
    monkeypatch.setenv("WIREWORK_BROKER_URL", "redis://localhost:6379/0")
    monkeypatch.setenv("WIREWORK_DATABASE_URL", "postgresql://u:p@db/ww")
    monkeypatch.setenv("WIREWORK_ACCESS_TOKEN_TTL_S", "120")
    monkeypatch.setenv("WIREWORK_AUTO_MIGRATE", "false")
    # Unprefixed names are not Wirework's.
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("DATA_DIR", "/nowhere")
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.port == 9123
    assert s.host == "0.0.0.0"
    assert s.log_level == "debug"  # case-insensitive
    assert s.log_format == "json"
    assert isinstance(s.encryption_key, SecretStr)
    assert s.encryption_key.get_secret_value() == "k1,k2"
    assert s.secret_key is not None and s.secret_key.get_secret_value() == "signing"
    assert s.broker_url == "redis://localhost:6379/0"
    assert s.access_token_ttl_s == 120
    assert s.auto_migrate is False
    assert s.effective_database_url == "postgresql+asyncpg://u:p@db/ww"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://"),
        ("mysql://u:p@h/db", "mysql+aiomysql://"),
        ("mariadb://u:p@h/db", "mysql+aiomysql://"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:///"),
    ],
)
def test_effective_database_url_picks_async_driver(url: str, driver: str) -> None:
    effective = Settings(database_url=url).effective_database_url
    assert effective.startswith(driver)
    if driver.startswith("mysql"):
        assert "charset=utf8mb4" in effective


def test_unsupported_database_is_named() -> None:
    from wirework.db.engine import UnsupportedDatabase

    with pytest.raises(UnsupportedDatabase, match="WIREWORK_DATABASE_URL"):
        _ = Settings(database_url="oracle://u:p@h/db").effective_database_url


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIREWORK_PORT", "abc"),
        ("WIREWORK_PORT", "70000"),
        ("WIREWORK_PORT", "0"),
        ("WIREWORK_LOG_LEVEL", "verbose"),
        ("WIREWORK_LOG_FORMAT", "xml"),
        ("WIREWORK_ACCESS_TOKEN_TTL_S", "5"),
        ("WIREWORK_DB_POOL_SIZE", "0"),
    ],
)
def test_invalid_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    field = name.removeprefix("WIREWORK_").lower()
    assert info.value.errors()[0]["loc"][0] == field


def test_every_field_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"
        assert len(field.description) > 10, name


def test_secret_fields_exist() -> None:
    assert set(SECRET_FIELDS) <= set(Settings.model_fields)


def test_masked_hides_secrets_and_url_passwords(tmp_path: Path) -> None:
    s = Settings(
        data_dir=tmp_path,
        database_url="postgresql://wire:db-pa55word@db.example:5432/ww",
        broker_url="redis://:broker-pa55@redis.example:6379/0",
        encryption_key="enc-key-material",
        secret_key="signing-key-material",
    )
    masked = masked_settings(s)
    dumped = json.dumps(masked, default=str)
    for secret in ("db-pa55word", "broker-pa55", "enc-key-material", "signing-key-material"):
        assert secret not in dumped
    assert masked["encryption_key"] == MASK
    assert masked["secret_key"] == MASK
    assert masked["database_url"] == f"postgresql://wire:{MASK}@db.example:5432/ww"
    assert masked["broker_url"] == f"redis://:{MASK}@redis.example:6379/0"
    assert (
        masked["effective_database_url"] == f"postgresql+asyncpg://wire:{MASK}@db.example:5432/ww"
    )
    assert masked["mode"] == "distributed"
    assert masked["data_dir"] == str(tmp_path)
    assert masked["port"] == 8000
    # Every field is listed, plus the derived ones.
    assert set(Settings.model_fields) <= set(masked)
    json.dumps(masked)  # serialisable as is (for `wirework config --json`)


def test_masked_with_nothing_secret() -> None:
    masked = masked_settings(Settings(encryption_key=""))
    assert masked["encryption_key"] == ""
    assert masked["secret_key"] is None
    assert masked["database_url"] == ""
    assert masked["broker_url"] == ""
    assert masked["mode"] == "embedded"
    assert masked["effective_database_url"].startswith("sqlite+aiosqlite:///")


def test_masked_url_with_escaped_password() -> None:
    masked = masked_settings(Settings(database_url="mysql://u:p%40ss%3Aw0rd@h/db"))
    dumped = json.dumps(masked)
    assert "p%40ss" not in dumped and "p@ss" not in dumped and "w0rd" not in dumped
    assert MASK in masked["database_url"]


def test_settings_repr_does_not_show_secrets() -> None:
    s = Settings(encryption_key="enc-key-material", secret_key="signing-key-material")
    text = repr(s) + str(s)
    assert "enc-key-material" not in text and "signing-key-material" not in text
