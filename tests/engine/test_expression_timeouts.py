"""Expression time inside steps: a node's ``timeout_s`` and the workflow's ``timeout_s``
cover an evaluation running off the event loop (it is stopped, the step fails with a
timeout), and a budget failure names the node, the parameter, the expression and the
budget — on every database backend. Embedded only: they read the counters of this process's
expression worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.nodes import doc
from tests.engine.test_executor import graph, run, runner  # noqa: F401 - fixture
from wirework.engine import expr_budget
from wirework.engine.runner import Runner

#: A minute of work at least once the work budget is lifted: 100,000 searches of 2 MB.
HEAVY = "{% for i in range(100000) %}{{ 'y' in json.big }}{% endfor %}"
BIG_ITEM = {"big": "x" * 2_000_000}


@pytest.fixture
def unlimited_work() -> Iterator[None]:
    before = expr_budget.limits().max_work
    expr_budget.configure(max_work=10**14)
    yield
    expr_budget.configure(max_work=before)


async def _worker_idle() -> None:
    """Returns once the expression worker has finished what it was doing (bounded)."""
    async with asyncio.timeout(60):
        await expr_budget.off_loop(lambda budget: None)


def _heavy_doc(**settings: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"id": "set", "type": "t.set", "params": {"fields": {"n": HEAVY}}}
    if not settings:
        node["timeout_s"] = 0.3
    return doc([{"id": "start", "type": "t.trigger"}, node], [("start", "set")], **settings)


@pytest.mark.usefixtures("unlimited_work")
async def test_node_timeout_stops_an_expression_running_off_the_loop(
    runner: Runner,  # noqa: F811 - fixture
    workflow_id: int,
) -> None:
    cancelled, moved = expr_budget.STATS.cancelled, expr_budget.STATS.off_loop
    r = await run(runner, graph(runner, workflow_id, _heavy_doc()), [BIG_ITEM])
    assert r.record.status == "error" and r.record.error is not None
    assert r.record.error["type"] == "timeout", r.record.error
    assert "timed out after 0.3 s" in r.record.error["message"]
    await _worker_idle()
    assert expr_budget.STATS.off_loop > moved
    assert expr_budget.STATS.cancelled == cancelled + 1  # the worker stopped, not finished


@pytest.mark.usefixtures("unlimited_work")
async def test_workflow_timeout_stops_an_expression_running_off_the_loop(
    runner: Runner,  # noqa: F811 - fixture
    workflow_id: int,
) -> None:
    cancelled = expr_budget.STATS.cancelled
    r = await run(runner, graph(runner, workflow_id, _heavy_doc(timeout_s=0.3)), [BIG_ITEM])
    assert r.record.status == "error" and r.record.error is not None
    assert r.record.error["type"] == "timeout", r.record.error
    await _worker_idle()
    assert expr_budget.STATS.cancelled == cancelled + 1


async def test_budget_failure_names_node_parameter_expression_and_budget(
    runner: Runner,  # noqa: F811 - fixture
    workflow_id: int,
) -> None:
    source = "{{ json.html|striptags|length }}"
    document = doc(
        [
            {"id": "start", "type": "t.trigger"},
            {"id": "set", "type": "t.set", "params": {"fields": {"text": source}}},
        ],
        [("start", "set")],
    )
    r = await run(runner, graph(runner, workflow_id, document), [{"html": "&a" * 2_450_000}])
    assert r.record.status == "error" and r.record.error is not None
    message = r.record.error["message"]
    assert message.startswith("node 'set' parameter 'params.fields.text': expression ")
    assert source in message
    assert "limit exceeded: work budget of 500,000,000 units used up" in message
