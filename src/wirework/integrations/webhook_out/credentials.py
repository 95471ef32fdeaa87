"""The outgoing webhook's credentials (the receiver's URL and the Standard Webhooks signing
secret ``whsec_<base64>``), the signature and its connection test."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from pydantic import Field, SecretStr, field_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    no_auth,
    secret,
)

PREFIX = "whsec_"


class WebhookOutCredentials(CredentialsModel):
    url: str = Field(description="The receiver's endpoint URL (https://…)")
    secret: SecretStr = Field(
        description="Signing secret shared with the receiver: whsec_ and base64 of 24-64 "
        "random bytes (Standard Webhooks)"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value().strip()
        if not text:
            raise ValueError("must not be empty")
        if text.startswith(PREFIX):
            signing_key(text)  # raises ValueError when the base64 part is bad
        return SecretStr(text)


def signing_key(secret_text: str) -> bytes:
    """The HMAC key of a secret: base64-decoded after ``whsec_``; a secret without the prefix
    is used as its UTF-8 bytes."""
    if not secret_text.startswith(PREFIX):
        return secret_text.encode("utf-8")
    try:
        return base64.b64decode(secret_text[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ must be base64") from None


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">``."""
    message = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


WEBHOOK_OUT = IntegrationDefinition(
    "webhook_out",
    "Outgoing webhook",
    credentials=WebhookOutCredentials,
    auth=no_auth("each delivery signed with the secret (Standard Webhooks webhook-signature)"),
    base_url="url",
    description="Send signed webhooks (Standard Webhooks: webhook-id, webhook-timestamp, "
    "webhook-signature) to your own or a partner's endpoint",
    icon="webhook",
    category="Developer tools",
    docs="https://www.standardwebhooks.com",
    example_credentials={
        "url": "https://hooks.partner.example/orders",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
)


@WEBHOOK_OUT.connection_test
async def test_connection(connection: Connection[WebhookOutCredentials]) -> str:
    """Checks the secret and that the endpoint answers (a HEAD, no delivery is sent)."""
    signing_key(secret(connection.credentials.secret))
    response = await connection.client.request(
        "HEAD", connection.credentials.url, ok_statuses=tuple(range(400, 600))
    )
    return f"the endpoint answered HTTP {response.status_code}; deliveries will be signed"
