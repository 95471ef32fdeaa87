"""What one model call cost, as a node reports it with ``NodeContext.record_usage``: the
engine adds it to the step's record, the host prices it (the editable price table) and
counts it per step, workflow, project and day, and its spending limits may stop the run."""

from __future__ import annotations

from pydantic import BaseModel


class ModelUsage(BaseModel):
    provider: str  # ModelProvider.name
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    # The prompt template the call used (name@version), for the dashboard's breakdown.
    template: str | None = None
