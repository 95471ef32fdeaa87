"""dashboard roll-ups: hourly/daily aggregates of executions, and the triggers that count
changes to executions of hours that have ended (so a roll-up knows when it no longer holds)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-11 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wirework.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers below are frozen here (a migration must not change meaning when code does).
# A later migration that recreates `executions` (SQLite's batch mode copies the table, and
# dropping a table drops its triggers) must create them again: tests/db/test_rollup_triggers.py
# checks they exist at head.
#
# Each one adds 1 to execution_hour_versions.version of the UTC hour an execution started
# in, when a row is inserted, deleted, or updated in workflow_id, status, started_at or
# finished_at — but only for an hour that has already ended by the database's clock, so
# writes to executions started in the current hour (nearly all of them) touch no shared row.
# The dashboard only rolls up hours that ended 10 minutes ago or more (its SETTLE).
# A delete whose workflow row is gone is a cascade from deleting the workflow, whose
# roll-ups go with it (dashboard_rollups.workflow_id ON DELETE CASCADE): not counted.

_SQLITE_HOUR = (
    "CAST((julianday(substr({row}.started_at, 1, 10)) - 2440587.5) * 86400 AS INTEGER)"
    " + CAST(substr({row}.started_at, 12, 2) AS INTEGER) * 3600"
)
_SQLITE_ENDED = "{row}.started_at < strftime('%Y-%m-%d %H', 'now')"
_SQLITE_BUMP = (
    "INSERT INTO execution_hour_versions (hour, version) VALUES ({hour}, 1)"
    " ON CONFLICT (hour) DO UPDATE SET version = version + 1;"
)


def _sqlite_bump(row: str) -> str:
    return _SQLITE_BUMP.format(hour=_SQLITE_HOUR.format(row=row))


SQLITE = [
    f"""CREATE TRIGGER executions_hour_versions_insert AFTER INSERT ON executions
    WHEN {_SQLITE_ENDED.format(row="NEW")}
    BEGIN {_sqlite_bump("NEW")} END""",
    f"""CREATE TRIGGER executions_hour_versions_update
    AFTER UPDATE OF workflow_id, status, started_at, finished_at ON executions
    WHEN ({_SQLITE_ENDED.format(row="OLD")} OR {_SQLITE_ENDED.format(row="NEW")})
      AND (OLD.workflow_id IS NOT NEW.workflow_id OR OLD.status IS NOT NEW.status
           OR OLD.started_at IS NOT NEW.started_at OR OLD.finished_at IS NOT NEW.finished_at)
    BEGIN {_sqlite_bump("OLD")} {_sqlite_bump("NEW")} END""",
    f"""CREATE TRIGGER executions_hour_versions_delete AFTER DELETE ON executions
    WHEN {_SQLITE_ENDED.format(row="OLD")}
      AND EXISTS (SELECT 1 FROM workflows WHERE workflows.id = OLD.workflow_id)
    BEGIN {_sqlite_bump("OLD")} END""",  # noqa: S608 (constants only)
]

_PG_ENDED = "{row}.started_at < date_trunc('hour', statement_timestamp() AT TIME ZONE 'UTC')"
_PG_CHANGED = (
    "(OLD.workflow_id IS DISTINCT FROM NEW.workflow_id OR OLD.status IS DISTINCT FROM NEW.status"
    " OR OLD.started_at IS DISTINCT FROM NEW.started_at"
    " OR OLD.finished_at IS DISTINCT FROM NEW.finished_at)"
)

POSTGRESQL = [
    """CREATE FUNCTION execution_hour_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      rows_ timestamp[];
      started timestamp;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        rows_ := ARRAY[NEW.started_at];
      ELSIF TG_OP = 'UPDATE' THEN
        rows_ := ARRAY[OLD.started_at, NEW.started_at];
      ELSE
        IF NOT EXISTS (SELECT 1 FROM workflows WHERE workflows.id = OLD.workflow_id) THEN
          RETURN NULL;
        END IF;
        rows_ := ARRAY[OLD.started_at];
      END IF;
      FOREACH started IN ARRAY rows_ LOOP
        INSERT INTO execution_hour_versions (hour, version)
        VALUES (CAST(floor(date_part('epoch', started) / 3600) AS bigint) * 3600, 1)
        ON CONFLICT (hour) DO UPDATE SET version = execution_hour_versions.version + 1;
      END LOOP;
      RETURN NULL;
    END
    $$""",
    f"""CREATE TRIGGER executions_hour_versions_insert AFTER INSERT ON executions
    FOR EACH ROW WHEN ({_PG_ENDED.format(row="NEW")})
    EXECUTE FUNCTION execution_hour_versions_bump()""",
    f"""CREATE TRIGGER executions_hour_versions_update
    AFTER UPDATE OF workflow_id, status, started_at, finished_at ON executions
    FOR EACH ROW WHEN (({_PG_ENDED.format(row="OLD")} OR {_PG_ENDED.format(row="NEW")})
                       AND {_PG_CHANGED})
    EXECUTE FUNCTION execution_hour_versions_bump()""",
    f"""CREATE TRIGGER executions_hour_versions_delete AFTER DELETE ON executions
    FOR EACH ROW WHEN ({_PG_ENDED.format(row="OLD")})
    EXECUTE FUNCTION execution_hour_versions_bump()""",
]

# MariaDB/MySQL: no WHEN clause (the body tests), and no trigger fires for rows an ON DELETE
# CASCADE removes (the same outcome as the check of the workflow row above).
_MY_HOUR = "TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', {row}.started_at)"
_MY_NOW_HOUR = "TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', UTC_TIMESTAMP())"
_MY_ENDED = f"{_MY_HOUR} < {_MY_NOW_HOUR}"
_MY_BUMP = (
    f"INSERT INTO execution_hour_versions (hour, version) VALUES ({_MY_HOUR} * 3600, 1)"  # noqa: S608
    " ON DUPLICATE KEY UPDATE version = version + 1;"
)

MYSQL = [
    f"""CREATE TRIGGER executions_hour_versions_insert AFTER INSERT ON executions
    FOR EACH ROW BEGIN
      IF {_MY_ENDED.format(row="NEW")} THEN {_MY_BUMP.format(row="NEW")} END IF;
    END""",
    f"""CREATE TRIGGER executions_hour_versions_update AFTER UPDATE ON executions
    FOR EACH ROW BEGIN
      IF ({_MY_ENDED.format(row="OLD")} OR {_MY_ENDED.format(row="NEW")})
         AND NOT (OLD.workflow_id <=> NEW.workflow_id AND OLD.status <=> NEW.status
                  AND OLD.started_at <=> NEW.started_at AND OLD.finished_at <=> NEW.finished_at)
      THEN
        {_MY_BUMP.format(row="OLD")}
        {_MY_BUMP.format(row="NEW")}
      END IF;
    END""",
    f"""CREATE TRIGGER executions_hour_versions_delete AFTER DELETE ON executions
    FOR EACH ROW BEGIN
      IF {_MY_ENDED.format(row="OLD")}
         AND EXISTS (SELECT 1 FROM workflows WHERE workflows.id = OLD.workflow_id) THEN
        {_MY_BUMP.format(row="OLD")}
      END IF;
    END""",  # noqa: S608 (constants only)
]

TRIGGERS = (
    "executions_hour_versions_insert",
    "executions_hour_versions_update",
    "executions_hour_versions_delete",
)


def _run(statements: list[str]) -> None:
    # Sent as they are: no bind-parameter parsing of the colons and percent signs inside.
    conn = op.get_bind()
    for statement in statements:
        conn.exec_driver_sql(statement)


def _create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _run(POSTGRESQL)
    elif dialect in ("mysql", "mariadb"):
        _run(MYSQL)
    else:
        _run(SQLITE)


def _drop_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _run([f"DROP TRIGGER IF EXISTS {name} ON executions" for name in TRIGGERS])
        _run(["DROP FUNCTION IF EXISTS execution_hour_versions_bump()"])
    else:
        _run([f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS])


def _span_columns() -> list[sa.Column[int]]:
    return [
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start", sa.BigInteger(), autoincrement=False, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "execution_hour_versions",
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_execution_hour_versions")),
    )
    op.create_table(
        "dashboard_spans",
        *_span_columns(),
        sa.Column("version_sum", sa.BigInteger(), nullable=False),
        sa.Column("built_at", wirework.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", "start", name=op.f("pk_dashboard_spans")),
    )
    op.create_table(
        "dashboard_rollups",
        *_span_columns(),
        sa.Column("workflow_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("newest_start", wirework.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["size", "start"],
            ["dashboard_spans.size", "dashboard_spans.start"],
            name=op.f("fk_dashboard_rollups_size_dashboard_spans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_dashboard_rollups_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "size", "start", "workflow_id", "status", name=op.f("pk_dashboard_rollups")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_dashboard_rollups_workflow_id", "dashboard_rollups", ["workflow_id"], unique=False
    )
    op.create_table(
        "dashboard_run_times",
        *_span_columns(),
        sa.Column("workflow_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("seconds", wirework.db.base.LongText, nullable=False),
        sa.ForeignKeyConstraint(
            ["size", "start"],
            ["dashboard_spans.size", "dashboard_spans.start"],
            name=op.f("fk_dashboard_run_times_size_dashboard_spans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_dashboard_run_times_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "size", "start", "workflow_id", name=op.f("pk_dashboard_run_times")
        ),
    )
    op.create_index(
        "ix_dashboard_run_times_workflow_id",
        "dashboard_run_times",
        ["workflow_id", "size", "start"],
        unique=False,
    )
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table("dashboard_run_times")
    op.drop_table("dashboard_rollups")
    op.drop_table("dashboard_spans")
    op.drop_table("execution_hour_versions")
