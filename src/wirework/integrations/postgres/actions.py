"""PostgreSQL actions: ``postgres.query`` (values only as bind parameters; rows through a
server-side cursor, up to ``max_rows``), ``postgres.insert`` (multi-row, optional RETURNING)
and ``postgres.update`` (by key columns)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from pydantic import Field

from wirework.integrations.postgres.credentials import (
    POSTGRES,
    PostgresCredentials,
    failure,
    pg_connection,
)
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.integration.sql import (
    MAX_BATCH_ROWS,
    MAX_ROWS_CEILING,
    InsertColumns,
    OnLimit,
    QueryOutput,
    UpdateColumns,
    UpdateData,
    UpdateKey,
    identifier,
    insert_columns,
    json_row,
    query_result,
    too_many_rows,
    update_statement,
    values_list,
)
from wirework.sdk.node import Item, NodeError

PREFETCH = 1000
MAX_BIND = 32767  # PostgreSQL's limit of parameters in one statement


def quote(name: str, what: str, *, dotted: bool = False) -> str:
    return ".".join(f'"{p}"' for p in identifier(name, what, dotted=dotted))


# --------------------------------------------------------------------------- parameters


def named_to_positional(sql: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """``:name`` placeholders (outside strings, quoted names, comments and ``::`` casts) made
    ``$n``; returns the SQL and the names in ``$n`` order. Unknown names are errors."""
    out: list[str] = []
    order: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif c == "$" and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            tag_end = sql.find("$", i + 1)
            tag = sql[i : tag_end + 1] if tag_end > 0 else ""
            if (
                tag
                and (tag == "$$" or tag[1:-1].replace("_", "a").isalnum())
                and not tag[1].isdigit()
            ):
                end = sql.find(tag, tag_end + 1)
                end = n if end < 0 else end + len(tag)
                out.append(sql[i:end])
                i = end
            else:
                out.append(c)
                i += 1
        elif c == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            name = sql[i + 1 : end]
            if name not in names:
                raise NodeError(
                    f"params.sql: :{name} is not among the parameters "
                    f"({', '.join(names) or 'none'})",
                    retryable=False,
                )
            if name not in order:
                order.append(name)
            out.append(f"${order.index(name) + 1}")
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out), order


def _convert(value: Any, type_name: str, where: str) -> Any:
    """A JSON value as the Python value asyncpg wants for a parameter of ``type_name`` (ISO
    strings for dates and times, numbers as strings for numeric, …)."""
    if value is None:
        return None
    try:
        if type_name in ("timestamp", "timestamptz") and isinstance(value, str):
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if type_name == "timestamptz" and moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            if type_name == "timestamp" and moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            return moment
        if type_name == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if type_name in ("time", "timetz") and isinstance(value, str):
            return dt.time.fromisoformat(value)
        if type_name == "interval" and isinstance(value, (int, float)):
            return dt.timedelta(seconds=value)
        if type_name == "numeric" and isinstance(value, (str, int, float)):
            return decimal.Decimal(str(value))
        if type_name == "uuid" and isinstance(value, str):
            return uuid.UUID(value)
        if type_name in ("int2", "int4", "int8") and isinstance(value, str):
            return int(value)
        if type_name in ("float4", "float8") and isinstance(value, (str, int)):
            return float(value)
        if type_name in ("text", "varchar", "bpchar", "name") and isinstance(
            value, (int, float, bool)
        ):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if type_name == "bool" and isinstance(value, str):
            return {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}[
                value.strip().lower()
            ]
        if type_name == "bytea" and isinstance(value, str):
            return value.encode()
    except (ValueError, KeyError, decimal.InvalidOperation) as exc:
        raise NodeError(
            f"{where}: {value!r} is not a valid {type_name} ({exc})", retryable=False
        ) from None
    return value


def bind(
    statement: asyncpg.prepared_stmt.PreparedStatement, values: Sequence[Any], where: str
) -> list[Any]:
    types = statement.get_parameters()
    if len(types) != len(values):
        raise NodeError(
            f"{where}: the SQL has {len(types)} placeholder(s) ($1…) but {len(values)} "
            "value(s) were given",
            retryable=False,
        )
    return [
        _convert(v, t.name, f"{where}[{i}]")
        for i, (v, t) in enumerate(zip(values, types, strict=True))
    ]


# --------------------------------------------------------------------------- query


class Query(ActionParams):
    """Run one SQL statement; values go in ``parameters`` only."""

    sql: str = Field(
        min_length=1,
        description="One SQL statement with placeholders $1, $2… (parameters as a list) or "
        ":name (parameters as an object); several statements only without parameters. Never "
        "write item values into the SQL text: pass them in parameters",
    )
    parameters: list[Any] | dict[str, Any] = Field(
        default_factory=list,
        description="Values for the placeholders, sent as bind parameters (never "
        "interpolated): a list for $1, $2…, an object for :name",
    )
    max_rows: int = Field(
        default=10_000,
        ge=1,
        le=MAX_ROWS_CEILING,
        description="Most rows read (a server-side cursor fetches them in batches)",
    )
    on_limit: OnLimit = "error"
    output: QueryOutput = "rows"


async def run_query(conn: asyncpg.Connection, params: Query) -> tuple[list[Item] | None, bool, str]:
    """(rows or None when the statement returns none, truncated, status)."""
    sql = params.sql
    values: list[Any]
    if isinstance(params.parameters, dict):
        sql, order = named_to_positional(sql, list(params.parameters))
        values = [params.parameters[name] for name in order]
    else:
        values = list(params.parameters)
    try:
        statement = await conn.prepare(sql)
    except asyncpg.PostgresSyntaxError as exc:
        if values or "multiple commands" not in str(exc):
            raise
        # Several statements and no parameters (a script): the simple protocol runs them.
        return None, False, await conn.execute(sql)
    args = bind(statement, values, "params.parameters")
    if not statement.get_attributes():
        await statement.fetch(*args)
        return None, False, statement.get_statusmsg() or ""
    rows: list[Item] = []
    truncated = False
    async with conn.transaction():
        async for record in statement.cursor(*args, prefetch=PREFETCH):
            if len(rows) >= params.max_rows:
                truncated = True
                break
            rows.append(json_row(record))
    if truncated and params.on_limit == "error":
        raise too_many_rows("PostgreSQL", params.max_rows)
    return rows, truncated, statement.get_statusmsg() or ""


def _count(status: str) -> int | None:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else None


@POSTGRES.action(
    "query",
    params=Query,
    description="Run a SQL statement with bind parameters; emits one item per row (or a "
    "single item), or {status, row_count} for a statement that returns no rows",
    example={
        "sql": "SELECT id, email, created_at FROM customers WHERE country = $1 LIMIT 100",
        "parameters": ["{{ json.country }}"],
    },
)
async def query(ctx: ActionContext[PostgresCredentials], params: Query) -> list[Item] | Item:
    credentials = ctx.credentials
    async with pg_connection(ctx.connection.integration_id, credentials) as conn:
        try:
            rows, truncated, status = await run_query(conn, params)
        except NodeError:
            raise
        except Exception as exc:
            raise failure(exc, "query", credentials) from None
    if rows is None:
        return {"status": status, "row_count": _count(status)}
    return query_result(rows, truncated, params.output)


# --------------------------------------------------------------------------- insert, update


def _rows(data: dict[str, Any] | list[dict[str, Any]] | None, item: Item) -> list[dict[str, Any]]:
    if data is None:
        return [item]
    return data if isinstance(data, list) else [data]


def _placeholder(n: int) -> str:
    return f"${n}"


class Insert(ActionParams):
    """Insert rows; column names are checked and quoted, values are bind parameters."""

    table: str = Field(min_length=1, description="Table name, optionally schema.table")
    data: dict[str, Any] | list[dict[str, Any]] | None = Field(
        default=None,
        description="The row (an object) or rows (a list of objects) to insert, keyed by "
        "column name; default: the input item",
    )
    columns: InsertColumns = None
    returning: list[str] = Field(
        default_factory=list,
        description='Columns to emit for each inserted row (RETURNING), e.g. ["id"] or ["*"]',
    )


def _returning(columns: list[str]) -> str:
    if not columns:
        return ""
    if columns == ["*"]:
        return " RETURNING *"
    return " RETURNING " + ", ".join(quote(c, "params.returning") for c in columns)


@POSTGRES.action(
    "insert",
    params=Insert,
    description="Insert the item (or given rows) into a table, many rows per statement; "
    "emits the RETURNING rows, or {inserted}",
    example={"table": "orders", "data": {"id": "{{ json.id }}", "total": "{{ json.total }}"}},
)
async def insert(ctx: ActionContext[PostgresCredentials], params: Insert) -> list[Item] | Item:
    rows = _rows(params.data, ctx.item)
    columns = insert_columns(rows, params.columns)
    if not rows:
        return {"inserted": 0}
    if not columns:
        raise NodeError("params.data: the rows have no fields to insert", retryable=False)
    table = quote(params.table, "params.table", dotted=True)
    names = ", ".join(quote(c, "params.columns") for c in columns)
    returning = _returning(params.returning)
    per_batch = max(1, min(MAX_BATCH_ROWS, MAX_BIND // len(columns)))
    out: list[Item] = []
    inserted = 0
    async with pg_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            # One statement is atomic by itself; several go in one transaction.
            atomic = conn.transaction() if len(rows) > per_batch else contextlib.nullcontext()
            async with atomic:
                for start in range(0, len(rows), per_batch):
                    batch = rows[start : start + per_batch]
                    values: list[Any] = []
                    tuples = values_list(batch, columns, values, _placeholder)
                    # Names checked and quoted; every value is a bind parameter.
                    sql = f"INSERT INTO {table} ({names}) VALUES {tuples}"  # noqa: S608
                    sql += returning
                    statement = await conn.prepare(sql)
                    args = bind(statement, values, "params.data")
                    if returning:
                        out += [json_row(r) for r in await statement.fetch(*args)]
                    else:
                        await statement.fetch(*args)
                    inserted += _count(statement.get_statusmsg() or "") or 0
        except NodeError:
            raise
        except Exception as exc:
            raise failure(exc, "insert", ctx.credentials) from None
    return out if returning else {"inserted": inserted}


class Update(ActionParams):
    """Update the rows whose key columns equal the data's."""

    table: str = Field(min_length=1, description="Table name, optionally schema.table")
    key: UpdateKey
    data: UpdateData = None
    columns: UpdateColumns = None
    returning: list[str] = Field(
        default_factory=list, description='Columns to emit for each updated row, e.g. ["*"]'
    )


@POSTGRES.action(
    "update",
    params=Update,
    description="Update rows by key columns from the item (or data); emits the RETURNING "
    "rows, or {updated}",
    example={"table": "orders", "key": ["id"], "data": {"id": 42, "status": "shipped"}},
)
async def update(ctx: ActionContext[PostgresCredentials], params: Update) -> list[Item] | Item:
    data = params.data if params.data is not None else ctx.item
    sql, values = update_statement(
        params.table, data, params.key, params.columns, quote, _placeholder
    )
    returning = _returning(params.returning)
    sql += returning
    async with pg_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            statement = await conn.prepare(sql)
            args = bind(statement, values, "params.data")
            rows = await statement.fetch(*args)
            status = statement.get_statusmsg() or ""
        except NodeError:
            raise
        except Exception as exc:
            raise failure(exc, "update", ctx.credentials) from None
    if returning:
        return [json_row(r) for r in rows]
    return {"updated": _count(status) or 0}
