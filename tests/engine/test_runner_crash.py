"""An execution that dies of an unexpected exception (a bug, a failing store) does not leave
the webhook caller waiting for its response forever."""

from __future__ import annotations

import asyncio

import pytest

from tests.engine import nodes as t
from tests.engine.nodes import doc
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore, StepRecord

REG = t.registry()


class BrokenStore(MemoryStore):
    def record_step(self, step: StepRecord) -> None:
        raise RuntimeError("the store is down")


async def test_the_waiting_response_gets_the_error() -> None:
    document = doc(
        [{"id": "hook", "type": "t.trigger"}, {"id": "a", "type": "t.noop"}], [("hook", "a")]
    )
    graph = compile_graph(document, workflow_id=None, version=1, reg=REG)
    runner = Runner(BrokenStore())
    started = await runner.execute(graph, mode="webhook", start_node="hook", respond=True)
    assert started.run.response is not None
    with pytest.raises(RuntimeError, match="the store is down"):
        await asyncio.wait_for(started.run.response, timeout=5)
    with pytest.raises(RuntimeError):
        await started.task
    assert started.id not in runner.running
