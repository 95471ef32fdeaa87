"""Configuration: every field comes from the environment with the ``WIREWORK_`` prefix."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FIELDS = frozenset({"encryption_key", "secret_key", "database_url", "broker_url"})


class Settings(BaseSettings):
    """Effective configuration of one Wirework process."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWORK_", env_file=None, extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        default=Path(".wirework"),
        description="Directory for the SQLite database, the generated keys and spilled data.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy database URL. Empty means SQLite in the data dir. "
            "postgresql://…, mysql://… and mariadb://… are supported."
        ),
    )
    broker_url: str = Field(
        default="",
        description=(
            "Celery broker URL for distributed mode (redis://… or amqp://…); empty = embedded."
        ),
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key(s) for the credential vault, comma-separated, newest first. "
            "If unset, a key is generated once into <data_dir>/encryption.key (mode 0600)."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs login tokens. If unset, one is generated once into "
            "<data_dir>/secret.key (mode 0600). Set it on every replica in distributed mode."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    public_url: str = Field(
        default="",
        description=(
            "URL the outside world reaches this server at (for webhook and resume URLs); "
            "empty = http://<host>:<port>."
        ),
    )
    webhook_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest webhook request body accepted."
    )
    api_max_body_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest request body the /api routes accept (413 above): workflow "
        "documents, execution inputs, sample items.",
    )
    webhook_idempotency_ttl_s: int = Field(
        default=7 * 86400,
        ge=60,
        description=(
            "How long a webhook delivery id (core.webhook idempotency_header) is remembered, "
            "in seconds: a repeat within this window starts no second execution. Older ids "
            "are pruned."
        ),
    )
    outbound_allow: str = Field(
        default="",
        description=(
            "Private, loopback or link-local destinations outbound HTTP (HTTP node, "
            "integrations) may reach: comma-separated hosts, addresses or CIDR ranges."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="Minimum level of log lines written."
    )
    log_format: Literal["console", "json"] = Field(
        default="console", description="Log line format: human console lines or one JSON per line."
    )
    access_token_ttl_s: int = Field(
        default=8 * 3600, ge=60, description="Lifetime of a login token, in seconds."
    )
    session_ttl_s: int = Field(
        default=12 * 3600,
        ge=60,
        description="Lifetime of a web UI session (the wirework_session cookie), in seconds; "
        "the user logs in again after it.",
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Reverse proxies (comma-separated addresses) whose X-Forwarded-Proto header is "
            "believed when deciding whether a request came over HTTPS (session cookies are "
            "then marked Secure)."
        ),
    )
    ui_dir: Path | None = Field(
        default=None,
        description=(
            "Directory of the built web UI to serve at /; empty = the one shipped in the "
            "package (built by `make run` or `cd web && npm run build`)."
        ),
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="Connections kept per process (PostgreSQL/MariaDB)."
    )
    auto_migrate: bool = Field(
        default=True,
        description=(
            "Upgrade the database schema on server start (always done for an empty database)."
        ),
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "wirework.db"

    @property
    def effective_database_url(self) -> str:
        """The database URL with the async driver the data layer uses."""
        from wirework.db.engine import async_url

        return async_url(self.database_url or f"sqlite:///{self.sqlite_path}")

    def masked(self) -> dict[str, Any]:
        """Every setting with secrets masked, for ``wirework config``."""
        from wirework.vault.masking import mask_url

        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif name in {"database_url", "broker_url"} and value:
                value = mask_url(str(value))
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["effective_database_url"] = mask_url(self.effective_database_url)
        out["mode"] = "distributed" if self.broker_url else "embedded"
        return out


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
