"""``imap.get_messages``: the messages of a mailbox that a search matches, newest last."""

from __future__ import annotations

import imaplib

from pydantic import Field

from wirework.integrations.imap.credentials import IMAP, ImapCredentials, in_session
from wirework.integrations.imap.messages import Reading, read, search, select
from wirework.sdk.integration import ActionContext
from wirework.sdk.node import Item


class GetMessages(Reading):
    """Fetch the messages matching the criteria (one item per message)."""

    limit: int = Field(
        default=50, ge=1, le=1000, description="Most messages (the most recent ones)"
    )


@IMAP.action(
    "get_messages",
    params=GetMessages,
    description="Fetch the messages of a mailbox matching IMAP search criteria; one item per "
    "message {uid, from, to, cc, subject, date, message_id, text, html, attachments}",
    example={"mailbox": "INBOX", "criteria": "UNSEEN", "limit": 10},
)
async def get_messages(ctx: ActionContext[ImapCredentials], params: GetMessages) -> list[Item]:
    def work(client: imaplib.IMAP4) -> list[Item]:
        validity, _ = select(client, params.mailbox, writable=params.mark_seen)
        uids = search(client, params.criteria)[-params.limit :]
        items, _ = read(client, params, uids, validity)
        return items

    return await in_session(ctx.credentials, "get messages", work)
