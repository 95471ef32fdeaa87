"""The e-mail examples run end to end against local servers: the order confirmation sends
its HTML mail with the invoice attached (aiosmtpd), the support-mail workflow files the
message in Jira (the fake) and acknowledges it with the issue key."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.certificates import Certificate, self_signed
from tests.integrations.jira.fake_server import EMAIL, TOKEN, FakeJira
from tests.integrations.smtp.local_smtp import local_smtp
from tests.integrations.workflows import example, run_in_engine
from wirework.engine.executor import ExecutionRun
from wirework.sdk.outbound import IntegrationCredentials

# aiosmtpd warns that AUTH is allowed without STARTTLS: on implicit TLS it is TLS already.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
PDF = b"%PDF-1.4 invoice 1042"


async def run_example(
    name: str, integrations: dict[int, IntegrationCredentials], items: list[dict[str, Any]]
) -> ExecutionRun:
    run = await run_in_engine(example(name), integrations, items)
    assert run.record.status == "success", run.record.error
    return run


def smtp_values(server: Any, iid: int) -> IntegrationCredentials:
    return IntegrationCredentials(
        server.credentials(), integration_id=iid, name="smtp", secret_fields={"password"}
    )


async def test_order_confirmation(loopback: None) -> None:
    cert: Certificate = self_signed()
    order = {
        "id": 1042,
        "email": "ada@customer.example",
        "name": "Ada",
        "total": "59.00 EUR",
        "lines": [{"title": "Gear <XL>", "qty": 2}],
        "invoice": {
            "filename": "invoice-1042.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(PDF).decode(),
        },
    }
    with local_smtp("starttls", cert) as server:
        run = await run_example(
            "order_confirmation_email.yaml", {4: smtp_values(server, 4)}, [{"body": order}]
        )
        [got] = server.received
    assert sorted(got.recipients) == ["ada@customer.example", "orders-archive@acme.example"]
    msg = got.message
    assert msg["To"] == "Ada <ada@customer.example>"
    assert msg["From"] == "Acme Shop <shop@acme.example>"
    assert msg["X-Order-Id"] == "1042"
    html = msg.get_body(("html",))
    assert html is not None and "Gear &lt;XL&gt;" in html.get_content()
    [invoice] = list(msg.iter_attachments())
    assert invoice.get_filename() == "invoice-1042.pdf" and invoice.get_content() == PDF
    assert run.outputs["answer"]["main"][0]["message_id"] == msg["Message-ID"]


async def test_support_mail_to_jira(jira_server: FakeJira) -> None:
    cert = self_signed()
    mail = {
        "uid": 7,
        "from": "ada@customer.example",
        "from_header": "Ada <ada@customer.example>",
        "to": ["support@acme.example"],
        "subject": "Cannot log in",
        "date": "2026-12-07T10:00:00+00:00",
        "message_id": "<q1@customer.example>",
        "text": "Since this morning.",
        "html": None,
        "attachments": [{"filename": "screen.png", "content_type": "image/png", "size": 3}],
    }
    jira = IntegrationCredentials(
        {"base_url": jira_server.url, "email": EMAIL, "api_token": TOKEN},
        integration_id=1,
        name="jira",
        secret_fields={"api_token"},
    )
    jira_server.projects["SUP"] = "10002"
    with local_smtp("tls", cert) as server:
        await run_example("support_mail_to_jira.yaml", {1: jira, 4: smtp_values(server, 4)}, [mail])
        [got] = server.received
    [created] = jira_server.seen("POST", "/rest/api/3/issue")
    fields = created.json()["fields"]
    assert fields["summary"] == "Cannot log in" and fields["project"] == {"key": "SUP"}
    key = next(iter(jira_server.issues))
    assert got.recipients == ["ada@customer.example"]
    assert got.message["Subject"] == f"[{key}] Cannot log in"
    assert got.message["In-Reply-To"] == "<q1@customer.example>"
    assert key in got.message.get_content()
