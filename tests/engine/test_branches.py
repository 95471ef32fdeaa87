"""Spread branches, the coordinator's choices and the outcomes' round trip (the cluster end
to end is tests/dispatch/test_spread.py)."""

from __future__ import annotations

from typing import Any

import pytest

import wirework.nodes  # noqa: F401  (registers the core nodes)
from tests.engine.nodes import doc
from wirework.dispatch.spread import SpreadPolicy
from wirework.engine.branches import BranchSpreader, _Plan, decode, encode, has_fork
from wirework.engine.executor import ExecutionFailed, ExecutionRun
from wirework.engine.graph import compile_graph
from wirework.engine.outcome import CHUNK_ITEMS, Outcome, utcnow
from wirework.engine.states import ERROR, SUCCESS, WAITING
from wirework.engine.store import ExecutionRecord, MemoryStore
from wirework.sdk.node import Wait


def _graph(branches: list[dict[str, Any]], **settings: Any) -> Any:
    nodes = [{"id": "start", "type": "core.manual"}, *branches]
    return compile_graph(doc(nodes, [("start", b["id"]) for b in branches], **settings))


def _run(graph: Any) -> ExecutionRun:
    record = ExecutionRecord("e1", None, 1, "running", "manual", utcnow())
    run = ExecutionRun(graph, record, MemoryStore())
    run.status["start"] = SUCCESS
    run.outputs["start"] = {"main": [{"n": 1}]}
    return run


def _plan(run: ExecutionRun, policy: SpreadPolicy, workers: int, hosts: int) -> _Plan:
    spreader = BranchSpreader(
        None,  # type: ignore[arg-type]  # choose() reads no claim
        worker_id="w1",
        lease_s=30,
        publish=lambda *a: None,
        cluster_size=lambda: (workers, hosts),
    )
    return _Plan(spreader, run, policy, {})


NOOPS = [{"id": f"b{i}", "type": "core.noop"} for i in range(6)]
CODES = [{"id": f"c{i}", "type": "core.code", "params": {"code": "return items"}} for i in range(4)]


def test_has_fork() -> None:
    assert has_fork(_graph(NOOPS[:2]))
    linear = compile_graph(
        doc(
            [{"id": "start", "type": "core.manual"}, *NOOPS[:2]],
            [("start", "b0"), ("b0", "b1")],
        )
    )
    assert not has_fork(linear)


def test_always_keeps_a_share_and_spreads_the_rest() -> None:
    run = _run(_graph(NOOPS))
    ready = [n["id"] for n in NOOPS]
    assert _plan(run, SpreadPolicy.ALWAYS, 2, 1).choose(ready) == {"b3", "b4", "b5"}
    assert _plan(run, SpreadPolicy.ALWAYS, 3, 1).choose(ready) == {"b2", "b3", "b4", "b5"}
    assert _plan(run, SpreadPolicy.OFF, 3, 2).choose(ready) == set()
    assert _plan(run, SpreadPolicy.ALWAYS, 3, 1).choose(["b0"]) == set()


def test_auto_spreads_cpu_heavy_branches_across_machines_only() -> None:
    run = _run(_graph(NOOPS + CODES))
    ready = [n["id"] for n in NOOPS + CODES]
    assert _plan(run, SpreadPolicy.AUTO, 4, 1).choose(ready) == set()
    assert _plan(run, SpreadPolicy.AUTO, 2, 2).choose(ready) == {"c2", "c3"}


def test_never_spread() -> None:
    wait = {"id": "w", "type": "core.wait", "params": {"seconds": 1}}
    run = _run(_graph([wait, *NOOPS[:2]]))
    assert _plan(run, SpreadPolicy.ALWAYS, 2, 2).choose(["w", "b0", "b1"]) == {"b1"}
    run.outputs["start"] = {"main": [{"n": i} for i in range(CHUNK_ITEMS + 1)]}
    assert _plan(run, SpreadPolicy.ALWAYS, 2, 2).choose(["b0", "b1"]) == set()


async def test_outcomes_round_trip() -> None:
    run = _run(_graph(NOOPS[:2]))
    outcome = await decode(run, "b0", encode(Outcome(SUCCESS, {"main": [{"a": 1}]})))
    assert outcome == Outcome(SUCCESS, {"main": [{"a": 1}]})
    continued = Outcome(ERROR, {"main": [{"error": "boom"}]})
    assert await decode(run, "b0", encode(continued)) == continued
    until = utcnow()
    waiting = await decode(run, "b0", encode(Outcome(WAITING, {}, wait=Wait(until=until))))
    assert waiting is not None and waiting.wait == Wait(until=until)
    assert await decode(run, "b0", encode(None)) is None
    with pytest.raises(ExecutionFailed) as failed:
        await decode(run, "b0", encode(None, failed={"message": "stop", "type": "node"}))
    assert failed.value.error == {"message": "stop", "type": "node"}
