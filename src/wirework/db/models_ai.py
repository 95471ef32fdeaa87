"""Tables of AI accounting and the prompt template library (``services/ai_*``,
``services/prompt_templates.py``). Money is stored as whole numbers, exact on every backend:
prices in millionths of a currency unit per million tokens (``*_micros``), costs in
billionths of a currency unit (``cost_nanos``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from wirework.db.base import Base, BigIntPK, UTCDateTime, utcnow


def _exact(length: int) -> Any:
    """A string compared byte for byte on every backend (MariaDB's default collation folds
    case: "GPT-4o" and "gpt-4o" would be one key there)."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class AiPrice(Base):
    """What a model costs, per million tokens in and out; users edit the table."""

    __tablename__ = "ai_prices"
    __table_args__ = (
        UniqueConstraint("provider", "model"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(_exact(64))
    model: Mapped[str] = mapped_column(_exact(200))
    input_micros: Mapped[int] = mapped_column(BigInteger)
    output_micros: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AiUsage(Base):
    """Model calls of one step with one (provider, model, template), written by the engine's
    store with the step. Not tied to the execution or workflow by a foreign key: spend stays
    counted when executions are pruned or a workflow is deleted."""

    __tablename__ = "ai_usage"
    __table_args__ = (
        Index("ix_ai_usage_day_workflow_id", "day", "workflow_id"),
        Index("ix_ai_usage_day_project_id", "day", "project_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(String(32), index=True)
    node_id: Mapped[str] = mapped_column(String(200))
    run_index: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    workflow_id: Mapped[int | None] = mapped_column(Integer)
    # Wirework has no projects yet: always NULL until they come (the API already groups by it).
    project_id: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)  # UTC
    provider: Mapped[str] = mapped_column(_exact(64))
    model: Mapped[str] = mapped_column(_exact(200))
    template: Mapped[str | None] = mapped_column(_exact(120))  # name@version
    calls: Mapped[int] = mapped_column(Integer, default=1)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    # NULL: the model has no price (its tokens are still counted).
    cost_nanos: Mapped[int | None] = mapped_column(BigInteger)
    unpriced_calls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AiSpendingLimit(Base):
    """A daily (UTC) spending limit for the instance, a workflow or a project."""

    __tablename__ = "ai_spending_limits"
    __table_args__ = (
        UniqueConstraint("scope", "scope_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # a LimitScope
    # The workflow's or project's id; 0 for the instance (a unique key cannot hold NULLs).
    scope_id: Mapped[int] = mapped_column(Integer, default=0)
    daily_nanos: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PromptTemplateRow(Base):
    """A named prompt template; its content is in its versions (never changed once saved)."""

    __tablename__ = "prompt_templates"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(_exact(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PromptTemplateVersion(Base):
    """One saved version of a template: its messages and declared variables (samples)."""

    __tablename__ = "prompt_template_versions"

    template_id: Mapped[int] = mapped_column(
        ForeignKey("prompt_templates.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
