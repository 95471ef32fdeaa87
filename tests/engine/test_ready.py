"""Readiness: the pure function on hand-made cases (merges, untaken branches, disabled
nodes, error outputs, waits, loop bodies), and the executor's incremental tracker against
it on random graphs."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine import nodes as t
from tests.engine.nodes import doc
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.ready import ReadyTracker, ready_nodes
from wirework.engine.states import RESOLVED, StepStatus

S = StepStatus
REG = t.registry()


def graph(nodes: list[tuple[str, str]], edges: list[tuple[str, ...]]) -> Graph:
    return compile_graph(doc([{"id": i, "type": ty} for i, ty in nodes], edges), reg=REG)


def test_a_chain_runs_one_node_at_a_time() -> None:
    g = graph([("a", "t.trigger"), ("b", "t.set"), ("c", "t.set")], [("a", "b"), ("b", "c")])
    assert ready_nodes(g, {}) == ["a"]
    assert ready_nodes(g, {"a": S.RUNNING}) == []
    assert ready_nodes(g, {"a": S.SUCCESS}) == ["b"]
    assert ready_nodes(g, {"a": S.SUCCESS, "b": S.SUCCESS, "c": S.SUCCESS}) == []


def test_independent_branches_are_ready_together_and_a_merge_waits_for_both() -> None:
    g = graph(
        [("a", "t.trigger"), ("l", "t.set"), ("r", "t.set"), ("m", "t.merge")],
        [("a", "l"), ("a", "r"), ("l", "m", "main", "a"), ("r", "m", "main", "b")],
    )
    assert ready_nodes(g, {"a": S.SUCCESS}) == ["l", "r"]
    assert ready_nodes(g, {"a": S.SUCCESS, "l": S.SUCCESS, "r": S.RUNNING}) == []
    # An untaken branch is skipped, not pending: the merge runs with the other one.
    assert ready_nodes(g, {"a": S.SUCCESS, "l": S.SUCCESS, "r": S.SKIPPED}) == ["m"]


def test_untaken_route_branch_resolves_as_skipped_down_the_line() -> None:
    g = graph(
        [("a", "t.trigger"), ("if", "t.route"), ("yes", "t.set"), ("no", "t.set"), ("x", "t.set")],
        [("a", "if"), ("if", "yes", "true"), ("if", "no", "false"), ("no", "x")],
    )
    states = {"a": S.SUCCESS, "if": S.SUCCESS}
    assert ready_nodes(g, states) == ["yes", "no"]  # both run; the one without items skips
    assert ready_nodes(g, {**states, "yes": S.SUCCESS, "no": S.SKIPPED}) == ["x"]


def test_disabled_and_error_output_nodes_resolve_their_targets() -> None:
    g = graph([("a", "t.trigger"), ("b", "t.fail"), ("c", "t.set")], [("a", "b"), ("b", "c")])
    assert ready_nodes(g, {"a": S.SUCCESS, "b": S.SKIPPED}) == ["c"]  # disabled: skipped
    assert ready_nodes(g, {"a": S.SUCCESS, "b": S.ERROR}) == ["c"]  # on_error let it through


def test_a_waiting_node_holds_what_it_feeds() -> None:
    g = graph(
        [("a", "t.trigger"), ("w", "t.wait"), ("b", "t.set"), ("c", "t.set")],
        [("a", "w"), ("w", "b"), ("a", "c")],
    )
    assert ready_nodes(g, {"a": S.SUCCESS, "w": S.WAITING}) == ["c"]
    assert ready_nodes(g, {"a": S.SUCCESS, "w": S.WAITING, "c": S.SUCCESS}) == []
    assert ready_nodes(g, {"a": S.SUCCESS, "w": S.SUCCESS, "c": S.SUCCESS}) == ["b"]


def test_a_loop_body_counts_only_its_own_sources() -> None:
    # "loop" feeds the body b1 → b2; the body starts afresh for every batch.
    g = graph(
        [("a", "t.trigger"), ("loop", "t.set"), ("b1", "t.set"), ("b2", "t.set")],
        [("a", "loop"), ("loop", "b1"), ("b1", "b2")],
    )
    body = {"b1", "b2"}
    assert ready_nodes(g, {"a": S.SUCCESS, "loop": S.RUNNING}, within=body) == ["b1"]
    assert ready_nodes(g, {"b1": S.SUCCESS}, within=body) == ["b2"]
    tracker = ReadyTracker(g, within=body)
    assert tracker.start({}, ["b1", "b2"]) == ["b1"]


# -- the tracker follows the pure function ------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(1, 9))
    ids = [f"n{i}" for i in range(size)]
    edges = [(a, b) for a, b in itertools.combinations(ids, 2) if draw(st.booleans())]
    return graph([(i, "t.set") for i in ids], edges)


@settings(max_examples=150, deadline=None)
@given(dags(), st.data())
def test_the_tracker_announces_exactly_the_ready_nodes(g: Graph, data: Any) -> None:
    states: dict[str, StepStatus] = {}
    tracker = ReadyTracker(g)
    announced = tracker.start(states, g.order)
    waiting: list[str] = []
    while announced or waiting:
        assert sorted(announced) == sorted(ready_nodes(g, states))
        assert len(set(announced)) == len(announced)
        choices = announced + waiting
        node = data.draw(st.sampled_from(choices))
        if node in waiting:  # the wait is over
            waiting.remove(node)
            states[node] = S.SUCCESS
            tracker.resolved(node, states, announced)
            continue
        announced.remove(node)
        outcome = data.draw(st.sampled_from([S.SUCCESS, S.SKIPPED, S.ERROR, S.WAITING]))
        states[node] = outcome
        if outcome == S.WAITING:
            waiting.append(node)
        else:
            tracker.resolved(node, states, announced)
    assert all(states[n] in RESOLVED for n in g.order)  # everything ran


@settings(max_examples=150, deadline=None)
@given(dags(), st.data())
def test_a_resumed_tracker_starts_from_the_stored_states(g: Graph, data: Any) -> None:
    # Stored states are a prefix of some run: resolve nodes in a random valid order.
    states: dict[str, StepStatus] = {}
    for _ in range(data.draw(st.integers(0, len(g.order)))):
        ready = ready_nodes(g, states)
        if not ready:
            break
        node = data.draw(st.sampled_from(ready))
        states[node] = data.draw(st.sampled_from([S.SUCCESS, S.SKIPPED, S.ERROR, S.WAITING]))
    announced = ReadyTracker(g).start(states, g.order)
    assert sorted(announced) == sorted(ready_nodes(g, states))
    assert len(set(announced)) == len(announced)
