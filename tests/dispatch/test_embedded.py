"""The embedded dispatcher: ready work in this process's event loop, timers from a heap and
from polling the store (a timer armed nowhere — its process died — still fires)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.engine.waiting import wait_for
from wirework.dispatch import Dispatcher, EmbeddedDispatcher


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Work:
    """A diamond a → (b, c) → d; ``fail`` names a node that raises."""

    targets = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.log: list[str] = []
        self.left = {"b": 1, "c": 1, "d": 2}
        self.cancelled: list[str] = []

    def begin(self, node_id: str) -> None:
        self.log.append(f"begin:{node_id}")

    async def run_node(self, node_id: str) -> str:
        try:
            await asyncio.sleep(0.01 if node_id != "c" else 0.05)
        except asyncio.CancelledError:
            self.cancelled.append(node_id)
            raise
        if node_id == self.fail:
            raise RuntimeError(node_id)
        return f"out:{node_id}"

    def complete(self, node_id: str, outcome: str, ready: list[str]) -> None:
        self.log.append(outcome)
        for target in self.targets[node_id]:
            self.left[target] -= 1
            if self.left[target] == 0:
                ready.append(target)


async def test_it_runs_ready_work_until_none_is_left() -> None:
    work = Work()
    await EmbeddedDispatcher().run_ready(["a"], work)
    assert work.log == [
        "begin:a", "out:a", "begin:b", "begin:c", "out:b", "out:c", "begin:d", "out:d",
    ]  # fmt: skip


async def test_a_failure_stops_the_other_running_nodes() -> None:
    work = Work(fail="b")
    with pytest.raises(RuntimeError, match="b"):
        await EmbeddedDispatcher().run_ready(["a"], work)
    assert work.cancelled == ["c"]


async def test_timers_fire_when_due_armed_or_polled() -> None:
    dispatcher: Dispatcher = EmbeddedDispatcher()
    fired: list[str] = []
    stored = [(now() - dt.timedelta(seconds=1), "from-the-store")]

    async def fire(execution_id: str) -> None:
        fired.append(execution_id)

    async def due() -> list[tuple[dt.datetime, str]]:
        found, stored[:] = list(stored), []
        return found

    dispatcher.start_timers(fire, due, poll_interval_s=0.05)
    dispatcher.arm_timer("later", now() + dt.timedelta(seconds=1))
    dispatcher.arm_timer("soon", now() + dt.timedelta(seconds=0.05))
    await wait_for(lambda: len(fired) == 2, "the stored and the armed due timers fired")
    assert fired == ["from-the-store", "soon"]
    stored.append((now(), "parked-by-another-process"))
    await wait_for(lambda: len(fired) == 3, "a timer only the store knows fired")
    await wait_for(lambda: len(fired) == 4, "the later timer fired")
    assert fired == ["from-the-store", "soon", "parked-by-another-process", "later"]
    await dispatcher.stop_timers()
    dispatcher.arm_timer("after-stop", now())
    await asyncio.sleep(0.05)
    assert "after-stop" not in fired
