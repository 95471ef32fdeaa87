"""Configuration: every field comes from the environment with the ``WIREWORK_`` prefix."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

SECRET_FIELDS = frozenset(
    {
        "encryption_key",
        "secret_key",
        "database_url",
        "broker_url",
        "events_url",
        "rate_limit_storage_uri",
    }
)


# The async driver the data layer uses for each database a URL may name.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
}


class UnsupportedDatabase(ValueError):
    """WIREWORK_DATABASE_URL names no database Wirework runs on (or is no URL)."""


def async_url(url: str) -> str:
    """Map a plain database URL to the async driver Wirework uses (``postgresql://`` → asyncpg)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise UnsupportedDatabase(f"WIREWORK_DATABASE_URL is not a valid URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise UnsupportedDatabase(
            f"WIREWORK_DATABASE_URL: unsupported database {backend!r} "
            "(use sqlite, postgresql, mysql or mariadb)"
        )
    drivername = _DRIVERS[backend]
    if backend in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.set(drivername=drivername).render_as_string(hide_password=False)


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
    events_url: str = Field(
        default="",
        description=(
            "Where live execution events (the events API, the UI's progress) cross processes: "
            "memory:// (this process only), redis://… (pub/sub) or postgresql://… "
            "(LISTEN/NOTIFY); a `channel` query parameter names the channel. Empty: memory:// "
            "when embedded; in distributed mode the broker if it is Redis, else the database "
            "if it is PostgreSQL, else an error at start-up."
        ),
    )
    storage_url: str = Field(
        default="",
        description=(
            "Where step outputs too large for their row go: file://<dir> (a local directory), "
            "db (the main database) or s3://bucket/prefix?endpoint_url=…&region=… (any "
            "S3-compatible store; credentials from the standard AWS environment, config "
            "files or roles). Empty = <data_dir>/executions embedded, db in distributed "
            "mode, where file:// is refused (workers share no disk)."
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
    approval_link_ttl_s: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        le=365 * 24 * 3600,
        description="How long a signed approve/reject link of an agent's tool call is valid, "
        "in seconds.",
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
    http_max_response_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1,
        description=(
            "Largest response body outbound HTTP (HTTP node, integrations, connection tests) "
            "reads, counted after decompression; a larger one fails the request. A node's "
            "max_response_bytes may lower it, or raise it up to "
            "WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING."
        ),
    )
    http_max_response_bytes_ceiling: int = Field(
        default=256 * 1024 * 1024,
        ge=1,
        description=(
            "The most an HTTP node's max_response_bytes may ask for (never below "
            "WIREWORK_HTTP_MAX_RESPONSE_BYTES)."
        ),
    )
    expression_max_work: int = Field(
        default=500_000_000,
        ge=1_000_000,
        description=(
            "Work budget of one expression evaluation, in units of about a nanosecond of "
            "CPU (filters, methods and operators are charged by the size of what they "
            "process); above it the step fails naming the expression."
        ),
    )
    expression_threads: int = Field(
        default=1,
        ge=1,
        le=32,
        description=(
            "Worker threads for expression evaluations too big to run on the event loop "
            "(more than about a millisecond of work)."
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
    login_rate_limit: str = Field(
        default="5/minute;30/hour",
        description=(
            "Login attempts (and checks of a current password) allowed per account (e-mail) "
            "in moving windows, e.g. '5/minute;30/hour'; more are answered 429 with "
            "Retry-After until the window moves on. A successful login clears the count."
        ),
    )
    login_client_rate_limit: str = Field(
        default="30/minute;300/hour",
        description=(
            "Failed logins, failed password checks and set-up attempts after set-up allowed "
            "per client address in moving windows; more are answered 429 with Retry-After."
        ),
    )
    auth_rate_limit: str = Field(
        default="60/minute",
        description=(
            "Requests with a wrong, expired or revoked bearer token (API key or login token) "
            "allowed per client address in moving windows; more are answered 429."
        ),
    )
    chat_rate_limit: str = Field(
        default="20/minute;200/hour",
        description=(
            "Messages allowed per client address to each public chat (ai.chat_trigger with "
            "access public) in moving windows; more are answered 429 with Retry-After."
        ),
    )
    chat_max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest body of a chat message request (POST /api/chat/…/messages).",
    )
    rate_limit_storage_uri: str = Field(
        default="memory://",
        description=(
            "Where rate-limit counters live: memory:// (this process) or redis://host:6379 "
            "(shared by replicas; needs the coredis package)."
        ),
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
    execution_lease_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            "Lease, in seconds, a server holds on the executions it runs; it renews it every "
            "third of that. When a server dies, another one sharing the database (or the "
            "same one restarted) takes its executions over once their lease has lapsed."
        ),
    )
    inline_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description=(
            "Waits and retry backoffs up to this many seconds sleep in the process running "
            "the execution; longer ones park it (no task held) until a timer wakes it."
        ),
    )
    broker_queue: str = Field(
        default="wirework",
        min_length=1,
        max_length=200,
        description=(
            "Distributed mode: the broker queue servers publish executions to and workers "
            "consume (clusters sharing one broker use different queues)."
        ),
    )
    max_running_executions: int = Field(
        default=0,
        ge=0,
        description=(
            "Distributed mode: executions running at once across all workers (counted in the "
            "database); more wait as queued. 0 = no limit beyond the workers' concurrency."
        ),
    )
    ai_cache_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description=(
            "Seconds a process keeps the AI price table and spending limits before reading "
            "them again (changes made through this process's API apply at once)."
        ),
    )
    spread_branches: Literal["off", "auto", "always"] = Field(
        default="auto",
        description=(
            "Distributed mode: whether the worker running an execution hands some branches "
            "of a fork to other workers (off: all run on its own event loop; auto: only "
            "two or more CPU-heavy branches such as core.code, and only when the workers run "
            "on several machines; always: every fork). A workflow's settings.spread "
            "overrides it."
        ),
    )
    ai_assistant_attempts: int = Field(
        default=2,
        ge=1,
        le=5,
        description=(
            "Model calls the editor's AI assistant makes for one answer: the first, then "
            "repairs (the validation problems sent back) until one is valid."
        ),
    )
    ai_assistant_catalogue_chars: int = Field(
        default=24000,
        ge=2000,
        le=400000,
        description=(
            "Characters of the node-type catalogue sent to the model when drafting a "
            "workflow; past it, the types least related to the description lose their "
            "params' details."
        ),
    )
    auto_migrate: bool = Field(
        default=True,
        description=(
            "Upgrade the database schema on server start (always done for an empty database)."
        ),
    )

    @field_validator(
        "login_rate_limit", "login_client_rate_limit", "auth_rate_limit", "chat_rate_limit"
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            if all(item.amount >= 1 for item in parse_many(value)):
                return value
        except ValueError:
            pass
        raise ValueError(
            f"{value!r} is not a rate limit: write e.g. '5/minute' or '5/minute;30/hour'"
        )

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _storage_uri(cls, value: str) -> str:
        scheme = value.removeprefix("async+").partition("://")[0]
        if scheme not in {"memory", "redis", "rediss", "redis+sentinel", "redis+cluster"}:
            raise ValueError("must be memory:// or a redis://… URI")
        return value

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
        return async_url(self.database_url or f"sqlite:///{self.sqlite_path}")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
