"""The MySQL integration against the machine's MariaDB: values only as parameters, type
conversion, insert/update, the max_rows cap on a large result (streamed with an unbuffered
cursor), errors named with their codes, a wrong password, the outbound policy."""

from __future__ import annotations

from typing import Any

from tests.integrations.conftest import failure, output, run_node
from tests.integrations.mysql.conftest import fetch, my_creds
from tests.integrations.sql_checks import large_result_is_capped, loopback_is_refused
from wirework.integrations.mysql import MYSQL


async def test_connection_test_names_the_server_and_user(my: Any, loopback: None) -> None:
    connection = await MYSQL.connect(my_creds(), 1)
    assert MYSQL.tester is not None
    message = await MYSQL.tester(connection)
    assert message.startswith("connected to MariaDB 10.") and message.endswith("as root@127.0.0.1")


async def test_item_values_stay_data(my: Any, table: str, loopback: None) -> None:
    evil = f"'; DROP TABLE {table}; -- \\' %s"
    run = await run_node(
        "mysql.insert",
        {"table": table, "columns": ["name", "total"]},
        my_creds(),
        items=[{"name": evil, "total": 1}],
    )
    assert output(run) == [{"inserted": 1, "last_insert_id": 1}]
    run = await run_node(
        "mysql.query",
        {"sql": f"SELECT name FROM {table} WHERE name = %s", "parameters": ["{{ json.name }}"]},
        my_creds(),
        items=[{"name": evil}],
    )
    assert output(run) == [{"name": evil}]
    run = await run_node(
        "mysql.query",
        {"sql": f"SELECT count(*) AS c FROM {table} WHERE name = %(n)s", "parameters": {"n": evil}},
        my_creds(),
    )
    assert output(run) == [{"c": 1}]
    assert await fetch(my, f"SELECT count(*) FROM {table}") == [(1,)]


async def test_types_are_json_safe(my: Any, loopback: None) -> None:
    sql = (
        "SELECT CAST(1.50 AS DECIMAL(5,2)) AS n, TIMESTAMP('2024-05-06 07:08:09') AS ts, "
        "DATE('2024-05-06') AS d, TIME('01:30:00') AS t, UNHEX('0102') AS b, NULL AS nothing, "
        "'héllo' AS s, 7 AS i, 1.5e0 AS f"
    )
    [row] = output(await run_node("mysql.query", {"sql": sql}, my_creds()))
    assert row == {
        "n": "1.50",
        "ts": "2024-05-06T07:08:09",
        "d": "2024-05-06",
        "t": 5400.0,
        "b": "AQI=",
        "nothing": None,
        "s": "héllo",
        "i": 7,
        "f": 1.5,
    }
    run = await run_node(
        "mysql.query",
        {"sql": "SELECT JSON_CONTAINS(%s, CONCAT(%s)) AS found", "parameters": [[1, 2], 2]},
        my_creds(),
    )
    assert output(run) == [{"found": 1}]


async def test_insert_many_rows_then_update(my: Any, table: str, loopback: None) -> None:
    rows = [{"name": f"n{i}", "total": i, "tags": {"i": i}} for i in range(2500)]
    rows.append({"name": "no total"})
    run = await run_node("mysql.insert", {"table": table, "data": rows}, my_creds())
    [out] = output(run)
    assert out["inserted"] == 2501 and out["last_insert_id"] == 2001  # the last statement's first
    assert await fetch(my, f"SELECT count(*) FROM {table} WHERE total IS NULL") == [(1,)]
    assert await fetch(my, f"SELECT tags FROM {table} WHERE id = 3") == [('{"i":2}',)]
    run = await run_node(
        "mysql.update",
        {"table": f"test.{table}", "key": ["id"]},
        my_creds(),
        items=[{"id": 1, "status": "shipped", "total": "9.99"}, {"id": 99999, "status": "x"}],
    )
    assert output(run) == [{"updated": 1}, {"updated": 0}]
    assert await fetch(my, f"SELECT status, total FROM {table} WHERE id = 1") == [
        ("shipped", __import__("decimal").Decimal("9.99"))
    ]
    run = await run_node(
        "mysql.query",
        {"sql": f"UPDATE {table} SET status = %s WHERE id <= %s", "parameters": ["old", 10]},
        my_creds(),
    )
    assert output(run) == [{"row_count": 10, "last_insert_id": None}]


async def test_names_are_checked(table: str, loopback: None) -> None:
    run = await run_node(
        "mysql.insert", {"table": f"{table}`; DROP TABLE x"}, my_creds(), items=[{"name": "a"}]
    )
    assert "params.table" in failure(run) and "not a valid name" in failure(run)


async def test_a_large_result_is_capped_without_reading_it_all(my: Any, loopback: None) -> None:
    sql = "SELECT seq AS n, md5(seq) AS h FROM seq_1_to_200000"
    await large_result_is_capped("mysql.query", sql, my_creds())


async def test_errors_name_the_code(my: Any, loopback: None) -> None:
    run = await run_node("mysql.query", {"sql": "SELECT * FROM ww_no_such_table"}, my_creds())
    assert failure(run) == "MySQL: query failed: Table 'test.ww_no_such_table' doesn't exist (1146)"
    assert run.record.error is not None and run.record.error["details"]["code"] == 1146
    run = await run_node(
        "mysql.query", {"sql": "SELECT SLEEP(3) AS s"}, my_creds(statement_timeout_s=0.3)
    )
    message = failure(run)
    assert "(1969)" in message and "statement_timeout_s is 0.3" in message


async def test_a_wrong_password_is_named_without_the_secret(my: Any, loopback: None) -> None:
    run = await run_node(
        "mysql.query", {"sql": "SELECT 1"}, my_creds(password="my-canary-password")
    )
    message = failure(run)
    assert message.startswith("MySQL: connect failed: Access denied for user 'root'")
    assert "(1045)" in message and "my-canary-password" not in str(run.record.error)


async def test_tls_required_but_not_offered(my: Any, loopback: None) -> None:
    run = await run_node("mysql.query", {"sql": "SELECT 1"}, my_creds(tls="require"))
    assert failure(run).startswith("MySQL: connect failed:")


async def test_loopback_is_refused_without_the_allow_list(my: Any) -> None:
    await loopback_is_refused("mysql.query", "MySQL", my_creds())
