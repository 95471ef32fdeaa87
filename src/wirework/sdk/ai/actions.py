"""What a model provider's chat action does around the call (``openai.chat``,
``anthropic.messages``): the spending check before, the usage recorded after, the answer as
the action's item."""

from __future__ import annotations

from typing import Any

from wirework.sdk.ai.messages import ChatRequest
from wirework.sdk.ai.provider import ModelProvider
from wirework.sdk.ai.usage import ModelUsage
from wirework.sdk.node import NodeContext


async def chat_item(
    node: NodeContext, provider: ModelProvider, request: ChatRequest
) -> dict[str, Any]:
    """Ask ``provider`` once for ``node`` (then close it): ``{text, message, model, usage,
    finish_reason}``."""
    try:
        await node.check_spending()
        result = await provider.chat(request)
    finally:
        await provider.aclose()
    await node.record_usage(
        ModelUsage(
            provider=provider.name,
            model=result.model,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
        )
    )
    return {
        "text": result.message.content or "",
        "message": result.message.model_dump(mode="json", exclude_none=True),
        "model": result.model,
        "usage": result.usage.model_dump(),
        "finish_reason": result.finish_reason,
    }
