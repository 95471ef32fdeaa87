"""Anthropic's actions: ``messages`` (one Messages API call per item) and ``list_models``.
Each model call is checked against the spending limits first and its tokens reported after."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.anthropic.credentials import ANTHROPIC, AnthropicCredentials
from wirework.integrations.anthropic.provider import AnthropicProvider
from wirework.sdk.ai import ChatRequest, Message, Role, ToolSpec
from wirework.sdk.ai.actions import ListModelsParams, chat_item, model_items
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item


def _provider(ctx: ActionContext[AnthropicCredentials]) -> AnthropicProvider:
    """The provider on the step's credentials, sending them only where the integration's
    client may (its allowed hosts)."""
    http = ctx.connection.http
    return AnthropicProvider(
        ctx.credentials,
        integration_id=ctx.connection.integration_id,
        hosts=http.auth.hosts if http is not None else None,
    )


class TurnParam(ActionParams):
    role: Role = Field(description="user or assistant (system goes in `system`)")
    content: str = Field(description="The message's text")


class MessagesParams(ActionParams):
    """One Messages API call per item."""

    model: str = Field(min_length=1, max_length=200, description="Model, e.g. claude-sonnet-4-5")
    system: str | None = Field(default=None, description="System prompt")
    messages: list[TurnParam] = Field(
        min_length=1, max_length=1000, description="The conversation, oldest first"
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="Longest answer in tokens (default: credentials')"
    )
    temperature: float | None = Field(default=None, ge=0, le=1, description="Sampling temperature")
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling")
    stop: list[str] = Field(default_factory=list, max_length=8, description="Stop sequences")
    json_schema: dict[str, Any] | None = Field(
        default=None, description="A JSON Schema the answer must follow"
    )
    tools: list[ToolSpec] = Field(
        default_factory=list, description="Tools offered: {name, description, parameters}"
    )
    timeout_s: float | None = Field(
        default=None, gt=0, le=3600, description="Seconds for the call (default: credentials')"
    )


@ANTHROPIC.action(
    "messages",
    params=MessagesParams,
    display_name="Create a message",
    description="Ask a Claude model (Messages API); emits {text, message, model, usage, "
    "finish_reason}",
    example={
        "model": "claude-sonnet-4-5",
        "system": "Answer in one sentence.",
        "messages": [{"role": "user", "content": "What is a webhook?"}],
    },
)
async def messages(ctx: ActionContext[AnthropicCredentials], params: MessagesParams) -> Item:
    conversation = [Message(role=m.role, content=m.content) for m in params.messages]
    if params.system:
        conversation.insert(0, Message(role=Role.SYSTEM, content=params.system))
    request = ChatRequest(
        model=params.model,
        messages=conversation,
        tools=params.tools,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_tokens,
        stop=params.stop,
        json_schema=params.json_schema,
        timeout_s=params.timeout_s,
    )
    return await chat_item(ctx.node, _provider(ctx), request)


@ANTHROPIC.action(
    "list_models",
    params=ListModelsParams,
    display_name="List models",
    description="The available models (GET /v1/models); one item {id, kind} per model",
    example={"contains": "sonnet"},
)
async def list_models(
    ctx: ActionContext[AnthropicCredentials], params: ListModelsParams
) -> list[Item]:
    return await model_items(_provider(ctx), params)
