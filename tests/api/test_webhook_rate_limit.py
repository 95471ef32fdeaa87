"""Webhook rate limits (core.webhook ``rate_limit``): calls over the limit are answered 429
with Retry-After and start nothing; the parameter is checked when the workflow is saved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def hook_doc(path: str, rate_limit: Any) -> dict[str, Any]:
    return {
        "name": f"limited {path}",
        "nodes": [
            {
                "id": "hook",
                "type": "core.webhook",
                "params": {"path": path, "rate_limit": rate_limit},
            }
        ],
        "active": True,
    }


async def create(client: httpx.AsyncClient, doc: dict[str, Any]) -> int:
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def count_runs(client: httpx.AsyncClient, workflow_id: int) -> int:
    return len((await client.get(f"/api/workflows/{workflow_id}/executions")).json()["items"])


async def test_calls_over_the_limit_get_429_with_retry_after(client: httpx.AsyncClient) -> None:
    limited = await create(client, hook_doc("limited", {"requests": 3, "per_s": 60}))
    other = await create(client, hook_doc("other", None))
    answers = [(await client.post("/webhook/limited", json={"n": i})) for i in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused.json() == {
        "detail": refused.json()["detail"],
        "code": "webhook_rate_limited",
        "errors": [],
    }
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert f"{refused.headers['retry-after']} s" in refused.json()["detail"]
    # Other webhooks are not affected; only the accepted calls ran.
    for _ in range(5):
        assert (await client.post("/webhook/other", json={})).status_code == 200
    assert await count_runs(client, limited) == 3
    assert await count_runs(client, other) == 5


async def test_a_changed_limit_applies_at_once(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("tight", {"requests": 1, "per_s": 3600}))
    assert (await client.post("/webhook/tight", json={})).status_code == 200
    assert (await client.post("/webhook/tight", json={})).status_code == 429
    resp = await client.put(
        f"/api/workflows/{wf}",
        json={**hook_doc("tight", {"requests": 2, "per_s": 3600}), "version": 1},
    )
    assert resp.status_code == 200, resp.text
    assert (await client.post("/webhook/tight", json={})).status_code == 200
    assert (await client.post("/webhook/tight", json={})).status_code == 200
    assert (await client.post("/webhook/tight", json={})).status_code == 429


@pytest.mark.parametrize(
    ("rate_limit", "field"),
    [
        ({"requests": 0, "per_s": 60}, "nodes[0].params.rate_limit.requests"),
        ({"requests": 10, "per_s": 0}, "nodes[0].params.rate_limit.per_s"),
        ({"requests": 10, "per_s": 86_401}, "nodes[0].params.rate_limit.per_s"),
        ({"requests": 10}, "nodes[0].params.rate_limit.per_s"),
        ({"requests": 10, "per_s": 60, "burst": 5}, "nodes[0].params.rate_limit.burst"),
        ({"requests": "{{ 10 }}", "per_s": 60}, "nodes[0].params.rate_limit"),
        ("100/minute", "nodes[0].params.rate_limit"),
    ],
)
async def test_rate_limit_is_checked_on_save(
    client: httpx.AsyncClient, rate_limit: Any, field: str
) -> None:
    resp = await client.post("/api/workflows", json=hook_doc("bad", rate_limit))
    assert resp.status_code == 422, resp.text
    fields = [e["field"] for e in resp.json()["errors"]]
    assert any(f.startswith(field) for f in fields), (fields, resp.text)
    assert (await client.get("/api/workflows")).json()["total"] == 0
