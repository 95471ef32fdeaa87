"""``ai.memory``: a conversation's stored messages per session key — load them (for an
``ai.chat``'s history), append a turn, or clear the session."""

from __future__ import annotations

import enum

from pydantic import Field, model_validator

from wirework.nodes.ai.common import HistoryMessage, typed
from wirework.nodes.base import ParamsModel, check_problems
from wirework.sdk.ai import MemoryMode, Message
from wirework.sdk.node import Item, NodeContext, Outputs
from wirework.sdk.registry import NodeSpec, registry


class MemoryOperation(enum.StrEnum):
    LOAD = "load"
    APPEND = "append"
    CLEAR = "clear"


class MemoryNodeParams(ParamsModel):
    """Read or change a conversation's memory."""

    operation: MemoryOperation = Field(
        strict=False,  # the value's text, as documents give it
        description="load, append or clear",
    )
    session_key: str = Field(
        min_length=1, max_length=200, description="Which conversation, e.g. {{ json.session_id }}"
    )
    mode: MemoryMode = Field(
        strict=False,  # the value's text, as documents give it
        default=MemoryMode.WINDOW,
        description="load: window (the last `limit` messages) or tokens (the newest that fit "
        "`limit` approximate tokens)",
    )
    limit: int = Field(default=20, ge=1, le=1_000_000, description="load: messages, or tokens")
    messages: list[HistoryMessage] | None = Field(
        default=None,
        description="append: the messages to add, e.g. [{role: user, content: "
        "'{{ json.question }}'}, {role: assistant, content: '{{ json.text }}'}]",
    )

    @model_validator(mode="after")
    def _messages_to_append(self) -> MemoryNodeParams:
        if self.operation is MemoryOperation.APPEND and not self.messages:
            check_problems([("messages", "give the messages to append")])
        return self


async def run_memory(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    for index, item in enumerate(ctx.items):
        params: MemoryNodeParams = typed(MemoryNodeParams, await ctx.aparams(index), ctx.node_id)
        memory = ctx.memory(params.session_key)
        if params.operation is MemoryOperation.LOAD:
            messages = await memory.load(params.mode, params.limit)
            history = [{"role": m.role.value, "content": m.content or ""} for m in messages]
            out.append({**item, "history": history})
        elif params.operation is MemoryOperation.APPEND:
            new = [Message(role=m.role, content=m.content) for m in params.messages or []]
            await memory.append(new)
            out.append({**item, "appended": len(new)})
        else:
            out.append({**item, "cleared": await memory.clear()})
    return {"main": out}


MEMORY = registry.register_node(
    NodeSpec(
        type="ai.memory",
        display_name="AI: Memory",
        description="Conversation memory per session key, stored in the database: load "
        "(adds `history` for ai.chat), append a turn, or clear",
        group="data",
        category="AI",
        icon="brain",
        params=MemoryNodeParams,
        run=run_memory,
    )
)
