"""Integrations: configured, credentialed instances of an integration type."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, model_validator

from wirework.schemas.common import RequestModel, ResponseModel


class IntegrationCreate(RequestModel):
    """The integration type is named by its key (``type``) or its id
    (``integration_type_id``); given both, they must agree."""

    name: str = Field(min_length=1, max_length=200, description="Unique display name")
    type: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Key of the integration type, e.g. jira (or give integration_type_id)",
    )
    integration_type_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Id of the integration type (or give type)"
    )
    credentials: dict[str, Any] = Field(
        default_factory=dict, description="Values for the type's parameters; secrets included"
    )
    active: bool = True


class IntegrationUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: dict[str, Any] | None = Field(
        default=None,
        description="Fields to change; omitted fields and masked secrets (********) are kept",
    )
    active: bool | None = None


class IntegrationOut(ResponseModel):
    id: int
    name: str
    type: str
    integration_type_id: int
    credentials: dict[str, Any] = Field(description="Secret fields are masked as ********")
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class IntegrationTest(RequestModel):
    """Either an existing integration, or a type (key or id) and credentials not saved yet."""

    integration_id: int | None = None
    type: str | None = Field(default=None, max_length=100)
    integration_type_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    credentials: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> IntegrationTest:
        typed = self.type is not None or self.integration_type_id is not None
        if self.integration_id is None and not typed:
            raise ValueError(
                "give either integration_id, or type (or integration_type_id) and credentials"
            )
        if self.integration_id is not None and typed:
            raise ValueError("give integration_id or a type, not both")
        return self


class IntegrationTestResult(BaseModel):
    ok: bool = Field(description="Whether the connection works")
    supported: bool = Field(description="Whether this type has a connection tester at all")
    message: str
