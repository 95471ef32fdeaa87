"""Model providers: an integration type that serves models declares a :class:`ModelProvider`
factory for its credentials, and every ``ai.*`` node can use an integration of that type.

    @register_provider("openai")
    def _openai(credentials: IntegrationCredentials) -> ModelProvider:
        return OpenAIProvider(credentials)

A node finds the provider of the integration its params name with :func:`provider_for`.
Providers raise :class:`~wirework.sdk.node.NodeError` with the provider's own message (no
credential in it), ``retryable`` for 429/5xx/timeouts once their own retries are spent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from wirework.sdk.ai.messages import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    ModelInfo,
)
from wirework.sdk.node import NodeError

if TYPE_CHECKING:
    from wirework.sdk.node import NodeContext
    from wirework.sdk.outbound import IntegrationCredentials


class ModelProvider(ABC):
    #: Shown in usage records and the price table ("openai", "anthropic", …).
    name: str = "provider"

    @abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResult: ...

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        """The answer piece by piece; the last delta carries the whole result. Providers
        that cannot stream answer in one piece."""
        result = await self.chat(request)
        yield ChatDelta(text=result.message.content or "", result=result)

    async def embed(self, texts: list[str], model: str) -> EmbeddingResult:
        raise NodeError(f"{self.name} has no embedding models", retryable=False)

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections (called when the step ends)."""


ProviderFactory = Callable[["IntegrationCredentials"], ModelProvider]

_PROVIDERS: dict[str, ProviderFactory] = {}


def register_provider(integration_type: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Declare that integrations of ``integration_type`` serve models."""

    def decorate(factory: ProviderFactory) -> ProviderFactory:
        _PROVIDERS[integration_type] = factory
        return factory

    return decorate


def provider_types() -> list[str]:
    """The integration types that serve models (for the editor's integration picker)."""
    return sorted(_PROVIDERS)


async def provider_for(ctx: NodeContext, integration_id: int) -> ModelProvider:
    """The model provider of integration ``integration_id`` (its credentials decrypted for
    this step). A NodeError if that integration's type serves no models."""
    credentials = await ctx.credentials(integration_id)
    return provider_of_credentials(credentials, integration_id)


def provider_of_credentials(credentials: object, integration_id: int | None) -> ModelProvider:
    """The model provider for an integration's decrypted credentials (outside a step: the
    editor's assistant, the model list). A NodeError if its type serves no models."""
    kind = getattr(credentials, "integration_type", None)
    factory = _PROVIDERS.get(kind or "")
    if factory is None:
        raise NodeError(
            f"integration {integration_id} ({kind or 'unknown type'}) is not a model provider; "
            f"use one of: {', '.join(provider_types()) or 'none installed'}",
            retryable=False,
        )
    return factory(credentials)  # type: ignore[arg-type]
