"""AI end to end through the API, on every database: an OpenAI-compatible integration (a real
local server speaking OpenAI's API), a prompt template from the library, a workflow whose
``ai.chat`` step uses both; the step's tokens and cost in the execution record, the usage
totals by template, and a daily spending limit that stops the next run before any call."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.sdk.outbound import OutboundPolicy, set_policy

KEY = "sk-e2e-key-that-must-not-leak"


@pytest.fixture
def model_server() -> Iterator[OpenAIServer]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with OpenAIServer() as server:
            yield server
    finally:
        set_policy(None)


async def setup(client: httpx.AsyncClient, server: OpenAIServer) -> tuple[int, int]:
    """The integration, the price, the template and the workflow; (workflow, integration)."""
    integration = await client.post(
        "/api/integrations",
        json={
            "name": "Models",
            "type": "openai",
            "credentials": {"base_url": server.url + "/v1", "api_key": KEY},
        },
    )
    assert integration.status_code == 201, integration.text
    iid = integration.json()["id"]
    price = {"provider": "openai", "model": "gpt-4o", "input_per_million": "2.5",
             "output_per_million": "10"}  # fmt: skip
    assert (await client.post("/api/ai/prices", json=price)).status_code == 201
    template = {
        "name": "reply",
        "messages": [
            {"role": "system", "content": "You answer {{ product }} tickets."},
            {"role": "user", "content": "{{ ticket | upper }}"},
        ],
        "variables": {"product": "Sample", "ticket": "sample ticket"},
    }
    assert (await client.post("/api/ai/templates", json=template)).status_code == 201
    chat: dict[str, Any] = {
        "id": "chat",
        "type": "ai.chat",
        "params": {
            "integration_id": iid,
            "model": "gpt-4o-2024-08-06",
            "template": {
                "name": "reply",
                "variables": {"product": "Wirework", "ticket": "{{ json.ticket }}"},
            },
        },
    }
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Answer",
            "nodes": [{"id": "start", "type": "core.manual"}, chat],
            "connections": [{"from": "start", "to": "chat"}],
        },
    )
    assert flow.status_code == 201, flow.text
    return flow.json()["id"], iid


async def test_a_templated_chat_step_is_priced_counted_and_limited(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid, _ = await setup(client, model_server)
    model_server.script(Reply(text="Restart it.", input_tokens=1000, output_tokens=200))

    run = await client.post(
        f"/api/workflows/{wid}/execute?wait=true", json={"input": {"ticket": "it hangs"}}
    )
    record = run.json()
    assert record["status"] == "success", run.text
    sent = model_server.requests[-1].json
    assert sent["model"] == "gpt-4o-2024-08-06"
    assert sent["messages"] == [
        {"role": "system", "content": "You answer Wirework tickets."},
        {"role": "user", "content": "IT HANGS"},
    ]
    step = next(s for s in record["steps"] if s["node_id"] == "chat")
    usage = step["usage"]
    assert (usage["calls"], usage["input_tokens"], usage["output_tokens"]) == (1, 1000, 200)
    # 1,000 input tokens at 2.5 and 200 output tokens at 10 per million; the dated model
    # name is priced as gpt-4o.
    assert Decimal(usage["cost"]) == Decimal("0.0045")

    totals = await client.get("/api/ai/usage", params={"group_by": "template"})
    assert totals.status_code == 200, totals.text
    rows = totals.json()["groups"]
    (row,) = [r for r in rows if r["key"] == "reply@1"]
    assert Decimal(row["cost"]) == Decimal("0.0045") and row["input_tokens"] == 1000

    # Today's spend already passes the workflow's limit: the next run stops before calling.
    limit = {"scope": "workflow", "scope_id": wid, "daily_limit": "0.004"}
    assert (await client.put("/api/ai/limits", json=limit)).status_code == 200
    calls = len(model_server.requests)
    stopped = (
        await client.post(
            f"/api/workflows/{wid}/execute?wait=true", json={"input": {"ticket": "x"}}
        )
    ).json()
    assert stopped["status"] == "error"
    message = stopped["error"]["message"]
    assert "limit" in message and str(wid) in message, message
    assert len(model_server.requests) == calls  # no model call was made
    assert KEY not in model_server.bodies()
