"""Google Sheets' credentials: a service account (its JSON key's ``client_email`` and
``private_key``; a signed JWT assertion is traded for an access token, RFC 7523) or OAuth2
(authorization code: a user's tokens, refreshed), Google's error bodies and the connection
test."""

from __future__ import annotations

import hashlib
import time
from typing import Any, Literal

import httpx
import jwt
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    OAuth2Credentials,
    RetryPolicy,
    TokenSource,
    oauth2,
    response_json,
    secret,
)
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import BlockedAddress, guarded_client

SERVICE = "Google Sheets"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME_S = 3600  # Google's maximum


class _ServiceAccountFirst(CredentialsModel):
    """The fields the form shows first (pydantic orders fields by the bases, last base
    first): the kind, then what a service account needs, then OAuth2's."""

    # Not ``auth_kind``: names with "auth" in them are taken for secrets, and masked.
    kind: Literal["service_account", "oauth2"] = Field(
        default="service_account",
        description="service_account (a JSON key; share the sheet with its e-mail) or oauth2 "
        "(a Google user's consent through Connect)",
    )
    base_url: str = Field(
        default="https://sheets.googleapis.com",
        description="Sheets API base URL (change only for a proxy or a test server)",
    )
    client_email: str | None = Field(
        default=None,
        description="Service account: the key's client_email (…@<project>.iam.gserviceaccount.com)",
    )
    private_key: SecretStr | None = Field(
        default=None,
        description="Service account: the key's private_key (PEM, -----BEGIN PRIVATE KEY-----)",
        # Signs the JWT, never sent in a header: its line breaks are fine.
        json_schema_extra={"header_bound": False},
    )
    token_url: str = Field(default=TOKEN_URL, description="Token endpoint")
    subject: str | None = Field(
        default=None,
        description="Service account with domain-wide delegation: the user to act as",
    )


class GoogleSheetsCredentials(OAuth2Credentials, _ServiceAccountFirst):
    """A service account (``kind: service_account``: client_email and private_key from
    its JSON key) or a user's OAuth2 consent (``kind: oauth2``: client_id and
    client_secret of an OAuth client, then Connect)."""

    # OAuth2's fields with Google's values as defaults.
    grant: Literal["authorization_code"] = Field(
        default="authorization_code", description="OAuth2 grant type (oauth2)"
    )
    client_id: str = Field(
        default="",
        description="OAuth2: the OAuth client's id (…apps.googleusercontent.com)",
        json_schema_extra={"header_bound": True},
    )
    client_secret: SecretStr | None = Field(
        default=None, description="OAuth2: the OAuth client's secret"
    )
    access_token: SecretStr | None = Field(
        default=None, description="OAuth2: the current access token (set by Connect)"
    )
    refresh_token: SecretStr | None = Field(
        default=None, description="OAuth2: the refresh token (set by Connect)"
    )
    token_url: str = Field(
        default=TOKEN_URL,
        validation_alias=AliasChoices("token_url", "token_uri"),
        description="Token endpoint (the service account key's token_uri)",
    )
    authorize_url: str | None = Field(
        default="https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent",
        description="OAuth2: authorization endpoint (offline access: a refresh token)",
    )
    scope: str | None = Field(default=SCOPE, description="Scopes, space separated")

    @field_validator("base_url", "token_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _complete(self) -> GoogleSheetsCredentials:
        if self.kind == "service_account":
            missing = [n for n in ("client_email", "private_key") if not getattr(self, n)]
            if missing:
                raise ValueError(f"a service account needs {' and '.join(missing)}")
        elif not self.client_id:
            raise ValueError("oauth2 needs client_id")
        return self


def _pem(value: SecretStr | None) -> str:
    """The key as PEM; keys pasted out of the JSON file may keep their ``\\n`` escapes."""
    text = secret(value).strip()
    return text.replace("\\n", "\n") if "\\n" in text else text


class GoogleTokenSource(TokenSource):
    """OAuth2 as the SDK does it (authorization code, refresh) for ``oauth2``; for a service
    account a JWT signed with its key (RS256) traded at the token endpoint, kept in memory
    until a minute before it expires (a 401 fetches a new one)."""

    credentials: GoogleSheetsCredentials

    def __init__(self, credentials: Any, integration_id: int | None, saver: Any = None) -> None:
        super().__init__(credentials, integration_id, saver)
        if credentials.kind == "service_account":
            key = hashlib.sha256(
                "\0".join(
                    [
                        str(credentials.client_email),
                        secret(credentials.private_key),
                        credentials.token_url,
                        credentials.subject or "",
                        credentials.scope or SCOPE,
                    ]
                ).encode()
            ).hexdigest()
            self._key = (integration_id, f"sa:{key}")
            self.saves = False  # a new one is cheap: never stored

    def _current(self) -> dict[str, Any]:
        if self.credentials.kind == "service_account":
            return dict(self.cached() or {})
        return super()._current()

    def assertion(self, now: float | None = None) -> str:
        creds = self.credentials
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": creds.client_email,
            "scope": creds.scope or SCOPE,
            "aud": creds.token_url,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME_S,
        }
        if creds.subject:
            claims["sub"] = creds.subject
        try:
            return jwt.encode(claims, _pem(creds.private_key), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise NodeError(
                f"{SERVICE}: credentials.private_key is not an RSA private key in PEM form "
                "(copy private_key from the service account's JSON key)",
                retryable=False,
            ) from None

    async def fetch(self, current: dict[str, Any]) -> dict[str, Any]:
        if self.credentials.kind != "service_account":
            return await super().fetch(current)
        url = self.credentials.token_url
        form = {"grant_type": JWT_BEARER, "assertion": self.assertion()}
        try:
            async with guarded_client(timeout=30.0) as client:
                response = await client.post(url, data=form, headers={"Accept": "application/json"})
        except BlockedAddress as exc:
            raise NodeError(f"{SERVICE}: token endpoint: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise NodeError(f"{SERVICE}: token endpoint {url} failed: {exc}") from None
        body = response_json(response)
        if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
            said = _token_error(body) or response.reason_phrase or "no access_token"
            raise NodeError(
                f"{SERVICE}: the token endpoint refused the service account "
                f"{self.credentials.client_email} (HTTP {response.status_code}): {said}",
                retryable=response.status_code == 429 or response.status_code >= 500,
            )
        expires_in = float(body.get("expires_in") or 3600)
        return {"access_token": str(body["access_token"]), "expires_at": time.time() + expires_in}


def _token_error(body: Any) -> str | None:
    """``{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}``."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), dict):  # the APIs' shape
        return _api_error(body["error"])
    parts = [str(body[k]) for k in ("error", "error_description") if body.get(k)]
    return ": ".join(parts) or None


def google_error(response: httpx.Response) -> str | None:
    """``{"error": {"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}}`` →
    ``INVALID_ARGUMENT: …``."""
    body: Any = response_json(response)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    return _api_error(error) if isinstance(error, dict) else None


def _api_error(error: dict[str, Any]) -> str | None:
    message = str(error.get("message") or "").strip()
    status = str(error.get("status") or "").strip()
    if message or status:
        return f"{status}: {message}" if status and message else message or status
    return None


GOOGLE_SHEETS = IntegrationDefinition(
    "google_sheets",
    SERVICE,
    credentials=GoogleSheetsCredentials,
    auth=oauth2(GoogleTokenSource),
    description="Google Sheets: read rows, append rows, update and clear ranges "
    "(service account or OAuth2)",
    icon="file-spreadsheet",
    category="Productivity",
    docs="https://developers.google.com/sheets/api/reference/rest",
    error_message=google_error,
    retry=RetryPolicy(attempts=5, base_s=1.0),
    example_credentials={
        "kind": "oauth2",
        "client_id": "1234567890-abc.apps.googleusercontent.com",
        "client_secret": "GOCSPX-example-secret",
        "access_token": "ya29.example-access-token",
    },
)


@GOOGLE_SHEETS.connection_test
async def test_connection(connection: Connection[GoogleSheetsCredentials]) -> str:
    """A token is the cheapest proof (the API has no call without a spreadsheet id)."""
    creds = connection.credentials
    assert connection.tokens is not None
    await connection.tokens.access_token()
    if creds.kind == "service_account":
        return (
            f"signed in as the service account {creds.client_email}: share your spreadsheets "
            "with this e-mail"
        )
    return f"connected with OAuth2 (client {creds.client_id})"
