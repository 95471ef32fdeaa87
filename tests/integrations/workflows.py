"""Integrations' workflows in tests: made through the real app (an integration and a
workflow over the API: a trigger, then a ``core.set`` step ``s`` that picks fields of the
trigger's item; the workflow's executions), and the examples/ documents, aimed at the test's
integrations, run through the API or straight in an engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.outbound import IntegrationCredentials

EXAMPLES = Path(__file__).parents[2] / "examples"


async def add_integration(
    client: httpx.AsyncClient, type_: str, credentials: dict[str, Any], *, name: str
) -> int:
    """A new integration of ``type_``; its id."""
    made = await client.post(
        "/api/integrations", json={"name": name, "type": type_, "credentials": credentials}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def trigger_workflow(
    client: httpx.AsyncClient,
    integration_id: int,
    trigger: str,
    params: dict[str, Any],
    fields: dict[str, Any] | None = None,
    *,
    name: str,
    node_id: str,
) -> int:
    """An active workflow started by ``trigger`` (node ``node_id``), then (with ``fields``) a
    ``core.set`` step ``s`` setting them; its id."""
    nodes: list[dict[str, Any]] = [
        {"id": node_id, "type": trigger, "integration_id": integration_id, "params": params}
    ]
    connections = []
    if fields is not None:
        nodes.append({"id": "s", "type": "core.set", "params": {"fields": fields}})
        connections.append({"from": node_id, "to": "s"})
    doc = {"name": name, "active": True, "nodes": nodes, "connections": connections}
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def executions(client: httpx.AsyncClient, workflow_id: int) -> list[dict[str, Any]]:
    """The workflow's executions, newest first."""
    resp = await client.get(f"/api/workflows/{workflow_id}/executions")
    return list(resp.json()["items"])


def example(name: str, ids: Mapping[str, int] | None = None) -> dict[str, Any]:
    """examples/<name>, its nodes of each service in ``ids`` (the node type's part before the
    dot: ``{"aws": 3}``) set to use that integration."""
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    for node in doc["nodes"]:
        service = str(node["type"]).split(".")[0]
        if ids and service in ids:
            node["integration_id"] = ids[service]
    return doc


async def save_active(client: httpx.AsyncClient, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` saved as an active workflow (its triggers listen); the saved workflow."""
    saved = await client.post("/api/workflows", json={**doc, "active": True})
    assert saved.status_code == 201, saved.text
    result: dict[str, Any] = saved.json()
    return result


async def run_in_engine(
    doc: dict[str, Any],
    integrations: IntegrationCredentials | Mapping[int, IntegrationCredentials],
    items: list[dict[str, Any]],
) -> ExecutionRun:
    """``doc`` run once by an engine on a memory store with ``items`` as the trigger's output;
    its credentials are ``integrations`` (one for every node, or by integration id)."""

    async def lookup(integration_id: int) -> dict[str, Any]:
        if isinstance(integrations, IntegrationCredentials):
            return integrations
        return integrations[integration_id]

    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run
