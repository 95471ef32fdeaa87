"""``ai.vector_insert``, ``ai.vector_search`` and ``ai.vector_delete``: items into a vector
store (embedded, pgvector or Qdrant), the closest ones back for a query, records out.

Vectors come from the model provider of ``integration_id`` (``model``), embedded in
batches with the spending limits checked and usage recorded per call, or from an item
field (``vector_field`` / ``query_vector_field``: vectors made elsewhere). The params are
evaluated per item; consecutive items with the same store and model share its batches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import Field, model_validator

from wirework.nodes.ai.common import MODEL_PICKER, MODEL_PROVIDER
from wirework.nodes.ai.retrieval.embedding import embed_texts
from wirework.nodes.base import ParamsModel, check_problems, get_path
from wirework.sdk.ai.vectors import (
    MAX_K,
    Retriever,
    StoreKind,
    VectorRecord,
    VectorStore,
    check_collection,
    check_filter,
    check_vector,
    render_hits,
    vector_store_for,
)
from wirework.sdk.fields import MAX_ID
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs
from wirework.sdk.registry import NodeSpec, registry


class StoreParams(ParamsModel):
    kind: StoreKind = Field(
        default=StoreKind.EMBEDDED,
        description="embedded: a SQLite file on this server (no set-up); pgvector: a "
        "postgres integration's database with the vector extension; qdrant: a qdrant "
        "integration's server",
    )
    integration_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="pgvector, qdrant: the integration"
    )
    collection: str = Field(
        default="default",
        min_length=1,
        max_length=48,
        description="The collection (namespace): lower-case letters, digits and _",
    )

    @model_validator(mode="after")
    def _check(self) -> StoreParams:
        problems: list[tuple[str, str]] = []
        if self.kind != StoreKind.EMBEDDED and self.integration_id is None:
            problems.append(("integration_id", f"is required with kind {self.kind}"))
        check_problems(problems)
        return self


class EmbeddingParams(ParamsModel):
    store: StoreParams = Field(default_factory=StoreParams, description="Where the vectors are")
    integration_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The model provider integration that makes the embeddings (openai "
        "and compatible servers)",
        json_schema_extra=MODEL_PROVIDER,
    )
    model: str = Field(
        default="",
        max_length=200,
        description="The embedding model",
        json_schema_extra=MODEL_PICKER,
    )
    batch_size: int = Field(default=100, ge=1, le=2048, description="Texts per embedding request")


class VectorInsertParams(EmbeddingParams):
    text_field: str = Field(default="text", min_length=1, max_length=200, description="Text")
    metadata_field: str = Field(
        default="metadata", min_length=1, max_length=200, description="Metadata object"
    )
    id_field: str = Field(
        default="",
        max_length=200,
        description="The record's id (the same id again replaces it); empty: a hash of "
        "the text and metadata",
    )
    vector_field: str = Field(
        default="",
        max_length=200,
        description="Take each item's vector from this field instead of embedding its text",
    )

    @model_validator(mode="after")
    def _check(self) -> VectorInsertParams:
        problems: list[tuple[str, str]] = []
        if not self.vector_field:
            if self.integration_id is None:
                problems.append(("integration_id", "is required unless vector_field is set"))
            if not self.model:
                problems.append(("model", "is required unless vector_field is set"))
        check_problems(problems)
        return self


class VectorSearchParams(EmbeddingParams):
    query: str = Field(default="", description="The text to look for (an expression)")
    query_vector_field: str = Field(
        default="",
        max_length=200,
        description="Search with the vector in this item field instead of embedding query",
    )
    k: int = Field(default=4, ge=1, le=MAX_K, description="How many results")
    filter: dict[str, Any] = Field(
        default_factory=dict,
        description="Metadata key → value the results must have (equality, every key)",
    )
    min_score: float | None = Field(
        default=None, ge=-1, le=1, description="Drop results less similar (cosine)"
    )
    output: Literal["attach", "hits"] = Field(
        default="attach",
        description="attach: the input item with hits and context (the hits as text for a "
        "prompt); hits: one item per hit {id, score, text, metadata}",
    )

    @model_validator(mode="after")
    def _check(self) -> VectorSearchParams:
        problems: list[tuple[str, str]] = []
        if not self.query_vector_field:
            if self.integration_id is None:
                problems.append(("integration_id", "is required unless query_vector_field is set"))
            if not self.model:
                problems.append(("model", "is required unless query_vector_field is set"))
        check_problems(problems)
        return self


class VectorDeleteParams(ParamsModel):
    store: StoreParams = Field(default_factory=StoreParams, description="Where the vectors are")
    ids: list[str] = Field(default_factory=list, description="Delete these ids")
    filter: dict[str, Any] = Field(
        default_factory=dict, description="Delete the records whose metadata has these values"
    )
    drop: bool = Field(default=False, description="Delete the whole collection")

    @model_validator(mode="after")
    def _check(self) -> VectorDeleteParams:
        problems: list[tuple[str, str]] = []
        if not (self.ids or self.filter or self.drop):
            problems.append(("ids", "give ids, a filter, or drop"))
        check_problems(problems)
        return self


# --------------------------------------------------------------------------- running


class OpenStores:
    """The stores a step opened, by (kind, integration): closed when the step ends."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        self.open: dict[tuple[str, int | None], VectorStore] = {}

    async def get(self, store: StoreParams) -> VectorStore:
        key = (str(store.kind), store.integration_id)
        if key not in self.open:
            self.open[key] = await vector_store_for(self.ctx, store.kind, store.integration_id)
        return self.open[key]

    async def aclose(self) -> None:
        for store in self.open.values():
            await store.aclose()
        self.open.clear()


def _record_id(text: str, metadata: dict[str, Any]) -> str:
    body = json.dumps([text, metadata], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


async def _all_params(ctx: NodeContext, model: type[ParamsModel]) -> list[Any]:
    out = []
    for index in range(len(ctx.items)):
        params = ctx.params_inline(index)
        if params is None:
            params = await ctx.aparams(index)
        out.append(model.model_validate(params, strict=False))
    return out


def _groups(params: list[Any], key: Callable[[Any], Any]) -> list[list[int]]:
    """Runs of consecutive item indexes whose params agree on ``key``."""
    groups: list[list[int]] = []
    last: Any = object()
    for index, p in enumerate(params):
        k = key(p)
        if not groups or k != last:
            groups.append([])
            last = k
        groups[-1].append(index)
    return groups


def _embed_key(p: EmbeddingParams) -> tuple[Any, ...]:
    return (p.store.kind, p.store.integration_id, p.integration_id, p.model, p.batch_size)


def _insert_record(index: int, item: Item, p: VectorInsertParams) -> VectorRecord:
    text = get_path(item, p.text_field)
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise NodeError(f"item {index}: params.text_field {p.text_field!r} is not text")
    meta = get_path(item, p.metadata_field)
    metadata = dict(meta) if isinstance(meta, dict) else {}
    record_id: Any = get_path(item, p.id_field) if p.id_field else None
    if record_id is None or record_id == "":
        if p.id_field:
            raise NodeError(
                f"item {index}: params.id_field: the item has no {p.id_field!r}", retryable=False
            )
        record_id = _record_id(text, metadata)
    if not isinstance(record_id, str | int) or isinstance(record_id, bool):
        raise NodeError(f"item {index}: params.id_field: the id must be a string or a number")
    vector: list[float] = []
    if p.vector_field:
        vector = check_vector(get_path(item, p.vector_field), f"item {index}: params.vector_field")
    elif not text.strip():
        raise NodeError(f"item {index}: no text to embed in {p.text_field!r}", retryable=False)
    return VectorRecord(str(record_id), vector, text, metadata)


async def run_vector_insert(ctx: NodeContext) -> Outputs:
    params: list[VectorInsertParams] = await _all_params(ctx, VectorInsertParams)
    items = ctx.items
    out: list[Item] = []
    stores = OpenStores(ctx)
    try:
        for group in _groups(params, lambda p: (*_embed_key(p), p.store.collection)):
            first = params[group[0]]
            collection = check_collection(first.store.collection)
            records = [_insert_record(i, items[i], params[i]) for i in group]
            need = [n for n, i in enumerate(group) if not params[i].vector_field]
            if need:
                assert first.integration_id is not None
                vectors = await embed_texts(
                    ctx,
                    first.integration_id,
                    first.model,
                    [records[n].text for n in need],
                    first.batch_size,
                )
                for n, vector in zip(need, vectors, strict=True):
                    r = records[n]
                    records[n] = VectorRecord(r.id, vector, r.text, r.metadata)
            store = await stores.get(first.store)
            for start in range(0, len(records), first.batch_size):
                await store.upsert(collection, records[start : start + first.batch_size])
            for i, record in zip(group, records, strict=True):
                out.append({**items[i], "vector_id": record.id})
    finally:
        await stores.aclose()
    return {"main": out}


def _embedder(ctx: NodeContext, p: EmbeddingParams) -> Callable[[list[str]], Awaitable[Any]]:
    async def embed(texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if p.integration_id is None:
            raise NodeError("params.integration_id: no model to embed the query", retryable=False)
        return await embed_texts(ctx, p.integration_id, p.model, texts, p.batch_size)

    return embed


async def run_vector_search(ctx: NodeContext) -> Outputs:
    params: list[VectorSearchParams] = await _all_params(ctx, VectorSearchParams)
    items = ctx.items
    out: list[Item] = []
    stores = OpenStores(ctx)
    try:
        for group in _groups(params, _embed_key):
            first = params[group[0]]
            need = [i for i in group if not params[i].query_vector_field]
            for i in need:
                if not params[i].query.strip():
                    raise NodeError(f"item {i}: params.query is empty", retryable=False)
            embedded = await _embedder(ctx, first)([params[i].query for i in need])
            vectors = dict(zip(need, embedded, strict=True))
            store = await stores.get(first.store)
            for i in group:
                p = params[i]
                collection = check_collection(p.store.collection)
                where = check_filter(p.filter)
                vector = vectors.get(i) or check_vector(
                    get_path(items[i], p.query_vector_field),
                    f"item {i}: params.query_vector_field",
                )
                hits = await store.search(collection, vector, p.k, where)
                if p.min_score is not None:
                    hits = [h for h in hits if h.score >= p.min_score]
                if p.output == "hits":
                    out += [h.as_item() for h in hits]
                else:
                    found = [h.as_item() for h in hits]
                    out.append({**items[i], "hits": found, "context": render_hits(hits)})
    finally:
        await stores.aclose()
    return {"main": out}


async def run_vector_delete(ctx: NodeContext) -> Outputs:
    params: list[VectorDeleteParams] = await _all_params(ctx, VectorDeleteParams)
    out: list[Item] = []
    stores = OpenStores(ctx)
    try:
        for item, p in zip(ctx.items, params, strict=True):
            collection = check_collection(p.store.collection)
            store = await stores.get(p.store)
            if p.drop:
                await store.drop(collection)
                out.append({**item, "deleted": None, "dropped": collection})
                continue
            where = check_filter(p.filter)
            deleted = await store.delete(collection, p.ids or None, where)
            out.append({**item, "deleted": deleted})
    finally:
        await stores.aclose()
    return {"main": out}


async def retriever_for(ctx: NodeContext, p: VectorSearchParams, store: VectorStore) -> Retriever:
    """The search of ``p`` as an agent tool (see :class:`wirework.sdk.ai.vectors.Retriever`)."""
    return Retriever(store, check_collection(p.store.collection), _embedder(ctx, p), p.k)


VECTOR_INSERT = registry.register_node(
    NodeSpec(
        type="ai.vector_insert",
        display_name="Vector store: insert",
        description="Embed items' text (or take their vectors) and upsert them into a "
        "vector store collection",
        group="data",
        category="AI",
        icon="database",
        params=VectorInsertParams,
        run=run_vector_insert,
        streaming=True,
    )
)
VECTOR_SEARCH = registry.register_node(
    NodeSpec(
        type="ai.vector_search",
        display_name="Vector store: search",
        description="The closest records to a query (cosine), with an optional metadata "
        "filter; as hits or as context text for a prompt",
        group="data",
        category="AI",
        icon="search",
        params=VectorSearchParams,
        run=run_vector_search,
        streaming=True,
    )
)
VECTOR_DELETE = registry.register_node(
    NodeSpec(
        type="ai.vector_delete",
        display_name="Vector store: delete",
        description="Delete records by id or metadata filter, or a whole collection",
        group="data",
        category="AI",
        icon="trash-2",
        params=VectorDeleteParams,
        run=run_vector_delete,
        streaming=True,
    )
)
