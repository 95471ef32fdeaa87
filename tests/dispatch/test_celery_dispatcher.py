"""The distributed dispatchers without a broker: a worker's ready-set segments and log
context, and what the server's dispatcher publishes (a broker that is down loses nothing:
the execution waits in the store for the sweep)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog

from tests.dispatch.test_embedded import Work
from wirework.dispatch.base import HandOff
from wirework.dispatch.celery import CeleryDispatcher, WorkerDispatcher, make_app


class TopWork(Work):
    top_level = True

    def __init__(self) -> None:
        super().__init__()
        self.bound: dict[str, Any] = {}

    async def run_node(self, node_id: str) -> str:
        self.bound[node_id] = structlog.contextvars.get_contextvars().get("node_id")
        return await super().run_node(node_id)


async def test_each_step_logs_with_its_node_id() -> None:
    work = TopWork()
    await WorkerDispatcher().run_ready(["a"], work)
    assert work.bound == {"a": "a", "b": "b", "c": "c", "d": "d"}
    assert "node_id" not in structlog.contextvars.get_contextvars()


async def test_a_ready_set_segment_runs_what_is_ready_then_hands_off() -> None:
    work = TopWork()
    ready = ["a"]
    with pytest.raises(HandOff):
        await WorkerDispatcher("ready_set").run_ready(ready, work)
    assert work.log == ["begin:a", "out:a"] and ready == ["b", "c"]  # left for the next
    # the next segment (another worker, rebuilt from the store) runs the next ready set
    with pytest.raises(HandOff):
        await WorkerDispatcher("ready_set").run_ready(["b", "c"], work)
    assert work.log[2:] == ["begin:b", "begin:c", "out:b", "out:c"]
    await WorkerDispatcher("ready_set").run_ready(["d"], work)  # nothing after: no hand-off
    assert work.log[-1] == "out:d"


async def test_a_loop_body_is_never_handed_off() -> None:
    work = Work()  # not the execution's own drive (top_level is absent: a loop body)
    work.top_level = False  # type: ignore[attr-defined]
    await WorkerDispatcher("ready_set").run_ready(["a"], work)
    assert work.log[-1] == "out:d"


def test_an_unknown_segment_is_refused() -> None:
    with pytest.raises(ValueError, match="segment"):
        WorkerDispatcher("step")


async def test_publishing_to_a_broker_that_is_down_does_not_raise() -> None:
    # Nothing listens on port 1: publishing fails (after its retries) in the publisher
    # thread, logged; the execution stays unclaimed in the store until the sweep.
    app = make_app("redis://127.0.0.1:1/0")
    app.conf.task_publish_retry_policy = {"max_retries": 0}
    app.conf.broker_connection_timeout = 0.5
    dispatcher = CeleryDispatcher(app)
    assert dispatcher.remote
    dispatcher.submit("some-execution")
    await asyncio.get_running_loop().run_in_executor(None, dispatcher.flush_publishing, 30)
    dispatcher.close()


def test_worker_and_scheduler_need_a_broker(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    wirework = str(Path(sys.executable).with_name("wirework"))
    env = {**os.environ, "WIREWORK_BROKER_URL": "", "WIREWORK_DATA_DIR": str(tmp_path)}
    for command in ("worker", "scheduler"):
        done = subprocess.run([wirework, command], env=env, capture_output=True, timeout=60)
        assert done.returncode == 1
        assert b"WIREWORK_BROKER_URL is not set" in done.stderr
