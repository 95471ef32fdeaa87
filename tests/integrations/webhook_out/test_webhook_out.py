"""The outgoing webhook against a local receiver that verifies with the standardwebhooks
package: signatures, a webhook-id stable across retries, 5xx/429 retried with backoff, errors
named, the secret never recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer, serving
from tests.integrations.webhook_out.receiver import SECRET, Receiver
from wirework.integrations.webhook_out.actions import message_id
from wirework.sdk.registry import registry


@pytest.fixture
def receiver(loopback: None) -> Iterator[Receiver]:
    with serving(Receiver()) as fake:
        assert isinstance(fake, Receiver)
        yield fake


def out_creds(server: Receiver, secret: str = SECRET) -> Any:
    return credentials(
        {"url": f"{server.url}/hooks/orders", "secret": secret}, {"secret"}, name="Partner"
    )


async def test_signed_deliveries_verify_with_the_reference_verifier(receiver: Receiver) -> None:
    order = {"order_id": 42, "total": 99.5, "customer": "Zoë"}
    run = await run_node("webhook_out.send", {}, out_creds(receiver), [order])
    out = output(run)[0]
    [got] = receiver.accepted
    assert got["payload"] == order  # the item as it is
    assert out["webhook_id"] == got["id"] == message_id(f"{run.record.id}:n:0")
    assert out["status"] == 200 and out["response"] == {"status": "received"}
    assert got["headers"]["webhook-signature"].startswith("v1,")
    assert got["headers"]["content-type"] == "application/json"
    wrapped = await run_node(
        "webhook_out.send",
        {"event_type": "order.created", "payload": {"order_id": 7}},
        out_creds(receiver),
    )
    output(wrapped)
    payload = receiver.accepted[-1]["payload"]
    assert payload["type"] == "order.created" and payload["data"] == {"order_id": 7}
    assert payload["timestamp"].endswith("Z")


async def test_a_wrong_secret_is_refused_by_the_receiver(receiver: Receiver) -> None:
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    run = await run_node("webhook_out.send", {"payload": {"a": 1}}, out_creds(receiver, other))
    message = failure(run)
    assert message.startswith("Outgoing webhook answered HTTP 400 to POST /hooks/orders: signature")
    assert other not in json.dumps(run.record.error) and not receiver.accepted


async def test_server_errors_are_retried_with_the_same_webhook_id(receiver: Receiver) -> None:
    receiver.inject(
        Answer(503, {"message": "busy"}, {"Retry-After": "0"}),
        Answer(429, {"message": "slow down"}, {"Retry-After": "0"}),
    )
    run = await run_node("webhook_out.send", {"payload": {"n": 1}}, out_creds(receiver))
    output(run)
    sent = receiver.seen("POST", "/hooks/orders")
    assert len(sent) == 3
    assert len({r.headers["webhook-id"] for r in sent}) == 1
    assert len(receiver.accepted) == 1


async def test_spent_retries_fail_naming_the_receiver(receiver: Receiver) -> None:
    receiver.inject(*[Answer(500, {"message": "down for maintenance"}, {"Retry-After": "0"})] * 4)
    run = await run_node("webhook_out.send", {"payload": {"n": 1}}, out_creds(receiver))
    assert failure(run) == (
        "Outgoing webhook answered HTTP 500 to POST /hooks/orders: down for maintenance"
    )
    assert len(receiver.seen("POST", "/hooks/orders")) == 4


async def test_network_errors_are_retried_then_named(loopback: None) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    creds = credentials({"url": f"http://127.0.0.1:{port}/hooks", "secret": SECRET}, {"secret"})
    run = await run_node("webhook_out.send", {"payload": {}}, creds)
    assert failure(run).startswith("Outgoing webhook: POST http://127.0.0.1:")
    assert SECRET not in json.dumps(run.record.error)


async def test_reserved_headers_and_bad_secrets_are_refused(receiver: Receiver) -> None:
    run = await run_node("webhook_out.send", {"headers": {"Webhook-Id": "x"}}, out_creds(receiver))
    assert failure(run) == "params.headers: Webhook-Id is set by the webhook"
    bad = await run_node("webhook_out.send", {}, out_creds(receiver, "whsec_not base64!"))
    assert "credentials.secret" in failure(bad) and "whsec_not" not in failure(bad)


async def test_connection_test(receiver: Receiver) -> None:
    tester = registry.tester("webhook_out")
    assert tester is not None
    ok, message = await tester(out_creds(receiver))
    assert ok and "HTTP 501" in message  # the fake does not do HEAD: any answer will do
