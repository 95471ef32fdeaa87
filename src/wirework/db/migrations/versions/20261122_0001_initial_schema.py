"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 06:04:51.086576
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import wirework.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integration_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_types")),
        sa.UniqueConstraint("name", name=op.f("uq_integration_types_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "system_settings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_system_settings")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.Column("expires_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("secret_fields", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["integration_types.id"],
            name=op.f("fk_integrations_type_id_integration_types"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("name", name=op.f("uq_integrations_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrations_type_id"), ["type_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflows_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_workflows_name"), ["name"], unique=False)

    op.create_table(
        "executions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.Column("wait_until", wirework.db.base.UTCDateTime(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("parent_execution_id", sa.String(length=32), nullable=True),
        sa.Column("retry_of", sa.String(length=32), nullable=True),
        sa.Column("result_node", sa.String(length=200), nullable=True),
        sa.Column("deadline_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("lease_until", wirework.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_executions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index("ix_executions_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_executions_workflow_id_id", ["workflow_id", "id"], unique=False)

    op.create_table(
        "schedule_state",
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("last_fire_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_schedule_state_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "node_id", name=op.f("pk_schedule_state")),
    )
    op.create_table(
        "workflow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflow_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_versions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint(
            "workflow_id", "version", name=op.f("uq_workflow_versions_workflow_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "execution_steps",
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
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", wirework.db.base.UTCDateTime(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("items_out", sa.Integer(), nullable=False),
        sa.Column(
            "output",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=True,
        ),
        sa.Column("output_path", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_steps_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_steps")),
        sa.UniqueConstraint(
            "execution_id",
            "node_id",
            "run_index",
            "attempt",
            name=op.f("uq_execution_steps_execution_id"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("execution_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_execution_steps_execution_id"), ["execution_id"], unique=False
        )


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop an index that backs a
    # foreign key first), so only the tables are dropped, children before parents.
    op.drop_table("execution_steps")
    op.drop_table("workflow_versions")
    op.drop_table("schedule_state")
    op.drop_table("executions")
    op.drop_table("workflows")
    op.drop_table("integrations")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("system_settings")
    op.drop_table("integration_types")
