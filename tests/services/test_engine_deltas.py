"""The engine host forwards the ``step.delta`` events of the sub-workflows a node awaits to
whoever follows the parent (``EngineHost.run_subworkflow``), on every database: only those it
awaits — a child started without waiting streams to its own followers only — and a child's
step streams only when someone follows it or an execution awaiting it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_chat_streams import SUB_TRIGGER, chat_node, executions_of, models, workflow
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.db.base import new_id
from wirework.engine.outcome import STEP_DELTA
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime
from wirework.testing.harness import allow_loopback

TEXT = "Streamed by a child, one piece at a time."
MANUAL = {"id": "in", "type": "core.manual"}


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as found:
        yield found


async def parent_of(client: httpx.AsyncClient, server: OpenAIServer, **sub: Any) -> tuple[int, int]:
    """A workflow running (``sub`` params) a child whose ai.chat streams when asked to; the
    ids of both."""
    mid = await models(client, server)
    say = chat_node(mid, "say", "hi")
    say["params"].update(sub.pop("chat", {}))
    child = await workflow(client, SUB_TRIGGER, say)
    node = {"id": "run_child", "type": "core.subworkflow", "params": {"workflow_id": child, **sub}}
    return await workflow(client, MANUAL, node), child


async def test_a_child_not_awaited_streams_to_its_own_followers_only(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    wid, child = await parent_of(client, server, wait=False, chat={"stream": True})
    engine = await ensure_engine(runtime)
    server.script(Reply(text=TEXT))
    parent = new_id()
    async with engine.events.subscribe(parent) as queue:
        started = await engine.execute(wid, execution_id=parent)
        assert (await started.wait()).status == "success"
        for _ in range(600):  # the child runs on after the parent: until it ends
            runs = await executions_of(client, child)
            if runs and runs[0]["status"] == "success":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the child did not finish: {runs}")
        seen = [queue.get_nowait() for _ in range(queue.qsize())]
    assert runs[0]["parent_execution_id"] == parent
    assert server.requests[-1].json["stream"] is True  # it streamed: to nobody here
    assert seen and not [e for e in seen if e["event"] == STEP_DELTA], seen


async def test_an_awaited_child_streams_only_when_someone_follows(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    wid, _ = await parent_of(client, server)
    engine = await ensure_engine(runtime)
    server.script(Reply(text=TEXT))
    started = await engine.execute(wid)
    assert (await started.wait()).status == "success"
    assert "stream" not in server.requests[-1].json
    assert started.run.result()[0]["text"] == TEXT

    server.script(Reply(text=TEXT))
    parent = new_id()
    async with engine.events.subscribe(parent) as queue:
        started = await engine.execute(wid, execution_id=parent)
        assert (await started.wait()).status == "success"
        seen = [queue.get_nowait() for _ in range(queue.qsize())]
    assert server.requests[-1].json["stream"] is True
    deltas = [e for e in seen if e["event"] == STEP_DELTA]
    assert "".join(d["text"] for d in deltas) == TEXT
    assert {(d["execution_id"], d["node_id"], d["child_node_id"]) for d in deltas} == {
        (parent, "run_child", "say")
    }
    assert started.run.result()[0]["text"] == TEXT
