"""Texts to vectors through the model provider of an integration, in batches, each call
checked against the spending limits before and counted after (``ModelUsage``)."""

from __future__ import annotations

from collections.abc import Sequence

from wirework.sdk.ai import ModelUsage, provider_for
from wirework.sdk.ai.vectors import check_vector
from wirework.sdk.node import NodeContext, NodeError

MAX_BATCH = 2048


async def embed_texts(
    ctx: NodeContext,
    integration_id: int,
    model: str,
    texts: Sequence[str],
    batch_size: int = 100,
) -> list[list[float]]:
    """One vector per text, in order; a NodeError if the provider answers with another count
    or with something that is not a vector."""
    if not texts:
        return []
    provider = await provider_for(ctx, integration_id)
    vectors: list[list[float]] = []
    try:
        size = max(1, min(batch_size, MAX_BATCH))
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            await ctx.check_spending()
            result = await provider.embed(batch, model)
            await ctx.record_usage(
                ModelUsage(
                    provider=provider.name,
                    model=result.model or model,
                    input_tokens=result.usage.input_tokens,
                    output_tokens=result.usage.output_tokens,
                )
            )
            if len(result.vectors) != len(batch):
                raise NodeError(
                    f"{provider.name} answered {len(result.vectors)} embeddings for "
                    f"{len(batch)} texts",
                    retryable=False,
                )
            vectors += [
                check_vector(v, f"{provider.name} embedding {start + i}")
                for i, v in enumerate(result.vectors)
            ]
    finally:
        await provider.aclose()
    return vectors
