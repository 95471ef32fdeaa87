"""``ai.embed``: an embedding vector for a text of each item, asked for in batches."""

from __future__ import annotations

from pydantic import Field

from wirework.nodes.ai.common import MODEL_PICKER, MODEL_PROVIDER, Providers, typed
from wirework.nodes.base import ParamsModel, set_path
from wirework.sdk.ai import ModelUsage
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs
from wirework.sdk.registry import NodeSpec, registry


class EmbedParams(ParamsModel):
    """Embed a text of each item."""

    integration_id: int = Field(
        ge=1,
        description="The model provider: an integration whose type serves embedding models "
        "(openai and compatible servers)",
        json_schema_extra=MODEL_PROVIDER,
    )
    model: str = Field(
        min_length=1,
        max_length=200,
        description="Embedding model, e.g. text-embedding-3-small",
        json_schema_extra=MODEL_PICKER,
    )
    text: str = Field(description="The text to embed, e.g. {{ json.body }}")
    field: str = Field(
        default="embedding", min_length=1, max_length=200, description="Output field of the vector"
    )
    batch_size: int = Field(default=64, ge=1, le=2048, description="Texts sent per request")


async def run_embed(ctx: NodeContext) -> Outputs:
    rows = []
    for index in range(len(ctx.items)):
        rows.append(typed(EmbedParams, await ctx.aparams(index), ctx.node_id))
    out: list[Item] = [dict(item) for item in ctx.items]
    async with Providers(ctx) as providers:
        start = 0
        while start < len(rows):
            first = rows[start]
            size = 1
            while (
                start + size < len(rows)
                and size < first.batch_size
                and (rows[start + size].integration_id, rows[start + size].model)
                == (first.integration_id, first.model)
            ):
                size += 1
            provider = await providers.get(first.integration_id)
            texts = [row.text for row in rows[start : start + size]]
            await ctx.check_spending()
            result = await provider.embed(texts, first.model)
            await ctx.record_usage(
                ModelUsage(
                    provider=provider.name,
                    model=result.model,
                    input_tokens=result.usage.input_tokens,
                )
            )
            if len(result.vectors) != size:
                raise NodeError(
                    f"node {ctx.node_id!r}: asked for {size} vectors, got {len(result.vectors)}",
                    retryable=True,
                )
            for offset, vector in enumerate(result.vectors):
                set_path(out[start + offset], rows[start + offset].field, vector)
            start += size
    return {"main": out}


EMBED = registry.register_node(
    NodeSpec(
        type="ai.embed",
        display_name="AI: Embed",
        description="An embedding vector for a text of each item (in batches)",
        group="data",
        category="AI",
        icon="binary",
        params=EmbedParams,
        run=run_embed,
        streaming=True,
    )
)
