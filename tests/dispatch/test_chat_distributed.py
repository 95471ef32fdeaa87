"""A chat in distributed mode: the server (this process, its engine handing executions to a
real ``wirework worker`` process over Redis) takes a chat message; the worker runs the
``ai.chat`` step against a local OpenAI-compatible server that streams, and the tokens it
publishes reach the chat's response here through the Redis event bus, before the reply."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.test_chat import ANSWER, SESSION, chat_workflow, events
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.dispatch.cluster import cluster
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.api.app import create_app
from wirework.sdk.outbound import OutboundPolicy, set_policy


async def test_deltas_cross_from_the_worker_to_the_chat(tmp_path: Path) -> None:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with OpenAIServer() as models:
            async with cluster("redis", tmp_path, workers=1, scheduler=False) as cl:
                assert cl.host is not None
                cl.runtime.engine_host = cl.host  # the API below is this server
                transport = httpx.ASGITransport(app=create_app(runtime=cl.runtime))
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://testserver"
                ) as client:
                    setup = await client.post(
                        "/api/setup",
                        json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "name": "O"},
                    )
                    assert setup.status_code == 201, setup.text
                    client.headers["Authorization"] = f"Bearer {setup.json()['access_token']}"
                    wid = await chat_workflow(client, models)
                    models.script(Reply(text=ANSWER))
                    resp = await client.post(
                        f"/api/chat/{wid}/messages",
                        json={"session_id": SESSION, "message": "Across processes?"},
                    )
                    assert resp.status_code == 200, resp.text
                got = events(resp.text)
                kinds = [k for k, _ in got]
                assert kinds[-1] == "message", (got, cl.log_of("worker1")[-3000:])
                assert set(kinds[:-1]) == {"delta"} and len(kinds) > 2, kinds
                assert "".join(d["text"] for k, d in got if k == "delta") == ANSWER
                assert got[-1][1]["text"] == ANSWER
                (execution,) = await cl.executions(wid)
                # Run by the worker, not by this process.
                assert execution.worker and execution.worker != cl.host.worker_id
    finally:
        set_policy(None)
