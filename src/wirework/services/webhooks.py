"""Webhook routing, caller authentication and rate limits.

:class:`WebhookTable` knows which workflow node answers ``/webhook/{path}`` for a method. It is
rebuilt from the database when workflows change (checked at most once a second with one cheap
query), so every server replica sees activations without coordination; only active workflows
are in it. The hot path is one dict lookup. It also caches the decrypted credentials of the
integrations webhooks authenticate with, dropped whenever workflows or integrations change (at
once in this process, within a second in other replicas) and after :data:`CREDENTIAL_TTL_S` at
the latest.

:func:`check_auth` verifies a request against a webhook's ``auth`` (header token, HTTP basic,
HMAC-SHA256 signature with an optional timestamp, Slack's v0 signature) in constant time.

:class:`RateLimiter` counts the calls of webhooks with a ``rate_limit`` (sliding window, in
this process's memory: each replica counts its own calls).

Delivery idempotency is in :mod:`wirework.services.webhook_deliveries`, test URLs in
:mod:`wirework.services.webhook_tests`, the targets read from documents in
:mod:`wirework.services.webhook_targets`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapper, Session, object_session

from wirework.db.engine import readonly_session
from wirework.db.models import Integration, Workflow, WorkflowVersion
from wirework.services.webhook_deliveries import DeliveryLedger
from wirework.services.webhook_targets import (
    UNREADABLE_AUTH,
    AuthConfig,
    RateLimit,
    WebhookTarget,
    normalise_path,
    targets_of,
)
from wirework.services.webhook_tests import TestListeners
from wirework.vault import MASK, Vault, VaultError

log = logging.getLogger(__name__)

_CHANGED = "wirework.workflows_changed"
_generation = 0

# Longest time decrypted webhook credentials stay cached (changes invalidate them sooner).
CREDENTIAL_TTL_S = 60.0


def mark_workflows_changed(session: AsyncSession) -> None:
    """Call when a transaction changes workflows: once it commits, this process's webhook
    table (and scheduler) re-read them at once instead of within a second."""
    session.sync_session.info[_CHANGED] = True


def _integration_changed(_mapper: Mapper[Any], _connection: Any, target: Integration) -> None:
    # A changed, added or deleted integration may be a webhook's credentials: once the
    # transaction commits, the cached ones are dropped.
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _event_name in ("after_insert", "after_update", "after_delete"):
    event.listen(Integration, _event_name, _integration_changed)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class WebhookTable:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl_s: float = 1.0) -> None:
        self._sessionmaker = sessionmaker
        self._ttl_s = ttl_s
        self._checked = 0.0
        self._fingerprint: tuple[Any, ...] | None = None
        self._live: dict[tuple[str, str], WebhookTarget] = {}
        self._lock = asyncio.Lock()
        self._generation = -1
        # integration id -> (loaded at, credentials or None when unusable)
        self._credentials: dict[int, tuple[float, Mapping[str, Any] | None]] = {}
        self._credentials_epoch = 0
        self._credentials_lock = asyncio.Lock()
        self.deliveries = DeliveryLedger(sessionmaker)
        self.tests = TestListeners(sessionmaker)
        self.rate_limits = RateLimiter()

    async def lookup(self, method: str, path: str) -> WebhookTarget | None:
        """The active workflow's webhook taking ``method`` on ``path``, or None."""
        if self._generation != _generation:
            self._generation = _generation
            self._checked = 0.0
            self._fingerprint = None
            self._forget_credentials()
        if time.monotonic() - self._checked > self._ttl_s:
            await self._refresh()
        return self._live.get((method.upper(), normalise_path(path)))

    # -- credentials --------------------------------------------------------------------------

    def _forget_credentials(self) -> None:
        self._credentials.clear()
        self._credentials_epoch += 1

    async def credentials(self, integration_id: int, vault: Vault) -> Mapping[str, Any] | None:
        """The decrypted credentials of an integration a webhook authenticates with; None when
        it is missing, deactivated or unreadable (logged, without any secret)."""
        entry = self._credentials.get(integration_id)
        if entry is not None and time.monotonic() - entry[0] <= CREDENTIAL_TTL_S:
            return entry[1]
        async with self._credentials_lock:
            entry = self._credentials.get(integration_id)
            if entry is not None and time.monotonic() - entry[0] <= CREDENTIAL_TTL_S:
                return entry[1]
            epoch = self._credentials_epoch
            loaded = await self._load_credentials(integration_id, vault)
            if epoch == self._credentials_epoch:  # not invalidated while loading
                self._credentials[integration_id] = (time.monotonic(), loaded)
            return loaded

    async def authenticate(
        self, auth: AuthConfig, vault: Vault, headers: Mapping[str, str], body: bytes | None
    ) -> str | None:
        """:func:`check_auth` with the integration's (cached) credentials: None if the request
        authenticates, else the reason. Raises AuthUnavailable when no request can."""
        if auth is UNREADABLE_AUTH:
            raise AuthUnavailable("the webhook's auth parameter is invalid")
        credentials = await self.credentials(auth.integration_id, vault)
        if credentials is None:
            raise AuthUnavailable(f"integration {auth.integration_id} is missing or deactivated")
        return check_auth(auth, credentials, headers, body)

    async def _load_credentials(
        self, integration_id: int, vault: Vault
    ) -> Mapping[str, Any] | None:
        if integration_id <= 0:
            return None
        async with readonly_session(self._sessionmaker) as session:
            row = (
                await session.execute(
                    select(Integration.config, Integration.secrets, Integration.active).where(
                        Integration.id == integration_id
                    )
                )
            ).one_or_none()
        if row is None:
            log.warning("webhook auth: integration %s not found", integration_id)
            return None
        config, secrets, active = row
        if not active:
            log.warning("webhook auth: integration %s is deactivated", integration_id)
            return None
        try:
            stored = vault.decrypt_json(secrets) if secrets else {}
        except VaultError:
            log.warning("webhook auth: integration %s: secrets unreadable", integration_id)
            return None
        return {**(config or {}), **stored}

    # -- table --------------------------------------------------------------------------------

    async def _refresh(self) -> None:
        if self._lock.locked() and self._fingerprint is not None:
            return  # another request is refreshing: serve the current table meanwhile
        async with self._lock:
            if time.monotonic() - self._checked <= self._ttl_s:
                return
            async with readonly_session(self._sessionmaker) as session:
                # Workflows (the table) and integrations (the cached credentials), in one
                # round trip.
                fingerprint = tuple(
                    (
                        await session.execute(
                            select(
                                select(func.count(Workflow.id)).scalar_subquery(),
                                select(func.max(Workflow.updated_at)).scalar_subquery(),
                                select(func.count(Integration.id)).scalar_subquery(),
                                select(func.max(Integration.updated_at)).scalar_subquery(),
                            )
                        )
                    ).one()
                )
                if fingerprint != self._fingerprint:
                    if self._fingerprint is None or fingerprint[:2] != self._fingerprint[:2]:
                        await self._rebuild(session)
                    self._forget_credentials()
                    self._fingerprint = fingerprint
            self._checked = time.monotonic()

    async def _rebuild(self, session: AsyncSession) -> None:
        rows = (
            await session.execute(
                select(Workflow.id, Workflow.version, WorkflowVersion.document)
                .join(
                    WorkflowVersion,
                    (WorkflowVersion.workflow_id == Workflow.id)
                    & (WorkflowVersion.version == Workflow.version),
                )
                .where(Workflow.active.is_(True))
                .order_by(Workflow.id)
            )
        ).all()
        live: dict[tuple[str, str], WebhookTarget] = {}
        for workflow_id, version, document in rows:
            for target in targets_of(workflow_id, version, document):
                # The oldest workflow keeps a contested path.
                live.setdefault((target.method, target.path), target)
        self._live = live


class RateLimiter:
    """Webhook ``rate_limit``s, per method and path, with the ``limits`` library: a sliding
    window counter in this process's memory (embedded mode; each replica counts alone)."""

    def __init__(self) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._items: dict[RateLimit, RateLimitItem] = {}

    async def retry_after(self, target: WebhookTarget) -> int | None:
        """Count a call: None when it is within the webhook's limit, else the seconds to wait
        before the next one may pass."""
        limit = target.rate_limit
        if limit is None:
            return None
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = RateLimitItemPerSecond(limit.requests, limit.per_s)
        if await self._limiter.hit(item, target.method, target.path):
            return None
        stats = await self._limiter.get_window_stats(item, target.method, target.path)
        return max(1, math.ceil(stats.reset_time - time.time()))


# --------------------------------------------------------------------------- authentication

# The credential field each auth type reads from its integration (by default: an
# integration trigger names its own).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "header": ("token",),
    "basic": ("username", "password"),
    "hmac": ("secret",),
    "slack_v0": ("signing_secret",),
}


def _field(auth: AuthConfig) -> str:
    return auth.secret_field or CREDENTIAL_FIELDS[auth.type][0]


class AuthUnavailable(Exception):
    """The webhook's credentials cannot be used (integration missing, deactivated, or lacking
    the field its auth type reads): no request can authenticate."""


def _secret_bytes(credentials: Mapping[str, Any], name: str) -> bytes:
    value = credentials.get(name)
    if value is None or value == "" or isinstance(value, dict | list):
        raise AuthUnavailable(f"credential field {name!r} is not set")
    return str(value).encode("utf-8")


def _header_bytes(value: str) -> bytes:
    # Starlette decodes header bytes as latin-1: this gives back the bytes the caller sent.
    return value.encode("latin-1", "replace")


def signature(secret: str | bytes, body: bytes, timestamp: str | None = None) -> str:
    """The hex HMAC-SHA256 a caller sends: over ``<timestamp>.<body>`` when a timestamp header
    is configured, else over the raw body."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = body if timestamp is None else timestamp.encode("latin-1") + b"." + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def slack_signature(secret: str | bytes, body: bytes, timestamp: str) -> str:
    """Slack's v0 signature (hex, without ``v0=``): HMAC-SHA256 of ``v0:<ts>:<body>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = b"v0:" + timestamp.encode("latin-1") + b":" + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_auth(
    auth: AuthConfig,
    credentials: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes | None = None,
    *,
    now: float | None = None,
) -> str | None:
    """Verify a request; None if it authenticates, else the reason it does not (for the log:
    it never holds a secret or what the caller presented). ``headers`` are looked up in lower
    case; ``body`` (the raw bytes) is needed by hmac only. Raises AuthUnavailable when the
    credentials lack the field the auth type reads."""
    if auth is UNREADABLE_AUTH:
        raise AuthUnavailable("the webhook's auth parameter is invalid")
    presented = headers.get(auth.header)
    if auth.type == "header":
        token = _secret_bytes(credentials, _field(auth))
        if presented is None:
            return f"missing {auth.header} header"
        given = _header_bytes(presented.strip())
        ok = hmac.compare_digest(given, token)
        if auth.header == "authorization" and given[:7].lower() == b"bearer ":
            ok = hmac.compare_digest(given[7:].strip(), token) or ok
        return None if ok else "wrong token"
    if auth.type == "basic":
        username = _secret_bytes(credentials, "username")
        password = _secret_bytes(credentials, "password")
        if presented is None:
            return "missing authorization header"
        scheme, _, encoded = presented.strip().partition(" ")
        if scheme.lower() != "basic":
            return "not basic credentials"
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return "malformed basic credentials"
        user, colon, pw = decoded.partition(b":")
        if not colon:
            return "malformed basic credentials"
        user_ok = hmac.compare_digest(user, username)
        password_ok = hmac.compare_digest(pw, password)
        return None if user_ok and password_ok else "wrong username or password"
    # hmac, slack_v0
    secret = _secret_bytes(credentials, _field(auth))
    if presented is None:
        return f"missing {auth.header} header"
    timestamp: str | None = None
    if auth.type == "slack_v0" and auth.timestamp_header is None:
        return "no timestamp header configured"
    if auth.timestamp_header is not None:
        timestamp = headers.get(auth.timestamp_header)
        if timestamp is None:
            return f"missing {auth.timestamp_header} header"
        timestamp = timestamp.strip()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "timestamp is not Unix seconds"
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > auth.tolerance_s:
            return "timestamp outside tolerance"
    given_sig = presented.strip()
    if auth.type == "slack_v0":
        assert timestamp is not None
        if given_sig[:3].lower() != "v0=":
            return "not a v0 signature"
        given_sig = given_sig[3:]
        expected = slack_signature(secret, body or b"", timestamp).encode("ascii")
        ok = hmac.compare_digest(_header_bytes(given_sig.strip().lower()), expected)
        return None if ok else "bad signature"
    if given_sig[:7].lower() == "sha256=":
        given_sig = given_sig[7:]
    expected = signature(secret, body or b"", timestamp).encode("ascii")
    ok = hmac.compare_digest(_header_bytes(given_sig.strip().lower()), expected)
    return None if ok else "bad signature"


def masked_headers(auth: AuthConfig | None, headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers as the webhook item shows them: a header carrying a token or
    password (header, basic) is masked, so it is never stored with the execution."""
    out = dict(headers)
    if auth is not None and not auth.signs_body and auth.header in out:
        out[auth.header] = MASK
    return out


def resume_token(signing_key: str, execution_id: str) -> str:
    """The token that authorises calling an execution's resume URL."""
    digest = hmac.new(signing_key.encode(), f"resume:{execution_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def check_resume_token(signing_key: str, execution_id: str, token: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not False).
    expected = resume_token(signing_key, execution_id).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "replace"))
