"""smtp.send and the connection test against a real local SMTP server (aiosmtpd) with
STARTTLS and implicit TLS on a throw-away certificate, AUTH PLAIN/LOGIN: the MIME that
arrives (alternative HTML, attachments, headers, Bcc only in the envelope), the Message-ID
from the idempotency key, refused recipients and logins as clear messages without the
password, header injection refused, and 127.0.0.1 refused without the test's allow-list."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.certificates import Certificate, self_signed
from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.smtp.local_smtp import PASSWORD, USER, LocalSmtp, local_smtp
from wirework.integrations.smtp import SMTP
from wirework.sdk.registry import registry

# aiosmtpd warns that AUTH is allowed without STARTTLS: on implicit TLS it is TLS already.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SECRETS = {"password"}
PDF = b"%PDF-1.4 fake invoice\n" + bytes(range(256))


@pytest.fixture(scope="module")
def cert() -> Certificate:
    return self_signed("localhost")


@pytest.fixture(params=["starttls", "tls"])
def smtp(request: pytest.FixtureRequest, cert: Certificate, loopback: None) -> Iterator[LocalSmtp]:
    with local_smtp(request.param, cert) as server:
        yield server


async def test_send_html_alternative_attachments_headers(smtp: LocalSmtp) -> None:
    item = {"order": 1042, "invoice": {"filename": "invoice.pdf", "content_type": "application/pdf",
                                       "data": base64.b64encode(PDF).decode()}}  # fmt: skip
    params = {
        "to": ["Ada Lovelace <ada@customer.example>", "bob@customer.example"],
        "cc": ['"Doe, Jane" <jane@customer.example>'],
        "bcc": ["audit@acme.example"],
        "subject": "Your order #1042 — confirmed",
        "text": "Thanks for your order!",
        "html": "<p>Thanks for your <b>order</b>!</p>",
        "reply_to": ["support@acme.example"],
        "headers": {"X-Order": "1042"},
        "attachments": [{"filename": "terms.txt", "data": base64.b64encode(b"Terms").decode()}],
        "attachment_fields": ["invoice"],
    }
    run = await run_node("smtp.send", params, credentials(smtp.credentials(), SECRETS),
                         items=[item])  # fmt: skip
    [out] = output(run)
    [got] = smtp.received
    assert got.sender == USER
    assert sorted(got.recipients) == sorted(
        ["ada@customer.example", "bob@customer.example", "jane@customer.example",
         "audit@acme.example"]
    )  # fmt: skip
    msg = got.message
    assert msg["From"] == f"Acme Robot <{USER}>"
    assert msg["To"] == "Ada Lovelace <ada@customer.example>, bob@customer.example"
    assert msg["Cc"] == '"Doe, Jane" <jane@customer.example>'
    assert msg["Bcc"] is None and b"audit@" not in got.raw
    assert msg["Subject"] == "Your order #1042 — confirmed"
    assert msg["Reply-To"] == "support@acme.example"
    assert msg["X-Order"] == "1042"
    assert msg["Message-ID"] == out["message_id"]
    assert out["message_id"].endswith("@acme.example>")
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(("html",))
    assert body is not None and "<b>order</b>" in body.get_content()
    alternative = msg.get_body(("plain",))
    assert alternative is not None and alternative.get_content().strip() == "Thanks for your order!"
    assert next(msg.iter_parts()).get_content_type() == "multipart/alternative"
    files = {
        a.get_filename(): (a.get_content_type(), a.get_content()) for a in msg.iter_attachments()
    }
    assert files["invoice.pdf"] == ("application/pdf", PDF)
    assert files["terms.txt"][0] == "text/plain" and files["terms.txt"][1].strip() == "Terms"
    assert out["accepted"] and out["refused"] == {}
    assert smtp.logins == [("PLAIN", USER)]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_auth_mechanisms(mechanism: str, cert: Certificate, loopback: None) -> None:
    excluded = [m for m in ("PLAIN", "LOGIN") if m != mechanism]
    with local_smtp("starttls", cert, exclude=excluded) as server:
        params = {"to": ["ada@customer.example"], "subject": "s", "text": "t"}
        output(await run_node("smtp.send", params, credentials(server.credentials(), SECRETS)))
        assert server.logins == [(mechanism, USER)]


async def test_message_id_follows_the_idempotency_key(smtp: LocalSmtp) -> None:
    values = credentials(smtp.credentials(), SECRETS)
    params = {"to": ["ada@customer.example"], "subject": "hi", "text": "x"}
    first = output(await run_node("smtp.send", params, values))[0]["message_id"]
    second = output(await run_node("smtp.send", params, values))[0]["message_id"]
    assert first != second  # another execution, another step
    from wirework.integrations.smtp.actions import message_id

    assert message_id("e1:n:0", USER) == message_id("e1:n:0", USER)  # a retry: the same
    assert message_id("e1:n:0", USER) != message_id("e1:n:1", USER)


async def test_html_only_and_partial_refusal(smtp: LocalSmtp) -> None:
    smtp.refuse["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    params = {"to": ["ada@customer.example", "gone@customer.example"], "subject": "s",
              "html": "<h1>Hi</h1>"}  # fmt: skip
    [out] = output(await run_node("smtp.send", params, credentials(smtp.credentials(), SECRETS)))
    assert out["accepted"] == ["ada@customer.example"]
    assert out["refused"] == {"gone@customer.example": "550 5.1.1 mailbox unavailable"}
    assert smtp.received[0].message.get_content_type() == "text/html"


async def test_every_recipient_refused(smtp: LocalSmtp) -> None:
    smtp.refuse["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    params = {"to": ["gone@customer.example"], "subject": "s", "text": "t"}
    message = failure(await run_node("smtp.send", params, credentials(smtp.credentials(), SECRETS)))
    assert message.startswith("SMTP: send failed:")
    assert "550" in message and "mailbox unavailable" in message
    assert not smtp.received


async def test_bad_login(smtp: LocalSmtp) -> None:
    values = credentials(smtp.credentials(password="wrong-password-123"), SECRETS)
    params = {"to": ["ada@customer.example"], "subject": "s", "text": "t"}
    message = failure(await run_node("smtp.send", params, values))
    assert message.startswith("SMTP: login failed:") and "535" in message
    assert "wrong-password-123" not in message and PASSWORD not in message
    ok, text = await registry.tester("smtp")(smtp.credentials(password="wrong-password-123"))
    assert not ok and "535" in text and "wrong-password-123" not in text


async def test_connection_test(smtp: LocalSmtp) -> None:
    ok, text = await registry.tester("smtp")(smtp.credentials())
    mode = "STARTTLS" if smtp.security == "starttls" else "TLS"
    assert ok, text
    assert text == f"connected to localhost:{smtp.port} ({mode}) as {USER}"


async def test_untrusted_certificate(smtp: LocalSmtp) -> None:
    other = self_signed("localhost")  # not the server's CA
    ok, text = await registry.tester("smtp")(smtp.credentials(ca_pem=other.cert_pem))
    assert not ok and text.startswith("SMTP: ") and "certificate" in text.lower()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"headers": {"X-Evil": "a\r\nBcc: victim@x.example"}}, "line breaks are not allowed"),
        ({"headers": {"Bad Name": "x"}}, "is not a header name"),
        ({"headers": {"Content-Type": "text/plain"}}, "set by its own parameter"),
        ({"subject": "hi\r\nBcc: victim@x.example"}, "line breaks are not allowed"),
        ({"to": ["not-an-address"]}, "params.to"),
        ({"to": ["a@b.example\r\nBcc: v@x.example"]}, "params.to"),
        ({"text": None, "html": None}, "params.text"),
        ({"to": []}, "params.to: give at least one recipient"),
        ({"attachments": [{"filename": "a.bin", "data": "***"}]}, "not valid base64"),
        ({"attachment_fields": ["missing"]}, "the item has no 'missing'"),
    ],
)
async def test_refused_params(
    params: dict[str, object], expected: str, cert: Certificate, loopback: None
) -> None:
    with local_smtp("starttls", cert) as server:
        base = {"to": ["ada@customer.example"], "subject": "s", "text": "t"}
        message = failure(
            await run_node(
                "smtp.send", {**base, **params}, credentials(server.credentials(), SECRETS)
            )
        )
        assert expected in message
        assert not server.received


async def test_loopback_refused_without_allow_list(cert: Certificate) -> None:
    with local_smtp("starttls", cert, host="127.0.0.1") as server:
        params = {"to": ["ada@customer.example"], "subject": "s", "text": "t"}
        message = failure(
            await run_node("smtp.send", params, credentials(server.credentials(), SECRETS))
        )
        assert message.startswith("SMTP: ") and "blocked" in message
        assert not server.received


def test_declared_native() -> None:
    assert SMTP.base_url is None and SMTP.native is not None


async def test_starttls_is_never_skipped(cert: Certificate, loopback: None) -> None:
    """A server without STARTTLS fails a starttls integration; it is not sent in plain text."""
    with local_smtp("none", cert) as server:
        values = server.credentials(security="starttls", username=None, password=None)
        params = {"to": ["ada@customer.example"], "subject": "s", "text": "t"}
        message = failure(await run_node("smtp.send", params, credentials(values, SECRETS)))
        assert message.startswith("SMTP: send failed:") and "STARTTLS" in message
        assert not server.received


async def test_plain_relay_without_login(cert: Certificate, loopback: None) -> None:
    with local_smtp("none", cert) as server:
        values = server.credentials(security="none", username=None, password=None)
        params = {"to": ["ada@customer.example"], "from_address": "shop@acme.example",
                  "subject": "s", "text": "t"}  # fmt: skip
        [out] = output(await run_node("smtp.send", params, credentials(values, SECRETS)))
        assert out["accepted"] == ["ada@customer.example"]
        assert server.received[0].message["From"] == "shop@acme.example"
        assert server.logins == []
        ok, text = await registry.tester("smtp")(values)
        assert ok and text == f"connected to localhost:{server.port} (no encryption)"
