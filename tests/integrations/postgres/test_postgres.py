"""The PostgreSQL integration against the machine's PostgreSQL: values only as bind
parameters, type conversion, insert/update, the max_rows cap on a large result (read through
a server-side cursor), errors named with their SQLSTATE, the outbound policy."""

from __future__ import annotations

import asyncpg

from tests.integrations.conftest import failure, output, run_node
from tests.integrations.postgres.conftest import pg_creds
from tests.integrations.sql_checks import large_result_is_capped, loopback_is_refused
from wirework.integrations.postgres import POSTGRES
from wirework.integrations.postgres.actions import named_to_positional
from wirework.sdk.node import NodeError

EVIL = "'; DROP TABLE {table}; --"


async def test_connection_test_names_the_server_and_user(
    pg: asyncpg.Connection, loopback: None
) -> None:
    connection = await POSTGRES.connect(pg_creds(), 1)
    assert POSTGRES.tester is not None
    message = await POSTGRES.tester(connection)
    assert message.startswith("connected to PostgreSQL 1") and message.endswith("as postgres")


async def test_item_values_stay_data(pg: asyncpg.Connection, table: str, loopback: None) -> None:
    evil = EVIL.format(table=table)
    run = await run_node(
        "postgres.insert",
        {"table": table, "columns": ["name", "total"]},
        pg_creds(),
        items=[{"name": evil, "total": 1}],
    )
    assert output(run) == [{"inserted": 1}]
    run = await run_node(
        "postgres.query",
        {"sql": f"SELECT name FROM {table} WHERE name = $1", "parameters": ["{{ json.name }}"]},
        pg_creds(),
        items=[{"name": evil}],
    )
    assert output(run) == [{"name": evil}]
    assert await pg.fetchval(f"SELECT count(*) FROM {table}") == 1  # still there


async def test_named_parameters_and_casts(pg: asyncpg.Connection, loopback: None) -> None:
    run = await run_node(
        "postgres.query",
        {
            "sql": "SELECT :a::int + :b AS sum, ':a' AS literal, $$:b$$ AS dollar -- :c\n",
            "parameters": {"a": "{{ json.a }}", "b": 2},
        },
        pg_creds(),
        items=[{"a": "40"}],
    )
    assert output(run) == [{"sum": 42, "literal": ":a", "dollar": ":b"}]
    sql, order = named_to_positional("SELECT :x, :y, :x, 'it''s :z', \"c:z\"", ["x", "y"])
    assert sql == "SELECT $1, $2, $1, 'it''s :z', \"c:z\"" and order == ["x", "y"]


async def test_types_are_json_safe(pg: asyncpg.Connection, loopback: None) -> None:
    sql = (
        "SELECT 1.50::numeric AS n, '2024-05-06 07:08:09+00'::timestamptz AS ts, "
        "'2024-05-06'::date AS d, '11111111-2222-3333-4444-555555555555'::uuid AS u, "
        "'\\x0102'::bytea AS b, interval '90 minutes' AS i, '{\"a\": [1]}'::jsonb AS j, "
        "ARRAY[1,2] AS arr, 'NaN'::float8 AS nan, '10.0.0.1'::inet AS ip, NULL AS nothing, "
        "true AS yes"
    )
    [row] = output(await run_node("postgres.query", {"sql": sql}, pg_creds()))
    assert row == {
        "n": "1.50",
        "ts": "2024-05-06T07:08:09+00:00",
        "d": "2024-05-06",
        "u": "11111111-2222-3333-4444-555555555555",
        "b": "AQI=",
        "i": 5400.0,
        "j": {"a": [1]},
        "arr": [1, 2],
        "nan": "nan",
        "ip": "10.0.0.1",
        "nothing": None,
        "yes": True,
    }


async def test_parameters_are_converted_to_the_column_types(
    pg: asyncpg.Connection, table: str, loopback: None
) -> None:
    run = await run_node(
        "postgres.query",
        {
            "sql": f"INSERT INTO {table} (name, total, created, tags) VALUES ($1, $2, $3, $4)",
            "parameters": [7, "12.34", "2024-01-02T03:04:05Z", {"k": ["v"]}],
        },
        pg_creds(),
    )
    assert output(run) == [{"status": "INSERT 0 1", "row_count": 1}]
    row = await pg.fetchrow(f"SELECT name, total, created, tags FROM {table}")
    assert row["name"] == "7" and str(row["total"]) == "12.34"
    assert row["created"].isoformat() == "2024-01-02T03:04:05+00:00"
    assert row["tags"] == '{"k": ["v"]}'


async def test_insert_many_rows_returning_then_update(
    pg: asyncpg.Connection, table: str, loopback: None
) -> None:
    rows = [{"name": f"n{i}", "total": i} for i in range(2500)] + [{"name": "no total"}]
    run = await run_node(
        "postgres.insert",
        {"table": table, "data": rows, "returning": ["id", "status"]},
        pg_creds(),
    )
    out = output(run)
    assert len(out) == 2501 and out[0] == {"id": 1, "status": "new"}
    assert await pg.fetchval(f"SELECT count(*) FROM {table} WHERE total IS NULL") == 1
    run = await run_node(
        "postgres.update",
        {"table": f"public.{table}", "key": ["id"]},
        pg_creds(),
        items=[{"id": 1, "status": "shipped", "total": "9.99"}, {"id": 99999, "status": "x"}],
    )
    assert output(run) == [{"updated": 1}, {"updated": 0}]
    row = await pg.fetchrow(f"SELECT status, total FROM {table} WHERE id = 1")
    assert row["status"] == "shipped" and str(row["total"]) == "9.99"


async def test_a_script_without_parameters(pg: asyncpg.Connection, loopback: None) -> None:
    name = f"ww_pg_script_{id(pg)}"
    run = await run_node(
        "postgres.query",
        {
            "sql": f"CREATE TABLE {name} (a int); INSERT INTO {name} VALUES (1), (2); "
            f"DROP TABLE {name}"
        },
        pg_creds(),
    )
    assert output(run) == [{"status": "DROP TABLE", "row_count": None}]


async def test_names_are_checked(table: str, loopback: None) -> None:
    run = await run_node(
        "postgres.insert", {"table": f"{table}; DROP TABLE x"}, pg_creds(), items=[{"name": "a"}]
    )
    assert "params.table" in failure(run) and "not a valid name" in failure(run)
    run = await run_node(
        "postgres.insert", {"table": table}, pg_creds(), items=[{'name" text); --': "a"}]
    )
    assert "params.columns" in failure(run)


async def test_a_large_result_is_capped_without_reading_it_all(
    pg: asyncpg.Connection, loopback: None
) -> None:
    sql = "SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 200000) g"
    await large_result_is_capped("postgres.query", sql, pg_creds())


async def test_errors_name_the_sqlstate(loopback: None, pg: asyncpg.Connection) -> None:
    run = await run_node("postgres.query", {"sql": "SELECT * FROM ww_no_such_table"}, pg_creds())
    assert failure(run) == (
        'PostgreSQL: query failed: relation "ww_no_such_table" does not exist (42P01)'
    )
    assert run.record.error is not None
    assert run.record.error["details"]["code"] == "42P01"
    run = await run_node(
        "postgres.query", {"sql": "SELECT pg_sleep(3)"}, pg_creds(statement_timeout_s=0.3)
    )
    message = failure(run)
    assert "canceling statement due to statement timeout" in message and "(57014)" in message
    assert "statement_timeout_s is 0.3" in message
    run = await run_node("postgres.query", {"sql": "SELECT $1::int", "parameters": []}, pg_creds())
    assert "1 placeholder(s)" in failure(run)


async def test_a_bad_login_is_named_without_the_secret(
    loopback: None, pg: asyncpg.Connection
) -> None:
    run = await run_node("postgres.query", {"sql": "SELECT 1"}, pg_creds(database="ww_no_such_db"))
    message = failure(run)
    assert message.startswith("PostgreSQL: connect failed:") and "ww_no_such_db" in message
    assert "(3D000)" in message and "pg-canary-password" not in str(run.record.error)
    run = await run_node("postgres.query", {"sql": "SELECT 1"}, pg_creds(tls="require"))
    assert failure(run).startswith("PostgreSQL: connect failed:")


async def test_loopback_is_refused_without_the_allow_list(pg: asyncpg.Connection) -> None:
    await loopback_is_refused("postgres.query", "PostgreSQL", pg_creds())


def test_identifier_helper() -> None:
    from wirework.sdk.integration.sql import identifier

    assert identifier("public.orders", "t", dotted=True) == ["public", "orders"]
    for bad in ("", "1a", "a-b", 'a"b', "a.b.c", "x" * 64):
        try:
            identifier(bad, "t", dotted=True)
        except NodeError:
            continue
        raise AssertionError(bad)
