"""``webhook_out.send``: POST a JSON payload (the item, or the one given) signed the Standard
Webhooks way. ``webhook-id`` is derived from the step's idempotency key, so every retry of the
step sends the same id (receivers drop repeats); each attempt is signed with its own
``webhook-timestamp``. 429, 5xx and network errors are retried with backoff (Retry-After
honoured)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from typing import Any

from pydantic import Field

from wirework.integrations.webhook_out.credentials import (
    WEBHOOK_OUT,
    WebhookOutCredentials,
    sign,
    signing_key,
)
from wirework.sdk.integration import (
    ActionContext,
    ActionParams,
    ServiceError,
    response_json,
    secret,
)
from wirework.sdk.node import Item, NodeError


class Send(ActionParams):
    payload: Any = Field(
        default=None, description="JSON to send (default: the incoming item as it is)"
    )
    event_type: str | None = Field(
        default=None,
        max_length=200,
        description="Wrap the payload as {type, timestamp, data} with this type "
        "(order.created); none = send the payload as is",
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra request headers (not the webhook-* ones)"
    )


def message_id(idempotency_key: str) -> str:
    """``msg_<hex>``: the same for every retry of a step (its idempotency key)."""
    return "msg_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


@WEBHOOK_OUT.action(
    "send",
    params=Send,
    description="POST a signed webhook (Standard Webhooks); emits {status, webhook_id, "
    "timestamp, response}",
    example={"event_type": "order.created", "payload": {"order_id": 42, "total": 99.5}},
)
async def send(ctx: ActionContext[WebhookOutCredentials], params: Send) -> Item:
    for name in params.headers:
        if name.lower().startswith("webhook-") or name.lower() in ("content-type", "host"):
            raise NodeError(f"params.headers: {name} is set by the webhook", retryable=False)
    data = ctx.item if params.payload is None else params.payload
    if params.event_type:
        data = {
            "type": params.event_type,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": data,
        }
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    key = signing_key(secret(ctx.credentials.secret))
    msg_id = message_id(ctx.idempotency_key)
    policy = WEBHOOK_OUT.retry
    attempt = 0
    while True:
        attempt += 1
        timestamp = int(time.time())
        headers = {
            **params.headers,
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body),
        }
        try:
            # idempotent: the receiver drops a repeated webhook-id, so a 5xx is retried too.
            response = await ctx.client.request(
                "POST", ctx.credentials.url, content=body, headers=headers, idempotent=True
            )
        except ServiceError:
            raise  # the client retried 429/5xx already
        except NodeError as exc:  # the network: retried here, signed afresh
            if not exc.retryable or attempt >= policy.attempts:
                raise
            await asyncio.sleep(policy.base_s * 2 ** (attempt - 1) * (0.5 + random.random()))
            continue
        answer = response_json(response)
        if answer is None and response.content:
            answer = response.text[:2000]
        return {
            "status": response.status_code,
            "webhook_id": msg_id,
            "timestamp": timestamp,
            "response": answer,
        }
