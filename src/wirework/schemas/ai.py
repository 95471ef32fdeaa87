"""AI accounting and prompt templates: prices, usage totals, spending limits, templates.

Money is a decimal (a string in JSON, e.g. ``"2.5"``): prices per million tokens with at most
6 decimal places, costs with at most 9."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from wirework.schemas.common import RequestModel
from wirework.sdk.ai.messages import Role

ProviderName = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$", examples=["openai"]),
]
ModelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\s/][^\s]*$",
        examples=["gpt-4o-mini"],
        description="The model's name as the provider reports it (no spaces)",
    ),
]
PerMillion = Annotated[
    Decimal,
    Field(
        ge=0, le=1_000_000, decimal_places=6, description="Per million tokens", examples=["0.15"]
    ),
]
TemplateName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Letters, digits, '_', '.', '-' (a node names it, e.g. 'support-reply')",
        examples=["support-reply"],
    ),
]


# --- prices --------------------------------------------------------------------------------


class PriceIn(RequestModel):
    provider: ProviderName
    model: ModelName
    input_per_million: PerMillion
    output_per_million: PerMillion


class PriceOut(PriceIn):
    id: int
    updated_at: dt.datetime


# --- usage ---------------------------------------------------------------------------------


class UsageGroupBy(enum.StrEnum):
    DAY = "day"
    WORKFLOW = "workflow"
    PROJECT = "project"
    MODEL = "model"
    TEMPLATE = "template"


class UsageTotals(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal | None = Field(
        default=None, description="Of the priced calls; null when none had a price"
    )
    unpriced_calls: int = Field(default=0, description="Calls of models with no price")


class UsageGroup(UsageTotals):
    key: str | None = Field(
        description="The group: a day (YYYY-MM-DD), a workflow or project id, "
        "'provider/model', or 'name@version'; null: none (e.g. calls without a template)"
    )
    label: str = Field(description="What to show for the group (a workflow's name, …)")


class UsageReport(BaseModel):
    group_by: UsageGroupBy
    from_: dt.date = Field(alias="from")
    to: dt.date
    groups: list[UsageGroup]
    total: UsageTotals

    model_config = {"populate_by_name": True}


class StepUsageModel(BaseModel):
    provider: str
    model: str
    template: str | None = None
    calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal | None = None
    unpriced_calls: int = 0


class StepUsage(BaseModel):
    """A step's model calls, summed (the execution record shows it on each step)."""

    calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal | None = Field(default=None, description="Null when no call had a price")
    unpriced_calls: int = 0
    models: list[StepUsageModel] = Field(default_factory=list)


# --- spending limits -----------------------------------------------------------------------


class LimitScope(enum.StrEnum):
    INSTANCE = "instance"
    WORKFLOW = "workflow"
    PROJECT = "project"


class LimitIn(RequestModel):
    scope: LimitScope
    scope_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The workflow's or project's id; none for the instance",
    )
    daily_limit: Decimal = Field(
        gt=0, le=1_000_000_000, decimal_places=9, description="Per UTC day", examples=["5.00"]
    )


class LimitOut(BaseModel):
    id: int
    scope: LimitScope
    scope_id: int | None
    label: str = Field(
        description="What to show for the scope: 'instance', the workflow's name "
        "('deleted workflow #7' once deleted), 'project #3'"
    )
    daily_limit: Decimal
    spent_today: Decimal = Field(description="Spent so far this UTC day in its scope")
    updated_at: dt.datetime


# --- prompt templates ----------------------------------------------------------------------


class TemplateMessageIn(RequestModel):
    role: Role
    content: str = Field(max_length=100_000, description="Text; may hold {{ … }} expressions")


class TemplateContent(RequestModel):
    messages: list[TemplateMessageIn] = Field(min_length=1, max_length=100)
    variables: dict[str, Any] = Field(
        default_factory=dict,
        description="Declared variables and their sample values (the preview uses them)",
    )


class TemplateIn(TemplateContent):
    name: TemplateName
    description: str = Field(default="", max_length=2000)


class TemplateUpdate(TemplateContent):
    """A save: always a new version (the old ones stay readable)."""

    description: str | None = Field(default=None, max_length=2000)


class TemplateSummary(BaseModel):
    name: str
    description: str
    latest_version: int
    updated_at: dt.datetime


class TemplateVersionInfo(BaseModel):
    version: int
    created_at: dt.datetime
    created_by: int | None


class TemplateVersionOut(TemplateContent):
    name: str
    description: str
    version: int
    latest_version: int
    created_at: dt.datetime
    created_by: int | None


class TemplateOut(TemplateVersionOut):
    versions: list[TemplateVersionInfo] = Field(description="Newest first")


class PreviewMessage(BaseModel):
    role: Role
    content: str


class TemplatePreviewOut(BaseModel):
    messages: list[PreviewMessage]


class TemplatePreviewIn(TemplateContent):
    """An unsaved template (the editor's content) rendered with its sample variables."""
