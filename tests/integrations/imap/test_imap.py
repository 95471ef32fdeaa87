"""imap.new_mail and imap.get_messages against a real dovecot: the cursor (UIDVALIDITY + last
UID) across polls and a restart of the engine (nothing twice, nothing missed), a UIDVALIDITY
change, bodies and attachments, search criteria, mark as seen, TLS and STARTTLS with a
private CA, a bad login as a clear message without the password, and 127.0.0.1 refused
without the test's allow-list."""

from __future__ import annotations

import asyncio
import json
import logging
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from tests.certificates import Certificate
from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.imap.local_imap import PASSWORD, USER, LocalImap
from wirework.integrations.imap import IMAP
from wirework.integrations.imap.triggers import NewMail
from wirework.sdk.integration import PollContext, PollResult
from wirework.sdk.registry import registry
from wirework.services import polling
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime
from wirework.triggers.schedule import entries_of

SECRETS = {"password"}
PDF = b"%PDF-1.4 " + bytes(range(256)) * 4


def mail(subject: str, sender: str = "ada@customer.example", **more: Any) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Ada Lovelace <{sender}>"
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@customer.example>"
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
    msg.set_content(more.get("text", f"body of {subject}"))
    return msg


async def poll(values: dict[str, Any], params: dict[str, Any], cursor: Any) -> PollResult:
    """One poll as the scheduler makes it, the cursor through JSON as the database keeps it."""
    connection = await IMAP.connect(values, 1)
    trigger = IMAP.triggers["new_mail"]
    result: PollResult = await trigger.fn(  # type: ignore[union-attr]
        PollContext(connection, 1, "p"), NewMail.model_validate(params), cursor
    )
    result.cursor = json.loads(json.dumps(result.cursor))
    json.dumps(result.items)  # items are JSON
    return result


async def started_with(host: Any, execution_id: str) -> list[str]:
    """The subjects of the items an execution started by the trigger got."""
    for _ in range(100):
        found = await host.runner.store.load_output(execution_id, "p")
        if found is not None:
            return [i["subject"] for i in found["main"]]
        await asyncio.sleep(0.05)
    raise AssertionError(f"execution {execution_id} has no output of the trigger")


def subjects(result: PollResult) -> list[str]:
    return [i["subject"] for i in result.items]


async def test_new_mail_through_the_app_across_a_restart(
    client: httpx.AsyncClient, runtime: Runtime, dovecot: LocalImap, mailbox: str, loopback: None
) -> None:
    dovecot.deliver(mail("old"), mailbox)
    made = await client.post(
        "/api/integrations",
        json={"name": "Support", "type": "imap", "credentials": dovecot.credentials()},
    )
    assert made.status_code == 201, made.text
    tested = await client.post("/api/integrations/test", json={"integration_id": made.json()["id"]})
    assert tested.json()["ok"] is True, tested.text
    doc = {
        "name": "support mail",
        "active": True,
        "nodes": [
            {
                "id": "p",
                "type": "imap.new_mail",
                "integration_id": made.json()["id"],
                "params": {"mailbox": mailbox, "interval_s": 30},
            }
        ],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    wid = resp.json()["id"]
    [entry] = entries_of(wid, resp.json())
    host = await ensure_engine(runtime)
    await host.scheduler.stop()
    assert await polling.fire_poll(host, entry) is None  # baseline: "old" is not new
    cursor = await polling.cursor_of(host, wid, "p")
    assert cursor["last_uid"] == 1 and cursor["uidvalidity"] > 0
    dovecot.deliver(mail("first"), mailbox)
    dovecot.deliver(mail("second"), mailbox)
    started = await polling.fire_poll(host, entry)
    assert started is not None
    record = await host.runner.store.load_execution(started)
    assert record is not None and record.mode == "poll"
    assert await started_with(host, started) == ["first", "second"]
    assert await polling.cursor_of(host, wid, "p") == {**cursor, "last_uid": 3}
    assert await polling.fire_poll(host, entry) is None  # nothing twice
    # A restart: a new engine host reads the stored cursor.
    await host.stop()
    runtime.engine_host = None
    dovecot.deliver(mail("while down"), mailbox)
    host = await ensure_engine(runtime)
    await host.scheduler.stop()
    again = await polling.fire_poll(host, entry)
    assert again is not None and again != started
    assert await started_with(host, again) == ["while down"]
    assert (await polling.cursor_of(host, wid, "p"))["last_uid"] == 4
    assert await polling.fire_poll(host, entry) is None


async def test_cursor_in_order_and_max_messages(
    dovecot: LocalImap, mailbox: str, loopback: None
) -> None:
    values = dovecot.credentials()
    params = {"mailbox": mailbox, "max_messages": 2}
    first = await poll(values, params, None)
    assert first.items == [] and first.cursor["last_uid"] == 0
    for n in range(5):
        dovecot.deliver(mail(f"m{n}"), mailbox)
    cursor = first.cursor
    seen: list[str] = []
    for expected in (["m0", "m1"], ["m2", "m3"], ["m4"], []):
        result = await poll(values, params, cursor)
        assert subjects(result) == expected
        seen += subjects(result)
        cursor = result.cursor
    assert seen == [f"m{n}" for n in range(5)] and cursor["last_uid"] == 5
    # A message deleted before it was read is skipped, the ones after it are not missed.
    dovecot.deliver(mail("m5"), mailbox)
    dovecot.deliver(mail("m6"), mailbox)
    with dovecot.imap() as c:
        c.select(f'"{mailbox}"')
        c.uid("STORE", "6", "+FLAGS", "(\\Deleted)")
        c.expunge()
    result = await poll(values, params, cursor)
    assert subjects(result) == ["m6"] and result.cursor["last_uid"] == 7


async def test_uidvalidity_change_rebaselines(
    dovecot: LocalImap, mailbox: str, loopback: None, caplog: pytest.LogCaptureFixture
) -> None:
    values = dovecot.credentials()
    params = {"mailbox": mailbox}
    base = await poll(values, params, None)
    dovecot.deliver(mail("before"), mailbox)
    got = await poll(values, params, base.cursor)
    assert subjects(got) == ["before"]
    dovecot.recreate(mailbox)  # a new UIDVALIDITY: UID 1 is another message now
    dovecot.deliver(mail("in the new mailbox"), mailbox)
    with caplog.at_level(logging.WARNING, logger="wirework.integrations.imap.triggers"):
        rebased = await poll(values, params, got.cursor)
    assert f"UIDVALIDITY of {mailbox} changed" in caplog.text
    assert rebased.items == []
    assert rebased.cursor["uidvalidity"] != got.cursor["uidvalidity"]
    assert rebased.cursor["last_uid"] == 1
    dovecot.deliver(mail("after"), mailbox)
    assert subjects(await poll(values, params, rebased.cursor)) == ["after"]


async def test_bodies_and_attachments(dovecot: LocalImap, mailbox: str, loopback: None) -> None:
    values = dovecot.credentials()
    params = {"mailbox": mailbox, "attachment_max_bytes": 2000}
    base = await poll(values, params, None)
    msg = mail("invoice 42", text="See attached.")
    msg["Cc"] = "Bob <bob@customer.example>, carol@customer.example"
    msg.add_alternative("<p>See <b>attached</b>.</p>", subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="octet-stream",
                       filename="big.bin")  # fmt: skip
    dovecot.deliver(msg, mailbox)
    [item] = (await poll(values, params, base.cursor)).items
    assert item["from"] == "ada@customer.example"
    assert item["from_header"] == "Ada Lovelace <ada@customer.example>"
    assert item["to"] == [USER]
    assert item["cc"] == ["bob@customer.example", "carol@customer.example"]
    assert item["subject"] == "invoice 42"
    assert item["message_id"] == "<invoice-42@customer.example>"
    assert item["date"] == "2026-12-07T10:00:00+00:00"
    assert item["text"].strip() == "See attached."
    assert "<b>attached</b>" in item["html"]
    pdf, big = item["attachments"]
    import base64

    assert pdf == {"filename": "invoice.pdf", "content_type": "application/pdf",
                   "size": len(PDF), "data": base64.b64encode(PDF).decode()}  # fmt: skip
    assert big == {"filename": "big.bin", "content_type": "application/octet-stream",
                   "size": 5000, "data": None}  # fmt: skip


async def test_criteria_and_mark_seen(dovecot: LocalImap, mailbox: str, loopback: None) -> None:
    values = dovecot.credentials()
    params = {"mailbox": mailbox, "criteria": 'UNSEEN FROM "billing@vendor.example"',
              "mark_seen": True}  # fmt: skip
    base = await poll(values, params, None)
    dovecot.deliver(mail("chit-chat"), mailbox)
    dovecot.deliver(mail("invoice read", sender="billing@vendor.example"), mailbox, "\\Seen")
    dovecot.deliver(mail("invoice new", sender="billing@vendor.example"), mailbox)
    got = await poll(values, params, base.cursor)
    assert subjects(got) == ["invoice new"]
    assert got.cursor["last_uid"] == 3
    flags = dovecot.flags(mailbox)
    assert "\\Seen" not in flags[0] and "\\Seen" in flags[2]
    # Without mark_seen the mailbox is opened read-only and nothing is marked.
    dovecot.deliver(mail("invoice peek", sender="billing@vendor.example"), mailbox)
    peek = await poll(values, {**params, "mark_seen": False}, got.cursor)
    assert subjects(peek) == ["invoice peek"] and "\\Seen" not in dovecot.flags(mailbox)[3]


async def test_get_messages_action(dovecot: LocalImap, mailbox: str, loopback: None) -> None:
    for n in range(3):
        dovecot.deliver(mail(f"g{n}"), mailbox, "\\Seen" if n == 0 else "")
    values = credentials(dovecot.credentials(), SECRETS)
    run = await run_node("imap.get_messages", {"mailbox": mailbox, "criteria": "UNSEEN",
                                               "limit": 1}, values)  # fmt: skip
    assert [i["subject"] for i in output(run)] == ["g2"]
    missing = await run_node("imap.get_messages", {"mailbox": "No-Such-Box"}, values)
    message = failure(missing)
    assert message.startswith("IMAP: get messages failed:") and "No-Such-Box" in message


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_with_a_private_ca(
    security: str, dovecot: LocalImap, imap_cert: Certificate, mailbox: str, loopback: None
) -> None:
    port = dovecot.tls_port if security == "tls" else dovecot.port
    values = dovecot.credentials(host="localhost", port=port, security=security,
                                 ca_pem=imap_cert.cert_pem)  # fmt: skip
    ok, text = await registry.tester("imap")(values)
    assert ok, text
    assert text == f"connected to localhost:{port} ({security.upper()}) as {USER}"
    dovecot.deliver(mail("over tls"), mailbox)
    run = await run_node("imap.get_messages", {"mailbox": mailbox},
                         credentials(values, SECRETS))  # fmt: skip
    assert [i["subject"] for i in output(run)] == ["over tls"]
    ok, text = await registry.tester("imap")({**values, "ca_pem": None})  # the system CAs
    assert not ok and text.startswith("IMAP: ") and "certificate" in text.lower()


async def test_bad_login(dovecot: LocalImap, mailbox: str, loopback: None) -> None:
    values = dovecot.credentials(password="wrong-pass-999")
    ok, text = await registry.tester("imap")(values)
    assert not ok and text.startswith("IMAP: login failed:")
    assert "AUTHENTICATIONFAILED" in text and "wrong-pass-999" not in text
    run = await run_node("imap.get_messages", {"mailbox": mailbox}, credentials(values, SECRETS))
    message = failure(run)
    assert message.startswith("IMAP: login failed:") and "wrong-pass-999" not in message
    assert PASSWORD not in message
    with pytest.raises(Exception, match="IMAP: login failed") as caught:
        await poll(values, {"mailbox": mailbox}, None)
    assert "wrong-pass-999" not in str(caught.value)


async def test_loopback_refused_without_allow_list(dovecot: LocalImap) -> None:
    ok, text = await registry.tester("imap")(dovecot.credentials())
    assert not ok and text.startswith("IMAP: ") and "blocked" in text
    run = await run_node("imap.get_messages", {}, credentials(dovecot.credentials(), SECRETS))
    assert "blocked" in failure(run)


def test_params_refuse_injection() -> None:
    from pydantic import ValidationError

    for bad in ({"criteria": "ALL\r\nA1 DELETE INBOX"}, {"mailbox": "INBOX\r\n"}):
        with pytest.raises(ValidationError, match="line breaks"):
            NewMail.model_validate(bad)
    with pytest.raises(ValidationError, match="literals"):
        NewMail.model_validate({"criteria": "SUBJECT {5}"})


async def test_received_attachments_forward_through_smtp(
    dovecot: LocalImap, imap_cert: Certificate, mailbox: str, loopback: None
) -> None:
    """An item of imap.new_mail goes to smtp.send as is: its attachments are binary data."""
    from tests.integrations.smtp.local_smtp import local_smtp

    values = dovecot.credentials()
    params = {"mailbox": mailbox, "attachment_max_bytes": 2000}
    base = await poll(values, params, None)
    msg = mail("fwd me")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    dovecot.deliver(msg, mailbox)
    [item] = (await poll(values, params, base.cursor)).items
    send = {"to": ["accounting@acme.example"], "subject": "Fwd: {{ json.subject }}",
            "text": "{{ json.text }}", "attachment_fields": ["attachments"]}  # fmt: skip
    with local_smtp("starttls", imap_cert) as smtp:
        smtp_values = credentials(smtp.credentials(), {"password"})
        output(await run_node("smtp.send", send, smtp_values, items=[item]))
        [got] = smtp.received
        [attached] = list(got.message.iter_attachments())
        assert attached.get_filename() == "invoice.pdf" and attached.get_content() == PDF
        assert got.message["Subject"] == "Fwd: fwd me"
        # Too large for the trigger's limit: no content, and a message saying so.
        item["attachments"][0]["data"] = None
        run = await run_node("smtp.send", send, smtp_values, items=[item])
        assert "attachment_max_bytes" in failure(run)
