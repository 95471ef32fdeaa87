"""Anthropic's credentials, the integration's declaration and its connection test (the model
list, ``GET /v1/models``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    api_key_header,
    http_url,
)

SERVICE = "Anthropic"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"


class AnthropicCredentials(CredentialsModel):
    api_key: SecretStr = Field(description="API key (sk-ant-…) from the Anthropic Console")
    base_url: Annotated[str, http_url(ANTHROPIC_BASE_URL)] = Field(
        default=ANTHROPIC_BASE_URL,
        description="API URL, without /v1 (https://api.anthropic.com, or a gateway's)",
    )
    default_answer_limit: int = Field(
        default=4096,
        ge=1,
        le=200_000,
        description="Longest answer in tokens when a call does not say (the Messages API "
        "requires one)",
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
        description="Retries of a call answered 408/409/429/5xx (529 overloaded too) or "
        "timing out (honouring Retry-After up to 30 s)",
    )


ANTHROPIC = IntegrationDefinition(
    "anthropic",
    SERVICE,
    credentials=AnthropicCredentials,
    auth=api_key_header("x-api-key"),
    description="Anthropic's Claude models (Messages API): chat with tools and JSON output, "
    "streaming, model list",
    icon="bot",
    category="AI",
    docs="https://docs.anthropic.com/en/api/messages",
    example_credentials={"api_key": "sk-ant-example"},
)


@ANTHROPIC.connection_test
async def test_connection(connection: Connection[AnthropicCredentials]) -> str:
    from wirework.integrations.anthropic.provider import AnthropicProvider

    provider = AnthropicProvider(connection.credentials, integration_id=connection.integration_id)
    try:
        models = await provider.list_models()
    finally:
        await provider.aclose()
    names = ", ".join(m.id for m in models[:5])
    more = f" and {len(models) - 5} more" if len(models) > 5 else ""
    return f"connected to Anthropic: {len(models)} models ({names}{more})"
