"""``smtp.send``: one e-mail per item: text and/or HTML (multipart/alternative), attachments
(from the item's binary fields or base64 in the params), reply-to and custom headers, and a
Message-ID derived from the step's idempotency key (a retried send carries the same one)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, parseaddr
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wirework.integrations.smtp.credentials import SMTP, SmtpCredentials, smtp_session
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item, NodeError

HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without the colon (RFC 5322)
# Headers the action writes itself: set them with their params, not as custom headers.
RESERVED = {
    "from", "to", "cc", "bcc", "subject", "reply-to", "message-id", "date", "mime-version",
    "content-type", "content-transfer-encoding", "content-disposition", "sender",
}  # fmt: skip
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


def mailbox(value: str, where: str) -> str:
    """One address (``a@b.example`` or ``Name <a@b.example>``), checked, as ``Name <addr>``."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{where}: line breaks are not allowed")
    name, addr = parseaddr(value)
    if not addr or "@" not in addr:
        raise ValueError(f"{where}: {value!r} is not an e-mail address")
    try:
        checked = validate_email(addr, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{where}: {value!r}: {exc}") from None
    return formataddr((name, checked.normalized)) if name else checked.normalized


def _address_list(values: list[str], where: str) -> list[str]:
    out = []
    for value in values:
        if any(c in value for c in "\r\n\0"):
            raise ValueError(f"{where}: line breaks are not allowed in {value!r}")
        # "a@x, B <b@y>" in one entry (an expression giving a comma-separated list) counts
        for name, addr in getaddresses([value]):
            out.append(mailbox(formataddr((name, addr)) if name else addr, where))
    return out


class Attachment(BaseModel):
    """A file given in the params as base64."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, description="File name, e.g. invoice.pdf")
    content_type: str | None = Field(
        default=None,
        pattern=r"^[\w.+-]+/[\w.+-]+$",
        description="MIME type, e.g. application/pdf (guessed from the file name if empty)",
    )
    data: str = Field(description="The content, base64-encoded")

    @field_validator("filename")
    @classmethod
    def _name(cls, value: str) -> str:
        if any(c in value for c in "\r\n\0"):
            raise ValueError("line breaks are not allowed")
        return value


class Send(ActionParams):
    """Send one e-mail per input item."""

    to: list[str] = Field(
        default_factory=list,
        description="Recipients (a@b.example or Name <a@b.example>)",
    )
    cc: list[str] = Field(default_factory=list, description="Copy recipients")
    bcc: list[str] = Field(
        default_factory=list, description="Blind-copy recipients (not written in the headers)"
    )
    subject: str = Field(default="", max_length=998, description="Subject line")
    text: str | None = Field(default=None, description="Plain-text body")
    html: str | None = Field(
        default=None,
        description="HTML body (with text too, the mail is multipart/alternative: clients "
        "show the HTML and fall back to the text)",
    )
    from_address: str | None = Field(
        default=None,
        description="Sender, e.g. Acme <shop@acme.example> (default: the integration's)",
    )
    reply_to: list[str] = Field(default_factory=list, description="Reply-To addresses")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description='More headers, e.g. {"X-Ticket": "42", "List-Unsubscribe": "<…>"}; values '
        "may not contain line breaks",
    )
    attachments: list[Attachment] = Field(
        default_factory=list,
        description="Files as {filename, content_type, data (base64)}",
    )
    attachment_fields: list[str] = Field(
        default_factory=list,
        description="Fields of the input item holding binary data to attach ({data, "
        "content_type, filename} as the HTTP Request node's binary response or a webhook's "
        "uploaded file give it); a dotted path reaches nested fields, e.g. body.invoice",
    )

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("line breaks are not allowed in the subject")
        return value

    @field_validator("headers", mode="before")
    @classmethod
    def _scalars(cls, value: Any) -> Any:
        """Numbers and booleans (an expression such as {{ json.id }}) as their text."""
        if isinstance(value, dict):
            return {
                k: str(v).lower() if isinstance(v, bool) else str(v)
                if isinstance(v, int | float) else v
                for k, v in value.items()
            }  # fmt: skip
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a header name")
            if name.lower() in RESERVED:
                raise ValueError(f"{name} is set by its own parameter, not as a header")
            if "\r" in text or "\n" in text or "\0" in text:
                raise ValueError(f"{name}: line breaks are not allowed in a header value")
        return value


def message_id(idempotency_key: str, sender: str) -> str:
    """``<hash of the step's key>@<sender's domain>``: the same on every retry of the step."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "wirework.invalid"
    return f"<{digest}.wirework@{domain}>"


def _dig(item: Item, path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise NodeError(f"params.attachment_fields: the item has no {path!r}", retryable=False)
        value = value[part]
    return value


def _decode(data: Any, where: str) -> bytes:
    try:
        raw = base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        raise NodeError(f"{where}: data is not valid base64", retryable=False) from None
    if len(raw) > MAX_ATTACHMENT_BYTES:
        raise NodeError(f"{where}: larger than {MAX_ATTACHMENT_BYTES} bytes", retryable=False)
    return raw


def _files(params: Send, item: Item) -> list[tuple[str, str, bytes]]:
    files = []
    for i, att in enumerate(params.attachments):
        kind = att.content_type or mimetypes.guess_type(att.filename)[0]
        files.append(
            (att.filename, kind or "application/octet-stream",
             _decode(att.data, f"params.attachments[{i}]"))
        )  # fmt: skip
    for path in params.attachment_fields:
        found = _dig(item, path)
        for j, value in enumerate(found if isinstance(found, list) else [found]):
            where = f"params.attachment_fields: {path}" + (
                f"[{j}]" if isinstance(found, list) else ""
            )
            if isinstance(value, dict) and value.get("data") is None and "size" in value:
                raise NodeError(
                    f"{where} has no content (a file larger than the trigger's "
                    "attachment_max_bytes comes without it)",
                    retryable=False,
                )
            if not isinstance(value, dict) or "data" not in value:
                raise NodeError(f"{where} is not binary data ({{data, ...}})", retryable=False)
            name = str(value.get("filename") or value.get("name") or path.rpartition(".")[2])
            name = name.replace("\r", " ").replace("\n", " ")
            kind = str(value.get("content_type") or value.get("mime_type") or "")
            kind = kind.split(";")[0].strip() or mimetypes.guess_type(name)[0] or ""
            files.append((name, kind or "application/octet-stream", _decode(value["data"], where)))
    return files


def _bare(address: str) -> str:
    return Address(addr_spec=parseaddr(address)[1]).addr_spec


def build_message(
    params: Send, item: Item, default_from: str | None, key: str
) -> tuple[EmailMessage, list[str]]:
    """The MIME message (Bcc not among its headers) and the envelope's recipients."""
    try:
        sender = mailbox(params.from_address or default_from or "", "params.from_address")
        to = _address_list(params.to, "params.to")
        cc = _address_list(params.cc, "params.cc")
        bcc = _address_list(params.bcc, "params.bcc")
        reply = _address_list(params.reply_to, "params.reply_to")
    except ValueError as exc:
        if not (params.from_address or default_from):
            raise NodeError(
                "params.from_address: give a sender (or set the integration's from address)",
                retryable=False,
            ) from None
        raise NodeError(str(exc), retryable=False) from None
    if not (to or cc or bcc):
        raise NodeError("params.to: give at least one recipient (to, cc or bcc)", retryable=False)
    if params.text is None and params.html is None:
        raise NodeError("params.text: give a text or an HTML body (or both)", retryable=False)
    msg = EmailMessage()
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply:
        msg["Reply-To"] = ", ".join(reply)
    msg["Subject"] = params.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(key, sender)
    for name, value in params.headers.items():
        msg[name] = value
    if params.text is not None:
        msg.set_content(params.text)
        if params.html is not None:
            msg.add_alternative(params.html, subtype="html")
    else:
        msg.set_content(params.html or "", subtype="html")
    for name, kind, raw in _files(params, item):
        maintype, _, subtype = kind.partition("/")
        msg.add_attachment(raw, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    envelope = list(dict.fromkeys(_bare(a) for a in [*to, *cc, *bcc]))
    return msg, envelope


@SMTP.action(
    "send",
    params=Send,
    description="Send an e-mail per item (text and/or HTML, attachments, custom headers); "
    "emits {message_id, accepted, refused, response}",
    example={
        "to": ["Ada <ada@customer.example>"],
        "subject": "Your order #1042",
        "text": "Thanks for your order!",
        "html": "<p>Thanks for your <b>order</b>!</p>",
    },
)
async def send(ctx: ActionContext[SmtpCredentials], params: Send) -> Item:
    creds = ctx.credentials
    msg, recipients = build_message(params, ctx.item, creds.from_address, ctx.idempotency_key)
    sender = _bare(str(msg["From"]))
    async with smtp_session(creds, "send") as client:
        refused, response = await client.send_message(msg, sender=sender, recipients=recipients)
    return {
        "message_id": str(msg["Message-ID"]),
        "accepted": [r for r in recipients if r not in refused],
        "refused": {r: f"{answer.code} {answer.message}" for r, answer in refused.items()},
        "response": response,
    }
