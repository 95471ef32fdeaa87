"""Portable SQL written once per dialect: seconds since the Unix epoch of `UTCDateTime`
columns (so aggregates such as time buckets and durations run in the database on every
backend), and a column SQLite must not pick an index for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement


class epoch_seconds(FunctionElement[float]):
    """``epoch_seconds(column)``: the naive-UTC timestamp as seconds since 1970-01-01 UTC
    (fractional, microseconds kept where the backend stores them). NULL stays NULL.

    Independent of the connection's time zone: PostgreSQL's ``date_part('epoch', timestamp
    without time zone)`` is nominal, MariaDB counts from a literal with ``TIMESTAMPDIFF``
    (``UNIX_TIMESTAMP`` would read the value in the session's zone), SQLite via
    ``julianday``."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite, and any dialect without its own rule: 2440587.5 is the Julian day of 1970-01-01.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part returns double precision; EXTRACT returns numeric since PostgreSQL 14, which
    # is several times slower to compute with over a million rows.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "mysql")
@compiles(epoch_seconds, "mariadb")
def _epoch_mysql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {column}) / 1000000.0)"


class epoch_bucket(FunctionElement[int]):
    """``epoch_bucket(column, size)``: the start of the ``size``-second bucket (aligned on the
    epoch, so on UTC hours and days) holding the timestamp, as epoch seconds. ``size`` is
    written into the SQL as a number, so the same expression in SELECT and GROUP BY is equal
    on PostgreSQL (two bound parameters would not be)."""

    type = Integer()
    name = "epoch_bucket"
    inherit_cache = False

    def __init__(self, column: Any, size: int) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError("bucket size must be a positive number of seconds")
        self.size = size
        super().__init__(column)


@compiles(epoch_bucket)
def _bucket_default(element: epoch_bucket, compiler: SQLCompiler, **kw: Any) -> str:
    # CAST truncates towards zero on SQLite: the floor for the positive epochs stored.
    epoch = _epoch_default(epoch_seconds(*element.clauses), compiler, **kw)
    return f"(CAST({epoch} / {element.size} AS INTEGER) * {element.size})"


@compiles(epoch_bucket, "postgresql")
def _bucket_pg(element: epoch_bucket, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(date_part('epoch', {column}) / {element.size}) AS BIGINT) * {element.size}"


@compiles(epoch_bucket, "mysql")
@compiles(epoch_bucket, "mariadb")
def _bucket_mysql(element: epoch_bucket, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    seconds = f"TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {column})"
    return f"(({seconds} DIV {element.size}) * {element.size})"


class duration_seconds(FunctionElement[float]):
    """``duration_seconds(start, end)``: ``end - start`` in seconds (NULL while ``end`` is
    NULL), one cheap expression per dialect."""

    type = Float()
    name = "duration_seconds"
    inherit_cache = True


def _two(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return start, end


@compiles(duration_seconds)
def _duration_default(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(duration_seconds, "postgresql")
def _duration_pg(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"date_part('epoch', {end} - {start})"


@compiles(duration_seconds, "mysql")
@compiles(duration_seconds, "mariadb")
def _duration_mysql(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0)"


class unindexed(FunctionElement[Any]):
    """The column itself, but on SQLite written ``+column`` so the planner will not use an
    index on it. SQLite has no statistics by default and likes to walk a whole index to
    save a sort for GROUP BY (e.g. ``ix_executions_status_id`` for ``GROUP BY status``)
    when a range on another index (``started_at``) would read a small part of the table."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"
