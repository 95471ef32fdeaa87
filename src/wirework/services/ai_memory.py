"""Conversation memory in the database (``ai_memory_messages``): what the engine's
``Hooks.memory`` gives nodes as ``ctx.memory(session_key)``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework.db.models import AiMemoryMessage
from wirework.sdk.ai import ConversationMemory, MemoryMode, Message, Role, approx_tokens
from wirework.sdk.ai.memory import check_session_key, newest_within
from wirework.sdk.node import NodeError

# Most rows read for one load (a token budget reads newest first until it is spent).
MAX_LOAD = 1000


class SqlMemory(ConversationMemory):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], session_key: str) -> None:
        try:
            self.session_key = check_session_key(session_key)
        except ValueError as exc:
            raise NodeError(f"memory: {exc}", retryable=False) from None
        self._sessionmaker = sessionmaker

    async def load(self, mode: MemoryMode = MemoryMode.WINDOW, limit: int = 20) -> list[Message]:
        rows_wanted = min(limit, MAX_LOAD) if mode is MemoryMode.WINDOW else MAX_LOAD
        query = (
            select(AiMemoryMessage.role, AiMemoryMessage.content)
            .where(AiMemoryMessage.session_key == self.session_key)
            .order_by(AiMemoryMessage.id.desc())
            .limit(rows_wanted)
        )
        async with self._sessionmaker() as session:
            rows = (await session.execute(query)).all()
        messages = [Message(role=Role(role), content=content) for role, content in reversed(rows)]
        return newest_within(messages, mode, limit)

    async def append(self, messages: Sequence[Message]) -> None:
        rows = [
            AiMemoryMessage(
                session_key=self.session_key,
                role=m.role.value,
                content=m.content or "",
                tokens=approx_tokens(m),
            )
            for m in messages
        ]
        async with self._sessionmaker() as session:
            session.add_all(rows)
            await session.commit()

    async def clear(self) -> int:
        async with self._sessionmaker() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(AiMemoryMessage)
                .where(AiMemoryMessage.session_key == self.session_key)
            )
            await session.execute(
                delete(AiMemoryMessage).where(AiMemoryMessage.session_key == self.session_key)
            )
            await session.commit()
        return int(count or 0)
