"""Test webhooks: an editor arms a workflow's ``/webhook-test/…`` URLs for one call."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import BaseModel, Field


class ListenerStatus(enum.StrEnum):
    LISTENING = "listening"  # armed: the next call to a test URL runs the workflow
    CALLED = "called"  # a call came and started `execution_id`; listening no more
    EXPIRED = "expired"  # nothing called before `expires_at`


class WebhookTestUrl(BaseModel):
    node_id: str = Field(description="The core.webhook node this URL starts at")
    method: str = Field(description="HTTP method the URL takes")
    url: str = Field(description="The test URL (/webhook-test/<path>)")


class WebhookTestOut(BaseModel):
    workflow_id: int
    version: int = Field(description="The workflow version a call runs (the draft when armed)")
    status: ListenerStatus
    urls: list[WebhookTestUrl]
    armed_at: dt.datetime
    expires_at: dt.datetime = Field(description="Calls after this time are answered 404")
    called_at: dt.datetime | None = None
    execution_id: str | None = Field(
        default=None, description="The execution the call started (mode `test`)"
    )
