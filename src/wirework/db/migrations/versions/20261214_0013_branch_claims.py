"""branch claims: branches of an execution run on other workers (distributed mode)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-13 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from wirework.db.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "branch_claims",
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("run_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
        sa.Column(
            "outcome",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_branch_claims_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "execution_id", "node_id", "run_index", name=op.f("pk_branch_claims")
        ),
    )


def downgrade() -> None:
    op.drop_table("branch_claims")
