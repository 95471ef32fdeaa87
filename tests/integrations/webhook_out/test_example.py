"""examples/order_webhook_out.yaml through the real app: a paid order posted to the shop's
webhook reaches the partner's receiver signed (verified with the standardwebhooks
package); an unpaid one is filtered out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.integrations.fakes import serving
from tests.integrations.webhook_out.receiver import SECRET, Receiver
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

EXAMPLE = Path(__file__).parents[3] / "examples" / "order_webhook_out.yaml"


@pytest.fixture
def receiver(loopback: None) -> Iterator[Receiver]:
    with serving(Receiver()) as fake:
        assert isinstance(fake, Receiver)
        yield fake


async def test_paid_orders_reach_the_partner_signed(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    host = await ensure_engine(runtime)
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Partner",
            "type": "webhook_out",
            "credentials": {"url": f"{receiver.url}/hooks/orders", "secret": SECRET},
        },
    )
    assert made.status_code == 201, made.text
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    for node in doc["nodes"]:
        if node["type"] == "webhook_out.send":
            node["integration_id"] = made.json()["id"]
    doc["active"] = True
    saved = await client.post("/api/workflows", json=doc)
    assert saved.status_code == 201, saved.text
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
