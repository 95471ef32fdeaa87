"""Slack's trigger: ``slack.events``, the Events API's deliveries (Slack's v0 signature with
the app's signing secret, within five minutes; the url_verification challenge answered;
repeats of an ``event_id`` — Slack's retries — dropped; filtered by event type)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.slack.credentials import SLACK
from wirework.sdk.integration import SignatureScheme, WebhookTriggerParams, body_value


class EventsParams(WebhookTriggerParams):
    """Start a run on each event your Slack app subscribes to (Event Subscriptions: set the
    Request URL to https://<your host>/webhook/<path>; the integration's signing_secret
    verifies each delivery). Emits {body, headers, query, method, path, event}: body.event is
    Slack's event (body.event.type, .text, .user, .channel, .ts). Message events include
    bots' messages (body.event.bot_id set), your own replies too: filter them out before
    answering in the channel."""

    events: list[str] = Field(
        default_factory=list,
        description="Event types that start a run (e.g. message, app_mention); none = all",
    )


def event_type(body: Any) -> str | None:
    """``event.type`` of an event_callback, else the envelope's ``type``."""
    if body_value(body, "type") == "event_callback":
        return body_value(body, "event", "type")
    return body_value(body, "type")


def url_verification(body: Any) -> dict[str, Any] | None:
    """Slack's handshake when the Request URL is set: answered with its challenge."""
    if body_value(body, "type") == "url_verification":
        return {"challenge": body_value(body, "challenge") or ""}
    return None


EVENTS = SLACK.webhook_trigger(
    "events",
    params=EventsParams,
    description="Start on Slack Events API deliveries (signature checked, url_verification "
    "answered, retries dropped)",
    scheme=SignatureScheme.SLACK_V0,
    signature_header="X-Slack-Signature",
    timestamp_header="X-Slack-Request-Timestamp",
    secret_field="signing_secret",  # noqa: S106 - a field name
    delivery_of=lambda body: body_value(body, "event_id"),
    event_of=event_type,
    handshake=url_verification,
)
