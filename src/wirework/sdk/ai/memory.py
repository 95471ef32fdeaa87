"""Conversation memory as a node gets it from ``NodeContext.memory(session_key)``: the turns
of one conversation (user and assistant messages), stored by the host (the server: the
``ai_memory_messages`` table), loaded as the last N messages (``window``) or as the newest
messages that fit a token budget (``tokens``, approximate counts)."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence

from wirework.sdk.ai.messages import Message

# Longest session key (the table's column).
MAX_SESSION_KEY = 200


class MemoryMode(enum.StrEnum):
    WINDOW = "window"  # the last `limit` messages
    TOKENS = "tokens"  # the newest messages whose approximate tokens add up to ≤ `limit`


def approx_tokens(message: Message) -> int:
    """A rough token count of a message (about 4 characters a token, plus its framing):
    providers count differently, a budget only needs to be close."""
    return 4 + (len(message.content or "") + 3) // 4


def newest_within(messages: Sequence[Message], mode: MemoryMode, limit: int) -> list[Message]:
    """Of ``messages`` (oldest first), the newest that the mode's ``limit`` allows, oldest
    first. A conversation never starts with an assistant's answer cut from its question."""
    if limit <= 0:
        return []
    if mode is MemoryMode.WINDOW:
        kept = list(messages[-limit:])
    else:
        kept = []
        total = 0
        for message in reversed(messages):
            total += approx_tokens(message)
            if total > limit:
                break
            kept.append(message)
        kept.reverse()
    while kept and kept[0].role.value == "assistant":
        kept.pop(0)
    return kept


class ConversationMemory(ABC):
    """One session's stored messages."""

    session_key: str

    @abstractmethod
    async def load(self, mode: MemoryMode = MemoryMode.WINDOW, limit: int = 20) -> list[Message]:
        """The newest messages within ``limit`` (messages, or tokens), oldest first."""

    @abstractmethod
    async def append(self, messages: Sequence[Message]) -> None:
        """Add messages at the end of the conversation."""

    @abstractmethod
    async def clear(self) -> int:
        """Forget the conversation; how many messages were dropped."""


def check_session_key(key: str) -> str:
    """A session key as stored: non-empty text of at most MAX_SESSION_KEY characters."""
    key = str(key).strip()
    if not key or len(key) > MAX_SESSION_KEY:
        raise ValueError(f"session key must be 1 to {MAX_SESSION_KEY} characters, got {len(key)}")
    return key
