"""Slack's credentials (a bot token, the app's signing secret for the Events API trigger),
its error answers (HTTP 200 with ``{"ok": false, "error": "<code>"}``) and its connection
test (``auth.test``)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr, field_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    bearer,
    http_url,
    response_json,
)

# What a few common error codes mean for the user (Slack's code is always named too).
HINTS = {
    "channel_not_found": "the channel does not exist, or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel: invite it first",
    "is_archived": "the channel is archived",
    "invalid_auth": "the bot token is not valid",
    "not_authed": "no bot token was sent",
    "token_revoked": "the bot token was revoked",
    "account_inactive": "the bot token belongs to a deleted user or workspace",
    "missing_scope": "the bot token lacks a scope",
    "no_text": "give text or blocks",
    "msg_too_long": "the message text is too long",
    "invalid_blocks": "the blocks are not valid Block Kit",
    "message_not_found": "no message with that ts in the channel",
    "cant_update_message": "the bot can only update its own messages",
    "ratelimited": "Slack rate-limited the call",
}


class SlackCredentials(CredentialsModel):
    bot_token: SecretStr = Field(
        description="Bot User OAuth Token of your Slack app (xoxb-…, OAuth & Permissions)"
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        description="Signing Secret of your Slack app (Basic Information), for the "
        "slack.events trigger",
    )
    base_url: Annotated[str, http_url("https://slack.com/api")] = Field(
        default="https://slack.com/api", description="Web API URL (https://slack.com/api)"
    )

    @field_validator("bot_token")
    @classmethod
    def _xoxb(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if token.startswith(("xapp-", "xoxe")):
            raise ValueError("is an app-level or refresh token: give the bot token (xoxb-…)")
        if not token or any(c.isspace() for c in token):
            raise ValueError("must be a bot token (xoxb-…) without spaces")
        return SecretStr(token)


def slack_reported(response: httpx.Response) -> str | None:
    """Slack's own error in an answer (``{"ok": false, "error": "channel_not_found"}``, with
    ``needed`` for missing_scope and ``response_metadata.messages``): ``<code> (<what it
    means>)``; None when the answer is not Slack's error shape."""
    body: Any = response_json(response)
    if not isinstance(body, dict) or body.get("ok") is not False:
        return None
    code = str(body.get("error") or "unknown_error")
    parts = [code]
    hint = HINTS.get(code)
    if code == "missing_scope" and body.get("needed"):
        hint = f"the bot token lacks the scope {body['needed']}"
    if hint:
        parts.append(f"({hint})")
    messages = (body.get("response_metadata") or {}).get("messages") or []
    if isinstance(messages, list) and messages:
        parts.append("; ".join(str(m) for m in messages[:5]))
    return " ".join(parts)


SLACK = IntegrationDefinition(
    "slack",
    "Slack",
    credentials=SlackCredentials,
    auth=bearer("bot_token"),
    description="Slack: post and update messages, upload files, list channels; trigger on "
    "Events API deliveries",
    icon="message-square",
    category="Communication",
    docs="https://docs.slack.dev/reference/methods",
    error_message=slack_reported,
    body_error=slack_reported,
    example_credentials={"bot_token": "xoxb-1-example", "signing_secret": "slack-signing"},
)


@SLACK.connection_test
async def test_connection(connection: Connection[SlackCredentials]) -> str:
    me = await connection.client.json("POST", "/auth.test")
    return f"connected to Slack workspace {me.get('team')} as {me.get('user')}"
