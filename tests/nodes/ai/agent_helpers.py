"""Workflows with AI nodes saved and run through the app, for the agent's tests."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx


async def save(
    client: httpx.AsyncClient,
    nodes: list[dict[str, Any]],
    *,
    trigger: str = "core.manual",
    name: str = "agent",
) -> int:
    """A workflow: a trigger ``in`` then ``nodes`` in a chain; its id."""
    chain = [{"id": "in", "type": trigger}, *nodes]
    connections = [{"from": a["id"], "to": b["id"]} for a, b in itertools.pairwise(chain)]
    resp = await client.post(
        "/api/workflows", json={"name": name, "nodes": chain, "connections": connections}
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def execute(client: httpx.AsyncClient, workflow_id: int, value: Any = None) -> dict[str, Any]:
    """Run it and wait until it ends or waits; its execution record."""
    body = {"input": value} if value is not None else {}
    resp = await client.post(f"/api/workflows/{workflow_id}/execute?wait=true", json=body)
    assert resp.status_code in (200, 202), resp.text
    return await settled(client, resp.json()["id"])


async def settled(
    client: httpx.AsyncClient, execution_id: str, timeout_s: float = 60
) -> dict[str, Any]:
    """The execution's record once it is no longer running (finished, or parked)."""
    deadline = time.monotonic() + timeout_s
    while True:
        record: dict[str, Any] = (await client.get(f"/api/executions/{execution_id}")).json()
        if record["status"] not in ("queued", "running"):
            return record
        assert time.monotonic() < deadline, f"execution {execution_id} did not settle"
        await asyncio.sleep(0.05)


def step_ids(record: dict[str, Any]) -> list[str]:
    """The ids of the agent's steps and parts, in record order (trigger left out)."""
    return [s["node_id"] for s in record["steps"] if s["node_id"].startswith("agent")]


def tool_messages(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def messages_of(request: dict[str, Any]) -> list[str]:
    return [m.get("content") or "" for m in request["messages"]]
