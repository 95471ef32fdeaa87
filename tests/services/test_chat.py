"""Chat rate limits (services/chat.py ``ChatLimits``) with the `limits` library's memory
storage: a public chat counts messages per client address; any chat's ``rate_limit`` counts
all callers together; a refused message is not counted."""

from __future__ import annotations

import pytest
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from wirework.nodes.ai.chat_trigger import ChatTriggerParams
from wirework.services.chat import Chat, ChatLimits, ChatRateLimited


def chat(workflow_id: int, **params: object) -> Chat:
    return Chat(workflow_id, "in", True, ChatTriggerParams.model_validate(params))


async def test_public_chats_count_per_client_and_chat() -> None:
    limits = ChatLimits(MovingWindowRateLimiter(MemoryStorage()), "2/minute")
    one, two = chat(1, access="public"), chat(2, access="public")
    for _ in range(2):
        await limits.count(one, "10.0.0.1")
    with pytest.raises(ChatRateLimited) as refused:
        await limits.count(one, "10.0.0.1")
    assert refused.value.code == "chat_rate_limited"
    assert 1 <= refused.value.retry_after <= 60
    assert f"{refused.value.retry_after} s" in refused.value.message
    await limits.count(one, "10.0.0.2")  # another address
    await limits.count(two, "10.0.0.1")  # another chat
    # Login chats have no per-address limit.
    login = chat(3, access="login")
    for _ in range(5):
        await limits.count(login, "10.0.0.1")


async def test_a_chats_rate_limit_counts_everyone_together() -> None:
    limits = ChatLimits(MovingWindowRateLimiter(MemoryStorage()), "100/minute")
    limited = chat(4, access="login", rate_limit={"requests": 3, "per_s": 60})
    for address in ("a", "b", "c"):
        await limits.count(limited, address)
    with pytest.raises(ChatRateLimited):
        await limits.count(limited, "d")
    # A public chat refused by its own limit does not use up the caller's allowance.
    public = chat(5, access="public", rate_limit={"requests": 1, "per_s": 60})
    per_client = ChatLimits(MovingWindowRateLimiter(MemoryStorage()), "2/minute")
    await per_client.count(public, "x")
    with pytest.raises(ChatRateLimited):
        await per_client.count(public, "x")
    (item,) = per_client.per_client
    stats = await per_client.limiter.get_window_stats(item, "chat", "5:x")
    assert stats.remaining == 1
