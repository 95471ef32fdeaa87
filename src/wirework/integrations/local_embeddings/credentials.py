"""The local embedding model's settings (it has no secret: nothing leaves the process) and
its connection test (the model loads and embeds a sentence)."""

from __future__ import annotations

from pydantic import Field

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    Native,
    no_auth,
)


class LocalEmbeddingsCredentials(CredentialsModel):
    dimensions: int = Field(
        default=256,
        ge=32,
        le=256,
        description="Vector size: the model's 256, or its first 64 or 128 (smaller and faster "
        "to search, a little less precise; 32 to 256 work). Vectors of one store must all "
        "have one size",
    )


LOCAL_EMBEDDINGS = IntegrationDefinition(
    "local_embeddings",
    "Local embeddings",
    credentials=LocalEmbeddingsCredentials,
    auth=no_auth("none: the model runs inside Wirework"),
    description="An embedding model that runs inside Wirework (WordLlama, weights in its PyPI "
    "package): embeddings for ai.embed and the vector stores with no server, no key and no "
    "data leaving the machine. Needs the local-embeddings extra",
    icon="cpu",
    category="AI",
    docs="https://github.com/dleemiller/WordLlama",
    base_url=None,
    native=Native(point_at=None),  # runs in the process: nowhere to aim it
    example_credentials={"dimensions": 256},
)


@LOCAL_EMBEDDINGS.connection_test
async def test_connection(connection: Connection[LocalEmbeddingsCredentials]) -> str:
    from wirework.integrations.local_embeddings.provider import MODEL, LocalEmbeddingsProvider

    provider = LocalEmbeddingsProvider(connection.credentials.dimensions)
    result = await provider.embed(["connection test"], MODEL)
    return f"{MODEL} loaded: {len(result.vectors[0])}-dimensional vectors"
