"""Telegram's trigger: ``telegram.updates``, the bot's updates by webhook (setWebhook with
a secret_token: X-Telegram-Bot-Api-Secret-Token is checked against the integration's
webhook_secret; repeats of an ``update_id`` dropped; filtered by update type)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.telegram.credentials import TELEGRAM
from wirework.sdk.integration import SignatureScheme, WebhookTriggerParams, body_value


class UpdatesParams(WebhookTriggerParams):
    """Start a run on each update of your bot (call setWebhook with url
    https://<your host>/webhook/<path> and secret_token = the integration's webhook_secret).
    Emits {body, headers, query, method, path, event}: body is Telegram's Update
    (body.message.text, body.message.chat.id, …), event its type (message, callback_query…)."""

    events: list[str] = Field(
        default_factory=list,
        description="Update types that start a run (e.g. message, callback_query); none = all",
    )


def update_type(body: Any) -> str | None:
    """The update's kind: its one field besides update_id (message, edited_message, …)."""
    if not isinstance(body, dict):
        return None
    kinds = [k for k in body if k != "update_id"]
    return kinds[0] if kinds else None


UPDATES = TELEGRAM.webhook_trigger(
    "updates",
    params=UpdatesParams,
    description="Start on the bot's updates (secret token checked, repeats dropped)",
    scheme=SignatureScheme.SECRET_TOKEN,
    signature_header="X-Telegram-Bot-Api-Secret-Token",
    secret_field="webhook_secret",  # noqa: S106 - a field name
    delivery_of=lambda body: body_value(body, "update_id"),
    event_of=update_type,
)
