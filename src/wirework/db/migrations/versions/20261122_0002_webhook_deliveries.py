"""webhook deliveries (idempotency)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import wirework.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Compared byte for byte on MySQL/MariaDB, whatever the database's collation.
EXACT_200 = sa.String(length=200).with_variant(
    mysql.VARCHAR(length=200, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("node_id", EXACT_200, nullable=False),
        sa.Column("delivery_id", EXACT_200, nullable=False),
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_webhook_deliveries_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workflow_id", "node_id", "delivery_id", name=op.f("pk_webhook_deliveries")
        ),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    # Dropping the table drops its index (MariaDB refuses to drop an index that backs a
    # foreign key first).
    op.drop_table("webhook_deliveries")
