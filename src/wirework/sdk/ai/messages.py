"""The provider-neutral shapes of a model call: messages, tools, requests, results, usage.

Every model provider (an integration that declares one, :mod:`wirework.sdk.ai.provider`)
translates these to and from its own API; the AI nodes (``ai.*``) only ever see these. A
message's ``content`` is text; tool calls and their results travel as their own fields.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Role(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ToolCall(BaseModel):
    """The model asks for a tool: ``arguments`` parsed from its JSON (a provider that sends
    text that is not a JSON object gives ``{"$raw": text}``: the agent reports the error
    back to the model)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    role: Role
    content: str | None = None
    # assistant: the tools it asked for; tool: which call this answers.
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    # tool: the tool's name (some providers want it).
    name: str | None = None


class ToolSpec(BaseModel):
    """A tool offered to the model: ``parameters`` is a JSON Schema object (an action's
    params model's schema, for integration actions used as tools)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class ChatRequest(BaseModel):
    model: str
    messages: list[Message]
    tools: list[ToolSpec] = Field(default_factory=list)
    # "auto" (default when tools are given), "none", "required", or a tool's name.
    tool_choice: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] = Field(default_factory=list)
    # A JSON Schema the answer must follow (structured output), where the provider can
    # enforce it; the node validates the answer either way.
    json_schema: dict[str, Any] | None = None
    # Seconds for the whole call (retries included).
    timeout_s: float | None = None


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class ChatResult(BaseModel):
    message: Message  # role assistant
    usage: Usage = Field(default_factory=Usage)
    # The model that answered, as the provider names it (may differ from the one asked).
    model: str
    # "stop", "length", "tool_calls", "content_filter" or the provider's own word.
    finish_reason: str | None = None


class ChatDelta(BaseModel):
    """One piece of a streamed answer: text as it comes; the last one carries ``result``
    (the whole answer, tool calls and usage included)."""

    text: str = ""
    result: ChatResult | None = None


class EmbeddingResult(BaseModel):
    vectors: list[list[float]]
    usage: Usage = Field(default_factory=Usage)
    model: str


class ModelInfo(BaseModel):
    id: str
    # What the provider says it is for, where it says: "chat", "embedding" or None.
    kind: str | None = None
