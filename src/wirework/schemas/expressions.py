"""/api/expressions: the expression library's catalogue and the live preview of a value."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wirework.schemas.common import RequestModel
from wirework.sdk.fields import valid_timezone

#: Longest expression a preview takes (the engine's own limit on an expression's source).
MAX_PREVIEW_SOURCE: Final = 100_000
#: Largest preview request body, in bytes (the sample data included).
MAX_PREVIEW_BYTES: Final = 8 * 1024 * 1024


class ExprKind(StrEnum):
    """How a library entry is written: ``f(x)``, ``x | f``, or a name."""

    FUNCTION = "function"
    FILTER = "filter"
    VARIABLE = "variable"


class ValueType(StrEnum):
    """The JSON type of a previewed value."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    LIST = "list"
    OBJECT = "object"


class ExprExample(BaseModel):
    expression: str = Field(
        description="An expression using the entry, e.g. {{ now | format_date('%Y') }}"
    )
    result: Any = Field(description="What it gives in the documented example scope")


class ExprFunctionOut(BaseModel):
    name: str
    kind: ExprKind
    group: str = Field(description="dates, data, strings, encoding or numbers")
    signature: str = Field(description="format_date(date, format='iso') or date | format_date(…)")
    description: str = Field(description="One line")
    examples: list[ExprExample]


class FunctionsOut(BaseModel):
    functions: list[ExprFunctionOut] = Field(
        description="Every function, filter and variable; an entry usable both ways is listed "
        "once per kind"
    )


class PreviewNode(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    json_: Any = Field(
        default=None, alias="json", description="The node's first output item (sample data)"
    )
    items: list[Any] | None = Field(
        default=None, description="All its output items (default: [json])", max_length=10_000
    )


class PreviewScope(RequestModel):
    """Sample data for the names an expression reads (all optional)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    json_: Any = Field(default=None, alias="json", description="The current item")
    items: list[Any] | None = Field(
        default=None, description="All input items (default: [json])", max_length=10_000
    )
    nodes: dict[str, PreviewNode] = Field(
        default_factory=dict, description="Earlier nodes' output by display name"
    )
    trigger: Any = Field(default=None, description="The trigger's first item")
    vars: dict[str, Any] = Field(default_factory=dict, description="Workspace variables")
    timezone: str | None = Field(
        default=None, description="The workflow's time zone for now and today (default UTC)"
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return valid_timezone(value)


class PreviewIn(RequestModel):
    expression: str = Field(
        max_length=MAX_PREVIEW_SOURCE,
        description="A field's value: text with {{ … }} expressions (or plain text)",
    )
    scope: PreviewScope = Field(default_factory=PreviewScope)


class PreviewOk(BaseModel):
    ok: Literal[True]
    value: Any = Field(description="The value the field would get: JSON data")
    type: ValueType


class PreviewError(BaseModel):
    ok: Literal[False]
    error: str = Field(description="Why the expression failed (one line)")
