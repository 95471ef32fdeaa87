"""The price table of model calls (``ai_prices``): CRUD, and the lookup the engine host
prices each call with (:class:`PriceBook`, cached per process).

A call's model is looked up exactly, then by the longest priced name it starts with followed
by ``-`` (``gpt-4o-2024-08-06`` is priced as ``gpt-4o``; ``gpt-4o-mini`` has its own row).
A model with no row is *unpriced*: its cost is null, its tokens are still counted."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models_ai import AiPrice
from wirework.errors import Conflict, NotFound
from wirework.schemas.ai import PriceIn, PriceOut
from wirework.services import audit

MICROS = 1_000_000
NANOS = 1_000_000_000


def to_micros(value: Decimal) -> int:
    return int((value * MICROS).to_integral_value(ROUND_HALF_UP))


def to_nanos(value: Decimal) -> int:
    return int((value * NANOS).to_integral_value(ROUND_HALF_UP))


def from_micros(value: int) -> Decimal:
    return (Decimal(value) / MICROS).normalize() + Decimal(0)


def from_nanos(value: int) -> Decimal:
    return (Decimal(value) / NANOS).normalize() + Decimal(0)


def call_cost(input_tokens: int, output_tokens: int, prices: tuple[int, int]) -> int:
    """A call's cost in nanos from its tokens and (input, output) micros per million tokens:
    tokens * micros / 10^6 (per million) / 10^6 (micros) * 10^9 (nanos) = tokens * micros /
    1000, rounded to the nearest nano."""
    in_micros, out_micros = prices
    total = max(input_tokens, 0) * in_micros + max(output_tokens, 0) * out_micros
    return (total + 500) // 1000


def price_out(row: AiPrice) -> PriceOut:
    return PriceOut(
        id=row.id,
        provider=row.provider,
        model=row.model,
        input_per_million=from_micros(row.input_micros),
        output_per_million=from_micros(row.output_micros),
        updated_at=row.updated_at,
    )


async def list_prices(session: AsyncSession) -> list[PriceOut]:
    rows = await session.scalars(select(AiPrice).order_by(AiPrice.provider, AiPrice.model))
    return [price_out(r) for r in rows]


async def _get(session: AsyncSession, price_id: int) -> AiPrice:
    row = await session.get(AiPrice, price_id)
    if row is None:
        raise NotFound(f"price {price_id} not found")
    return row


async def get_price(session: AsyncSession, price_id: int) -> PriceOut:
    return price_out(await _get(session, price_id))


async def _refuse_duplicate(session: AsyncSession, data: PriceIn, own_id: int | None) -> None:
    found = await session.scalar(
        select(AiPrice.id).where(AiPrice.provider == data.provider, AiPrice.model == data.model)
    )
    if found is not None and found != own_id:
        raise Conflict(f"{data.provider}/{data.model} already has a price (id {found})")


async def _flush(session: AsyncSession, data: PriceIn) -> None:
    """Flush; the unique key catches a price of the same model saved at the same moment."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{data.provider}/{data.model} already has a price") from None


async def create_price(session: AsyncSession, data: PriceIn, actor: object) -> PriceOut:
    await _refuse_duplicate(session, data, None)
    row = AiPrice(
        provider=data.provider,
        model=data.model,
        input_micros=to_micros(data.input_per_million),
        output_micros=to_micros(data.output_per_million),
    )
    session.add(row)
    await _flush(session, data)
    audit.record(actor, "ai.price.create", f"{row.provider}/{row.model}", **_values(data))
    return price_out(row)


async def update_price(
    session: AsyncSession, price_id: int, data: PriceIn, actor: object
) -> PriceOut:
    row = await _get(session, price_id)
    await _refuse_duplicate(session, data, price_id)
    before = price_out(row)
    row.provider, row.model = data.provider, data.model
    row.input_micros = to_micros(data.input_per_million)
    row.output_micros = to_micros(data.output_per_million)
    await _flush(session, data)
    audit.record(
        actor,
        "ai.price.update",
        f"{row.provider}/{row.model}",
        before=_values(before),
        **_values(data),
    )
    return price_out(row)


async def delete_price(session: AsyncSession, price_id: int, actor: object) -> None:
    row = await _get(session, price_id)
    await session.delete(row)
    await session.flush()
    audit.record(actor, "ai.price.delete", f"{row.provider}/{row.model}")


def _values(data: PriceIn) -> dict[str, str]:
    return {
        "input_per_million": str(data.input_per_million),
        "output_per_million": str(data.output_per_million),
    }


def lookup(
    table: dict[tuple[str, str], tuple[int, int]], provider: str, model: str
) -> tuple[int, int] | None:
    """The (input, output) micros of ``provider``/``model``: exact, else the longest priced
    name ``model`` starts with followed by ``-``."""
    found = table.get((provider, model))
    if found is not None:
        return found
    best: tuple[int, int] | None = None
    best_len = 0
    for (p, m), prices in table.items():
        if p == provider and len(m) > best_len and model.startswith(m + "-"):
            best, best_len = prices, len(m)
    return best


def cost_of(
    table: dict[tuple[str, str], tuple[int, int]],
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
) -> int | None:
    """A call's cost in nanos by the price ``table``, or None when its model has no price."""
    prices = lookup(table, provider, model)
    return None if prices is None else call_cost(input_tokens, output_tokens, prices)


async def load_table(session: AsyncSession) -> dict[tuple[str, str], tuple[int, int]]:
    rows = await session.execute(
        select(AiPrice.provider, AiPrice.model, AiPrice.input_micros, AiPrice.output_micros)
    )
    return {(r.provider, r.model): (r.input_micros, r.output_micros) for r in rows}
