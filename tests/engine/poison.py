"""A database that refuses some rows: a trigger raising on one value of one column."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from wirework.services.runtime import Runtime


def _trigger_sql(dialect: str, table: str, column: str, value: str) -> tuple[list[str], list[str]]:
    """Statements creating (and dropping) a trigger that refuses rows whose ``column`` is
    ``value``."""
    name = f"ww_poison_{table}"
    if dialect == "sqlite":
        return (
            [
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"WHEN CAST(NEW.{column} AS TEXT) = '{value}' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            ],
            [f"DROP TRIGGER IF EXISTS {name}"],
        )
    if dialect == "postgresql":
        return (
            [
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.{column}::text = '{value}' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql",
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {name}()",
            ],
            [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"],
        )
    return (
        [
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW BEGIN "
            f"IF NEW.{column} = '{value}' THEN "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned'; END IF; END"
        ],
        [f"DROP TRIGGER IF EXISTS {name}"],
    )


@pytest.fixture(name="poison")
async def poison_fixture(runtime: Runtime) -> AsyncIterator[Callable[[str, str, Any], Any]]:
    """``cure = await poison(table, column, value)``: the database refuses such rows until
    ``await cure()`` or the end of the test."""
    undo: list[str] = []
    dialect = runtime.engine.dialect.name

    async def _poison(table: str, column: str, value: Any) -> Callable[[], Awaitable[None]]:
        create, drop = _trigger_sql(dialect, table, column, str(value))
        async with runtime.engine.begin() as conn:
            for stmt in create:
                await conn.execute(text(stmt))
        undo.extend(drop)

        async def cure() -> None:
            async with runtime.engine.begin() as conn:
                for stmt in drop:
                    await conn.execute(text(stmt))

        return cure

    yield _poison
    async with runtime.engine.begin() as conn:
        for stmt in undo:
            await conn.execute(text(stmt))
