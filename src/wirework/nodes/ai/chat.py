"""``ai.chat``: one chat-model answer per item, from system, history and user messages given
inline (with expressions) or by a prompt template."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from wirework.nodes.ai.common import (
    HistoryMessage,
    MemoryParams,
    ModelParams,
    Providers,
    TemplateRef,
    complete,
    load_memory,
    request_of,
    save_memory,
    stream_param,
    streams,
    template_messages,
    typed,
    usage_dict,
)
from wirework.nodes.base import check_problems
from wirework.sdk.ai import Message, Role
from wirework.sdk.node import Item, NodeContext, Outputs
from wirework.sdk.registry import NodeSpec, registry


class PromptParams(ModelParams):
    """A prompt: system, history and user message, or a template."""

    system: str | None = Field(default=None, description="System message (instructions)")
    prompt: str | None = Field(
        default=None,
        description="The user message, e.g. Summarize: {{ json.body }} (after the template's "
        "messages when a template is given)",
    )
    history: list[HistoryMessage] | None = Field(
        default=None,
        description="Earlier turns, oldest first: a list of {role, content}, e.g. "
        "{{ json.history }}",
    )
    template: TemplateRef | None = Field(
        default=None,
        description="A prompt template from the library, instead of or before the prompt",
    )

    @model_validator(mode="after")
    def _something_to_say(self) -> PromptParams:
        if self.prompt is None and self.template is None:
            check_problems([("prompt", "give a prompt or a template")])
        return self


async def conversation(
    ctx: NodeContext, params: PromptParams, index: int
) -> tuple[list[Message], str | None]:
    """The messages to send for item ``index`` and the template's ref (if one is used)."""
    system: list[Message] = []
    rest: list[Message] = []
    ref = None
    if params.system:
        system.append(Message(role=Role.SYSTEM, content=params.system))
    if params.template is not None:
        messages, ref = await template_messages(ctx, params.template, index)
        system += [m for m in messages if m.role is Role.SYSTEM]
        rest += [m for m in messages if m.role is not Role.SYSTEM]
    history = [Message(role=h.role, content=h.content) for h in params.history or []]
    if params.prompt:
        rest.append(Message(role=Role.USER, content=params.prompt))
    return [*system, *history, *rest], ref


class ChatParams(PromptParams):
    """Ask a chat model once per item."""

    memory: MemoryParams | None = Field(
        default=None,
        description="Conversation memory: the session's earlier turns go before the prompt, "
        "this turn is appended after",
    )
    stream: bool | None = stream_param()


def answer_item(result: Any) -> Item:
    return {
        "text": result.message.content or "",
        "message": result.message.model_dump(mode="json", exclude_none=True),
        "model": result.model,
        "usage": usage_dict(result.usage),
        "finish_reason": result.finish_reason,
    }


async def run_chat(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    async with Providers(ctx) as providers:
        for index in range(len(ctx.items)):
            params: ChatParams = typed(ChatParams, await ctx.aparams(index), ctx.node_id)
            provider = await providers.get(params.integration_id)
            messages, ref = await conversation(ctx, params, index)
            remembered = await load_memory(ctx, params.memory)
            if remembered:
                cut = sum(1 for m in messages if m.role is Role.SYSTEM)
                messages = [*messages[:cut], *remembered, *messages[cut:]]
            request = request_of(params, messages)
            stream = streams(ctx, params.stream)
            result = await complete(ctx, provider, request, ref, stream=stream)
            turn = [Message(role=Role.USER, content=params.prompt)] if params.prompt else []
            if result.message.content:
                turn.append(Message(role=Role.ASSISTANT, content=result.message.content))
            await save_memory(ctx, params.memory, turn)
            out.append(answer_item(result))
    return {"main": out}


CHAT = registry.register_node(
    NodeSpec(
        type="ai.chat",
        display_name="AI: Chat",
        description="Ask a chat model (system, history and user messages, or a prompt "
        "template); emits {text, message, model, usage, finish_reason} per item",
        group="data",
        category="AI",
        icon="message-square",
        params=ChatParams,
        run=run_chat,
        streaming=True,
    )
)
