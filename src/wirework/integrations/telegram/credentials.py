"""Telegram's credentials (a bot token, which the Bot API wants in the URL path:
``/bot<token>/<method>``, hidden from every message; a secret token for the webhook
trigger), its error answers (``{"ok": false, "error_code", "description", "parameters":
{"retry_after"}}``) and its connection test (``getMe``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr, field_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    ServiceClient,
    http_url,
    no_auth,
    response_json,
    secret,
)

# What may stand in the URL path /bot<token>/ (a real token is digits:35 characters).
BOT_TOKEN = re.compile(r"^[A-Za-z0-9:_-]{1,200}$")
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramCredentials(CredentialsModel):
    bot_token: SecretStr = Field(description="The bot's token from @BotFather (123456:ABC-…)")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="secret_token given to setWebhook (1-256 of A-Z a-z 0-9 _ -): the "
        "telegram.updates trigger checks it",
    )
    base_url: Annotated[str, http_url("https://api.telegram.org")] = Field(
        default="https://api.telegram.org",
        description="Bot API URL (https://api.telegram.org, or your local Bot API server)",
    )

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not BOT_TOKEN.match(value.get_secret_value()):
            raise ValueError("must be a bot token from @BotFather (123456:ABC-…, no spaces)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


def telegram_error(response: httpx.Response) -> str | None:
    """``{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}`` →
    the description (with retry_after / migrate_to_chat_id when given)."""
    body: Any = response_json(response)
    if not isinstance(body, dict) or body.get("ok") is not False:
        return None
    message = str(body.get("description") or f"error {body.get('error_code')}")
    parameters = body.get("parameters") or {}
    if isinstance(parameters, dict):
        if "retry_after" in parameters:
            message += f" (retry after {parameters['retry_after']} s)"
        if "migrate_to_chat_id" in parameters:
            message += f" (the group is now the supergroup {parameters['migrate_to_chat_id']})"
    return message


def telegram_retry_after(response: httpx.Response) -> float | None:
    """``parameters.retry_after`` of a 429 answer."""
    body: Any = response_json(response)
    if isinstance(body, dict) and isinstance(body.get("parameters"), dict):
        wait = body["parameters"].get("retry_after")
        if isinstance(wait, int | float) and not isinstance(wait, bool):
            return float(wait)
    return None


TELEGRAM = IntegrationDefinition(
    "telegram",
    "Telegram",
    credentials=TelegramCredentials,
    auth=no_auth("the bot token in the request path (/bot<token>/…), hidden in every error"),
    description="Telegram Bot API: send messages and photos; trigger on the bot's updates",
    icon="send",
    category="Communication",
    docs="https://core.telegram.org/bots/api",
    error_message=telegram_error,
    body_error=telegram_error,
    retry_after=telegram_retry_after,
    secrets_in_path=True,
    example_credentials={
        "bot_token": "123456:ABCdefGhIJKlmNoPQRstuVWxyz0123456",
        "webhook_secret": "telegram-hook-secret",
    },
)


def method_path(credentials: TelegramCredentials, method: str) -> str:
    """``/bot<token>/<method>`` (the client hides the token from its messages)."""
    return f"/bot{secret(credentials.bot_token)}/{method}"


async def call(
    client: ServiceClient, credentials: TelegramCredentials, method: str, **kw: Any
) -> Any:
    """A Bot API method's ``result``."""
    found = await client.json("POST", method_path(credentials, method), **kw)
    return found.get("result") if isinstance(found, dict) else None


@TELEGRAM.connection_test
async def test_connection(connection: Connection[TelegramCredentials]) -> str:
    me = await call(connection.client, connection.credentials, "getMe") or {}
    return f"connected to Telegram as @{me.get('username')}"
