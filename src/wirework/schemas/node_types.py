"""Response shape of /api/node-types: the node catalogue as the editor's palette reads it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class NodeTypeOut(BaseModel):
    type: str = Field(description="core.* or <integration type>.<action>")
    display_name: str
    description: str
    group: Literal["trigger", "flow", "data", "action"]
    category: str = Field(
        description="Palette section: Triggers, Flow, Data, Network… or an integration's name"
    )
    icon: str = Field(description="A lucide icon name, kebab-case (e.g. webhook, git-branch)")
    inputs: list[str] = Field(description="Input ports (empty for triggers)")
    outputs: list[str] | None = Field(
        description="Output ports; null when the params name them (core.switch)"
    )
    params_schema: dict[str, Any] = Field(description="JSON Schema of the params")
