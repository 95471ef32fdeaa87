"""What model providers' actions share: the chat action around the call (``openai.chat``,
``anthropic.messages``: the spending check before, the usage recorded after, the answer as
the action's item), the same for embeddings (``openai.embeddings``,
``local_embeddings.embed``) and the model list (``<provider>.list_models``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.sdk.ai.messages import ChatRequest
from wirework.sdk.ai.provider import ModelProvider
from wirework.sdk.ai.usage import ModelUsage
from wirework.sdk.integration import ActionParams
from wirework.sdk.node import Item, NodeContext


class ListModelsParams(ActionParams):
    """The models the provider offers (to this key)."""

    contains: str | None = Field(
        default=None, max_length=200, description="Only models whose id contains this"
    )


async def model_items(provider: ModelProvider, params: ListModelsParams) -> list[Item]:
    """One item ``{id, kind}`` per model whose id contains ``params.contains`` (then the
    provider is closed)."""
    try:
        models = await provider.list_models()
    finally:
        await provider.aclose()
    wanted = (params.contains or "").lower()
    return [m.model_dump() for m in models if wanted in m.id.lower()]


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


async def embedding_item(
    node: NodeContext, provider: ModelProvider, texts: list[str], model: str
) -> dict[str, Any]:
    """Embed ``texts`` with ``provider`` once for ``node`` (then close it), the spending
    checked before and the usage recorded after: ``{embeddings, model, usage}``."""
    try:
        await node.check_spending()
        result = await provider.embed(texts, model)
    finally:
        await provider.aclose()
    await node.record_usage(
        ModelUsage(
            provider=provider.name, model=result.model, input_tokens=result.usage.input_tokens
        )
    )
    return {
        "embeddings": result.vectors,
        "model": result.model,
        "usage": result.usage.model_dump(),
    }
