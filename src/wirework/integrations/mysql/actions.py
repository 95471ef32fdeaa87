"""MySQL / MariaDB actions: ``mysql.query`` (values only as bind parameters; rows streamed
from the server with an unbuffered cursor, up to ``max_rows``), ``mysql.insert`` (multi-row,
last insert id) and ``mysql.update`` (by key columns)."""

from __future__ import annotations

from typing import Any, Literal

import aiomysql
from pydantic import Field

from wirework.integrations.mysql.credentials import (
    MYSQL,
    MySQLCredentials,
    failure,
    mysql_connection,
)
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.integration.sql import as_json_text, identifier, json_row
from wirework.sdk.node import Item, NodeError

MAX_ROWS_CEILING = 1_000_000
FETCH = 1000
MAX_BATCH_ROWS = 1000


def quote(name: str, what: str, *, dotted: bool = False) -> str:
    return ".".join(f"`{p}`" for p in identifier(name, what, dotted=dotted))


class Query(ActionParams):
    """Run one SQL statement; values go in ``parameters`` only."""

    sql: str = Field(
        min_length=1,
        description="One SQL statement with placeholders %s (parameters as a list) or "
        "%(name)s (parameters as an object); with parameters, write a literal % as %%. Never "
        "write item values into the SQL text: pass them in parameters",
    )
    parameters: list[Any] | dict[str, Any] = Field(
        default_factory=list,
        description="Values for the placeholders, escaped by the driver (never written into "
        "the SQL by hand): a list for %s, an object for %(name)s; an object or list value is "
        "sent as JSON text (for IN, use e.g. JSON_CONTAINS(%s, CONCAT(id)))",
    )
    max_rows: int = Field(
        default=10_000,
        ge=1,
        le=MAX_ROWS_CEILING,
        description="Most rows read (streamed from the server in batches)",
    )
    on_limit: Literal["error", "truncate"] = Field(
        default="error",
        description="More rows than max_rows: fail the step (error) or keep the first "
        "max_rows (truncate; output=single says truncated: true)",
    )
    output: Literal["rows", "single"] = Field(
        default="rows",
        description="rows: one item per row; single: one item {rows, row_count, truncated}",
    )


def _args(parameters: list[Any] | dict[str, Any]) -> Any:
    if isinstance(parameters, dict):
        return {k: as_json_text(v) for k, v in parameters.items()}
    if not parameters:
        return None
    return [as_json_text(v) for v in parameters]


async def run_query(conn: Any, params: Query) -> tuple[list[Item] | None, bool, Item]:
    """(rows or None when the statement returns none, truncated, {row_count, last_insert_id})."""
    args = _args(params.parameters)
    cur = await conn.cursor(aiomysql.SSDictCursor)
    try:
        await cur.execute(params.sql, args)
    except (TypeError, KeyError, ValueError) as exc:
        raise NodeError(
            f"params.parameters: they do not match the placeholders of the SQL ({exc!r})",
            retryable=False,
        ) from None
    if cur.description is None:
        info = {"row_count": cur.rowcount, "last_insert_id": cur.lastrowid or None}
        await cur.close()
        return None, False, info
    rows: list[Item] = []
    truncated = False
    while True:
        batch = await cur.fetchmany(FETCH)
        if not batch:
            break
        room = params.max_rows - len(rows)
        if len(batch) > room:
            rows += [json_row(r) for r in batch[:room]]
            truncated = True
            break
        rows += [json_row(r) for r in batch]
    if truncated:
        conn.close()  # the rest is not read: drop the connection rather than drain it
        if params.on_limit == "error":
            raise NodeError(
                f"MySQL: the query returned more than max_rows={params.max_rows:,} rows: raise "
                "max_rows (at most 1,000,000), add a LIMIT or a WHERE, or set on_limit=truncate",
                retryable=False,
                details={"service": "MySQL", "max_rows": params.max_rows},
            )
    else:
        await cur.close()
    return rows, truncated, {}


@MYSQL.action(
    "query",
    params=Query,
    description="Run a SQL statement with bind parameters; emits one item per row (or a "
    "single item), or {row_count, last_insert_id} for a statement that returns no rows",
    example={
        "sql": "SELECT id, email, created_at FROM customers WHERE country = %s LIMIT 100",
        "parameters": ["{{ json.country }}"],
    },
)
async def query(ctx: ActionContext[MySQLCredentials], params: Query) -> list[Item] | Item:
    async with mysql_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            rows, truncated, info = await run_query(conn, params)
        except NodeError:
            raise
        except Exception as exc:
            raise failure(exc, "query", ctx.credentials) from None
    if rows is None:
        return info
    if params.output == "single":
        return {"rows": rows, "row_count": len(rows), "truncated": truncated}
    return rows


class Insert(ActionParams):
    """Insert rows; column names are checked and quoted, values escaped by the driver."""

    table: str = Field(min_length=1, description="Table name, optionally database.table")
    data: dict[str, Any] | list[dict[str, Any]] | None = Field(
        default=None,
        description="The row (an object) or rows (a list of objects) to insert, keyed by "
        "column name; default: the input item. Objects and lists are stored as JSON text",
    )
    columns: list[str] | None = Field(
        default=None,
        description="Only these fields (columns); default: every field of the rows (a row "
        "without one gets the column's DEFAULT)",
    )
    ignore_duplicates: bool = Field(
        default=False, description="INSERT IGNORE: skip rows whose key already exists"
    )


@MYSQL.action(
    "insert",
    params=Insert,
    description="Insert the item (or given rows) into a table, many rows per statement; "
    "emits {inserted, last_insert_id} (the first id generated by the last statement)",
    example={"table": "orders", "data": {"id": "{{ json.id }}", "total": "{{ json.total }}"}},
)
async def insert(ctx: ActionContext[MySQLCredentials], params: Insert) -> Item:
    rows = params.data if isinstance(params.data, list) else [params.data or ctx.item]
    if not rows:
        return {"inserted": 0, "last_insert_id": None}
    columns = params.columns or list({k: None for row in rows for k in row})
    if not columns:
        raise NodeError("params.data: the rows have no fields to insert", retryable=False)
    table = quote(params.table, "params.table", dotted=True)
    names = ", ".join(quote(c, "params.columns") for c in columns)
    verb = "INSERT IGNORE" if params.ignore_duplicates else "INSERT"
    inserted = 0
    last_id = None
    async with mysql_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            await conn.begin()
            async with conn.cursor() as cur:
                for start in range(0, len(rows), MAX_BATCH_ROWS):
                    values: list[Any] = []
                    tuples = []
                    for row in rows[start : start + MAX_BATCH_ROWS]:
                        cells = []
                        for column in columns:
                            if column in row:
                                values.append(as_json_text(row[column]))
                                cells.append("%s")
                            else:
                                cells.append("DEFAULT")
                        tuples.append("(" + ", ".join(cells) + ")")
                    sql = f"{verb} INTO {table} ({names}) VALUES {', '.join(tuples)}"
                    await cur.execute(sql, values or None)
                    inserted += max(cur.rowcount, 0)
                    last_id = cur.lastrowid or last_id
            await conn.commit()
        except Exception as exc:
            raise failure(exc, "insert", ctx.credentials) from None
    return {"inserted": inserted, "last_insert_id": last_id}


class Update(ActionParams):
    """Update the rows whose key columns equal the data's."""

    table: str = Field(min_length=1, description="Table name, optionally database.table")
    key: list[str] = Field(
        min_length=1,
        description='Key columns: rows whose values equal the data\'s are updated, e.g. ["id"]',
    )
    data: dict[str, Any] | None = Field(
        default=None, description="Column values (key columns included); default: the input item"
    )
    columns: list[str] | None = Field(
        default=None, description="Columns to set; default: every field of data but the key"
    )


@MYSQL.action(
    "update",
    params=Update,
    description="Update rows by key columns from the item (or data); emits {updated} (rows "
    "matched)",
    example={"table": "orders", "key": ["id"], "data": {"id": 42, "status": "shipped"}},
)
async def update(ctx: ActionContext[MySQLCredentials], params: Update) -> Item:
    data = params.data if params.data is not None else ctx.item
    missing = [k for k in params.key if k not in data]
    if missing:
        raise NodeError(
            f"params.key: the data has no {', '.join(missing)} (the key columns' values)",
            retryable=False,
        )
    columns = params.columns or [c for c in data if c not in params.key]
    absent = [c for c in columns if c not in data]
    if absent:
        raise NodeError(f"params.columns: the data has no {', '.join(absent)}", retryable=False)
    if not columns:
        raise NodeError("params.data: nothing to set besides the key columns", retryable=False)
    values: list[Any] = [as_json_text(data[c]) for c in columns]
    sets = [f"{quote(c, 'params.columns')} = %s" for c in columns]
    where = []
    for column in params.key:
        if data[column] is None:
            where.append(f"{quote(column, 'params.key')} IS NULL")
        else:
            values.append(as_json_text(data[column]))
            where.append(f"{quote(column, 'params.key')} = %s")
    table = quote(params.table, "params.table", dotted=True)
    # Names checked and quoted; every value is a parameter escaped by the driver.
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {' AND '.join(where)}"  # noqa: S608
    async with mysql_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql, values)
                count = cur.rowcount
        except Exception as exc:
            raise failure(exc, "update", ctx.credentials) from None
    return {"updated": max(count, 0)}
