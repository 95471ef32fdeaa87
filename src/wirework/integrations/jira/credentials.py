"""Jira's credentials (site URL, account e-mail, API token: HTTP Basic), its error bodies and
its connection test."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    basic,
    http_url,
    response_json,
)


class JiraCredentials(CredentialsModel):
    base_url: Annotated[str, http_url("https://acme.atlassian.net")] = Field(
        description="Your Jira site, e.g. https://acme.atlassian.net",
        examples=["https://acme.atlassian.net"],
    )
    email: str = Field(
        description="E-mail of the Atlassian account the API token belongs to",
        json_schema_extra={"header_bound": True},
    )
    api_token: SecretStr = Field(description="API token (id.atlassian.com → Security → API tokens)")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret of your Jira webhook (System → WebHooks → Secret; jira.webhook "
        "trigger)",
    )


def jira_error(response: httpx.Response) -> str | None:
    """``{"errorMessages": [...], "errors": {"field": "message"}}`` → one line naming the
    fields."""
    body: Any = response_json(response)
    if not isinstance(body, dict):
        return None
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {message}" for field, message in errors.items()]
    if parts:
        return "; ".join(parts)
    message = body.get("message")
    return str(message) if message else None


JIRA = IntegrationDefinition(
    "jira",
    "Jira",
    credentials=JiraCredentials,
    auth=basic("email", "api_token"),
    description="Atlassian Jira Cloud: create, update, transition, comment and search issues",
    icon="square-kanban",
    category="Project management",
    docs="https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/",
    error_message=jira_error,
    example_credentials={
        "base_url": "https://acme.atlassian.net",
        "email": "bot@acme.example",
        "api_token": "jira-test-token",
        "webhook_secret": "jira-hook-secret",
    },
)


@JIRA.connection_test
async def test_connection(connection: Connection[JiraCredentials]) -> str:
    me = await connection.client.json("GET", "/rest/api/3/myself")
    who = me.get("displayName") or me.get("emailAddress") or me.get("accountId")
    return f"connected to {connection.credentials.base_url} as {who}"
