"""A chat in distributed mode: the server (this process, its engine handing executions to a
real ``wirework worker`` process over Redis) takes a chat message; the worker runs the
``ai.chat`` step — the chat workflow's own, or one of a sub-workflow it awaits — against a
local OpenAI-compatible server that streams, and the tokens it publishes reach the chat's
response here through the Redis event bus, before the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.api.test_chat import ANSWER, SESSION, chat_workflow, events
from tests.api.test_chat_streams import CHAT_TRIGGER, SUB_TRIGGER, chat_node, models, workflow
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.dispatch.cluster import Cluster, cluster
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.api.app import create_app
from wirework.sdk.outbound import OutboundPolicy, set_policy

Setup = Callable[[httpx.AsyncClient, OpenAIServer], Awaitable[int]]


@asynccontextmanager
async def server_of(
    tmp_path: Path, models_server: OpenAIServer
) -> AsyncIterator[tuple[Cluster, httpx.AsyncClient]]:
    """A cluster of one worker, and a client of this process's API (the server)."""
    async with cluster("redis", tmp_path, workers=1, scheduler=False) as cl:
        assert cl.host is not None
        cl.runtime.engine_host = cl.host  # the API below is this server
        transport = httpx.ASGITransport(app=create_app(runtime=cl.runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            setup = await client.post(
                "/api/setup",
                json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "name": "O"},
            )
            assert setup.status_code == 201, setup.text
            client.headers["Authorization"] = f"Bearer {setup.json()['access_token']}"
            yield cl, client


async def chat_across(tmp_path: Path, setup: Setup) -> list[tuple[str, dict[str, Any]]]:
    """Send one message to the chat ``setup`` makes; the events of its answer."""
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with OpenAIServer() as models_server:
            async with server_of(tmp_path, models_server) as (cl, client):
                wid = await setup(client, models_server)
                models_server.script(Reply(text=ANSWER))
                resp = await client.post(
                    f"/api/chat/{wid}/messages",
                    json={"session_id": SESSION, "message": "Across processes?"},
                )
                assert resp.status_code == 200, resp.text
                got = events(resp.text)
                assert got[-1][0] == "message", (got, cl.log_of("worker1")[-3000:])
                assert models_server.requests[-1].json["stream"] is True
                (execution,) = await cl.executions(wid)
                # Run by the worker, not by this process.
                assert execution.worker and execution.worker != cl.host.worker_id
                return got
    finally:
        set_policy(None)


async def test_deltas_cross_from_the_worker_to_the_chat(tmp_path: Path) -> None:
    got = await chat_across(tmp_path, chat_workflow)
    kinds = [k for k, _ in got]
    assert set(kinds[:-1]) == {"delta"} and len(kinds) > 2, kinds
    assert "".join(d["text"] for k, d in got if k == "delta") == ANSWER
    assert got[-1][1]["text"] == ANSWER


async def test_a_sub_workflow_s_deltas_cross_from_the_worker_to_the_chat(tmp_path: Path) -> None:
    async def setup(client: httpx.AsyncClient, server: OpenAIServer) -> int:
        mid = await models(client, server)
        child = await workflow(client, SUB_TRIGGER, chat_node(mid, "say", "{{ json.message }}"))
        ask = {"id": "ask", "type": "core.subworkflow", "params": {"workflow_id": child}}
        return await workflow(client, CHAT_TRIGGER, ask, active=True)

    got = await chat_across(tmp_path, setup)
    deltas = [d for k, d in got if k == "delta"]
    assert len(deltas) > 1 and "".join(d["text"] for d in deltas) == ANSWER
    assert {(d["node_id"], d["child_node_id"]) for d in deltas} == {("ask", "say")}
    assert got[-1][1]["text"] == ANSWER
