"""Qdrant's credentials (the server's URL and an optional API key, sent as ``api-key``), its
error messages (``{"status": {"error": …}}``) and its connection test."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Auth,
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    generic_message,
    http_url,
    response_json,
    secret,
)


class QdrantCredentials(CredentialsModel):
    url: Annotated[str, http_url("https://qdrant.acme.example:6333")] = Field(
        description="The server's REST URL (port 6333 by default)"
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key (none for a server without authentication)"
    )


def _headers(credentials: Any) -> dict[str, str]:
    key = secret(getattr(credentials, "api_key", None))
    return {"api-key": key} if key else {}


def error_message(response: httpx.Response) -> str | None:
    body = response_json(response)
    if isinstance(body, dict) and isinstance(body.get("status"), dict):
        found = body["status"].get("error")
        if isinstance(found, str) and found:
            return found
    return generic_message(response)


QDRANT = IntegrationDefinition(
    "qdrant",
    "Qdrant",
    credentials=QdrantCredentials,
    auth=Auth("headers", _headers, "api-key: <api_key> (when set)"),
    base_url="url",
    description="Qdrant vector database: a vector store for the ai.vector_* nodes "
    "(collections, upserts, filtered search), and its collections as actions",
    icon="box",
    category="AI",
    docs="https://api.qdrant.tech/api-reference",
    error_message=error_message,
    example_credentials={"url": "https://qdrant.acme.example:6333", "api_key": "qdrant-test-key"},
)


@QDRANT.connection_test
async def test_connection(connection: Connection[QdrantCredentials]) -> str:
    body = await connection.client.json("GET", "/collections")
    found = (body.get("result") or {}).get("collections") if isinstance(body, dict) else None
    count = len(found) if isinstance(found, list) else 0
    return f"connected to Qdrant at {connection.credentials.url}: {count} collections"
