"""workers: the processes of a cluster (server, worker, scheduler) and their heartbeats

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wirework.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_heartbeat_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_index(
        op.f("ix_workers_last_heartbeat_at"), "workers", ["last_heartbeat_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_workers_last_heartbeat_at"), table_name="workers")
    op.drop_table("workers")
