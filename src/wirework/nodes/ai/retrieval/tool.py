"""Retrieval as an agent tool (RAG): the ``retrieval`` tool kind of ``ai.agent``. Its
``options`` are ``ai.vector_search``'s params (``store``, ``integration_id`` and ``model`` of
the embeddings, ``k``); the model gives ``{"query", "k"?, "filter"?}`` and gets the closest
passages as numbered text (:func:`wirework.sdk.ai.vectors.render_hits`)::

    tools:
      - kind: retrieval
        name: search_handbook
        description: Passages of the employee handbook
        options: {store: {collection: handbook}, integration_id: 1,
                  model: text-embedding-3-small, k: 4}
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from wirework.nodes.ai.retrieval.vectors import OpenStores, VectorSearchParams, retriever_for
from wirework.nodes.ai.tools import AgentTool, ToolConfig, ToolKind, register_tool_kind
from wirework.sdk.ai import ToolSpec
from wirework.sdk.ai.vectors import RETRIEVER_TOOL_PARAMETERS
from wirework.sdk.node import NodeContext

KIND = "retrieval"


def _search_params(config: ToolConfig) -> VectorSearchParams:
    return VectorSearchParams.model_validate(config.options)


def _check(config: ToolConfig) -> list[tuple[str, str]]:
    try:
        _search_params(config)
    except ValidationError as exc:
        return [
            ("options." + ".".join(str(p) for p in error["loc"]), error["msg"])
            for error in exc.errors(include_input=False)
        ]
    return []


def _build(config: ToolConfig) -> AgentTool:
    params = _search_params(config)

    async def run(ctx: NodeContext, arguments: dict[str, Any], index: int, call: str) -> Any:
        stores = OpenStores(ctx)
        try:
            store = await stores.get(params.store)
            retriever = await retriever_for(ctx, params, store)
            return await retriever.tool(arguments)
        finally:
            await stores.aclose()

    return AgentTool(
        ToolSpec(
            name=config.name or "search_documents",
            description=config.description
            or f"Searches the {params.store.collection!r} documents; answers the closest "
            "passages, numbered",
            parameters=RETRIEVER_TOOL_PARAMETERS,
        ),
        config,
        run,
    )


register_tool_kind(KIND, ToolKind(_check, _build))
