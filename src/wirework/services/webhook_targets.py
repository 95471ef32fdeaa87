"""What answers a webhook: :class:`WebhookTarget`, read from a workflow document's enabled
``core.webhook`` nodes and integration webhook triggers (``github.webhook``: the SDK's
``WebhookTrigger``, whose signature scheme, delivery id, event and handshake the integration
declares)
(:func:`targets_of`) with its ``auth`` and ``rate_limit`` in the form the hot path needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from wirework.nodes.triggers import WebhookAuth, WebhookRateLimit
from wirework.sdk.integration.webhooks import BodyReader, Handshake, SignatureScheme
from wirework.sdk.registry import registry


def normalise_path(path: str) -> str:
    return path.strip("/")


AuthType = Literal["header", "basic", "hmac", "slack_v0"]
# The auth types that sign the body: checked once it is read (the others before).
BODY_SIGNED: frozenset[str] = frozenset({"hmac", "slack_v0"})
# How an integration trigger's signature scheme is checked (webhooks.check_auth).
SCHEME_AUTH: dict[SignatureScheme, AuthType] = {
    SignatureScheme.HMAC_SHA256: "hmac",
    SignatureScheme.SLACK_V0: "slack_v0",
    SignatureScheme.SECRET_TOKEN: "header",
}


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """A webhook's ``auth`` as the hot path needs it (header names in lower case)."""

    type: AuthType
    integration_id: int
    header: str  # the token, basic credentials or signature
    timestamp_header: str | None = None
    tolerance_s: int = 300
    # The credential field holding the token or signing secret (None: ``token`` for
    # header, ``secret`` for hmac).
    secret_field: str | None = None

    @property
    def signs_body(self) -> bool:
        return self.type in BODY_SIGNED


# A webhook whose ``auth`` cannot be read (e.g. written by an older version): it refuses
# every request rather than run open.
UNREADABLE_AUTH = AuthConfig(type="header", integration_id=0, header="authorization")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A webhook's ``rate_limit``: at most ``requests`` calls per ``per_s`` seconds."""

    requests: int
    per_s: int


def rate_limit_of(value: Any) -> RateLimit | None:
    """A webhook's ``rate_limit`` parameter (checked when the workflow was saved); one that
    cannot be read (e.g. written by an older version) limits nothing."""
    if value is None:
        return None
    try:
        limit = WebhookRateLimit.model_validate(value)
    except ValidationError:
        return None
    return RateLimit(requests=limit.requests, per_s=limit.per_s)


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
    rate_limit: RateLimit | None = None
    # Integration webhook triggers: the header naming the event, and the events that start
    # a run (empty: every event but ``ping``).
    event_header: str | None = None
    events: frozenset[str] = frozenset()
    # Integration webhook triggers reading the body (pure functions, see the SDK's
    # webhooks module): the delivery id, the event, a handshake answered without a run.
    delivery_of: BodyReader | None = field(default=None, compare=False)
    event_of: BodyReader | None = field(default=None, compare=False)
    handshake: Handshake | None = field(default=None, compare=False)

    @property
    def filters_events(self) -> bool:
        return self.event_header is not None or self.event_of is not None


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


def _integration_target(
    workflow_id: int, version: int, node: Mapping[str, Any]
) -> WebhookTarget | None:
    spec = registry.node(str(node.get("type")))
    trigger = spec.extra.get("webhook") if spec is not None else None
    if trigger is None:
        return None
    params = node.get("params") or {}
    integration_id = node.get("integration_id")
    auth = AuthConfig(
        type=SCHEME_AUTH[SignatureScheme(trigger.scheme)],
        integration_id=integration_id if isinstance(integration_id, int) else 0,
        header=trigger.signature_header.lower(),
        timestamp_header=(trigger.timestamp_header or "").lower() or None,
        tolerance_s=trigger.tolerance_s,
        secret_field=trigger.secret_field,
    )
    events = params.get("events") or []
    return WebhookTarget(
        workflow_id=workflow_id,
        version=version,
        node_id=str(node["id"]),
        method="POST",
        path=normalise_path(str(params.get("path", ""))),
        respond="immediately",
        auth=auth,
        idempotency_header=(trigger.delivery_header or "").lower() or None,
        event_header=(trigger.event_header or "").lower() or None,
        events=frozenset(str(e) for e in events if isinstance(e, str)),
        delivery_of=trigger.delivery_of,
        event_of=trigger.event_of,
        handshake=trigger.handshake,
    )


def targets_of(workflow_id: int, version: int, document: Mapping[str, Any]) -> list[WebhookTarget]:
    out = []
    for node in document.get("nodes", []):
        if node.get("disabled"):
            continue
        if node.get("type") != "core.webhook":
            if "." in str(node.get("type")) and not str(node.get("type")).startswith("core."):
                target = _integration_target(workflow_id, version, node)
                if target is not None:
                    out.append(target)
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
                rate_limit=rate_limit_of(params.get("rate_limit")),
            )
        )
    return out
