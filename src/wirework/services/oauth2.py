"""Connecting an integration whose type uses OAuth2's authorization code grant (the editor's
"Connect" button): :func:`start` gives the provider's authorize URL (PKCE, S256) and
:func:`finish` trades the code the provider sends back for tokens, stored encrypted with the
integration.

The PKCE verifier never leaves the server in clear: it travels inside ``state``, encrypted
by the vault together with the integration, the user who started and an expiry, so any
server replica can finish and a state is useless to anyone else or later.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wirework.errors import InvalidInput
from wirework.schemas.integrations import OAuth2Connected, OAuth2Start
from wirework.sdk.integration import OAuth2Credentials, authorization_url, exchange_code
from wirework.sdk.node import NodeError
from wirework.sdk.registry import registry
from wirework.services import integrations
from wirework.vault import Vault, VaultError

STATE_TTL_S = 600


def _oauth2_credentials(row: Any, vault: Vault) -> OAuth2Credentials:
    definition = registry.definition(row.type.name) or registry.custom_definition(row.type.name)
    model = getattr(definition, "credentials", None)
    if not (isinstance(model, type) and issubclass(model, OAuth2Credentials)):
        raise InvalidInput.one(
            "integration_id", f"integration type {row.type.name!r} does not use OAuth2"
        )
    values = integrations.decrypted_credentials(row, vault)
    try:
        credentials = model.model_validate(dict(values))
    except ValueError:
        raise InvalidInput.one(
            "credentials", "the integration's OAuth2 credentials are incomplete"
        ) from None
    if credentials.grant != "authorization_code":
        raise InvalidInput.one(
            "credentials.grant", "is client_credentials: there is nothing to connect"
        )
    return credentials


async def start(
    session: AsyncSession,
    vault: Vault,
    integration_id: int,
    user_id: int,
    redirect_uri: str,
) -> OAuth2Start:
    row = await integrations.get(session, integration_id)
    credentials = _oauth2_credentials(row, vault)
    try:
        url, _, verifier = authorization_url(credentials, redirect_uri, state="-")
    except NodeError as exc:
        raise InvalidInput.one("credentials.authorize_url", exc.message) from None
    sealed = {
        "i": integration_id,
        "u": user_id,
        "v": verifier,
        "r": redirect_uri,
        "e": int(time.time()) + STATE_TTL_S,
    }
    state = vault.encrypt(json.dumps(sealed).encode())
    return OAuth2Start(authorize_url=url.replace("state=-", f"state={state}"), state=state)


async def finish(
    session: AsyncSession, vault: Vault, code: str, state: str, user_id: int
) -> OAuth2Connected:
    try:
        sealed = json.loads(vault.decrypt(state))
    except (VaultError, ValueError):
        raise InvalidInput.one("state", "is not one this server issued") from None
    if sealed.get("u") != user_id or int(sealed.get("e", 0)) < time.time():
        raise InvalidInput.one("state", "has expired or was issued to another user: connect again")
    row = await integrations.get(session, int(sealed["i"]))
    credentials = _oauth2_credentials(row, vault)
    try:
        tokens = await exchange_code(credentials, code, str(sealed["v"]), str(sealed["r"]))
    except NodeError as exc:
        raise InvalidInput.one("code", exc.message) from None
    await integrations.save_tokens(session, vault, row.id, tokens)
    return OAuth2Connected(
        integration_id=row.id,
        connected=True,
        expires_at=tokens.get("expires_at"),
        has_refresh_token=bool(tokens.get("refresh_token")),
    )
