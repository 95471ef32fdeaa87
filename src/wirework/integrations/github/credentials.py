"""GitHub's credentials (a token; GitHub Enterprise via base_url), its error bodies and its
connection test."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    bearer,
    http_url,
    response_json,
)
from wirework.sdk.integration.credentials import Auth

API_VERSION = "2022-11-28"


class GitHubCredentials(CredentialsModel):
    token: SecretStr = Field(
        description="A fine-grained or classic personal access token, or an app token"
    )
    base_url: Annotated[str, http_url("https://api.github.com")] = Field(
        default="https://api.github.com",
        description="API URL (GitHub Enterprise Server: https://HOST/api/v3)",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of your repository's webhook (github.webhook trigger)"
    )


def github_error(response: httpx.Response) -> str | None:
    """``{"message": "Validation Failed", "errors": [{"field", "code", "message"}]}`` → the
    message and each error (its own message, or field and code)."""
    body: Any = response_json(response)
    if not isinstance(body, dict):
        return None
    message = str(body.get("message") or "")
    details = []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            if error.get("message"):
                details.append(str(error["message"]))
            else:
                details.append(
                    " ".join(
                        str(error.get(k)) for k in ("resource", "field", "code") if error.get(k)
                    )
                )
        elif error:
            details.append(str(error))
    if details:
        message = f"{message}: {'; '.join(details)}" if message else "; ".join(details)
    return message or None


_token = bearer("token")


def _headers(credentials: Any) -> dict[str, str]:
    assert _token.headers is not None
    return {
        **_token.headers(credentials),
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }


GITHUB = IntegrationDefinition(
    "github",
    "GitHub",
    credentials=GitHubCredentials,
    auth=Auth("headers", _headers, "Authorization: Bearer <token>"),
    description="GitHub: repositories, issues, files, pull request comments, workflow runs",
    icon="git-pull-request",
    category="Developer tools",
    docs="https://docs.github.com/en/rest",
    error_message=github_error,
    example_credentials={"token": "ghp_testtoken", "webhook_secret": "hook-secret"},
)


@GITHUB.connection_test
async def test_connection(connection: Connection[GitHubCredentials]) -> str:
    me = await connection.client.json("GET", "/user")
    return f"connected to {connection.credentials.base_url} as {me.get('login')}"
