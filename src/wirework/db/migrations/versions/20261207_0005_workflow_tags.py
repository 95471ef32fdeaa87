"""workflow tags (the current document's tags, indexed for list filters)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Compared byte for byte on MySQL/MariaDB, whatever the database's collation.
EXACT_40 = sa.String(length=40).with_variant(
    mysql.VARCHAR(length=40, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


def _tags(document: Any) -> list[str]:
    """The tags of a stored document, cleaned as the document model cleans them (frozen
    here: a migration must not change meaning when the model does)."""
    raw = document.get("tags") if isinstance(document, dict) else None
    out: list[str] = []
    seen: set[str] = set()
    for value in raw if isinstance(raw, list) else []:
        tag = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(tag) <= 40 or any(ord(c) < 32 for c in tag):
            continue
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out[:20]


def _backfill() -> None:
    workflows = sa.table("workflows", sa.column("id", sa.Integer), sa.column("version", sa.Integer))
    versions = sa.table(
        "workflow_versions",
        sa.column("workflow_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("document", sa.JSON),
    )
    tags = sa.table("workflow_tags", sa.column("workflow_id", sa.Integer), sa.column("tag"))
    rows = op.get_bind().execute(
        sa.select(workflows.c.id, versions.c.document).join(
            versions,
            sa.and_(
                versions.c.workflow_id == workflows.c.id,
                versions.c.version == workflows.c.version,
            ),
        )
    )
    values = [{"workflow_id": wid, "tag": tag} for wid, document in rows for tag in _tags(document)]
    if values:
        op.bulk_insert(tags, values)


def upgrade() -> None:
    op.create_table(
        "workflow_tags",
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("tag", EXACT_40, nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_tags_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "tag", name=op.f("pk_workflow_tags")),
    )
    with op.batch_alter_table("workflow_tags", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_tags_tag", ["tag"], unique=False)
    _backfill()


def downgrade() -> None:
    # Dropping the table drops its index (MariaDB refuses to drop an index that backs a
    # foreign key first). The tags stay in the documents.
    op.drop_table("workflow_tags")
