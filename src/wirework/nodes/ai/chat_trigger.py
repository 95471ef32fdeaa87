"""``ai.chat_trigger``: the workflow is a chat. Each message a user sends (the hosted page
``/chat/{workflow_id}``, the embeddable widget or ``POST /api/chat/{workflow_id}/messages``)
starts an execution whose trigger item is ``{session_id, message, user?, history_hint?}``;
the reply is read from the execution's result (:func:`reply_of`)."""

from __future__ import annotations

import enum
import re
from typing import Any

from pydantic import Field, field_validator

from wirework.nodes.base import ParamsModel
from wirework.nodes.triggers import WebhookRateLimit
from wirework.sdk.node import Item
from wirework.sdk.registry import NodeSpec, registry

# scheme://host[:port], no path: what a browser sends as Origin.
ORIGIN_PATTERN = re.compile(
    r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$"
)
#: The fields of the result's first item the reply is read from, in this order.
REPLY_FIELDS = ("text", "output", "message")


class ChatAccess(enum.StrEnum):
    """Who may chat."""

    PUBLIC = "public"  # anyone with the link, while the workflow is active (rate-limited)
    LOGIN = "login"  # signed-in users of this instance (session cookie or API key)


class ChatTriggerParams(ParamsModel):
    """Starts an execution for each message sent to this workflow's chat."""

    access: ChatAccess = Field(
        default=ChatAccess.LOGIN,
        strict=False,  # the enum's value, "public" or "login"
        description="public: anyone with the link, while the workflow is active "
        "(rate-limited per address); login: signed-in users of this instance only",
    )
    title: str = Field(default="Chat", min_length=1, max_length=200, description="Page title")
    welcome_message: str = Field(
        default="", max_length=4000, description="Shown as the first message of every chat"
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Sites that may embed the chat widget or call the chat API from the "
        "browser, e.g. https://example.com (empty: only this server's own pages)",
    )
    rate_limit: WebhookRateLimit | None = Field(
        default=None,
        description="At most this many messages per window for the whole chat, e.g. "
        '{"requests": 100, "per_s": 60}; more are answered 429 with Retry-After',
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        out = []
        for origin in value:
            origin = origin.strip().rstrip("/")
            if not ORIGIN_PATTERN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], "
                    "e.g. https://example.com"
                )
            out.append(origin.lower())
        return out


class NoReply(ValueError):
    """The execution's result holds no reply text."""


def reply_of(items: list[Item]) -> str:
    """The chat's answer: in the result's first item (the last node's output, or the node
    ``settings.result_node`` names), the first of ``text``, ``output``, ``message`` that is
    a string (``message`` may also be ``{content: …}``, as ``ai.chat`` emits it)."""
    if not items:
        raise NoReply("the workflow ended without a reply: its last node emitted no items")
    item = items[0]
    for name in REPLY_FIELDS:
        value: Any = item.get(name)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            return value
    raise NoReply(
        "the workflow's last node gave no reply: its first item has no text, output or "
        "message field"
    )


CHAT_TRIGGER = registry.register_node(
    NodeSpec(
        type="ai.chat_trigger",
        display_name="Chat trigger",
        description="Start on each chat message (hosted page, widget, chat API); emits "
        "{session_id, message, user?, history_hint?}; the reply is the last node's text",
        group="trigger",
        category="Triggers",
        icon="messages-square",
        params=ChatTriggerParams,
        inputs=(),
        extra={
            "literal_params": (
                "access",
                "title",
                "welcome_message",
                "allowed_origins",
                "rate_limit",
            )
        },
    )
)
