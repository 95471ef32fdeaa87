"""Webhook routing, caller authentication and delivery idempotency.

:class:`WebhookTable` knows which workflow node answers ``/webhook/{path}`` for a method. It is
rebuilt from the database when workflows change (checked at most once a second with one cheap
query), so every server replica sees activations without coordination. The hot path is one
dict lookup. It also caches the decrypted credentials of the integrations webhooks
authenticate with, dropped whenever workflows or integrations change (at once in this
process, within a second in other replicas) and after :data:`CREDENTIAL_TTL_S` at the latest.

:func:`check_auth` verifies a request against a webhook's ``auth`` (header token, HTTP basic,
HMAC-SHA256 signature with an optional timestamp) in constant time.

:class:`DeliveryLedger` remembers delivery ids (``idempotency_header``) in the
``webhook_deliveries`` table, whose primary key (workflow, node, delivery id) makes
concurrent duplicates safe across processes and restarts.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapper, Session, object_session

from wirework.db.base import new_id, utcnow
from wirework.db.engine import readonly_session
from wirework.db.models import Integration, WebhookDelivery, Workflow, WorkflowVersion
from wirework.nodes.triggers import MAX_DELIVERY_ID, WebhookAuth
from wirework.services.errors import Conflict
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


def normalise_path(path: str) -> str:
    return path.strip("/")


AuthType = Literal["header", "basic", "hmac"]


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """A webhook's ``auth`` as the hot path needs it (header names in lower case)."""

    type: AuthType
    integration_id: int
    header: str  # the token, basic credentials or signature
    timestamp_header: str | None = None
    tolerance_s: int = 300


# A webhook whose ``auth`` cannot be read (e.g. written by an older version): it refuses
# every request rather than run open.
UNREADABLE_AUTH = AuthConfig(type="header", integration_id=0, header="authorization")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    workflow_id: int
    version: int
    node_id: str
    method: str
    path: str
    respond: str  # immediately | last_node | respond_node
    auth: AuthConfig | None = None
    idempotency_header: str | None = None  # lower case
    max_body_bytes: int | None = None


class WebhookTable:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl_s: float = 1.0) -> None:
        self._sessionmaker = sessionmaker
        self._ttl_s = ttl_s
        self._checked = 0.0
        self._fingerprint: tuple[Any, ...] | None = None
        self._live: dict[tuple[str, str], WebhookTarget] = {}
        self._test: dict[tuple[str, str], WebhookTarget] = {}
        self._lock = asyncio.Lock()
        self._generation = -1
        # integration id -> (loaded at, credentials or None when unusable)
        self._credentials: dict[int, tuple[float, Mapping[str, Any] | None]] = {}
        self._credentials_epoch = 0
        self._credentials_lock = asyncio.Lock()
        self.deliveries = DeliveryLedger(sessionmaker)

    async def lookup(self, method: str, path: str, *, test: bool = False) -> WebhookTarget | None:
        if self._generation != _generation:
            self._generation = _generation
            self._checked = 0.0
            self._fingerprint = None
            self._forget_credentials()
        if time.monotonic() - self._checked > self._ttl_s:
            await self._refresh()
        table = self._test if test else self._live
        key = (method.upper(), normalise_path(path))
        return table.get(key)

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
                select(Workflow.id, Workflow.active, Workflow.version, WorkflowVersion.document)
                .join(
                    WorkflowVersion,
                    (WorkflowVersion.workflow_id == Workflow.id)
                    & (WorkflowVersion.version == Workflow.version),
                )
                .order_by(Workflow.id)
            )
        ).all()
        live: dict[tuple[str, str], WebhookTarget] = {}
        test: dict[tuple[str, str], WebhookTarget] = {}
        for workflow_id, active, version, document in rows:
            for target in targets_of(workflow_id, version, document):
                key = (target.method, target.path)
                test.setdefault(key, target)
                if active:
                    live.setdefault(key, target)  # the oldest workflow keeps a contested path
        self._live, self._test = live, test


def auth_config(value: Any) -> AuthConfig | None:
    """A webhook's ``auth`` parameter for the hot path; :data:`UNREADABLE_AUTH` if invalid."""
    if value is None:
        return None
    try:
        auth = WebhookAuth.model_validate(value)
    except ValidationError:
        return UNREADABLE_AUTH
    return AuthConfig(
        type=auth.type,
        integration_id=auth.integration_id,
        header=auth.signature_header.lower(),
        timestamp_header=auth.timestamp_header.lower() if auth.timestamp_header else None,
        tolerance_s=auth.tolerance_s,
    )


def targets_of(workflow_id: int, version: int, document: Mapping[str, Any]) -> list[WebhookTarget]:
    out = []
    for node in document.get("nodes", []):
        if node.get("type") != "core.webhook" or node.get("disabled"):
            continue
        params = node.get("params") or {}
        idempotency = params.get("idempotency_header")
        max_body = params.get("max_body_bytes")
        out.append(
            WebhookTarget(
                workflow_id=workflow_id,
                version=version,
                node_id=str(node["id"]),
                method=str(params.get("method", "POST")).upper(),
                path=normalise_path(str(params.get("path", ""))),
                respond=str(params.get("respond", "immediately")),
                auth=auth_config(params.get("auth")),
                idempotency_header=idempotency.lower() if isinstance(idempotency, str) else None,
                max_body_bytes=(
                    max_body
                    if isinstance(max_body, int) and not isinstance(max_body, bool) and max_body > 0
                    else None
                ),
            )
        )
    return out


# --------------------------------------------------------------------------- authentication

# The credential field each auth type reads from its integration.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "header": ("token",),
    "basic": ("username", "password"),
    "hmac": ("secret",),
}


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
        token = _secret_bytes(credentials, "token")
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
    # hmac
    secret = _secret_bytes(credentials, "secret")
    if presented is None:
        return f"missing {auth.header} header"
    timestamp: str | None = None
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
    if given_sig[:7].lower() == "sha256=":
        given_sig = given_sig[7:]
    expected = signature(secret, body or b"", timestamp).encode("ascii")
    ok = hmac.compare_digest(_header_bytes(given_sig.strip().lower()), expected)
    return None if ok else "bad signature"


def masked_headers(auth: AuthConfig | None, headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers as the webhook item shows them: a header carrying a token or
    password (header, basic) is masked, so it is never stored with the execution."""
    out = dict(headers)
    if auth is not None and auth.type != "hmac" and auth.header in out:
        out[auth.header] = MASK
    return out


# --------------------------------------------------------------------------- idempotency

# A delivery whose execution is still not recorded after this long lost it (the process
# died between recording the delivery and the execution): a repeat may take it over.
DELIVERY_GRACE_S = 60.0
# How often (at most) a process prunes expired delivery ids, and in what batches.
PRUNE_EVERY_S = 300.0
PRUNE_BATCH = 1000


class BadDeliveryId(ValueError):
    pass


def delivery_id(headers: Mapping[str, str], header: str) -> str | None:
    """The delivery id a request carries in ``header`` (None: none, so no idempotency).
    Raises BadDeliveryId when it is too long or holds control characters."""
    value = headers.get(header)
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_DELIVERY_ID:
        raise BadDeliveryId(
            f"the {header} header (delivery id) is longer than {MAX_DELIVERY_ID} characters"
        )
    if not value.isprintable():
        raise BadDeliveryId(f"the {header} header (delivery id) holds control characters")
    return value


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    workflow_id: int
    node_id: str
    delivery_id: str

    def where(self) -> Any:
        return (
            (WebhookDelivery.workflow_id == self.workflow_id)
            & (WebhookDelivery.node_id == self.node_id)
            & (WebhookDelivery.delivery_id == self.delivery_id)
        )


class DeliveryLedger:
    """Delivery ids already seen, durable in ``webhook_deliveries``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._last_prune = -PRUNE_EVERY_S  # the first claim prunes
        self._prune_task: asyncio.Task[int] | None = None

    async def claim(
        self,
        key: DeliveryKey,
        *,
        ttl_s: float,
        execution_exists: Callable[[str], Awaitable[bool]],
    ) -> tuple[str, bool]:
        """Record the delivery ``key``: ``(execution id, False)`` when it is new (start the
        execution with that id), ``(earlier execution id, True)`` when it was seen before.

        A remembered delivery older than ``ttl_s``, or whose execution was never recorded
        (older than :data:`DELIVERY_GRACE_S`), is taken over."""
        self._maybe_prune(ttl_s)
        execution_id = new_id()
        for _ in range(3):
            now = utcnow()
            try:
                async with self._sessionmaker() as session, session.begin():
                    await session.execute(
                        insert(WebhookDelivery).values(
                            workflow_id=key.workflow_id,
                            node_id=key.node_id,
                            delivery_id=key.delivery_id,
                            execution_id=execution_id,
                            created_at=now,
                        )
                    )
                return execution_id, False
            except IntegrityError:
                pass  # seen before (or the workflow is gone): look
            async with readonly_session(self._sessionmaker) as session:
                row = (
                    await session.execute(
                        select(WebhookDelivery.execution_id, WebhookDelivery.created_at).where(
                            key.where()
                        )
                    )
                ).one_or_none()
            if row is None:
                continue  # pruned or released meanwhile: try again
            earlier, created_at = row
            age = (now - created_at).total_seconds()
            stale = age > ttl_s or (age > DELIVERY_GRACE_S and not await execution_exists(earlier))
            if not stale:
                return str(earlier), True
            async with self._sessionmaker() as session, session.begin():
                taken = await session.execute(
                    update(WebhookDelivery)
                    .where(key.where(), WebhookDelivery.execution_id == earlier)
                    .values(execution_id=execution_id, created_at=now)
                )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return execution_id, False
        raise Conflict(
            "the webhook delivery could not be recorded (its workflow changed meanwhile); "
            "send it again"
        )

    async def close(self) -> None:
        """Let a running prune finish its batch (cancelling mid-query would leave its
        transaction open)."""
        task = self._prune_task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=10)

    async def release(self, key: DeliveryKey, execution_id: str) -> None:
        """Forget a claim whose execution could not start, so a repeat may run it."""
        try:
            async with self._sessionmaker() as session, session.begin():
                await session.execute(
                    delete(WebhookDelivery).where(
                        key.where(), WebhookDelivery.execution_id == execution_id
                    )
                )
        except Exception:
            log.exception("could not release webhook delivery of execution %s", execution_id)

    def _maybe_prune(self, ttl_s: float) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_S:
            return
        if self._prune_task is not None and not self._prune_task.done():
            return
        self._last_prune = now
        task = asyncio.get_running_loop().create_task(self._prune_logged(ttl_s))
        self._prune_task = task

    async def _prune_logged(self, ttl_s: float) -> int:
        try:
            return await self.prune(ttl_s)
        except Exception:
            log.exception("pruning webhook delivery ids failed")
            return 0

    async def prune(self, ttl_s: float) -> int:
        """Delete delivery ids older than ``ttl_s``, in small transactions; how many went."""
        cutoff = utcnow() - dt.timedelta(seconds=ttl_s)
        removed = 0
        while True:
            async with readonly_session(self._sessionmaker) as session:
                boundary = await session.scalar(
                    select(WebhookDelivery.created_at)
                    .where(WebhookDelivery.created_at < cutoff)
                    .order_by(WebhookDelivery.created_at)
                    .offset(PRUNE_BATCH)
                    .limit(1)
                )
            upper = boundary if boundary is not None else cutoff
            async with self._sessionmaker() as session, session.begin():
                result = await session.execute(
                    delete(WebhookDelivery).where(WebhookDelivery.created_at < upper)
                )
            removed += int(result.rowcount or 0)  # type: ignore[attr-defined]
            if boundary is None:
                return removed


def resume_token(signing_key: str, execution_id: str) -> str:
    """The token that authorises calling an execution's resume URL."""
    digest = hmac.new(signing_key.encode(), f"resume:{execution_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def check_resume_token(signing_key: str, execution_id: str, token: str) -> bool:
    return hmac.compare_digest(resume_token(signing_key, execution_id), token)
