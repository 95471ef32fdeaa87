"""Which nodes are ready to run: a pure function of the graph and the nodes' states.

A node is *ready* when it has not run yet (no state) and every node feeding it is resolved
(:data:`~wirework.engine.states.RESOLVED`: success, skipped, or an error that ``on_error``
lets through). Hence:

- an untaken ``core.if``/``core.switch`` branch is skipped, not left waiting: the branch
  node is resolved (success), its target runs, finds no input items and is skipped — and so
  on down everything only it feeds;
- a merge is ready once all its inputs are resolved, and runs with the non-skipped ones;
- a disabled node is resolved as skipped (passing its input items on);
- a node whose ``error`` output is connected is resolved as ``error`` when it fails;
- a waiting node (a ``core.wait``, a retry backoff) is not resolved: what it feeds waits;
- inside a ``core.loop`` body (``within`` the body), only sources inside the body count:
  each batch runs the body afresh.

:func:`ready_nodes` is the definition. :class:`ReadyTracker` is how the executor follows it
without rescanning the graph after every step (a count of unresolved sources per node);
``tests/engine/test_ready.py`` checks the two agree on random graphs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from wirework.engine.graph import Graph
from wirework.engine.states import RESOLVED


def ready_nodes(
    graph: Graph, states: Mapping[str, str], *, within: Collection[str] | None = None
) -> list[str]:
    """The nodes (of ``within``, if given) that may run now, in graph order."""
    found = []
    for node_id in graph.order:
        if node_id in states or (within is not None and node_id not in within):
            continue
        if all(
            states.get(source) in RESOLVED
            for source in graph.nodes[node_id].sources
            if within is None or source in within
        ):
            found.append(node_id)
    return found


class ReadyTracker:
    """:func:`ready_nodes`, followed incrementally: how many sources of each node are not
    resolved yet. Tell it each node that becomes resolved (once) with :meth:`resolved`."""

    __slots__ = ("_nodes", "remaining")

    def __init__(self, graph: Graph, *, within: Collection[str] | None = None) -> None:
        self._nodes = graph.nodes
        if within is None:
            self.remaining = {n: len(graph.nodes[n].sources) for n in graph.order}
        else:
            self.remaining = {
                n: sum(1 for s in graph.nodes[n].sources if s in within)
                for n in graph.order
                if n in within
            }

    def start(self, states: Mapping[str, str], order: list[str]) -> list[str]:
        """The ready nodes given ``states`` (e.g. rebuilt from stored steps): resolves
        every resolved node of ``order`` (graph order)."""
        ready: list[str] = []
        for node_id in order:
            if states.get(node_id) in RESOLVED:
                self.resolved(node_id, states, ready)
        for node_id in order:
            if self.remaining.get(node_id) == 0 and node_id not in states and node_id not in ready:
                ready.append(node_id)
        return ready

    def resolved(self, node_id: str, states: Mapping[str, str], ready: list[str]) -> None:
        """``node_id`` is resolved: append to ``ready`` its targets (in scope) that now are."""
        remaining = self.remaining
        for target in dict.fromkeys(e.target for e in self._nodes[node_id].outgoing):
            left = remaining.get(target)
            if left is None:
                continue
            remaining[target] = left - 1
            if left == 1 and target not in states:
                ready.append(target)
