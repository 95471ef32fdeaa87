"""The price table and the spending limits when two requests save the same key at the same
moment: both pass the "already there?" check, the database's unique key stops the second,
and that is a 409 (Conflict), never a 500. PostgreSQL shows the race deterministically: the
second insert waits on the first's uncommitted row, and fails once the first commits."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.errors import Conflict
from wirework.schemas.ai import LimitIn, LimitScope, PriceIn
from wirework.services import ai_prices, ai_usage
from wirework.services.runtime import Runtime


class Owner:
    id = None
    email = "owner@example.com"


PRICE = PriceIn(
    provider="openai",
    model="gpt-4o",
    input_per_million=Decimal("2.5"),
    output_per_million=Decimal("10"),
)
LIMIT = LimitIn(scope=LimitScope.INSTANCE, daily_limit=Decimal("5"))

Save = Callable[[AsyncSession], Awaitable[Any]]


async def _waiting_on_a_lock(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as probe:
        found = await probe.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND cardinality(pg_blocking_pids(pid)) > 0"
            )
        )
    return int(found or 0)


async def _race(runtime: Runtime, save: Save) -> BaseException | None:
    """Save in a first session (uncommitted), then in a second that waits on the first's row;
    commit the first. What the second raised (None: nothing)."""
    async with runtime.sessionmaker() as first, runtime.sessionmaker() as second:
        await save(first)
        racing = asyncio.create_task(save(second))
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
        while not racing.done() and await _waiting_on_a_lock(runtime) == 0:
            assert dt.datetime.now(dt.UTC) < deadline, "the second save never waited"
            await asyncio.sleep(0.05)
        await first.commit()
        try:
            await racing
        except Exception as exc:  # what the caller checks
            await second.rollback()
            return exc
        return None


@pytest.fixture
def postgres_only(runtime: Runtime) -> Runtime:
    if not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("the race is shown on PostgreSQL (row locks of uncommitted inserts)")
    return runtime


async def test_two_prices_of_one_model_at_once_are_a_conflict(postgres_only: Runtime) -> None:
    raised = await _race(postgres_only, lambda s: ai_prices.create_price(s, PRICE, Owner()))
    assert isinstance(raised, Conflict), raised
    assert raised.message == "openai/gpt-4o already has a price"
    async with postgres_only.sessionmaker() as session:
        assert [p.model for p in await ai_prices.list_prices(session)] == ["gpt-4o"]


async def test_two_limits_of_one_scope_at_once_are_a_conflict(postgres_only: Runtime) -> None:
    raised = await _race(postgres_only, lambda s: ai_usage.set_limit(s, LIMIT, Owner()))
    assert isinstance(raised, Conflict), raised
    async with postgres_only.sessionmaker() as session:
        assert [lim.daily_limit for lim in await ai_usage.list_limits(session)] == [Decimal("5")]
