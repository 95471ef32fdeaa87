"""The ``local_embeddings`` model provider: WordLlama's bundled model, loaded once per
process from its package (never downloaded), run in a worker thread so the event loop goes
on while it embeds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wirework.sdk.ai import (
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    ModelInfo,
    ModelProvider,
    Usage,
    register_provider,
)
from wirework.sdk.node import NodeError

#: The one model: WordLlama's "l2_supercat" (256 dimensions, truncatable).
MODEL = "wordllama-l2-supercat"
INSTALL = "pip install 'wirework[local-embeddings]'"

_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    """The model, loaded on first use from the files inside the wordllama package."""
    global _model
    with _lock:
        if _model is None:
            try:
                import wordllama
            except ImportError:
                raise NodeError(
                    f"local embeddings need the local-embeddings extra: {INSTALL}",
                    retryable=False,
                ) from None
            # The package keeps its weights in weights/ and its tokenizer in tokenizers/,
            # which is where load() looks for a cache: pointed there, it reads both and
            # never goes to the network.
            _model = wordllama.WordLlama.load(
                cache_dir=Path(wordllama.__file__).parent, disable_download=True
            )
        return _model


def _embed(texts: list[str], dimensions: int) -> tuple[list[list[float]], int]:
    model = _load()
    with _lock:  # the tokenizer is shared and stateful
        tokens = sum(int(sum(e.attention_mask)) for e in model.tokenize(texts)) if texts else 0
        vectors = model.embed(texts, norm=True) if texts else []
    out = [[float(x) for x in row[:dimensions]] for row in vectors]
    if dimensions < 256:  # truncated: unit length again, as the whole vector was
        out = [_unit(v) for v in out]
    return out, tokens


def _unit(vector: list[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5
    return [x / norm for x in vector] if norm else vector


class LocalEmbeddingsProvider(ModelProvider):
    name = "local_embeddings"

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions

    async def chat(self, request: ChatRequest) -> ChatResult:
        raise NodeError(
            "local embeddings serve no chat models: use an openai or anthropic integration "
            "for ai.chat and the agent",
            retryable=False,
        )

    async def embed(self, texts: list[str], model: str) -> EmbeddingResult:
        if model != MODEL:
            raise NodeError(
                f"local_embeddings has one model, {MODEL!r}, not {model!r}", retryable=False
            )
        vectors, tokens = await asyncio.to_thread(_embed, list(texts), self.dimensions)
        return EmbeddingResult(vectors=vectors, usage=Usage(input_tokens=tokens), model=MODEL)

    async def list_models(self) -> list[ModelInfo]:
        return [ModelInfo(id=MODEL, kind="embedding")]


@register_provider("local_embeddings")
def _provider(credentials: Mapping[str, Any]) -> ModelProvider:
    from wirework.integrations.local_embeddings.credentials import LOCAL_EMBEDDINGS

    values = LOCAL_EMBEDDINGS.validate_credentials(credentials, None)
    return LocalEmbeddingsProvider(values.dimensions)
