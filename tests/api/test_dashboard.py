"""GET /api/dashboard: who may read it, its parameters and their errors, the response's
shape. (The figures themselves: tests/services/test_dashboard.py.)"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.api.test_auth import bearer, make_user


async def test_viewer_reads_the_dashboard(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Fails",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {"id": "boom", "type": "core.stop_error", "params": {"message": "no"}},
            ],
            "connections": [{"from": "start", "to": "boom"}],
        },
    )
    assert flow.status_code == 201, flow.text
    wid = flow.json()["id"]
    for _ in range(2):
        resp = await client.post(f"/api/workflows/{wid}/execute?wait=true", json={})
        assert resp.json()["status"] == "error", resp.text

    _, token = await make_user(client, "view@example.com", "viewer")
    resp = await anon_client.get("/api/dashboard", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"since", "until", "bucket", "kpis", "series", "slowest", "failing"}
    assert body["bucket"] == "hour" and len(body["series"]) == 25
    assert body["kpis"]["executions"] == 2 and body["kpis"]["failures"] == 2
    assert body["kpis"]["failure_rate"] == 1.0
    assert body["failing"] == [
        {
            "workflow_id": wid,
            "name": "Fails",
            "executions": 2,
            "failures": 2,
            "failure_rate": 1.0,
            "last_failure_at": body["failing"][0]["last_failure_at"],
        }
    ]
    assert [s["name"] for s in body["slowest"]] == ["Fails"]
    assert sum(p["counts"]["error"] for p in body["series"]) == 2


async def test_periods(client: httpx.AsyncClient) -> None:
    for period, bucket, points in [("24h", "hour", 25), ("7d", "day", 8), ("90d", "day", 91)]:
        resp = await client.get("/api/dashboard", params={"period": period})
        assert resp.status_code == 200, resp.text
        assert resp.json()["bucket"] == bucket and len(resp.json()["series"]) == points
    resp = await client.get(
        "/api/dashboard",
        params={"since": "2026-01-01T00:00:00Z", "until": "2026-01-01T06:00:00+00:00"},
    )
    body = resp.json()
    assert (body["since"], body["until"]) == ("2026-01-01T00:00:00Z", "2026-01-01T06:00:00Z")
    assert [p["start"] for p in body["series"]][:2] == [
        "2026-01-01T00:00:00Z",
        "2026-01-01T01:00:00Z",
    ]
    assert len(body["series"]) == 6
    resp = await client.get("/api/dashboard", params={"period": "7d", "until": "2026-01-08"})
    assert resp.json()["since"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "1y"}, "period"),
        ({"period": "24h", "since": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "last week"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "2024-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"top": 0}, "top"),
        ({"top": 51}, "top"),
    ],
)
async def test_bad_parameters_name_the_field(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    resp = await client.get("/api/dashboard", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"].removeprefix("query.") == field


async def test_until_in_the_future(client: httpx.AsyncClient) -> None:
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    resp = await client.get("/api/dashboard", params={"period": "24h", "until": until})
    assert resp.status_code == 200 and resp.json()["kpis"]["executions"] == 0
