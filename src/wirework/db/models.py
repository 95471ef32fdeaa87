"""Tables. Every change here needs an Alembic migration (``db/migrations/versions``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wirework.db.base import Base, BigIntPK, LongText, UTCDateTime, utcnow


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SystemSetting(Base):
    """Process-wide facts kept in the database (e.g. the vault's key check)."""

    __tablename__ = "system_settings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="editor")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to invalidate every login token the user holds (password change, deactivation).
    token_version: Mapped[int] = mapped_column(Integer, default=0)

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_keys")


class IntegrationType(TimestampMixin, Base):
    __tablename__ = "integration_types"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Credential fields: list of {name, type, required, description, default, options}.
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Actions it offers: list of {name, display_name, description, parameters}.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    # A declarative HTTP type: {base_url, auth}; its actions carry a ``request`` each.
    http: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)


class Integration(TimestampMixin, Base):
    __tablename__ = "integrations"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type_id: Mapped[int] = mapped_column(
        ForeignKey("integration_types.id", ondelete="RESTRICT"), index=True
    )
    # Non-secret credential fields, in clear.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Secret fields: one Fernet token of their JSON object (never in clear at rest).
    secrets: Mapped[str | None] = mapped_column(Text)
    # Names of the secret fields that have a value (shown masked, without decrypting).
    secret_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hosts its credentials may be sent to (patterns; ["*"]: any); NULL: its base URL's host.
    allowed_hosts: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=None)

    type: Mapped[IntegrationType] = relationship(lazy="joined")


ExactString40 = String(40).with_variant(
    mysql.VARCHAR(40, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class Workflow(TimestampMixin, Base):
    __tablename__ = "workflows"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Number of the newest saved version (workflow_versions.version).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WorkflowVersion(Base):
    """An immutable saved document; rows are only ever inserted."""

    __tablename__ = "workflow_versions"
    __table_args__ = (
        UniqueConstraint("workflow_id", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WorkflowTag(Base):
    """A tag of a workflow's current document, kept in step with it so lists filter by tag
    with an index. Tags compare byte for byte on every database (``Ops`` and ``ops`` are two
    tags, and MySQL/MariaDB's collation does not merge them)."""

    __tablename__ = "workflow_tags"
    __table_args__ = (Index("ix_workflow_tags_tag", "tag"),)

    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(ExactString40, primary_key=True)


class ScheduleState(Base):
    """When each schedule trigger last fired. Claiming a fire time is a conditional UPDATE of
    this row, so several schedulers never fire the same run twice."""

    __tablename__ = "schedule_state"

    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_fire_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TriggerCursor(Base):
    """Where a polling trigger has read up to. A poll that finds items stores the new cursor
    together with the run it is about to start (``pending_*``), in one transaction; the run
    is started with that id and the pending part cleared. A poll that finds a pending run
    (the process stopped in between) starts it if it does not exist yet: nothing is started
    twice or missed. A change of the trigger's params (``params_hash``) starts afresh."""

    __tablename__ = "trigger_cursors"

    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    params_hash: Mapped[str] = mapped_column(String(64))
    cursor: Mapped[Any] = mapped_column(JSON, nullable=True)
    pending_execution_id: Mapped[str | None] = mapped_column(String(32))
    pending_items: Mapped[str | None] = mapped_column(LongText)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Execution(Base):
    """One run of one workflow version. Ids are time-ordered, so ``ORDER BY id`` is by start."""

    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_workflow_id_id", "workflow_id", "id"),
        Index("ix_executions_status_id", "status", "id"),
        # Time windows: the dashboard's aggregates and the list's started_after/before.
        Index("ix_executions_started_at", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    workflow_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # queued|running|waiting|success|error|canceled
    mode: Mapped[str] = mapped_column(String(16))  # manual|webhook|schedule|test|retry|cli|…
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parent_execution_id: Mapped[str | None] = mapped_column(String(32))
    retry_of: Mapped[str | None] = mapped_column(String(32))
    # The node whose output is the execution's `result` (the last node that ran, or the one
    # marked as the result).
    result_node: Mapped[str | None] = mapped_column(String(200))
    # Absolute deadline from settings.timeout_s, kept so a resumed execution keeps it.
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Which process runs it and until when its claim holds (resume after a crash).
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ExecutionHourVersion(Base):
    """How many times executions started in one UTC hour changed after that hour ended:
    counted by triggers on ``executions`` (migration 0008: every insert, update of
    workflow, status or times, and delete of such an execution adds one). The dashboard's
    roll-ups of a span hold while the sum over its hours is what it was when they were
    built. Rows are never deleted, so the sums only grow."""

    __tablename__ = "execution_hour_versions"

    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class DashboardSpan(Base):
    """A UTC hour or day (``size`` seconds from ``start``, seconds since the epoch) whose
    executions are rolled up in ``dashboard_rollups`` and ``dashboard_run_times``, with the
    sum of its hours' versions read before its executions were."""

    __tablename__ = "dashboard_spans"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version_sum: Mapped[int] = mapped_column(BigInteger)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _span_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["size", "start"], ["dashboard_spans.size", "dashboard_spans.start"], ondelete="CASCADE"
    )


class DashboardRollup(Base):
    """A span's executions of one workflow and status: how many, how many have an end time,
    their summed run time and the newest start."""

    __tablename__ = "dashboard_rollups"
    __table_args__ = (
        _span_fk(),
        Index("ix_dashboard_rollups_workflow_id", "workflow_id"),
        # SQLite: rows stored in primary-key order, so a range of spans is read in one pass.
        {"sqlite_with_rowid": False},
    )

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    executions: Mapped[int] = mapped_column(Integer)
    timed: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Double)
    newest_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DashboardRunTimes(Base):
    """The run times of a span's executions of one workflow that ended in success or error
    with an end time (so the p95 stays exact): ``count`` seconds as 8-byte little-endian
    floats in ascending order, base64-encoded (``dashboard_rollups.pack_run_times``)."""

    __tablename__ = "dashboard_run_times"
    __table_args__ = (
        _span_fk(),
        Index("ix_dashboard_run_times_workflow_id", "workflow_id", "size", "start"),
    )

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    count: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[str] = mapped_column(LongText)


class ExecutionStep(Base):
    """One node run and attempt, written when it ends (or starts waiting). Its output is stored
    with it: appended per step, never one growing blob; large outputs go to the storage
    (:mod:`wirework.storage`), ``output_path`` naming the blob's key (an absolute path: a
    file written before storages existed)."""

    __tablename__ = "execution_steps"
    __table_args__ = (
        UniqueConstraint("execution_id", "node_id", "run_index", "attempt"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    node_id: Mapped[str] = mapped_column(String(200))
    run_index: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(
        String(16)
    )  # running|success|error|skipped|waiting|canceled
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    items_out: Mapped[int] = mapped_column(Integer, default=0)
    # JSON of {port: [items]}; NULL when not saved (save_data) or in the storage (output_path).
    output: Mapped[str | None] = mapped_column(LongText)
    output_path: Mapped[str | None] = mapped_column(String(500))
    # Model calls the step made (``ModelUsage`` summed: calls, tokens, cost, per model);
    # NULL for the steps that made none.
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BranchClaim(Base):
    """A branch of an execution handed to the cluster (distributed mode, spread branches):
    "run node ``node_id`` of ``execution_id``". The worker running it holds the claim with a
    lease (``worker``, ``lease_until``) renewed while it runs; ``status`` is ``queued`` (no
    worker yet), ``running`` or ``done`` (``outcome``: the node's outcome as JSON, for the
    coordinator to settle). The coordinator deletes the row once it settled the outcome."""

    __tablename__ = "branch_claims"

    execution_id: Mapped[str] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    run_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    status: Mapped[str] = mapped_column(String(16))  # queued|running|done
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(LongText)


class OutputChunk(Base):
    """A piece of a large step output in the database storage (``WIREWORK_STORAGE_URL=db``,
    :mod:`wirework.storage.db`): one blob is many rows in ``id`` order, each at most
    ``PIECE_CHARS`` characters; ``part`` > 0 continues the chunk of the row before. No row is
    ever updated or grows; an execution's rows go with it (``execution_id``)."""

    __tablename__ = "output_chunks"
    __table_args__ = (
        Index("ix_output_chunks_blob_key_id", "blob_key", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(String(32), index=True)
    blob_key: Mapped[str] = mapped_column(
        String(300).with_variant(
            mysql.VARCHAR(300, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
    )
    part: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(LongText)


ExactString200 = String(200).with_variant(
    mysql.VARCHAR(200, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class WebhookDelivery(Base):
    """A webhook delivery id already seen (``core.webhook`` ``idempotency_header``): a repeat
    with the same id for the same workflow and node is answered with this execution instead
    of starting another. The primary key makes concurrent duplicates race safely; rows older
    than ``WIREWORK_WEBHOOK_IDEMPOTENCY_TTL_S`` are pruned."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_created_at", "created_at"),)

    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    # Node and delivery ids compare byte for byte on MySQL/MariaDB too, whatever the
    # database's collation ("abc" and "ABC" are different deliveries).
    node_id: Mapped[str] = mapped_column(ExactString200, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ExactString200, primary_key=True)
    execution_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookTestListener(Base):
    """A workflow's armed test webhook (``POST /api/workflows/{id}/test-webhook``): until
    ``expires_at`` its ``/webhook-test/…`` URLs take one call, which runs ``version`` (the
    draft when armed). The call claims the row with a conditional UPDATE setting
    ``execution_id``, so one call wins on any replica; re-arming replaces the row."""

    __tablename__ = "webhook_test_listeners"

    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    armed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    armed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # Set by the call that used the listener (then it listens no more).
    execution_id: Mapped[str | None] = mapped_column(String(32))
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Worker(Base):
    """A Wirework process that runs or dispatches work (``wirework server``, ``wirework
    worker``, ``wirework scheduler``), as its last heartbeat described it. Each process upserts
    its row every few seconds (``services.workers.heartbeat``); a row whose heartbeat is older
    than the staleness threshold names a process that stopped or hangs. ``id`` is the process's
    owner name of execution leases (``engine.leases.new_worker_id``: ``host:pid:nonce``)."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # server|worker|scheduler
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(40))
    # Steps it may run at once (0: no fixed limit, e.g. an embedded server).
    concurrency: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Steps (a server: executions) it was running at its last heartbeat.
    running: Mapped[int] = mapped_column(Integer, default=0)
    # Load and queue figures the process reports (free-form, small).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# The AI tables live in their own module; importing them here registers them with the rest.
from wirework.db.models_ai import (  # noqa: E402
    AiPrice as AiPrice,
)
from wirework.db.models_ai import (  # noqa: E402
    AiSpendingLimit as AiSpendingLimit,
)
from wirework.db.models_ai import (  # noqa: E402
    AiUsage as AiUsage,
)
from wirework.db.models_ai import (  # noqa: E402
    PromptTemplateRow as PromptTemplateRow,
)
from wirework.db.models_ai import (  # noqa: E402
    PromptTemplateVersion as PromptTemplateVersion,
)


class AiMemoryMessage(Base):
    """One message of a conversation's memory (``ai.memory``, the agent's and chat's
    ``memory`` param), per session key, in ``id`` order. ``tokens`` is the message's
    approximate token count (the token-budget mode sums it without reading content)."""

    __tablename__ = "ai_memory_messages"
    __table_args__ = (
        Index("ix_ai_memory_messages_session_key_id", "session_key", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    session_key: Mapped[str] = mapped_column(ExactString200)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(LongText)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
