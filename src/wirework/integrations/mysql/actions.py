"""MySQL / MariaDB actions: ``mysql.query`` (values only as bind parameters; rows streamed
from the server with an unbuffered cursor, up to ``max_rows``), ``mysql.insert`` (multi-row,
last insert id) and ``mysql.update`` (by key columns)."""

from __future__ import annotations

from typing import Any

import aiomysql
from pydantic import Field

from wirework.integrations.mysql.credentials import (
    MYSQL,
    MySQLCredentials,
    failure,
    mysql_connection,
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
    as_json_text,
    identifier,
    insert_columns,
    json_row,
    query_result,
    too_many_rows,
    update_statement,
    values_list,
)
from wirework.sdk.node import Item, NodeError

FETCH = 1000


def quote(name: str, what: str, *, dotted: bool = False) -> str:
    return ".".join(f"`{p}`" for p in identifier(name, what, dotted=dotted))


def _placeholder(n: int) -> str:
    return "%s"


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
    on_limit: OnLimit = "error"
    output: QueryOutput = "rows"


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
            raise too_many_rows("MySQL", params.max_rows)
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
    return query_result(rows, truncated, params.output)


class Insert(ActionParams):
    """Insert rows; column names are checked and quoted, values escaped by the driver."""

    table: str = Field(min_length=1, description="Table name, optionally database.table")
    data: dict[str, Any] | list[dict[str, Any]] | None = Field(
        default=None,
        description="The row (an object) or rows (a list of objects) to insert, keyed by "
        "column name; default: the input item. Objects and lists are stored as JSON text",
    )
    columns: InsertColumns = None
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
    columns = insert_columns(rows, params.columns)
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
                    batch = rows[start : start + MAX_BATCH_ROWS]
                    tuples = values_list(batch, columns, values, _placeholder, as_json_text)
                    sql = f"{verb} INTO {table} ({names}) VALUES {tuples}"
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
    key: UpdateKey
    data: UpdateData = None
    columns: UpdateColumns = None


@MYSQL.action(
    "update",
    params=Update,
    description="Update rows by key columns from the item (or data); emits {updated} (rows "
    "matched)",
    example={"table": "orders", "key": ["id"], "data": {"id": 42, "status": "shipped"}},
)
async def update(ctx: ActionContext[MySQLCredentials], params: Update) -> Item:
    data = params.data if params.data is not None else ctx.item
    sql, values = update_statement(
        params.table, data, params.key, params.columns, quote, _placeholder, as_json_text
    )
    async with mysql_connection(ctx.connection.integration_id, ctx.credentials) as conn:
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql, values)
                count = cur.rowcount
        except Exception as exc:
            raise failure(exc, "update", ctx.credentials) from None
    return {"updated": max(count, 0)}
