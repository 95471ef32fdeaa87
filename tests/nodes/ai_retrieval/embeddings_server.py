"""A tiny OpenAI-compatible embeddings endpoint (``POST /v1/embeddings``) and a model
provider that calls it, for the retrieval round trip until the shared fake OpenAI server
(tests/integrations/openai/server.py) and the real ``openai`` provider land: then the lead
folds ``embeddings`` into that server and the test uses the ``openai`` integration.

Embeddings are deterministic bags of words: each lower-cased word adds 1 to dimension
``crc32(word) % DIMENSIONS``, then the vector is normalised, so texts sharing words are
close (cosine) and no model is needed."""

from __future__ import annotations

import math
import re
import zlib
from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request
from wirework.sdk.ai import ChatRequest, ChatResult, EmbeddingResult, ModelProvider, Usage
from wirework.sdk.ai.provider import register_provider
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import guarded_client

DIMENSIONS = 256
PROVIDER_TYPE = "test_openai_embeddings"
WORD = re.compile(r"[a-z0-9]+")


def embed(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in WORD.findall(text.lower()):
        vector[zlib.crc32(word.encode()) % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class FakeEmbeddings(FakeServer):
    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.route("POST", "/v1/embeddings", self.embeddings)

    def authenticate(self, request: Request) -> Answer | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Answer(401, {"error": {"message": "Incorrect API key provided"}})
        return None

    def embeddings(self, request: Request) -> Answer:
        body = request.json() or {}
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not body.get("model"):
            return Answer(400, {"error": {"message": "input and model are required"}})
        tokens = sum(len(WORD.findall(t.lower())) for t in texts)
        return Answer(
            200,
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": embed(t)}
                    for i, t in enumerate(texts)
                ],
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


class LocalEmbeddingsProvider(ModelProvider):
    """Just enough of an OpenAI provider for embeddings (base_url + api_key)."""

    name = "openai"

    def __init__(self, credentials: dict[str, Any]) -> None:
        self.base_url = str(credentials["base_url"]).rstrip("/")
        self.api_key = str(credentials["api_key"])

    async def chat(self, request: ChatRequest) -> ChatResult:
        raise NodeError("no chat here", retryable=False)

    async def embed(self, texts: list[str], model: str) -> EmbeddingResult:
        async with guarded_client() as client:
            response = await client.post(
                f"{self.base_url}/embeddings",
                json={"model": model, "input": texts},
                headers={"authorization": f"Bearer {self.api_key}"},
            )
        if response.status_code >= 400:
            raise NodeError(f"openai: HTTP {response.status_code}", retryable=False)
        body = response.json()
        data = sorted(body["data"], key=lambda d: d["index"])
        return EmbeddingResult(
            vectors=[d["embedding"] for d in data],
            usage=Usage(input_tokens=body["usage"]["prompt_tokens"]),
            model=body["model"],
        )


register_provider(PROVIDER_TYPE)(LocalEmbeddingsProvider)  # type: ignore[arg-type]
