"""Portable SQL written once per dialect: seconds since the Unix epoch of `UTCDateTime`
columns (so aggregates such as time buckets and durations run in the database on every
backend), run times as text that reads back as the same number, a text aggregate, and a
column SQLite must not pick an index for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float, Integer, Text
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
    # 1e6 is a DOUBLE: dividing by the DECIMAL 1000000.0 would keep only 4 decimals.
    return f"(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {column}) / 1e6)"


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
    column = compiler.process(element.clauses, **kw)
    if element.size % 3600 == 0:
        # Exact: the hour read from the stored text ('YYYY-MM-DD HH:MM:SS.ffffff'), as a
        # comparison of that text with a bound time reads it. Through julianday's floating
        # point a start at exactly 12:00:00 would fall in the 11:00 bucket one time in three.
        day = f"CAST((julianday(substr({column}, 1, 10)) - 2440587.5) * 86400 AS INTEGER)"
        hour = f"{day} + CAST(substr({column}, 12, 2) AS INTEGER) * 3600"
        return f"(({hour}) / {element.size} * {element.size})"
    # Other sizes: julianday counts whole milliseconds, so rounding to them is exact.
    ms = f"CAST(round((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER)"
    return f"({ms} / {element.size * 1000} * {element.size})"


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


def _two(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return start, end


def _seconds_between_default(start: str, end: str) -> str:
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _seconds_between_pg(start: str, end: str) -> str:
    return f"date_part('epoch', {end} - {start})"


@compiles(duration_seconds)
def _duration_default(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return _seconds_between_default(*_two(element, compiler, **kw))


@compiles(duration_seconds, "postgresql")
def _duration_pg(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return _seconds_between_pg(*_two(element, compiler, **kw))


@compiles(duration_seconds, "mysql")
@compiles(duration_seconds, "mariadb")
def _duration_mysql(element: duration_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1e6)"


class run_time_text(FunctionElement[str]):
    """``run_time_text(start, end)``: ``duration_seconds(start, end)`` as text that Python's
    ``float()`` reads back as exactly the number ``duration_seconds`` gives (17 significant
    digits on SQLite, PostgreSQL's shortest exact form, MariaDB's microseconds as ``Ne-6``)."""

    type = Text()
    name = "run_time_text"
    inherit_cache = True


@compiles(run_time_text)
def _run_time_text_default(element: run_time_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"printf('%!.17g', {_seconds_between_default(*_two(element, compiler, **kw))})"


@compiles(run_time_text, "postgresql")
def _run_time_text_pg(element: run_time_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({_seconds_between_pg(*_two(element, compiler, **kw))} AS TEXT)"


@compiles(run_time_text, "mysql")
@compiles(run_time_text, "mariadb")
def _run_time_text_mysql(element: run_time_text, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"CONCAT(TIMESTAMPDIFF(MICROSECOND, {start}, {end}), 'e-6')"


class text_agg(FunctionElement[str]):
    """``text_agg(expression)``: the group's non-NULL values joined with ``,`` (in no
    particular order); NULL when there are none. On MySQL/MariaDB the session's
    ``group_concat_max_len`` bounds it (see ``TEXT_AGG_SETUP``)."""

    type = Text()
    name = "text_agg"
    inherit_cache = True


#: Run once on a MySQL/MariaDB connection before ``text_agg`` over many rows (the default
#: limit, 1 MiB, would cut the text short with only a warning).
TEXT_AGG_SETUP = {"mysql": "SET SESSION group_concat_max_len = 1073741824"}
TEXT_AGG_SETUP["mariadb"] = TEXT_AGG_SETUP["mysql"]


@compiles(text_agg)
def _text_agg_default(element: text_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(text_agg, "postgresql")
def _text_agg_pg(element: text_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(text_agg, "mysql")
@compiles(text_agg, "mariadb")
def _text_agg_mysql(element: text_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GROUP_CONCAT({compiler.process(element.clauses, **kw)} SEPARATOR ',')"


class int_floor(FunctionElement[int]):
    """``int_floor(column, size)``: a non-negative integer column rounded down to a multiple
    of ``size`` (written into the SQL as a number, like ``epoch_bucket``)."""

    type = BigInteger()
    name = "int_floor"
    inherit_cache = False

    def __init__(self, column: Any, size: int) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError("size must be a positive integer")
        self.size = size
        super().__init__(column)


@compiles(int_floor)
def _int_floor_default(element: int_floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} / {element.size} * {element.size})"


@compiles(int_floor, "mysql")
@compiles(int_floor, "mariadb")
def _int_floor_mysql(element: int_floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} DIV {element.size} * {element.size})"


class db_epoch_now(FunctionElement[float]):
    """``db_epoch_now()``: the database server's clock, as seconds since the epoch (the
    clock its triggers read)."""

    type = Float()
    name = "db_epoch_now"
    inherit_cache = True


@compiles(db_epoch_now)
def _now_default(element: db_epoch_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


@compiles(db_epoch_now, "postgresql")
def _now_pg(element: db_epoch_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "date_part('epoch', statement_timestamp())"


@compiles(db_epoch_now, "mysql")
@compiles(db_epoch_now, "mariadb")
def _now_mysql(element: db_epoch_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "UNIX_TIMESTAMP()"


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
