"""webhook test listeners (armed /webhook-test/ URLs)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wirework.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_test_listeners",
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("armed_by", sa.Integer(), nullable=True),
        sa.Column("armed_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("execution_id", sa.String(length=32), nullable=True),
        sa.Column("called_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["armed_by"],
            ["users.id"],
            name=op.f("fk_webhook_test_listeners_armed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_webhook_test_listeners_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", name=op.f("pk_webhook_test_listeners")),
    )
    with op.batch_alter_table("webhook_test_listeners", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_test_listeners_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("webhook_test_listeners")
