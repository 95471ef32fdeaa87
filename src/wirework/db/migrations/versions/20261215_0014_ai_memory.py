"""ai memory: conversation messages per session key (ai.memory, the agent's memory)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-13 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import wirework.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_memory_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "session_key",
            sa.String(length=200)
            .with_variant(mysql.VARCHAR(200, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
            .with_variant(
                mysql.VARCHAR(200, charset="utf8mb4", collation="utf8mb4_bin"), "mariadb"
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "content",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=False,
        ),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_memory_messages")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_ai_memory_messages_session_key_id",
        "ai_memory_messages",
        ["session_key", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ai_memory_messages_session_key_id", table_name="ai_memory_messages")
    op.drop_table("ai_memory_messages")
