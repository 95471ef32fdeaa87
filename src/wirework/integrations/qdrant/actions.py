"""Qdrant actions on collections: list them, delete one (records go in and out through the
``ai.vector_*`` nodes with ``store.kind`` qdrant)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.qdrant.credentials import QDRANT, QdrantCredentials
from wirework.sdk.ai.vectors import COLLECTION_HELP, check_collection
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item


class ListCollections(ActionParams):
    name_contains: str = Field(
        default="", max_length=48, description="Only collections whose name contains this"
    )


class DeleteCollection(ActionParams):
    collection: str = Field(
        min_length=1, max_length=48, description=f"The collection: {COLLECTION_HELP}"
    )


@QDRANT.action(
    "list_collections",
    params=ListCollections,
    description="The server's collections: one item per collection {name}",
    example={"name_contains": "support"},
)
async def list_collections(
    ctx: ActionContext[QdrantCredentials], params: ListCollections
) -> list[Item]:
    body = await ctx.client.json("GET", "/collections")
    found: Any = (body.get("result") or {}).get("collections") if isinstance(body, dict) else []
    names = [str(c.get("name")) for c in found or [] if isinstance(c, dict)]
    return [{"name": n} for n in names if params.name_contains in n]


@QDRANT.action(
    "delete_collection",
    params=DeleteCollection,
    description="Delete a collection and its points (nothing if it does not exist); emits "
    "{collection, deleted}",
    example={"collection": "support_docs"},
)
async def delete_collection(
    ctx: ActionContext[QdrantCredentials], params: DeleteCollection
) -> Item:
    name = check_collection(params.collection, "params.collection")
    response = await ctx.client.request("DELETE", f"/collections/{name}", ok_statuses=(404,))
    return {"collection": name, "deleted": response.status_code != 404}
