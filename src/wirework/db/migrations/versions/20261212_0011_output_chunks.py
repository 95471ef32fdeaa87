"""output chunks: large step outputs in the database storage (WIREWORK_STORAGE_URL=db)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "output_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column(
            "blob_key",
            sa.String(length=300)
            .with_variant(mysql.VARCHAR(300, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
            .with_variant(
                mysql.VARCHAR(300, charset="utf8mb4", collation="utf8mb4_bin"), "mariadb"
            ),
            nullable=False,
        ),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_output_chunks")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_output_chunks_blob_key_id", "output_chunks", ["blob_key", "id"], unique=False
    )
    op.create_index(
        op.f("ix_output_chunks_execution_id"), "output_chunks", ["execution_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_output_chunks_execution_id"), table_name="output_chunks")
    op.drop_index("ix_output_chunks_blob_key_id", table_name="output_chunks")
    op.drop_table("output_chunks")
