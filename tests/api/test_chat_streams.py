"""What streams to a chat, on every database: an agent's answer (its tool-call turn writes
nothing), and the text of sub-workflows the chat's workflow awaits — the agent's `workflow`
tool, `core.subworkflow` nested two deep — attributed to the chat's node running them, with
the execution and node that wrote it. The executions are recorded as without a chat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_chat import KEY, events, send
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.testing.harness import allow_loopback

DRAFT = "Green tea, brewed at 80 degrees."
ANSWER = "Try a green tea: brew it at 80 °C for two minutes."


@pytest.fixture
def model_server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as server:
        yield server


async def models(client: httpx.AsyncClient, server: OpenAIServer) -> int:
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Models",
            "type": "openai",
            "credentials": {"base_url": server.url + "/v1", "api_key": KEY},
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def workflow(
    client: httpx.AsyncClient,
    trigger: dict[str, Any],
    node: dict[str, Any],
    *,
    active: bool = False,
) -> int:
    """A workflow of a trigger and one node after it."""
    resp = await client.post(
        "/api/workflows",
        json={
            "name": f"{node['id']} after {trigger['type']}",
            "active": active,
            "nodes": [trigger, node],
            "connections": [{"from": trigger["id"], "to": node["id"]}],
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


CHAT_TRIGGER = {"id": "chat_in", "type": "ai.chat_trigger", "params": {"access": "public"}}
SUB_TRIGGER = {"id": "start", "type": "core.workflow_trigger"}


def chat_node(mid: int, node_id: str, prompt: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "ai.chat",
        "params": {"integration_id": mid, "model": "gpt-test", "prompt": prompt},
    }


async def executions_of(client: httpx.AsyncClient, workflow_id: int) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/workflows/{workflow_id}/executions")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return list(body["items"] if isinstance(body, dict) else body)


async def test_an_agent_streams_its_answer_and_its_workflow_tool_s_chat(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    mid = await models(client, model_server)
    drafter = await workflow(
        client, SUB_TRIGGER, chat_node(mid, "write", "Draft: {{ json.topic }}")
    )
    tool = {
        "kind": "workflow",
        "name": "draft",
        "workflow_id": drafter,
        "parameters": {"type": "object", "properties": {"topic": {"type": "string"}}},
    }
    agent = {
        "id": "agent",
        "type": "ai.agent",
        "params": {
            "integration_id": mid,
            "model": "gpt-test",
            "prompt": "{{ json.message }}",
            "tools": [tool],
        },
    }
    wid = await workflow(client, CHAT_TRIGGER, agent, active=True)
    model_server.script(
        Reply(tool_calls=[("draft", {"topic": "tea"})]),  # the agent: a tool call, no text
        Reply(text=DRAFT),  # the drafter's ai.chat
        Reply(text=ANSWER),  # the agent's answer
    )
    resp = await send(client, wid, "Which tea?")
    assert resp.status_code == 200, resp.text
    got = events(resp.text)
    assert [k for k, _ in got][-1] == "message", got
    deltas = [d for k, d in got if k == "delta"]
    assert all(d["node_id"] == "agent" for d in deltas)
    from_tool = [d for d in deltas if "child_execution_id" in d]
    own = [d for d in deltas if "child_execution_id" not in d]
    # The drafter's text first (while the tool ran), then the agent's answer, each streamed.
    assert deltas == from_tool + own and len(from_tool) > 1 and len(own) > 1
    assert "".join(d["text"] for d in from_tool) == DRAFT
    assert {d["child_node_id"] for d in from_tool} == {"write"}
    assert "".join(d["text"] for d in own) == ANSWER
    assert got[-1][1]["text"] == ANSWER
    assert [r.json.get("stream") for r in model_server.requests] == [True, True, True]

    # Recorded as ever: the agent's parts, and the drafter's run as a child of the chat's.
    parent = (await client.get(f"/api/executions/{got[-1][1]['execution_id']}")).json()
    assert [s["node_id"] for s in parent["steps"] if s["node_id"].startswith("agent")] == [
        "agent/model#1",
        "agent/tool:draft#1",
        "agent/model#2",
        "agent",
    ]
    (child,) = await executions_of(client, drafter)
    assert {d["child_execution_id"] for d in from_tool} == {child["id"]}
    record = (await client.get(f"/api/executions/{child['id']}")).json()
    assert record["parent_execution_id"] == parent["id"] and record["status"] == "success"
    step = next(s for s in record["steps"] if s["node_id"] == "write")
    assert step["output"]["main"][0]["text"] == DRAFT
    assert KEY not in resp.text


async def test_a_nested_sub_workflow_s_chat_streams_to_the_chat(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    mid = await models(client, model_server)
    leaf = await workflow(client, SUB_TRIGGER, chat_node(mid, "say", "{{ json.message }}"))
    inner = {"id": "inner", "type": "core.subworkflow", "params": {"workflow_id": leaf}}
    middle = await workflow(client, SUB_TRIGGER, inner)
    outer = {"id": "outer", "type": "core.subworkflow", "params": {"workflow_id": middle}}
    wid = await workflow(client, CHAT_TRIGGER, outer, active=True)
    model_server.script(Reply(text=ANSWER))
    got = events((await send(client, wid, "Tea?")).text)
    assert [k for k, _ in got][-1] == "message", got
    deltas = [d for k, d in got if k == "delta"]
    assert len(deltas) > 1 and "".join(d["text"] for d in deltas) == ANSWER
    (leaf_run,) = await executions_of(client, leaf)
    # Attributed to the chat's node running the chain, naming the step that wrote it.
    assert {(d["node_id"], d["child_execution_id"], d["child_node_id"]) for d in deltas} == {
        ("outer", leaf_run["id"], "say")
    }
    assert got[-1][1]["text"] == ANSWER  # the reply: the chain's result
    assert model_server.requests[-1].json["stream"] is True
    (middle_run,) = await executions_of(client, middle)
    assert leaf_run["parent_execution_id"] == middle_run["id"]
    assert middle_run["parent_execution_id"] == got[-1][1]["execution_id"]
