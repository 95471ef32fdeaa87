"""The engine host's AI hooks (``engine.outcome.Hooks``): pricing a model call, checking
the spending limits before one, resolving a prompt template. ``EngineHost`` builds one
:class:`AiHost` per process — the server's, each worker's — so embedded and distributed
mode work alike; the usage rows themselves are written by the engine's store with the step.

The price table and the limits are read once and kept ``WIREWORK_AI_CACHE_S`` seconds (a
change made through this process's API is seen at once: :func:`invalidate`); a check with no
limit covering the execution costs no query."""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework.db.engine import readonly_session
from wirework.sdk.ai.templates import PromptTemplate
from wirework.sdk.ai.usage import ModelUsage
from wirework.sdk.node import NodeError
from wirework.services import ai_prices, ai_usage, prompt_templates

# Every AiHost of this process, so that a change through the API reloads them at once.
_HOSTS: weakref.WeakSet[AiHost] = weakref.WeakSet()


def invalidate() -> None:
    """The prices or limits changed: every host of this process reads them again."""
    for host in list(_HOSTS):
        host.loaded_at = None


@dataclass(eq=False)
class AiHost:
    sessionmaker: async_sessionmaker[AsyncSession]
    cache_s: float = 10.0
    prices: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    limits: list[ai_usage.Limit] = field(default_factory=list)
    loaded_at: float | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        _HOSTS.add(self)

    async def _fresh(self) -> None:
        loaded = self.loaded_at
        if loaded is not None and time.monotonic() - loaded < self.cache_s:
            return
        async with self._lock:
            if self.loaded_at is not None and time.monotonic() - self.loaded_at < self.cache_s:
                return
            async with readonly_session(self.sessionmaker) as session:
                self.prices = await ai_prices.load_table(session)
                self.limits = await ai_usage.load_limits(session)
            self.loaded_at = time.monotonic()

    async def price_usage(self, usage: ModelUsage) -> int | None:
        """The call's cost in nanos, or None when its model has no price."""
        await self._fresh()
        return ai_prices.cost_of(
            self.prices, usage.provider, usage.model, usage.input_tokens, usage.output_tokens
        )

    async def check_spending(
        self, execution_id: str, workflow_id: int | None, pending_nanos: int
    ) -> None:
        await self._fresh()
        project_id = None  # Wirework has no projects yet
        if not ai_usage.applicable(self.limits, workflow_id, project_id):
            return
        async with readonly_session(self.sessionmaker) as session:
            await ai_usage.check_limits(
                session,
                self.limits,
                workflow_id=workflow_id,
                project_id=project_id,
                pending_nanos=pending_nanos,
            )

    async def prompt_template(self, name: str, version: int | None) -> PromptTemplate:
        async with readonly_session(self.sessionmaker) as session:
            try:
                return await prompt_templates.resolve(session, name, version)
            except LookupError as exc:
                raise NodeError(str(exc), retryable=False) from None
