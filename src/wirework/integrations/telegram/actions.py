"""Telegram actions: ``telegram.send_message`` (parse_mode, reply markup, reply to a message)
and ``send_photo`` (a URL, or an upload from an item's binary field as multipart)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from wirework.integrations.telegram.credentials import TELEGRAM, TelegramCredentials, call
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.integration.files import file_from_item
from wirework.sdk.node import Item, NodeError

ParseMode = Literal["MarkdownV2", "HTML", "Markdown"]


def _message_out(message: Any) -> Item:
    message = message if isinstance(message, dict) else {}
    return {
        "message_id": message.get("message_id"),
        "chat_id": (message.get("chat") or {}).get("id"),
        "date": message.get("date"),
        "text": message.get("text"),
        "caption": message.get("caption"),
    }


class Target(ActionParams):
    chat_id: int | str = Field(
        description="Chat ID (e.g. from the update: body.message.chat.id) or @channelusername"
    )
    parse_mode: ParseMode | None = Field(default=None, description="Formatting of the text")
    reply_markup: dict[str, Any] | None = Field(
        default=None,
        description="Keyboard: {inline_keyboard: [[{text, callback_data|url}]]} or a reply "
        "keyboard object",
    )
    reply_to_message_id: int | None = Field(
        default=None, ge=1, description="Reply to this message of the chat"
    )
    disable_notification: bool = Field(default=False, description="Send silently")


def _common(params: Target) -> dict[str, Any]:
    out: dict[str, Any] = {"chat_id": params.chat_id}
    if params.parse_mode:
        out["parse_mode"] = params.parse_mode
    if params.reply_markup is not None:
        out["reply_markup"] = params.reply_markup
    if params.reply_to_message_id is not None:
        out["reply_parameters"] = {"message_id": params.reply_to_message_id}
    if params.disable_notification:
        out["disable_notification"] = True
    return out


class SendMessage(Target):
    text: str = Field(min_length=1, max_length=4096, description="Message text (1-4096)")
    disable_link_preview: bool = Field(default=False, description="No link previews")


@TELEGRAM.action(
    "send_message",
    params=SendMessage,
    description="Send a text message (sendMessage); emits {message_id, chat_id, date, text}",
    example={"chat_id": 123456789, "text": "Order *42* shipped", "parse_mode": "MarkdownV2"},
)
async def send_message(ctx: ActionContext[TelegramCredentials], params: SendMessage) -> Item:
    body = {**_common(params), "text": params.text}
    if params.disable_link_preview:
        body["link_preview_options"] = {"is_disabled": True}
    return _message_out(await call(ctx.client, ctx.credentials, "sendMessage", json=body))


class SendPhoto(Target):
    photo_url: str | None = Field(
        default=None, description="URL of the photo (Telegram fetches it); or binary_field"
    )
    binary_field: str | None = Field(
        default=None,
        description="Item field holding the photo to upload: a binary object {data (base64), "
        "filename, content_type} or a base64 string",
    )
    caption: str | None = Field(default=None, max_length=1024, description="Caption (0-1024)")


@TELEGRAM.action(
    "send_photo",
    params=SendPhoto,
    description="Send a photo by URL or upload (sendPhoto); emits {message_id, chat_id, …}",
    example={"chat_id": 123456789, "photo_url": "https://img.example/cat.jpg", "caption": "Hi"},
)
async def send_photo(ctx: ActionContext[TelegramCredentials], params: SendPhoto) -> Item:
    if (params.photo_url is None) == (params.binary_field is None):
        raise NodeError("params: give either photo_url or binary_field", retryable=False)
    body = _common(params)
    if params.caption:
        body["caption"] = params.caption
    if params.photo_url is not None:
        body["photo"] = params.photo_url
        found = await call(ctx.client, ctx.credentials, "sendPhoto", json=body)
        return _message_out(found)
    assert params.binary_field is not None
    photo = file_from_item(ctx.item, params.binary_field)
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    files = {
        "photo": (
            photo.filename or "photo.jpg",
            photo.content,
            photo.content_type or "application/octet-stream",
        )
    }
    found = await call(ctx.client, ctx.credentials, "sendPhoto", data=form, files=files)
    return _message_out(found)


class SetWebhook(ActionParams):
    url: str = Field(
        pattern=r"^https://",
        max_length=2000,
        description="Where Telegram sends updates: https://<your host>/webhook/<trigger path>",
    )
    allowed_updates: list[str] = Field(
        default_factory=list,
        description="Update types to receive (message, callback_query…); none = Telegram's "
        "default (all but a few)",
    )
    drop_pending_updates: bool = Field(default=False, description="Drop updates not yet sent")


@TELEGRAM.action(
    "set_webhook",
    params=SetWebhook,
    description="Register the bot's webhook (setWebhook) with the integration's "
    "webhook_secret as secret_token, for telegram.updates; emits {url, secret_token_set}",
    example={"url": "https://wirework.acme.example/webhook/telegram/bot"},
)
async def set_webhook(ctx: ActionContext[TelegramCredentials], params: SetWebhook) -> Item:
    body: dict[str, Any] = {"url": params.url}
    if params.allowed_updates:
        body["allowed_updates"] = params.allowed_updates
    if params.drop_pending_updates:
        body["drop_pending_updates"] = True
    if ctx.credentials.webhook_secret is not None:
        body["secret_token"] = ctx.credentials.webhook_secret.get_secret_value()
    await call(ctx.client, ctx.credentials, "setWebhook", json=body)
    return {"url": params.url, "secret_token_set": "secret_token" in body}
