"""Approvals of agents' tool calls: what is waiting, and a decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class PendingApproval(BaseModel):
    execution_id: str
    workflow_id: int | None
    node_id: str = Field(description="The agent node that waits")
    call_id: str = Field(description="The model's tool call id")
    tool: str = Field(description="The tool the model wants to call")
    arguments: dict[str, Any] = Field(description="The arguments it gave")
    requested_at: dt.datetime | None = None
    links: dict[str, str] = Field(
        default_factory=dict,
        description="Signed links that approve or reject it without logging in (they expire)",
    )


class ApprovalDecision(BaseModel):
    approved: bool = Field(description="true: the tool call runs; false: it is rejected")
    reason: str | None = Field(
        default=None, max_length=2000, description="Why (the model is told when rejected)"
    )


class ApprovalResult(BaseModel):
    execution_id: str
    status: str = Field(description="resumed")
