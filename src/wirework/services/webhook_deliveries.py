"""Webhook delivery idempotency: :class:`DeliveryLedger` remembers delivery ids
(``idempotency_header``) in the ``webhook_deliveries`` table, whose primary key (workflow,
node, delivery id) makes concurrent duplicates safe across processes and restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework.db.base import new_id, utcnow
from wirework.db.engine import readonly_session
from wirework.db.models import WebhookDelivery
from wirework.errors import Conflict
from wirework.nodes.triggers import MAX_DELIVERY_ID

log = logging.getLogger(__name__)

# A delivery whose execution is still not recorded after this long lost it (the process
# died between recording the delivery and the execution): a repeat may take it over.
DELIVERY_GRACE_S = 60.0
# How often (at most) a process prunes expired delivery ids, and in what batches.
PRUNE_EVERY_S = 300.0
PRUNE_BATCH = 1000


class BadDeliveryId(ValueError):
    pass


def delivery_id(headers: Mapping[str, str], header: str) -> str | None:
    """The delivery id a request carries in ``header`` (None: none, so no idempotency).
    Raises BadDeliveryId when it is too long or holds control characters."""
    return checked_delivery_id(headers.get(header), f"the {header} header (delivery id)")


def checked_delivery_id(value: str | None, what: str = "the delivery id") -> str | None:
    """A delivery id (a header's, or read from the body by an integration trigger): None
    when empty; BadDeliveryId when too long or holding control characters."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_DELIVERY_ID:
        raise BadDeliveryId(f"{what} is longer than {MAX_DELIVERY_ID} characters")
    if not value.isprintable():
        raise BadDeliveryId(f"{what} holds control characters")
    return value


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    workflow_id: int
    node_id: str
    delivery_id: str

    def where(self) -> Any:
        return (
            (WebhookDelivery.workflow_id == self.workflow_id)
            & (WebhookDelivery.node_id == self.node_id)
            & (WebhookDelivery.delivery_id == self.delivery_id)
        )


class DeliveryLedger:
    """Delivery ids already seen, durable in ``webhook_deliveries``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._last_prune = -PRUNE_EVERY_S  # the first claim prunes
        self._prune_task: asyncio.Task[int] | None = None

    async def claim(
        self,
        key: DeliveryKey,
        *,
        ttl_s: float,
        execution_exists: Callable[[str], Awaitable[bool]],
    ) -> tuple[str, bool]:
        """Record the delivery ``key``: ``(execution id, False)`` when it is new (start the
        execution with that id), ``(earlier execution id, True)`` when it was seen before.

        A remembered delivery older than ``ttl_s``, or whose execution was never recorded
        (older than :data:`DELIVERY_GRACE_S`), is taken over."""
        self._maybe_prune(ttl_s)
        execution_id = new_id()
        for _ in range(3):
            now = utcnow()
            try:
                async with self._sessionmaker() as session, session.begin():
                    await session.execute(
                        insert(WebhookDelivery).values(
                            workflow_id=key.workflow_id,
                            node_id=key.node_id,
                            delivery_id=key.delivery_id,
                            execution_id=execution_id,
                            created_at=now,
                        )
                    )
                return execution_id, False
            except IntegrityError:
                pass  # seen before (or the workflow is gone): look
            async with readonly_session(self._sessionmaker) as session:
                row = (
                    await session.execute(
                        select(WebhookDelivery.execution_id, WebhookDelivery.created_at).where(
                            key.where()
                        )
                    )
                ).one_or_none()
            if row is None:
                continue  # pruned or released meanwhile: try again
            earlier, created_at = row
            age = (now - created_at).total_seconds()
            stale = age > ttl_s or (age > DELIVERY_GRACE_S and not await execution_exists(earlier))
            if not stale:
                return str(earlier), True
            async with self._sessionmaker() as session, session.begin():
                taken = await session.execute(
                    update(WebhookDelivery)
                    .where(key.where(), WebhookDelivery.execution_id == earlier)
                    .values(execution_id=execution_id, created_at=now)
                )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return execution_id, False
        raise Conflict(
            "the webhook delivery could not be recorded (its workflow changed meanwhile); "
            "send it again"
        )

    async def close(self) -> None:
        """Let a running prune finish its batch (cancelling mid-query would leave its
        transaction open)."""
        task = self._prune_task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=10)

    async def release(self, key: DeliveryKey, execution_id: str) -> None:
        """Forget a claim whose execution could not start, so a repeat may run it."""
        try:
            async with self._sessionmaker() as session, session.begin():
                await session.execute(
                    delete(WebhookDelivery).where(
                        key.where(), WebhookDelivery.execution_id == execution_id
                    )
                )
        except Exception:
            log.exception("could not release webhook delivery of execution %s", execution_id)

    def _maybe_prune(self, ttl_s: float) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_S:
            return
        if self._prune_task is not None and not self._prune_task.done():
            return
        self._last_prune = now
        task = asyncio.get_running_loop().create_task(self._prune_logged(ttl_s))
        self._prune_task = task

    async def _prune_logged(self, ttl_s: float) -> int:
        try:
            return await self.prune(ttl_s)
        except Exception:
            log.exception("pruning webhook delivery ids failed")
            return 0

    async def prune(self, ttl_s: float) -> int:
        """Delete delivery ids older than ``ttl_s``, in small transactions; how many went."""
        cutoff = utcnow() - dt.timedelta(seconds=ttl_s)
        removed = 0
        while True:
            async with readonly_session(self._sessionmaker) as session:
                boundary = await session.scalar(
                    select(WebhookDelivery.created_at)
                    .where(WebhookDelivery.created_at < cutoff)
                    .order_by(WebhookDelivery.created_at)
                    .offset(PRUNE_BATCH)
                    .limit(1)
                )
            upper = boundary if boundary is not None else cutoff
            async with self._sessionmaker() as session, session.begin():
                result = await session.execute(
                    delete(WebhookDelivery).where(WebhookDelivery.created_at < upper)
                )
            removed += int(result.rowcount or 0)  # type: ignore[attr-defined]
            if boundary is None:
                return removed
