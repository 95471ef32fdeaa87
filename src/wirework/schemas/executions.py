"""The execution record (DESIGN.md §2): the same shape from the API and `wirework run --json`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from wirework.schemas.ai import StepUsage

ExecutionStatus = Literal["queued", "running", "waiting", "success", "error", "canceled"]
StepStatus = Literal["running", "success", "error", "skipped", "waiting", "canceled"]


class StepOut(BaseModel):
    node_id: str = Field(
        description="The node; for a part of a node's step (an agent's model or tool call) "
        "`<node id>/<part>`, e.g. `agent/model#1`, `agent/tool:create_issue#2`"
    )
    parent_node_id: str | None = Field(
        default=None,
        description="For a part of a step: the node it belongs to (the UI nests it there)",
    )
    run_index: int = 0
    status: StepStatus
    attempt: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: dict[str, Any] | None = None
    output: dict[str, list[Any]] | None = Field(
        default=None, description="Items per output port, e.g. {'main': [{…}]}"
    )
    items_out: int = Field(default=0, description="Items the step emitted, over all ports")
    truncated: bool = Field(
        default=False,
        description="The output shows only the first `max_items` items of a port",
    )
    usage: StepUsage | None = Field(
        default=None, description="The step's model calls (tokens, cost); null: none"
    )


class ExecutionSummary(BaseModel):
    id: str
    workflow_id: int | None = Field(description="Null for `wirework run` of a file")
    workflow_version: int
    status: ExecutionStatus
    mode: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: dict[str, Any] | None = None
    retry_of: str | None = Field(default=None, description="The execution this one retries")
    parent_execution_id: str | None = Field(
        default=None, description="The execution that started this one (sub-workflows, errors)"
    )


class ExecutionOut(ExecutionSummary):
    steps: list[StepOut]
    result: list[Any] | None = Field(
        default=None, description="Items of the last node that ran (or the result node)"
    )
    result_truncated: bool = Field(
        default=False, description="`result` shows only its first `max_items` items"
    )
