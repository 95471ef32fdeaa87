"""Only a successful execution has a result: a failed one's is null (not the output of
whatever ran last, e.g. its trigger) — on every database backend."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from tests.api.test_runs import create
from wirework.db.models import Execution
from wirework.services.runtime import Runtime

NODES = [
    {"id": "start", "type": "core.manual"},
    {"id": "set", "type": "core.set", "params": {"fields": {"seen": True}}},
]


async def test_a_failed_execution_has_no_result(client: httpx.AsyncClient) -> None:
    for failing in (
        {"id": "stop", "type": "core.stop_error", "params": {"message": "nope"}},
        {"id": "calc", "type": "core.set", "params": {"fields": {"x": "{{ json.nope + 1 }}"}}},
    ):
        nodes = [*NODES, failing]
        conns = [{"from": "start", "to": "set"}, {"from": "set", "to": failing["id"]}]
        wf = await create(
            client, {"name": f"fails at {failing['id']}", "nodes": nodes, "connections": conns}
        )
        resp = await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
        assert resp.status_code == 200, resp.text
        record = resp.json()
        assert record["status"] == "error" and record["result"] is None
        assert record["result_truncated"] is False
        assert (await client.get(f"/api/executions/{record['id']}")).json()["result"] is None
        steps = {s["node_id"]: s["status"] for s in record["steps"]}
        assert steps["set"] == "success"  # the steps keep their outputs


async def test_a_successful_execution_keeps_its_result(client: httpx.AsyncClient) -> None:
    wf = await create(
        client, {"name": "fine", "nodes": NODES, "connections": [{"from": "start", "to": "set"}]}
    )
    resp = await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
    assert resp.json()["result"] == [{"n": 1, "seen": True}]


async def test_an_older_failed_record_shows_no_result(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Executions recorded before failed ones stopped naming a result node read the same."""
    wf = await create(
        client, {"name": "old", "nodes": NODES, "connections": [{"from": "start", "to": "set"}]}
    )
    resp = await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
    execution_id = resp.json()["id"]
    async with runtime.engine.begin() as conn:
        await conn.execute(
            update(Execution).where(Execution.id == execution_id).values(status="error")
        )
    assert (await client.get(f"/api/executions/{execution_id}")).json()["result"] is None
