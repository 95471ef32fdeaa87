"""Large inputs stream: a streamable node given more than ``CHUNK_ITEMS`` items runs batch
by batch, and each batch flows on at once through the streamable nodes only it feeds (its
*region*) before the next batch starts. Outputs are appended to the store per batch; a
consumed large output is *released* from memory (the store keeps it).

Streaming never changes a result: the same items, in the same order, as one big batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wirework.engine.context import StepContext
from wirework.engine.graph import GraphNode
from wirework.engine.invoke import describe, invoke
from wirework.engine.outcome import CHUNK_ITEMS, ExecutionFailed, Outcome, batches, utcnow
from wirework.engine.states import CANCELED, ERROR, PENDING, RUNNING, SKIPPED, SUCCESS
from wirework.sdk.node import Item, NodeError, Outputs

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun


class StreamFailed(Exception):
    """A node of a streamed region failed on a batch."""

    def __init__(self, node_id: str, exc: BaseException) -> None:
        super().__init__(node_id)
        self.node_id = node_id
        self.exc = exc


def release(run: ExecutionRun, node_id: str) -> bool:
    """Drop a consumed node's large output from memory (the store keeps it); whether it
    is released now."""
    if node_id in run.released:
        return True
    if node_id not in run.graph.releasable:
        return False
    outputs = run.outputs.get(node_id)
    if not outputs or sum(len(v) for v in outputs.values()) <= CHUNK_ITEMS:
        return False
    run.outputs[node_id] = {}
    run.released.add(node_id)
    return True


def consume(run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]) -> bool:
    """``node`` has taken its inputs: release what no other node needs. Returns whether
    its ``main`` input list is now its own (nothing else holds it), so that it may free
    the items batch by batch as it goes."""
    if not node.incoming:
        return False
    owned = True
    consumers_left = run.consumers_left
    for source in {e.source for e in node.incoming}:
        left = consumers_left[source] = consumers_left[source] - 1
        if not (left == 0 and release(run, source)) or any(
            e.target != node.id for e in run.graph.nodes[source].outgoing
        ):
            owned = False
    main = inputs.get("main")
    if not owned or main is None:
        return False
    shared = main is run.input_items or any(
        items is main for outputs in run.outputs.values() for items in outputs.values()
    )
    return not shared and not any(w.items is main for w in run.waiting.values())


def region(run: ExecutionRun, root: GraphNode) -> list[str]:
    """The streamable nodes fed only by ``root`` or by each other, in graph order: each
    batch of ``root``'s input flows through all of them before the next. None of them may
    read another's output by name (it would be mid-stream)."""
    graph = run.graph
    members = [root.id]
    names = {root.name}
    pinned = graph.pinned if run.record.mode in ("manual", "test", "cli") else {}
    for node_id in graph.order:
        node = graph.nodes[node_id]
        if (
            len(node.incoming) == 1
            and node.incoming[0].source in members
            and node.streamable
            and node_id not in run.status
            and node_id not in pinned
            and not (node.node_refs or frozenset()) & names
            and not any(node.name in (graph.nodes[m].node_refs or ()) for m in members)
        ):
            members.append(node_id)
            names.add(node.name)
    return members


class _Stream:
    """One streamed region in progress: where each node's batches go, what is kept."""

    def __init__(self, run: ExecutionRun, root: GraphNode) -> None:
        self.run = run
        self.region = region(run, root)
        members = set(self.region)
        self.started = utcnow()
        self.routes: dict[str, dict[str, list[str]]] = {n: {} for n in self.region}
        self.keep: dict[str, bool] = {}
        self.attempts: dict[str, int] = {}
        graph = run.graph
        for n in self.region:
            node = graph.nodes[n]
            boundary = False
            for edge in node.outgoing:
                if edge.target in members:
                    self.routes[n].setdefault(edge.source_port, []).append(edge.target)
                else:
                    boundary = True
            self.keep[n] = boundary or not node.outgoing or n not in graph.releasable
            self.attempts[n] = run.attempts[n] = run.attempts.get(n, 0) + 1
            if n != root.id:  # the root is running already
                run.set_status(n, RUNNING)
        self.kept: dict[str, Outputs] = {n: {} for n in self.region}
        self.counts = dict.fromkeys(self.region, 0)
        self.touched: set[str] = set()
        self.appended: set[str] = set()

    async def push(self, node_id: str, chunk: list[Item]) -> None:
        """Run ``node_id`` on one batch, and its outputs on through the region."""
        run = self.run
        node = run.graph.nodes[node_id]
        if node_id not in self.touched:
            self.touched.add(node_id)
            run.event("step.started", {"node_id": node_id, "attempt": self.attempts[node_id]})
        try:
            outcome = await invoke(run, node, StepContext(run, node, {"main": chunk}))
            if outcome.wait is not None:
                raise NodeError("a node cannot wait while items stream through it")
        except Exception as exc:
            raise StreamFailed(node_id, exc) from exc
        first = node_id not in self.appended
        out = {p: v for p, v in outcome.outputs.items() if v or first}
        if not out:
            return
        run.store.append_output(run.step_key(node, self.attempts[node_id]), out, first=first)
        self.appended.add(node_id)
        for port, port_items in out.items():
            self.counts[node_id] += len(port_items)
            if self.keep[node_id]:
                self.kept[node_id].setdefault(port, []).extend(port_items)
            for target in self.routes[node_id].get(port, ()):
                if port_items:
                    await self.push(target, port_items)

    def failed(self, failed: StreamFailed) -> ExecutionFailed:
        """Record the failing node's error and the others of the region as canceled."""
        run = self.run
        assert isinstance(failed.exc, Exception)
        error, _ = describe(run, run.graph.nodes[failed.node_id], failed.exc)
        stopped = {
            "message": f"stopped: node {failed.node_id!r} failed while items streamed through",
            "type": "canceled",
        }
        for n in self.region:
            if n not in self.touched:
                run.set_status(n, PENDING)
                continue
            status = ERROR if n == failed.node_id else CANCELED
            run.record_step(
                run.graph.nodes[n],
                self.attempts[n],
                self.started,
                Outcome(status, {}),
                error=error if n == failed.node_id else stopped,
                appended=n in self.appended,
                items_out=self.counts[n],
            )
        return ExecutionFailed(error)

    def finished(self) -> Outcome:
        """Record every node of the region; the root's outcome carries the others'."""
        run = self.run
        outcomes: list[tuple[str, Outcome]] = []
        for n in self.region:
            node = run.graph.nodes[n]
            if n not in self.touched:
                outcome = Outcome(SKIPPED, {})
                run.record_step(node, self.attempts[n], self.started, outcome)
            else:
                count = self.counts[n]
                released = 0 if self.keep[n] or not count else count
                outcome = Outcome(SUCCESS, self.kept[n], released=released)
                run.record_step(
                    node,
                    self.attempts[n],
                    self.started,
                    outcome,
                    appended=n in self.appended,
                    items_out=count,
                )
            outcomes.append((n, outcome))
        root_outcome = outcomes[0][1]
        root_outcome.region = outcomes[1:]
        return root_outcome


async def run_stream(run: ExecutionRun, root: GraphNode, items: list[Item], owned: bool) -> Outcome:
    """Run ``root`` and its region (see :func:`region`) batch by batch over ``items``.

    Outputs are appended to the store per batch. Only the outputs that something still
    needs are gathered in memory: those feeding nodes outside the region, those of its
    leaves, and those read by name or marked as the result."""
    stream = _Stream(run, root)
    try:
        for chunk in batches(items, owned):
            await stream.push(root.id, chunk)
            await run.store.drain(run.record.id)  # other executions run; the writer keeps up
    except StreamFailed as failed:
        raise stream.failed(failed) from None
    return stream.finished()
