"""``step.delta`` events of awaited sub-workflows (``ExecutionRun.delta``): each execution
awaiting one (parent, grandparent, … at most ``DELTA_HOPS``) gets the deltas its followers
would miss, attributed to its node running the child and naming the child's execution and
node; nothing is built for an execution nobody follows; each run's secrets are masked."""

from __future__ import annotations

from typing import Any

from wirework.db.base import new_id
from wirework.engine.executor import ExecutionRun, Hooks, utcnow
from wirework.engine.graph import compile_graph
from wirework.engine.outcome import DELTA_HOPS, STEP_DELTA
from wirework.engine.states import ExecutionStatus
from wirework.engine.store import ExecutionRecord, MemoryStore

GRAPH = compile_graph({"name": "one", "nodes": [{"id": "in", "type": "core.manual"}]})


def chain(length: int, hooks: Hooks) -> list[ExecutionRun]:
    """``length`` runs, each awaited by the one before it (node ``call<i>`` of run i-1)."""
    store = MemoryStore()
    runs: list[ExecutionRun] = []
    for i in range(length):
        mode = "subworkflow" if i else "manual"
        record = ExecutionRecord(new_id(), None, 1, ExecutionStatus.RUNNING, mode, utcnow())
        run = ExecutionRun(GRAPH, record, store, hooks=hooks)
        if runs:
            run.awaited_by(runs[-1], f"call{i - 1}")
        runs.append(run)
    return runs


def test_deltas_reach_each_awaiting_execution_followed_and_no_other() -> None:
    published: list[tuple[str, dict[str, Any]]] = []
    followed: set[str] = set()
    hooks = Hooks(
        on_event=lambda kind, data: published.append((kind, data)),
        listening=lambda execution_id: execution_id in followed,
    )
    top, middle, leaf = chain(3, hooks)

    # Nobody follows any of them: no event is built, and no step needs to stream.
    assert not leaf.stream_wanted()
    leaf.delta("say", "hello")
    assert published == []

    # The chat follows the top one: the leaf's text is the top's, at the node running it.
    followed.add(top.record.id)
    assert leaf.stream_wanted() and middle.stream_wanted() and top.stream_wanted()
    leaf.delta("say", "hello")
    assert published == [
        (
            STEP_DELTA,
            {
                "execution_id": top.record.id,
                "t": published[0][1]["t"],
                "node_id": "call0",
                "text": "hello",
                "child_execution_id": leaf.record.id,
                "child_node_id": "say",
            },
        )
    ]

    # Followed at several levels: one event each, own ones without child fields.
    published.clear()
    followed.update({middle.record.id, leaf.record.id})
    leaf.delta("say", "again")
    got = [(d["execution_id"], d["node_id"], d.get("child_node_id")) for _, d in published]
    assert got == [
        (leaf.record.id, "say", None),
        (middle.record.id, "call1", "say"),
        (top.record.id, "call0", "say"),
    ]
    # A parent's own deltas never go down to its children, nor up twice.
    published.clear()
    middle.delta("think", "hm")
    got = [(d["execution_id"], d["node_id"], d.get("child_node_id")) for _, d in published]
    assert got == [(middle.record.id, "think", None), (top.record.id, "call0", "think")]


def test_each_run_masks_its_secrets_on_the_way_up() -> None:
    published: list[dict[str, Any]] = []
    hooks = Hooks(on_event=lambda kind, data: published.append(data), listening=lambda _: True)
    top, middle, leaf = chain(3, hooks)
    middle.add_secrets({"api_key": "sk-middle-secret-1234"})
    leaf.delta("say", "the key is sk-middle-secret-1234")
    texts = {d["execution_id"]: d["text"] for d in published}
    assert "sk-middle-secret-1234" not in texts[middle.record.id]
    assert "sk-middle-secret-1234" not in texts[top.record.id]


def test_forwarding_is_bounded_to_the_nearest_awaiting_executions() -> None:
    published: list[dict[str, Any]] = []
    hooks = Hooks(on_event=lambda kind, data: published.append(data), listening=lambda _: True)
    runs = chain(DELTA_HOPS + 4, hooks)
    leaf = runs[-1]
    assert len(leaf.delta_targets) == DELTA_HOPS
    assert [run for run, _ in leaf.delta_targets] == runs[-2 : -DELTA_HOPS - 2 : -1]
    leaf.delta("say", "deep")
    assert len(published) == 1 + DELTA_HOPS
    assert {d["execution_id"] for d in published}.isdisjoint(r.record.id for r in runs[:3])
