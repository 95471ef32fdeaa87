"""The vector store the retrieval nodes bring themselves: the embedded one (a SQLite file
in the host's node storage directory). The others are declared by their integrations
(``postgres``: pgvector, ``qdrant``) with ``wirework.sdk.ai.vectors.register_vector_store``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirework.nodes.ai.retrieval.stores.embedded import EmbeddedStore, open_embedded
from wirework.sdk.ai.vectors import StoreKind, VectorStore, register_vector_store
from wirework.sdk.node import NodeContext


@register_vector_store(StoreKind.EMBEDDED)
def embedded_store(
    ctx: NodeContext, credentials: Mapping[str, Any] | None, integration_id: int | None
) -> VectorStore:
    return open_embedded(ctx.storage_dir())


__all__ = ["EmbeddedStore", "embedded_store", "open_embedded"]
