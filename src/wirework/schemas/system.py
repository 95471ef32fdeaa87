"""Operations: the processes of a cluster (heartbeats) and how much work waits or runs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class WorkerKind(StrEnum):
    """What a process does: ``server`` (API, UI, webhooks; in embedded mode it runs the
    executions too), ``worker`` (runs steps from the broker), ``scheduler`` (fires
    schedules and durable timers)."""

    SERVER = "server"
    WORKER = "worker"
    SCHEDULER = "scheduler"


class WorkerOut(BaseModel):
    """One process as its last heartbeat described it."""

    id: str = Field(description="The process's id, `host:pid:nonce` (owner name of its leases)")
    kind: WorkerKind = Field(description="server, worker or scheduler")
    hostname: str = Field(description="Host (or container) it runs on")
    pid: int = Field(description="Its process id on that host")
    version: str = Field(description="Wirework version it runs")
    concurrency: int = Field(description="Steps it may run at once (0: no fixed limit)")
    running: int = Field(
        description="Steps it was running at its last heartbeat (a server: executions)"
    )
    started_at: dt.datetime = Field(description="When the process started")
    last_heartbeat_at: dt.datetime = Field(description="When it last reported")
    seconds_since_heartbeat: float = Field(description="Age of the last heartbeat, in seconds")
    alive: bool = Field(
        description="Whether its last heartbeat is recent (within `stale_after_s`); a stale "
        "process stopped, hangs or cannot reach the database"
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Load and queue figures the process reports"
    )


class WorkersOut(BaseModel):
    """Every process known from its heartbeats, alive ones first."""

    stale_after_s: float = Field(description="A heartbeat older than this marks a process stale")
    alive: int = Field(description="How many processes are alive")
    stale: int = Field(description="How many processes are stale")
    workers: list[WorkerOut]


class ExecutionCounts(BaseModel):
    """Executions that are not finished, by state."""

    queued: int = Field(description="Waiting for a concurrency slot")
    running: int = Field(description="Held by a process that runs their steps")
    waiting: int = Field(description="Parked in the database (a wait node, a retry backoff)")


class BrokerQueue(BaseModel):
    """The broker's queue of step messages (distributed mode)."""

    transport: str = Field(description="redis or amqp (the broker URL's scheme, no secrets)")
    queue: str = Field(description="The Celery queue's name")
    messages: int | None = Field(
        description="Messages waiting in the queue (not yet taken by a worker); null when the "
        "broker could not be asked"
    )
    error: str | None = Field(default=None, description="Why the broker could not be asked")


class QueueOut(BaseModel):
    """How much work waits and runs, from the database (and the broker in distributed mode)."""

    mode: str = Field(description="embedded or distributed (WIREWORK_BROKER_URL set)")
    executions: ExecutionCounts
    running_steps: int = Field(
        description="Steps recorded as running in the database (a step's row is written when it "
        "starts only where the engine records that; see `reported_running`)"
    )
    reported_running: int = Field(
        description="Sum of `running` over the processes alive now (their own count)"
    )
    broker: BrokerQueue | None = Field(
        default=None, description="The broker's queue (distributed mode only)"
    )
