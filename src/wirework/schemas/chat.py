"""The chat API's shapes (``/api/chat/{workflow_id}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from wirework.schemas.common import RequestModel

#: A chat session id: made by the page or widget (random, kept in the browser).
SESSION_ID_PATTERN = r"^[A-Za-z0-9_\-]{8,128}$"
MAX_MESSAGE_CHARS = 16_000
MAX_HINT_MESSAGES = 50


class HintMessage(RequestModel):
    role: Literal["user", "assistant"] = Field(description="Who said it")
    content: str = Field(max_length=MAX_MESSAGE_CHARS, description="What was said")


class ChatMessageIn(RequestModel):
    session_id: str = Field(
        pattern=SESSION_ID_PATTERN,
        description="The conversation: 8-128 letters, digits, - or _, made by the client "
        "(random, kept in the browser); memory nodes key on it",
    )
    message: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, description="The user's message"
    )
    history_hint: list[HintMessage] | None = Field(
        default=None,
        max_length=MAX_HINT_MESSAGES,
        description="Earlier turns as the client shows them, oldest first (given to the "
        "workflow as is: client data, not to be trusted; memory nodes are the reliable "
        "history)",
    )


class ChatInfo(BaseModel):
    title: str
    welcome_message: str
    access: Literal["public", "login"]
