"""Integrations: configured, credentialed instances of an integration type."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, model_validator

from wirework.schemas.common import RequestModel, ResponseModel
from wirework.sdk.outbound.credentials import normalize_host_pattern

HostPattern = Annotated[str, Field(max_length=300), AfterValidator(normalize_host_pattern)]
ALLOWED_HOSTS_HELP = (
    "Hosts the credentials may be sent to: api.example.com, *.example.com (subdomains), "
    "host:port, or * for any host. null: the host of the base_url/url credential field "
    "(none without one); [] : no host"
)


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
    allowed_hosts: list[HostPattern] | None = Field(
        default=None, max_length=100, description=ALLOWED_HOSTS_HELP
    )


class IntegrationUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: dict[str, Any] | None = Field(
        default=None,
        description="Fields to change; omitted fields and masked secrets (********) are kept",
    )
    active: bool | None = None
    allowed_hosts: list[HostPattern] | None = Field(
        default=None,
        max_length=100,
        description=ALLOWED_HOSTS_HELP + "; omitted: unchanged, null: back to the default",
    )


class IntegrationOut(ResponseModel):
    id: int
    name: str
    type: str
    integration_type_id: int
    credentials: dict[str, Any] = Field(description="Secret fields are masked as ********")
    active: bool
    allowed_hosts: list[str] | None = Field(
        default=None, description="null: only the host of the base_url/url credential field"
    )
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


class OAuth2StartIn(RequestModel):
    redirect_uri: str | None = Field(
        default=None,
        max_length=2000,
        description="Where the provider sends the browser back (default: the server's "
        "/api/oauth2/callback); it must be registered with the provider",
    )


class OAuth2Start(BaseModel):
    authorize_url: str = Field(description="Open this URL: the provider asks for consent")
    state: str = Field(description="Opaque; the provider sends it back with the code")


class OAuth2Connected(BaseModel):
    integration_id: int
    connected: bool
    expires_at: float | None = Field(default=None, description="Access token expiry (Unix s)")
    has_refresh_token: bool
