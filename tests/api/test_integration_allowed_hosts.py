"""An integration's allowed hosts over the API (create, update, shown in every response) and
enforced when a workflow step uses the integration — on every database, with real local
HTTP servers as the API and as the host that must not get the credentials."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sdk.servers import Served, local_server
from wirework.sdk.outbound import OutboundPolicy, set_policy

SECRET = "api-key-that-must-stay-home"
TYPE = {
    "name": "crm",
    "parameters": [
        {"name": "base_url", "type": "string", "required": False},
        {"name": "api_key", "type": "password", "required": True},
    ],
}


@pytest.fixture
async def crm(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/integration-types", json=TYPE)
    assert resp.status_code == 201, resp.text


@pytest.fixture
def servers() -> Iterator[tuple[Served, Served]]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with local_server() as a, local_server() as b:
            yield a, b
    finally:
        set_policy(None)


def fields(resp: httpx.Response) -> list[str]:
    return [e["field"].removeprefix("body.") for e in resp.json()["errors"]]


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    payload = {"name": "CRM", "type": "crm", "credentials": {"api_key": SECRET}, **body}
    return await client.post("/api/integrations", json=payload)


async def test_allowed_hosts_are_stored_normalized_and_returned(
    client: httpx.AsyncClient, crm: None
) -> None:
    resp = await create(client, allowed_hosts=["API.Example.com", "*.acme.io:8443", "10.0.0.5"])
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["allowed_hosts"] == ["api.example.com", "*.acme.io:8443", "10.0.0.5"]
    integration_id = body["id"]
    assert (await client.get(f"/api/integrations/{integration_id}")).json()["allowed_hosts"] == [
        "api.example.com",
        "*.acme.io:8443",
        "10.0.0.5",
    ]
    listed = (await client.get("/api/integrations")).json()
    assert listed[0]["allowed_hosts"] == body["allowed_hosts"]

    resp = await client.patch(f"/api/integrations/{integration_id}", json={"name": "CRM 2"})
    assert resp.json()["allowed_hosts"] == body["allowed_hosts"]  # omitted: unchanged
    resp = await client.patch(f"/api/integrations/{integration_id}", json={"allowed_hosts": ["*"]})
    assert resp.status_code == 200 and resp.json()["allowed_hosts"] == ["*"]
    resp = await client.put(f"/api/integrations/{integration_id}", json={"allowed_hosts": None})
    assert resp.status_code == 200 and resp.json()["allowed_hosts"] is None  # the default again


async def test_without_allowed_hosts_the_default_is_null(
    client: httpx.AsyncClient, crm: None
) -> None:
    resp = await create(client)
    assert resp.status_code == 201 and resp.json()["allowed_hosts"] is None


@pytest.mark.parametrize(
    ("hosts", "field"),
    [
        (["ok.example", "https://bad.example/x"], "allowed_hosts[1]"),
        (["a.*.example"], "allowed_hosts[0]"),
        (["*.10.0.0.1"], "allowed_hosts[0]"),
        (["x.example:70000"], "allowed_hosts[0]"),
        ([""], "allowed_hosts[0]"),
        ("api.example.com", "allowed_hosts"),
        ([f"h{i}.example" for i in range(101)], "allowed_hosts"),
    ],
)
async def test_bad_allowed_hosts_are_a_422_naming_the_entry(
    client: httpx.AsyncClient, crm: None, hosts: Any, field: str
) -> None:
    resp = await create(client, allowed_hosts=hosts)
    assert resp.status_code == 422, resp.text
    assert field in fields(resp)
    assert (await client.get("/api/integrations")).json() == []  # nothing half-written
    good = await create(client)
    resp = await client.patch(
        f"/api/integrations/{good.json()['id']}", json={"allowed_hosts": hosts}
    )
    assert resp.status_code == 422 and field in fields(resp)
    await client.delete(f"/api/integrations/{good.json()['id']}")


async def run_request(client: httpx.AsyncClient, integration_id: int, url: str) -> dict[str, Any]:
    doc = {
        "name": f"call {url}",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {
                "id": "call",
                "type": "core.http_request",
                "params": {"url": url, "integration_id": integration_id},
            },
        ],
        "connections": [{"from": "start", "to": "call"}],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    resp = await client.post(f"/api/workflows/{resp.json()['id']}/execute?wait=true", json={})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_a_step_cannot_send_an_integrations_credentials_to_another_host(
    client: httpx.AsyncClient, crm: None, servers: tuple[Served, Served]
) -> None:
    home, elsewhere = servers
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Home CRM",
            "type": "crm",
            "credentials": {"base_url": home.url, "api_key": SECRET},
        },
    )
    integration_id = resp.json()["id"]

    record = await run_request(client, integration_id, f"{elsewhere.url}/echo")
    assert record["status"] == "error"
    message = record["error"]["message"]
    assert f"127.0.0.1:{elsewhere.port}" in message and "'Home CRM'" in message
    assert "allowed_hosts" in message and SECRET not in str(record)
    assert elsewhere.requests == []

    record = await run_request(client, integration_id, "/echo")  # its own host: fine
    assert record["status"] == "success", record["error"]
    assert home.requests[-1].headers["x-api-key"] == SECRET

    await client.patch(
        f"/api/integrations/{integration_id}",
        json={"allowed_hosts": [f"127.0.0.1:{elsewhere.port}"]},
    )
    record = await run_request(client, integration_id, f"{elsewhere.url}/echo")
    assert record["status"] == "success", record["error"]
    assert elsewhere.requests[-1].headers["x-api-key"] == SECRET
    record = await run_request(client, integration_id, "/echo")  # the explicit list replaces
    assert record["status"] == "error" and "may not send" in record["error"]["message"]


async def test_an_integration_without_base_url_needs_allowed_hosts(
    client: httpx.AsyncClient, crm: None, servers: tuple[Served, Served]
) -> None:
    home, _ = servers
    integration_id = (await create(client)).json()["id"]
    record = await run_request(client, integration_id, f"{home.url}/echo")
    assert record["status"] == "error"
    assert "set allowed_hosts" in record["error"]["message"] and home.requests == []
    await client.patch(f"/api/integrations/{integration_id}", json={"allowed_hosts": ["*"]})
    record = await run_request(client, integration_id, f"{home.url}/echo")
    assert record["status"] == "success", record["error"]
