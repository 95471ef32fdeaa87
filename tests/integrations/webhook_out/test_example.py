"""examples/order_webhook_out.yaml through the real app: a paid order posted to the shop's
webhook reaches the partner's receiver signed (verified with the standardwebhooks
package); an unpaid one is filtered out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.integrations.fakes import serving
from tests.integrations.webhook_out.receiver import SECRET, Receiver
from tests.integrations.workflows import add_integration, example, save_active
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime


@pytest.fixture
def receiver(loopback: None) -> Iterator[Receiver]:
    with serving(Receiver()) as fake:
        assert isinstance(fake, Receiver)
        yield fake


async def test_paid_orders_reach_the_partner_signed(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    host = await ensure_engine(runtime)
    creds = {"url": f"{receiver.url}/hooks/orders", "secret": SECRET}
    iid = await add_integration(client, "webhook_out", creds, name="Partner")
    await save_active(client, example("order_webhook_out.yaml", {"webhook_out": iid}))
    for order in ({"id": 1, "status": "paid", "total": 19.9}, {"id": 2, "status": "pending"}):
        resp = await client.post("/webhook/orders", json=order)
        started = host.runner.running.get(resp.json()["execution_id"])
        if started is not None:
            await started.wait()
    [got] = receiver.accepted
    assert got["payload"]["type"] == "order.paid"
    assert got["payload"]["data"] == {"order_id": 1, "total": 19.9, "currency": "EUR"}
    await host.runner.store.flush()
    record = (await client.get(f"/api/executions/{resp.json()['execution_id']}")).json()
    assert SECRET not in json.dumps(record)
