"""AI accounting and prompt templates: a step's model usage, the price table (seeded), usage
rows per step and model, daily spending limits, prompt templates and their versions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14 12:00:00.000000
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Published list prices per million tokens (USD) as of the seed date in docs/ai-costs-and-
# templates.md; users edit the table (the seed is written once, here, never again).
SEED_PRICES = (
    ("openai", "gpt-4o", "2.50", "10.00"),
    ("openai", "gpt-4o-mini", "0.15", "0.60"),
    ("openai", "gpt-4.1", "2.00", "8.00"),
    ("openai", "gpt-4.1-mini", "0.40", "1.60"),
    ("openai", "gpt-4.1-nano", "0.10", "0.40"),
    ("openai", "text-embedding-3-small", "0.02", "0"),
    ("openai", "text-embedding-3-large", "0.13", "0"),
    ("anthropic", "claude-3-5-haiku", "0.80", "4.00"),
    ("anthropic", "claude-3-5-sonnet", "3.00", "15.00"),
    ("anthropic", "claude-sonnet-4", "3.00", "15.00"),
    ("anthropic", "claude-opus-4", "15.00", "75.00"),
)


def _when() -> Any:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _exact(length: int) -> Any:
    return sa.String(length=length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _micros(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 1_000_000 + int((frac + "000000")[:6])


def upgrade() -> None:
    op.add_column("execution_steps", sa.Column("usage", sa.JSON(), nullable=True))
    prices = op.create_table(
        "ai_prices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", _exact(64), nullable=False),
        sa.Column("model", _exact(200), nullable=False),
        sa.Column("input_micros", sa.BigInteger(), nullable=False),
        sa.Column("output_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_prices")),
        sa.UniqueConstraint("provider", "model", name=op.f("uq_ai_prices_provider")),
        sqlite_autoincrement=True,
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(
        prices,
        [
            {
                "provider": p,
                "model": m,
                "input_micros": _micros(i),
                "output_micros": _micros(o),
                "updated_at": now,
            }
            for p, m, i, o in SEED_PRICES
        ],
    )
    op.create_table(
        "ai_usage",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("run_index", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider", _exact(64), nullable=False),
        sa.Column("model", _exact(200), nullable=False),
        sa.Column("template", _exact(120), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_nanos", sa.BigInteger(), nullable=True),
        sa.Column("unpriced_calls", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_usage")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ai_usage_day_workflow_id", "ai_usage", ["day", "workflow_id"])
    op.create_index("ix_ai_usage_day_project_id", "ai_usage", ["day", "project_id"])
    op.create_index(op.f("ix_ai_usage_execution_id"), "ai_usage", ["execution_id"])
    op.create_table(
        "ai_spending_limits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("daily_nanos", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_spending_limits")),
        sa.UniqueConstraint("scope", "scope_id", name=op.f("uq_ai_spending_limits_scope")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prompt_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", _exact(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_prompt_templates_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prompt_template_versions",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["prompt_templates.id"],
            name=op.f("fk_prompt_template_versions_template_id_prompt_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_prompt_template_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("template_id", "version", name=op.f("pk_prompt_template_versions")),
    )


def downgrade() -> None:
    op.drop_table("prompt_template_versions")
    op.drop_table("prompt_templates")
    op.drop_table("ai_spending_limits")
    op.drop_index(op.f("ix_ai_usage_execution_id"), table_name="ai_usage")
    op.drop_index("ix_ai_usage_day_project_id", table_name="ai_usage")
    op.drop_index("ix_ai_usage_day_workflow_id", table_name="ai_usage")
    op.drop_table("ai_usage")
    op.drop_table("ai_prices")
    op.drop_column("execution_steps", "usage")
