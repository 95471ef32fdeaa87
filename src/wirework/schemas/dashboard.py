"""The dashboard: execution figures over a period, aggregated by the database."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Period(StrEnum):
    """A window ending now (or at ``until``)."""

    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"


PERIOD_LENGTH: dict[Period, dt.timedelta] = {
    Period.DAY: dt.timedelta(hours=24),
    Period.WEEK: dt.timedelta(days=7),
    Period.MONTH: dt.timedelta(days=30),
    Period.QUARTER: dt.timedelta(days=90),
}


class Bucket(StrEnum):
    """How long one point of the time series is: hours up to two days, else days (UTC)."""

    HOUR = "hour"
    DAY = "day"


class StatusCounts(BaseModel):
    """Executions per status (every status present, 0 when none)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    queued: int = 0
    running: int = 0
    waiting: int = 0
    success: int = 0
    error: int = 0
    canceled: int = 0


class Kpis(BaseModel):
    executions: int = Field(description="Executions started in the period")
    failures: int = Field(description="Of those, the ones that ended in `error`")
    failure_rate: float | None = Field(
        description="failures / executions that ended (success, error or canceled), 0…1; "
        "null when none ended"
    )
    avg_duration_ms: float | None = Field(
        description="Mean run time of the executions that ended in success or error; null "
        "when there are none"
    )
    by_status: StatusCounts


class SeriesPoint(BaseModel):
    start: dt.datetime = Field(description="Start of the bucket (UTC)")
    counts: StatusCounts = Field(description="Executions started in the bucket, per status")


class SlowWorkflow(BaseModel):
    workflow_id: int
    name: str
    executions: int = Field(description="Executions that ended in success or error")
    avg_duration_ms: float
    p95_duration_ms: float = Field(
        description="95th percentile (nearest rank) of those executions' run times"
    )


class FailingWorkflow(BaseModel):
    workflow_id: int
    name: str
    executions: int = Field(description="Executions started in the period")
    failures: int = Field(description="Of those, the ones that ended in `error`")
    failure_rate: float = Field(description="failures / executions that ended, 0…1")
    last_failure_at: dt.datetime = Field(description="Start of the newest failed execution")


class DashboardOut(BaseModel):
    since: dt.datetime = Field(description="Start of the period (inclusive)")
    until: dt.datetime = Field(description="End of the period (exclusive)")
    bucket: Bucket
    kpis: Kpis
    series: list[SeriesPoint] = Field(
        description="Every bucket from the one holding `since` to the one holding `until`, "
        "oldest first, empty ones included"
    )
    slowest: list[SlowWorkflow] = Field(description="Highest mean run time first")
    failing: list[FailingWorkflow] = Field(description="Most failures first")
