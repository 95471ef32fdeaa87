"""The ``qdrant`` vector store: a collection per name (cosine distance, its dimension from
the first vectors written), points upserted with ``wait=true``, searched with the Query API
(``POST /collections/{name}/points/query``, Qdrant 1.10 or later).

Qdrant's point ids are unsigned integers or UUIDs: a record's id is kept in the payload
(``id``) and the point's id is the UUID v5 of it, so writing an id again replaces its point.
The payload is ``{"id", "text", "metadata"}``; filters are on ``metadata.<key>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from wirework.integrations.qdrant.credentials import QDRANT
from wirework.sdk.ai.vectors import (
    Scalar,
    StoreKind,
    VectorHit,
    VectorRecord,
    VectorStore,
    register_vector_store,
)
from wirework.sdk.integration import ServiceClient
from wirework.sdk.node import NodeContext, NodeError

# Point ids: UUID v5 of the record's id in this namespace.
ID_NAMESPACE = uuid.UUID("6f1c7b52-52a4-4bd3-9a55-0d1f3e2f4c11")


def point_id(record_id: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, record_id))


def qdrant_filter(where: Mapping[str, Scalar], ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Qdrant's filter for equality on metadata keys (and ids)."""
    must: list[dict[str, Any]] = []
    for key, value in where.items():
        field = f"metadata.{key}"
        if value is None:
            must.append({"is_empty": {"key": field}})
        elif isinstance(value, float) and not value.is_integer():
            must.append({"key": field, "range": {"gte": value, "lte": value}})
        else:
            wanted = int(value) if isinstance(value, float) else value
            must.append({"key": field, "match": {"value": wanted}})
    if ids is not None:
        must.append({"has_id": [point_id(i) for i in ids]})
    return {"must": must}


class QdrantStore(VectorStore):
    kind = "qdrant"

    def __init__(
        self, ctx: NodeContext, credentials: Mapping[str, Any], integration_id: int
    ) -> None:
        self.ctx = ctx
        self.credentials = credentials
        self.integration_id = integration_id
        self._http: ServiceClient | None = None
        self._sizes: dict[str, int] = {}

    async def client(self) -> ServiceClient:
        if self._http is None:
            connection = await QDRANT.connect(self.credentials, self.integration_id, node=self.ctx)
            self._http = connection.client
        return self._http

    async def _size(self, collection: str) -> int | None:
        if collection in self._sizes:
            return self._sizes[collection]
        http = await self.client()
        response = await http.request("GET", f"/collections/{collection}", ok_statuses=(404,))
        if response.status_code == 404:
            return None
        body = response.json()
        vectors = (((body.get("result") or {}).get("config") or {}).get("params") or {}).get(
            "vectors"
        )
        size = vectors.get("size") if isinstance(vectors, dict) else None
        if not isinstance(size, int):
            raise NodeError(
                f"Qdrant collection {collection!r} has named vectors or no single size; "
                "use a collection made by Wirework (one unnamed cosine vector)",
                retryable=False,
            )
        self._sizes[collection] = size
        return size

    async def upsert(self, collection: str, records: Sequence[VectorRecord]) -> int:
        if not records:
            return 0
        http = await self.client()
        size = await self._size(collection)
        if size is None:
            size = len(records[0].vector)
            created = await http.request(
                "PUT",
                f"/collections/{collection}",
                json={"vectors": {"size": size, "distance": "Cosine"}},
                ok_statuses=(409,),
            )
            if created.status_code == 409:  # another step made it meanwhile
                size = await self._size(collection) or size
            self._sizes[collection] = size
        for record in records:
            if len(record.vector) != size:
                raise NodeError(
                    f"Qdrant collection {collection!r} holds vectors of {size} dimensions; "
                    f"record {record.id!r} has {len(record.vector)}",
                    retryable=False,
                )
        points = [
            {
                "id": point_id(r.id),
                "vector": r.vector,
                "payload": {"id": r.id, "text": r.text, "metadata": r.metadata},
            }
            for r in records
        ]
        await http.request(
            "PUT",
            f"/collections/{collection}/points",
            query={"wait": "true"},
            json={"points": points},
        )
        return len(records)

    async def search(
        self,
        collection: str,
        vector: Sequence[float],
        k: int,
        where: Mapping[str, Scalar] | None = None,
    ) -> list[VectorHit]:
        http = await self.client()
        body: dict[str, Any] = {"query": list(vector), "limit": k, "with_payload": True}
        if where:
            body["filter"] = qdrant_filter(where)
        response = await http.request(
            "POST",
            f"/collections/{collection}/points/query",
            json=body,
            idempotent=True,
            ok_statuses=(404,),
        )
        if response.status_code == 404:
            return []
        result = response.json().get("result") or {}
        points = result.get("points") if isinstance(result, dict) else result
        hits = []
        for point in points or []:
            payload = point.get("payload") or {}
            metadata = payload.get("metadata")
            hits.append(
                VectorHit(
                    str(payload.get("id", point.get("id"))),
                    float(point.get("score", 0.0)),
                    str(payload.get("text") or ""),
                    metadata if isinstance(metadata, dict) else {},
                )
            )
        return hits

    async def delete(
        self,
        collection: str,
        ids: Sequence[str] | None = None,
        where: Mapping[str, Scalar] | None = None,
    ) -> int | None:
        if ids is None and not where:
            raise NodeError("delete: give ids or a filter (drop deletes a whole collection)")
        if ids is not None and not ids:
            return 0
        http = await self.client()
        body: dict[str, Any]
        if where:
            body = {"filter": qdrant_filter(where, ids)}
        else:
            body = {"points": [point_id(i) for i in ids or ()]}
        response = await http.request(
            "POST",
            f"/collections/{collection}/points/delete",
            query={"wait": "true"},
            json=body,
            idempotent=True,
            ok_statuses=(404,),
        )
        return 0 if response.status_code == 404 else None

    async def drop(self, collection: str) -> None:
        http = await self.client()
        await http.request("DELETE", f"/collections/{collection}", ok_statuses=(404,))
        self._sizes.pop(collection, None)


@register_vector_store(StoreKind.QDRANT, "qdrant")
def qdrant_store(
    ctx: NodeContext, credentials: Mapping[str, Any] | None, integration_id: int | None
) -> VectorStore:
    assert credentials is not None and integration_id is not None
    return QdrantStore(ctx, credentials, integration_id)
