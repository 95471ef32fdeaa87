"""Slack actions: ``slack.post_message`` (text and/or blocks, in a thread), ``update_message``,
``upload_file`` (files.getUploadURLExternal, the upload, files.completeUploadExternal; the
file from text or an item's binary field) and ``list_channels`` (every page of
conversations.list, up to a maximum)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from wirework.integrations.slack.credentials import SLACK, SlackCredentials
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.integration.files import file_from_item
from wirework.sdk.node import Item, NodeError

CHANNEL = r"^[#@]?[A-Za-z0-9._-]{1,80}$"


def _message_out(found: dict[str, Any]) -> Item:
    message = found.get("message") or {}
    return {
        "channel": found.get("channel"),
        "ts": found.get("ts"),
        "text": message.get("text", found.get("text")),
        "thread_ts": message.get("thread_ts"),
    }


class PostMessage(ActionParams):
    channel: str = Field(
        pattern=CHANNEL, description="Channel ID (C0123…) or name (#general), or a user ID"
    )
    text: str | None = Field(
        default=None,
        max_length=40_000,
        description="Message text (mrkdwn); with blocks, the notification's fallback",
    )
    blocks: list[dict[str, Any]] | None = Field(
        default=None, max_length=50, description="Block Kit blocks (at most 50)"
    )
    thread_ts: str | None = Field(
        default=None, description="Reply in the thread of this message's ts"
    )
    reply_broadcast: bool = Field(
        default=False, description="With thread_ts: also show the reply in the channel"
    )
    unfurl_links: bool | None = Field(default=None, description="Unfurl links (Slack's default)")
    mrkdwn: bool = Field(default=True, description="Format the text as mrkdwn")


@SLACK.action(
    "post_message",
    params=PostMessage,
    description="Post a message (chat.postMessage); emits {channel, ts, text, thread_ts}",
    example={"channel": "#alerts", "text": "Deploy finished :rocket:"},
)
async def post_message(ctx: ActionContext[SlackCredentials], params: PostMessage) -> Item:
    if not params.text and not params.blocks:
        raise NodeError("params: give text or blocks (or both)", retryable=False)
    body = params.model_dump(exclude_none=True)
    if not params.thread_ts:
        body.pop("reply_broadcast", None)
    return _message_out(await ctx.client.json("POST", "/chat.postMessage", json=body))


class UpdateMessage(ActionParams):
    channel: str = Field(pattern=CHANNEL, description="Channel ID of the message (C0123…)")
    ts: str = Field(min_length=1, description="The message's ts (from post_message)")
    text: str | None = Field(default=None, max_length=40_000, description="New text")
    blocks: list[dict[str, Any]] | None = Field(
        default=None, max_length=50, description="New Block Kit blocks"
    )


@SLACK.action(
    "update_message",
    params=UpdateMessage,
    description="Edit a message the bot posted (chat.update); emits {channel, ts, text}",
    example={"channel": "C0123456789", "ts": "1700000000.000100", "text": "Deploy rolled back"},
)
async def update_message(ctx: ActionContext[SlackCredentials], params: UpdateMessage) -> Item:
    if params.text is None and params.blocks is None:
        raise NodeError("params: give text or blocks to update", retryable=False)
    body = params.model_dump(exclude_none=True)
    return _message_out(await ctx.client.json("POST", "/chat.update", json=body))


class UploadFile(ActionParams):
    channel: str = Field(
        pattern=r"^[A-Za-z0-9]{1,40}$", description="Channel ID to share the file in (C0123…)"
    )
    filename: str = Field(min_length=1, max_length=255, description="File name (report.csv)")
    content: str | None = Field(
        default=None, description="The file's text (UTF-8); or give binary_field"
    )
    binary_field: str | None = Field(
        default=None,
        description="Item field holding the file: a binary object {data (base64), filename, "
        "content_type} or a base64 string (dots for nested fields)",
    )
    title: str | None = Field(default=None, max_length=255, description="Title shown in Slack")
    initial_comment: str | None = Field(default=None, description="Message posted with the file")
    thread_ts: str | None = Field(default=None, description="Share it in this message's thread")


@SLACK.action(
    "upload_file",
    params=UploadFile,
    description="Upload a file and share it in a channel (files.getUploadURLExternal, "
    "upload, files.completeUploadExternal); emits {file_id, title, permalink}",
    example={"channel": "C0123456789", "filename": "report.csv", "content": "id,total\n1,9\n"},
)
async def upload_file(ctx: ActionContext[SlackCredentials], params: UploadFile) -> Item:
    if (params.content is None) == (params.binary_field is None):
        raise NodeError("params: give either content or binary_field", retryable=False)
    if params.content is not None:
        data = params.content.encode("utf-8")
    else:
        assert params.binary_field is not None
        data = file_from_item(ctx.item, params.binary_field).content
    if not data:
        raise NodeError("params: the file is empty (Slack refuses empty files)", retryable=False)
    client = ctx.client
    slot = await client.json(
        "POST",
        "/files.getUploadURLExternal",
        data={"filename": params.filename, "length": str(len(data))},
    )
    upload_url, file_id = slot.get("upload_url"), slot.get("file_id")
    if not isinstance(upload_url, str) or not isinstance(file_id, str):
        raise NodeError("Slack answered files.getUploadURLExternal without an upload_url")
    # A pre-signed URL on Slack's upload host: no token goes there.
    await client.request(
        "POST",
        upload_url,
        anonymous=True,
        files={"file": (params.filename, data, "application/octet-stream")},
    )
    form = {
        "files": json.dumps([{"id": file_id, "title": params.title or params.filename}]),
        "channel_id": params.channel,
    }
    if params.initial_comment:
        form["initial_comment"] = params.initial_comment
    if params.thread_ts:
        form["thread_ts"] = params.thread_ts
    done = await client.json("POST", "/files.completeUploadExternal", data=form)
    shared = (done.get("files") or [{}])[0]
    return {
        "file_id": shared.get("id", file_id),
        "title": shared.get("title"),
        "permalink": shared.get("permalink"),
        "channel": params.channel,
        "size": len(data),
    }


ConversationType = Literal["public_channel", "private_channel", "mpim", "im"]


def _public() -> list[ConversationType]:
    return ["public_channel"]


class ListChannels(ActionParams):
    types: list[ConversationType] = Field(
        default_factory=_public, description="Kinds of conversation"
    )
    exclude_archived: bool = Field(default=True, description="Leave out archived channels")
    max_results: int = Field(default=1000, ge=1, le=100_000, description="Stop after this many")


def _channel_out(channel: dict[str, Any]) -> Item:
    return {
        "id": channel.get("id"),
        "name": channel.get("name"),
        "is_private": channel.get("is_private"),
        "is_archived": channel.get("is_archived"),
        "is_member": channel.get("is_member"),
        "num_members": channel.get("num_members"),
        "topic": (channel.get("topic") or {}).get("value"),
    }


@SLACK.action(
    "list_channels",
    params=ListChannels,
    description="List channels (every page of conversations.list); one item per channel",
    example={"types": ["public_channel"], "max_results": 500},
)
async def list_channels(ctx: ActionContext[SlackCredentials], params: ListChannels) -> list[Item]:
    out: list[Item] = []
    cursor: str | None = None
    while len(out) < params.max_results:
        page = await ctx.client.json(
            "GET",
            "/conversations.list",
            query={
                "types": ",".join(params.types),
                "exclude_archived": "true" if params.exclude_archived else "false",
                "limit": min(200, params.max_results - len(out)),
                "cursor": cursor,
            },
        )
        channels = page.get("channels")
        if not isinstance(channels, list):
            raise NodeError("Slack answered conversations.list without channels", retryable=False)
        out.extend(_channel_out(c) for c in channels if isinstance(c, dict))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            break
    return out[: params.max_results]
