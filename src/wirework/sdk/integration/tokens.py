"""OAuth2 tokens for integrations whose credentials are an :class:`OAuth2Credentials`.

- client credentials: a token is fetched from the token endpoint when none is cached or the
  cached one expires within ``LEEWAY_S``;
- authorization code with PKCE: :func:`authorization_url` gives the provider's URL to open
  (with an S256 code challenge) and :func:`exchange_code` trades the code for tokens; the
  refresh token then renews the access token before it expires and on a 401.

Token endpoint calls go through the SSRF-guarded client. New tokens are kept in memory per
integration and handed to the step's token saver (the engine's host stores them encrypted
with the integration; a connection test only keeps them in memory). Authlib builds the
requests (PKCE, grant bodies).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from wirework.sdk.integration.credentials import OAuth2Credentials, TokenSaver, secret
from wirework.sdk.integration.errors import generic_message, response_json
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import BlockedAddress, guarded_client

LEEWAY_S = 60.0
_cache: dict[tuple[int | None, str], dict[str, Any]] = {}
_locks: dict[tuple[int | None, str], asyncio.Lock] = {}


class OAuth2Error(NodeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def authorization_url(
    credentials: OAuth2Credentials, redirect_uri: str, state: str | None = None
) -> tuple[str, str, str]:
    """(URL to open, state, code_verifier): keep the verifier and state for the callback."""
    if not credentials.authorize_url:
        raise OAuth2Error("credentials.authorize_url: is required for authorization_code")
    verifier = generate_token(64)
    state = state or generate_token(32)
    url = prepare_grant_uri(
        credentials.authorize_url,
        client_id=credentials.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=credentials.scope,
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url, state, verifier


async def _token_request(credentials: OAuth2Credentials, body: str) -> dict[str, Any]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if credentials.client_secret is not None:
        auth = httpx.BasicAuth(credentials.client_id, secret(credentials.client_secret))
    else:
        body += "&client_id=" + httpx.QueryParams({"c": credentials.client_id})["c"]
        auth = None
    try:
        async with guarded_client(timeout=30.0) as client:
            response = await client.post(
                credentials.token_url,
                content=body,
                headers=headers,
                auth=auth or httpx.USE_CLIENT_DEFAULT,
            )
    except BlockedAddress as exc:
        raise OAuth2Error(f"token endpoint: {exc}") from None
    except httpx.HTTPError as exc:
        raise NodeError(f"token endpoint {credentials.token_url} failed: {exc}") from None
    found = response_json(response)
    if response.status_code >= 400 or not isinstance(found, dict) or "access_token" not in found:
        said = generic_message(response) if response.status_code >= 400 else "no access_token"
        raise OAuth2Error(f"OAuth2 token endpoint answered HTTP {response.status_code}: {said}")
    token = dict(found)
    if "expires_in" in token and "expires_at" not in token:
        token["expires_at"] = time.time() + float(token["expires_in"])
    return token


async def exchange_code(
    credentials: OAuth2Credentials, code: str, code_verifier: str, redirect_uri: str
) -> dict[str, Any]:
    """The tokens for an authorization code (PKCE): ``access_token``, ``refresh_token``,
    ``expires_at``."""
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
    )
    return _stored(await _token_request(credentials, body))


def _stored(token: dict[str, Any]) -> dict[str, Any]:
    return {k: token[k] for k in ("access_token", "refresh_token", "expires_at") if token.get(k)}


class TokenSource:
    """The access token of one integration's OAuth2 credentials for one step."""

    def __init__(
        self,
        credentials: OAuth2Credentials,
        integration_id: int | None,
        saver: TokenSaver | None = None,
    ) -> None:
        self.credentials = credentials
        self.integration_id = integration_id
        self.saver = saver
        self._key: tuple[int | None, str] = (integration_id, credentials.client_id)
        # Whether new tokens go to the saver (stored with the integration).
        self.saves = True
        self.issued: list[str] = []  # tokens this step used (redacted like credentials)

    def cached(self) -> dict[str, Any] | None:
        """The token this process keeps for the integration, if any."""
        return _cache.get(self._key)

    def _current(self) -> dict[str, Any]:
        cached = _cache.get(self._key)
        stored = {
            "access_token": secret(self.credentials.access_token),
            "refresh_token": secret(self.credentials.refresh_token),
            "expires_at": self.credentials.expires_at,
        }
        if cached is None:
            return stored
        # A stored token newer than the cache (saved by another process) wins.
        if float(stored["expires_at"] or 0) > float(cached.get("expires_at") or 0):
            return stored
        return cached

    async def access_token(self, *, force: bool = False) -> str:
        current = self._current()
        if not force and _fresh(current):
            return self._use(str(current["access_token"]))
        lock = _locks.setdefault(self._key, asyncio.Lock())
        async with lock:
            current = self._current()
            if not force and _fresh(current):
                return self._use(str(current["access_token"]))
            token = await self._renew(current)
        return self._use(str(token["access_token"]))

    def _use(self, token: str) -> str:
        if token not in self.issued:
            self.issued.append(token)
        return token

    async def fetch(self, current: dict[str, Any]) -> dict[str, Any]:
        """A new token from the token endpoint (``access_token``, ``expires_at``, maybe
        ``refresh_token``). Subclasses with a grant of their own (a signed JWT assertion, RFC
        7523) override it, and :meth:`_current`/:attr:`saves` if the token is not stored."""
        creds = self.credentials
        if creds.grant == "client_credentials":
            body = prepare_token_request("client_credentials", scope=creds.scope)
        elif current.get("refresh_token"):
            body = prepare_token_request(
                "refresh_token", refresh_token=str(current["refresh_token"]), scope=creds.scope
            )
        else:
            raise OAuth2Error(
                "the integration has no refresh token: connect it again (authorization_code)"
            )
        return _stored(await _token_request(creds, body))

    async def _renew(self, current: dict[str, Any]) -> dict[str, Any]:
        token = await self.fetch(current)
        if "refresh_token" not in token and current.get("refresh_token"):
            token["refresh_token"] = current["refresh_token"]
        _cache[self._key] = token
        if token.get("refresh_token"):
            self._use(str(token["refresh_token"]))
        if self.saves and self.saver is not None and self.integration_id is not None:
            await self.saver(self.integration_id, token)
        return token

    async def reauth(self) -> dict[str, str]:
        """After a 401: a new token (refreshed or fetched again), as headers."""
        return {"Authorization": f"Bearer {await self.access_token(force=True)}"}


def _fresh(token: dict[str, Any]) -> bool:
    if not token.get("access_token"):
        return False
    expires = token.get("expires_at")
    return expires is None or float(expires) - LEEWAY_S > time.time()


def forget_tokens() -> None:
    _cache.clear()
