"""OAuth2 credentials against a local token endpoint and API: client credentials, the
authorization code with PKCE, refresh before expiry and on a 401, new tokens handed to the
saver, errors named without secrets."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from tests.integrations.fakes import Answer, FakeServer, Request, serving
from wirework.sdk.integration import (
    OAuth2Credentials,
    ServiceClient,
    TokenSource,
    authorization_url,
    close_pools,
    exchange_code,
)
from wirework.sdk.integration.client import pooled_client
from wirework.sdk.integration.tokens import OAuth2Error, forget_tokens
from wirework.sdk.outbound import AllowedHosts, CredentialAuth, OutboundPolicy, set_policy

CLIENT_ID = "wirework-client"
CLIENT_SECRET = "client-s3cret-value"
REDIRECT = "https://wirework.example/oauth2/callback"


class FakeProvider(FakeServer):
    """Token endpoint (client_secret_basic) and an API that accepts only the newest token."""

    def __init__(self) -> None:
        super().__init__()
        self.issued = 0
        self.current: str | None = None
        self.refresh: str | None = None
        self.challenges: dict[str, str] = {}
        self.expires_in = 3600
        self.saved: list[tuple[int, dict[str, Any]]] = []
        self.route("POST", "/token", self._token)
        self.route("GET", "/api/me", self._me)

    def _new(self) -> dict[str, Any]:
        self.issued += 1
        self.current = f"access-{self.issued}"
        self.refresh = f"refresh-{self.issued}"
        return {
            "access_token": self.current,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh,
        }

    def _token(self, request: Request) -> Answer:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Answer(401, {"error": "invalid_client", "error_description": "bad client"})
        form = dict(parse_qsl(request.body.decode()))
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return Answer(200, self._new())
        if grant == "refresh_token":
            if form.get("refresh_token") != self.refresh:
                return Answer(400, {"error": "invalid_grant", "error_description": "stale refresh"})
            return Answer(200, self._new())
        if grant == "authorization_code":
            challenge = self.challenges.get(form.get("code", ""))
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if challenge is None or digest.rstrip(b"=").decode() != challenge:
                return Answer(400, {"error": "invalid_grant", "error_description": "PKCE failed"})
            return Answer(200, self._new())
        return Answer(400, {"error": "unsupported_grant_type"})

    async def saver(self, integration_id: int, token: dict[str, Any]) -> None:
        """What the engine's host does with new tokens (stores them), recorded."""
        self.saved.append((integration_id, token))

    def _me(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.current}":
            return Answer(401, {"message": "token expired"})
        return Answer(200, {"name": "robot"})


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    with serving(FakeProvider()) as fake:
        assert isinstance(fake, FakeProvider)
        yield fake
    set_policy(None)
    forget_tokens()
    await close_pools()


def creds(server: FakeProvider, **over: Any) -> OAuth2Credentials:
    return OAuth2Credentials.model_validate(
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_url": f"{server.url}/token",
            "authorize_url": "https://provider.example/authorize",
            "scope": "read write",
            **over,
        }
    )


def client_for(server: FakeProvider, tokens: TokenSource, token: str) -> ServiceClient:
    auth = CredentialAuth(
        AllowedHosts(("127.0.0.1",), explicit=True),
        "test",
        headers={"Authorization": f"Bearer {token}"},
    )
    return ServiceClient(
        "Provider", pooled_client("oauth-test", 7), auth, server.url, reauth=tokens.reauth
    )


async def test_client_credentials_token_is_fetched_once_and_cached(provider: FakeProvider) -> None:
    tokens = TokenSource(creds(provider), 7, provider.saver)
    assert await tokens.access_token() == "access-1"
    assert (
        await TokenSource(creds(provider), 7, provider.saver).access_token() == "access-1"
    )  # cached
    [sent] = provider.seen("POST", "/token")
    assert parse_qs(sent.body.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["read write"],
    }
    assert provider.saved == [
        (
            7,
            {
                "access_token": "access-1",
                "refresh_token": "refresh-1",
                "expires_at": pytest.approx(time.time() + 3600, abs=5),
            },
        )
    ]


async def test_a_401_refreshes_the_token_once(provider: FakeProvider) -> None:
    tokens = TokenSource(creds(provider), 7, provider.saver)
    first = await tokens.access_token()
    provider._new()  # the provider revoked it: the API now wants a newer token
    client = client_for(provider, tokens, first)
    assert await client.json("GET", "/api/me") == {"name": "robot"}
    assert len(provider.seen("GET", "/api/me")) == 2
    assert "access-3" in tokens.issued  # a fresh one was fetched


async def test_authorization_code_with_pkce_then_refresh(provider: FakeProvider) -> None:
    oauth = creds(provider, grant="authorization_code")
    url, state, verifier = authorization_url(oauth, REDIRECT)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [state]
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT]
    provider.challenges["the-code"] = query["code_challenge"][0]
    with pytest.raises(OAuth2Error, match="PKCE failed"):
        await exchange_code(oauth, "the-code", "a-wrong-verifier", REDIRECT)
    stored = await exchange_code(oauth, "the-code", verifier, REDIRECT)
    assert stored["access_token"] == "access-1" and stored["refresh_token"] == "refresh-1"
    # The stored tokens expire soon: the next use refreshes first.
    connected = creds(
        provider,
        grant="authorization_code",
        access_token=stored["access_token"],
        refresh_token=stored["refresh_token"],
        expires_at=time.time() + 10,
    )
    assert await TokenSource(connected, 8, provider.saver).access_token() == "access-2"
    refresh = provider.seen("POST", "/token")[-1]
    assert parse_qs(refresh.body.decode())["grant_type"] == ["refresh_token"]
    assert provider.saved[-1][0] == 8


async def test_token_endpoint_errors_are_named_without_secrets(provider: FakeProvider) -> None:
    bad = creds(provider, client_secret="wrong-secret-value")
    with pytest.raises(OAuth2Error) as info:
        await TokenSource(bad, 9).access_token()
    assert "HTTP 401" in info.value.message and "bad client" in info.value.message
    assert "wrong-secret-value" not in info.value.message
    no_refresh = creds(provider, grant="authorization_code")
    with pytest.raises(OAuth2Error, match="no refresh token"):
        await TokenSource(no_refresh, 10).access_token()


def test_credential_form_of_oauth2() -> None:
    from wirework.sdk.integration import credential_parameters

    params = {p["name"]: p for p in credential_parameters(OAuth2Credentials)}
    assert params["client_secret"]["type"] == "password"
    assert params["grant"]["type"] == "select" and params["grant"]["options"] == [
        "client_credentials",
        "authorization_code",
    ]
    assert params["expires_at"]["type"] == "number" and not params["token_url"]["default"]
