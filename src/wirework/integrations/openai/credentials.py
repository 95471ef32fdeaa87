"""OpenAI's credentials, the integration's declaration and its connection test (the model
list). One type serves OpenAI itself and every server speaking its API: Azure OpenAI (its v1
API by ``base_url``, or the deployment API with ``api_version``), Ollama, vLLM, LM Studio."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    bearer,
    http_url,
)
from wirework.sdk.node import NodeError

SERVICE = "OpenAI"
OPENAI_BASE_URL = "https://api.openai.com/v1"


class OpenAICredentials(CredentialsModel):
    base_url: Annotated[str, http_url(OPENAI_BASE_URL)] = Field(
        default=OPENAI_BASE_URL,
        description="API URL: https://api.openai.com/v1, an Azure OpenAI resource "
        "(https://<resource>.openai.azure.com/openai/v1, or https://<resource>.openai.azure."
        "com with api_version), or a local server (Ollama http://localhost:11434/v1, vLLM "
        "http://localhost:8000/v1, LM Studio http://localhost:1234/v1: the admin must allow "
        "private addresses with WIREWORK_OUTBOUND_ALLOW)",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="API key (Azure: the resource's key); local servers may need none",
    )
    organization: str | None = Field(
        default=None, max_length=200, description="OpenAI organization ID (org-…), if any"
    )
    project: str | None = Field(
        default=None, max_length=200, description="OpenAI project ID (proj_…), if any"
    )
    api_version: str | None = Field(
        default=None,
        max_length=40,
        description="Azure OpenAI deployment API only: its api-version (e.g. 2024-10-21); "
        "the model of each call is then the deployment's name. Empty for everything else",
    )
    timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="Seconds a model call may take, retries included (a node's own "
        "timeout_s may lower it)",
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a call answered 408/409/429/5xx or timing out (honouring "
        "Retry-After up to 30 s)",
    )


OPENAI = IntegrationDefinition(
    "openai",
    SERVICE,
    credentials=OpenAICredentials,
    auth=bearer("api_key"),
    description="OpenAI and OpenAI-compatible model servers (Azure OpenAI, Ollama, vLLM, "
    "LM Studio): chat completions with tools and JSON Schema output, streaming, embeddings",
    icon="sparkles",
    category="AI",
    docs="https://platform.openai.com/docs/api-reference",
    example_credentials={"base_url": OPENAI_BASE_URL, "api_key": "sk-example"},
)


@OPENAI.connection_test
async def test_connection(connection: Connection[OpenAICredentials]) -> str:
    from wirework.integrations.openai.provider import OpenAIProvider

    provider = OpenAIProvider(connection.credentials, integration_id=connection.integration_id)
    try:
        models = await provider.list_models()
    finally:
        await provider.aclose()
    if not models:
        return f"connected to {connection.credentials.base_url}: it lists no models"
    names = ", ".join(m.id for m in models[:5])
    more = f" and {len(models) - 5} more" if len(models) > 5 else ""
    return f"connected to {connection.credentials.base_url}: {len(models)} models ({names}{more})"


def need_key(credentials: OpenAICredentials) -> str:
    """The API key, or a placeholder for servers that need none (the SDK insists on one)."""
    if credentials.api_key is not None and credentials.api_key.get_secret_value():
        return credentials.api_key.get_secret_value()
    if credentials.api_version:
        raise NodeError(f"{SERVICE}: Azure OpenAI needs the resource's api_key", retryable=False)
    return "none"
