"""OpenAI's actions: ``chat`` (one chat completion per item), ``embeddings`` and
``list_models``. Each model call is checked against the spending limits first and its tokens
reported after (``NodeContext.check_spending`` / ``record_usage``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.openai.credentials import OPENAI, OpenAICredentials
from wirework.integrations.openai.provider import OpenAIProvider
from wirework.sdk.ai import ChatRequest, Message, Role, ToolSpec
from wirework.sdk.ai.actions import ListModelsParams, chat_item, embedding_item, model_items
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item


def _provider(ctx: ActionContext[OpenAICredentials]) -> OpenAIProvider:
    """The provider on the step's credentials, sending them only where the integration's
    client may (its allowed hosts)."""
    http = ctx.connection.http
    return OpenAIProvider(
        ctx.credentials,
        integration_id=ctx.connection.integration_id,
        hosts=http.auth.hosts if http is not None else None,
    )


class ChatMessageParam(ActionParams):
    role: Role = Field(description="system, user, assistant or tool")
    content: str = Field(description="The message's text")


class ChatParams(ActionParams):
    """One chat completion per item."""

    model: str = Field(min_length=1, max_length=200, description="Model (Azure: deployment)")
    messages: list[ChatMessageParam] = Field(
        min_length=1, max_length=1000, description="The conversation, oldest first"
    )
    temperature: float | None = Field(default=None, ge=0, le=2, description="Sampling temperature")
    max_tokens: int | None = Field(default=None, ge=1, description="Longest answer, in tokens")
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling")
    stop: list[str] = Field(default_factory=list, max_length=4, description="Stop sequences")
    json_schema: dict[str, Any] | None = Field(
        default=None, description="A JSON Schema the answer must follow (response_format)"
    )
    tools: list[ToolSpec] = Field(
        default_factory=list, description="Tools offered: {name, description, parameters}"
    )
    timeout_s: float | None = Field(
        default=None, gt=0, le=3600, description="Seconds for the call (default: credentials')"
    )


@OPENAI.action(
    "chat",
    params=ChatParams,
    display_name="Chat completion",
    description="Ask a chat model; emits {text, message, model, usage, finish_reason}",
    example={
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Answer in one sentence."},
            {"role": "user", "content": "What is a webhook?"},
        ],
    },
)
async def chat(ctx: ActionContext[OpenAICredentials], params: ChatParams) -> Item:
    request = ChatRequest(
        model=params.model,
        messages=[Message(role=m.role, content=m.content) for m in params.messages],
        tools=params.tools,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_tokens,
        stop=params.stop,
        json_schema=params.json_schema,
        timeout_s=params.timeout_s,
    )
    return await chat_item(ctx.node, _provider(ctx), request)


class EmbeddingsParams(ActionParams):
    """Embedding vectors of one text or several."""

    model: str = Field(min_length=1, max_length=200, description="Embedding model")
    input: str | list[str] = Field(description="A text, or a list of texts")


@OPENAI.action(
    "embeddings",
    params=EmbeddingsParams,
    display_name="Embeddings",
    description="Embedding vectors of a text (or texts); emits {embeddings, model, usage}",
    example={"model": "text-embedding-3-small", "input": "The quick brown fox"},
)
async def embeddings(ctx: ActionContext[OpenAICredentials], params: EmbeddingsParams) -> Item:
    texts = [params.input] if isinstance(params.input, str) else params.input
    return await embedding_item(ctx.node, _provider(ctx), texts, params.model)


@OPENAI.action(
    "list_models",
    params=ListModelsParams,
    display_name="List models",
    description="The server's models (GET /models); one item {id, kind} per model",
    example={"contains": "gpt"},
)
async def list_models(
    ctx: ActionContext[OpenAICredentials], params: ListModelsParams
) -> list[Item]:
    return await model_items(_provider(ctx), params)
