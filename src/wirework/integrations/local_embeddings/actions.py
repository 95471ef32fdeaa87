"""The local model's action: ``embed`` (vectors of a text or several, in the process). Its
tokens are reported like any model call's (``NodeContext.record_usage``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from wirework.integrations.local_embeddings.credentials import (
    LOCAL_EMBEDDINGS,
    LocalEmbeddingsCredentials,
)
from wirework.integrations.local_embeddings.provider import MODEL, LocalEmbeddingsProvider
from wirework.sdk.ai.actions import embedding_item
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item

#: The most texts one call embeds.
MAX_TEXTS = 2048


class EmbedParams(ActionParams):
    """Embedding vectors of one text or several."""

    input: str | Annotated[list[str], Field(max_length=MAX_TEXTS)] = Field(
        description="A text, or a list of texts (at most 2,048)"
    )


@LOCAL_EMBEDDINGS.action(
    "embed",
    params=EmbedParams,
    display_name="Embed",
    description="Embedding vectors of a text (or texts) from the local model; emits "
    "{embeddings, model, usage}",
    example={"input": "The quick brown fox"},
)
async def embed(ctx: ActionContext[LocalEmbeddingsCredentials], params: EmbedParams) -> Item:
    texts = [params.input] if isinstance(params.input, str) else params.input
    provider = LocalEmbeddingsProvider(ctx.credentials.dimensions)
    return await embedding_item(ctx.node, provider, texts, MODEL)
