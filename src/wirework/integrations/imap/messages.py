"""Selecting a mailbox, searching it by UID and reading messages into items (blocking: these
run in the session's worker thread)."""

from __future__ import annotations

import base64
import imaplib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from pydantic import Field, field_validator

from wirework.integrations.imap.credentials import check
from wirework.sdk.integration import ActionParams
from wirework.sdk.node import Item

FETCHED = re.compile(rb"UID (\d+)")
LITERAL = re.compile(r"\{\d+\+?\}")


class Reading(ActionParams):
    """What the trigger and the action share: where to look, what to match, how to read."""

    mailbox: str = Field(
        default="INBOX", min_length=1, max_length=255, description="Mailbox (folder), e.g. INBOX"
    )
    criteria: str = Field(
        default="ALL",
        max_length=1000,
        description='IMAP SEARCH criteria, e.g. UNSEEN, FROM "billing@vendor.example", '
        'SUBJECT "invoice", SINCE 1-Jan-2026 (ASCII; ALL: every message)',
    )
    mark_seen: bool = Field(
        default=False, description="Mark the messages read (\\Seen) when they are fetched"
    )
    attachment_max_bytes: int = Field(
        default=5_000_000,
        ge=0,
        le=50_000_000,
        description="Attachments up to this size come with their content (base64 in data); "
        "larger ones with their name, type and size only",
    )

    @field_validator("mailbox", "criteria")
    @classmethod
    def _ascii_line(cls, value: str) -> str:
        if any(c in value for c in "\r\n\0"):
            raise ValueError("line breaks are not allowed")
        if not value.isascii():
            raise ValueError("ASCII only")
        if LITERAL.search(value):
            raise ValueError("IMAP literals ({n}) are not allowed: quote the text instead")
        return value


def quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def select(client: imaplib.IMAP4, mailbox: str, writable: bool) -> tuple[int, int | None]:
    """Select the mailbox; its (UIDVALIDITY, UIDNEXT or None)."""
    check(client.select(quoted(mailbox), readonly=not writable), f"SELECT {mailbox}")
    validity = client.response("UIDVALIDITY")[1]
    uidnext = client.response("UIDNEXT")[1]
    if not validity or validity[0] is None:
        raise imaplib.IMAP4.error(f"SELECT {mailbox}: the server sent no UIDVALIDITY")
    following = int(uidnext[0]) if uidnext and uidnext[0] is not None else None
    return int(validity[0]), following


def search(client: imaplib.IMAP4, criteria: str, after_uid: int = 0) -> list[int]:
    """UIDs above ``after_uid`` matching the criteria, ascending (``n:*`` also matches the
    highest UID when it is below n: filtered out)."""
    scope = f"UID {after_uid + 1}:*" if after_uid else ""
    query = f"{scope} {criteria or 'ALL'}".strip()
    data = check(client.uid("SEARCH", query), "SEARCH")
    uids = {int(u) for chunk in data if chunk for u in chunk.split()}
    return sorted(u for u in uids if u > after_uid)


def highest_uid(client: imaplib.IMAP4, uidnext: int | None) -> int:
    if uidnext is not None:
        return uidnext - 1
    found = search(client, "ALL")
    return found[-1] if found else 0


def fetch(client: imaplib.IMAP4, uid: int, mark_seen: bool) -> bytes | None:
    """The raw message (None if it is gone); BODY.PEEK leaves \\Seen alone."""
    data = check(client.uid("FETCH", str(uid), "(UID BODY.PEEK[])"), "FETCH")
    raw = next(
        (part[1] for part in data if isinstance(part, tuple) and FETCHED.search(part[0])), None
    )
    if raw is not None and mark_seen:
        check(client.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)"), "STORE")
    return raw


def _addresses(msg: EmailMessage, header: str) -> list[str]:
    values = [str(v) for v in msg.get_all(header, [])]
    return [addr for _, addr in getaddresses(values) if addr]


def _date(msg: EmailMessage) -> str | None:
    value = msg.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).isoformat()
    except (TypeError, ValueError):
        return None


def _body(msg: EmailMessage, kind: str) -> str | None:
    part = msg.get_body((kind,))
    if part is None:
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def as_item(raw: bytes, uid: int, mailbox: str, validity: int, max_bytes: int) -> Item:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    attachments: list[dict[str, Any]] = []
    for part in parsed.iter_attachments():
        content = part.get_payload(decode=True)
        data = content if isinstance(content, bytes) else b""
        attachments.append(
            {
                "filename": part.get_filename() or "",
                "content_type": part.get_content_type(),
                "size": len(data),
                "data": base64.b64encode(data).decode("ascii") if len(data) <= max_bytes else None,
            }
        )
    sender = _addresses(parsed, "From")
    return {
        "uid": uid,
        "uidvalidity": validity,
        "mailbox": mailbox,
        "message_id": str(parsed.get("Message-ID", "")).strip() or None,
        "from": sender[0] if sender else None,
        "from_header": str(parsed.get("From", "")),
        "to": _addresses(parsed, "To"),
        "cc": _addresses(parsed, "Cc"),
        "reply_to": _addresses(parsed, "Reply-To"),
        "subject": str(parsed.get("Subject", "")),
        "date": _date(parsed),
        "text": _body(parsed, "plain"),
        "html": _body(parsed, "html"),
        "attachments": attachments,
        "size": len(raw),
    }


def read(
    client: imaplib.IMAP4, params: Reading, uids: list[int], validity: int
) -> tuple[list[Item], int]:
    """Items for these UIDs (a message deleted meanwhile is skipped) and the highest UID read."""
    items = []
    last = 0
    for uid in uids:
        raw = fetch(client, uid, params.mark_seen)
        last = max(last, uid)
        if raw is not None:
            items.append(as_item(raw, uid, params.mailbox, validity, params.attachment_max_bytes))
    return items, last
