"""The editor's AI assistant (``/api/ai/assistant``, ``/api/ai/draft-workflow``,
``/api/ai/explain-error``, ``/api/ai/write``) and a model provider's model list."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

MAX_DESCRIPTION = 4000
#: The longest current text "Write with AI" is asked to change (core.code's own limit).
MAX_CURRENT = 262144


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssistantConfigIn(_In):
    integration_id: int = Field(
        ge=1, le=2**31 - 1, description="A model-provider integration (openai, anthropic, …)"
    )
    model: str = Field(min_length=1, max_length=200, description="The model it asks")


class AssistantConfigOut(BaseModel):
    configured: bool = Field(description="Whether the assistant can be used")
    integration_id: int | None = None
    integration_name: str | None = Field(default=None, description="Null: no such integration")
    model: str | None = None
    provider_types: list[str] = Field(
        default_factory=list,
        description="Integration types that serve models (the editor's model pickers)",
    )


class DraftIn(_In):
    description: str = Field(
        min_length=1, max_length=MAX_DESCRIPTION, description="The workflow in words"
    )
    document: dict[str, Any] | None = Field(
        default=None,
        description="The current workflow document to change (as the editor holds it); "
        "null: draft a new one",
    )

    _description = field_validator("description")(not_blank)


class DraftOut(BaseModel):
    document: dict[str, Any] = Field(
        description="The draft: a valid workflow document (not saved: apply it in the editor)"
    )
    attempts: int = Field(description="Model calls it took (1 + repairs)")


class ExplainIn(_In):
    execution_id: str = Field(min_length=1, max_length=32)
    node_id: str = Field(min_length=1, max_length=200)


class ExplainOut(BaseModel):
    explanation: str
    suggestions: list[str] = Field(default_factory=list)


class WriteKind(enum.StrEnum):
    EXPRESSION = "expression"
    CODE = "code"


class WriteContext(_In):
    node_type: str | None = Field(default=None, max_length=201)
    param_name: str | None = Field(default=None, max_length=200)
    sample_item: JsonValue = Field(
        default=None, description="An input item the value will see (as `json`)"
    )
    code_mode: str = Field(
        default="once", pattern="^(once|per_item)$", description="core.code's mode"
    )
    current: str | None = Field(
        default=None,
        max_length=MAX_CURRENT,
        description="The field's current text (expression or code) for the model to change as "
        "the instruction says; null or blank: write it anew",
    )


class WriteIn(_In):
    kind: WriteKind
    instruction: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    context: WriteContext = Field(default_factory=WriteContext)

    _instruction = field_validator("instruction")(not_blank)


class WriteOut(BaseModel):
    text: str = Field(description="The expression (with {{ }}) or the Python code")
    attempts: int


class ModelOut(BaseModel):
    id: str
    kind: str | None = Field(default=None, description="chat, embedding or null (not said)")
