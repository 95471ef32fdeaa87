"""``imap.new_mail``: polls a mailbox for messages that arrived since the last poll.

The cursor is ``{"uidvalidity": V, "last_uid": U}``. IMAP gives every message of a mailbox a
UID that only grows while the mailbox's UIDVALIDITY stays the same, so "UID above U" is
exactly the new mail: nothing twice, nothing missed across restarts (the scheduler stores the
cursor atomically with the execution it starts). The first poll only records where the
mailbox is (mail already there does not start runs). If the server changes UIDVALIDITY (the
mailbox was re-created or rebuilt), the old UIDs mean nothing: the trigger re-baselines at
the mailbox's current end and logs nothing as new, rather than replaying the whole mailbox.
"""

from __future__ import annotations

import imaplib
import logging
from typing import Any

from pydantic import Field

from wirework.integrations.imap.credentials import IMAP, ImapCredentials, in_session
from wirework.integrations.imap.messages import Reading, highest_uid, read, search, select
from wirework.sdk.integration import PollContext, PollResult

log = logging.getLogger(__name__)


class NewMail(Reading):
    """Start a run with the messages that arrived since the last poll (one item per
    message, oldest first)."""

    interval_s: int = Field(default=60, ge=10, le=86_400, description="Seconds between polls")
    max_messages: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Most messages per poll (more wait for the next poll, in order)",
    )


def poll_mailbox(client: imaplib.IMAP4, params: NewMail, cursor: Any) -> PollResult:
    validity, uidnext = select(client, params.mailbox, writable=params.mark_seen)
    known = isinstance(cursor, dict) and cursor.get("uidvalidity") == validity
    if not known:  # first poll, or the mailbox's UIDs were reset: start from its end
        last = highest_uid(client, uidnext)
        if isinstance(cursor, dict):
            log.warning(
                "IMAP %s: UIDVALIDITY of %s changed (%s to %s): polling goes on from its "
                "current end (UID %s); messages that arrived meanwhile are not started",
                client.host, params.mailbox, cursor.get("uidvalidity"), validity, last,
            )  # fmt: skip
        return PollResult([], {"uidvalidity": validity, "last_uid": last})
    after = int(cursor.get("last_uid") or 0)
    uids = search(client, params.criteria, after)[: params.max_messages]
    if not uids:
        return PollResult([], cursor)
    items, last = read(client, params, uids, validity)
    return PollResult(items, {"uidvalidity": validity, "last_uid": max(after, last)})


@IMAP.polling_trigger(
    "new_mail",
    params=NewMail,
    description="Poll a mailbox for new messages (optionally matching search criteria)",
)
async def new_mail(ctx: PollContext[ImapCredentials], params: NewMail, cursor: Any) -> PollResult:
    return await in_session(
        ctx.credentials, "poll", lambda client: poll_mailbox(client, params, cursor)
    )
