"""Spread branches (distributed mode): a worker running an execution segment hands some
branches of a fork to other workers ("run node N of execution E") and settles their outcomes
as if it had run them itself.

The dispatcher side is here: the loop that runs a ready set partly on this worker's event
loop and partly through a :class:`Spreader` (the engine's :mod:`wirework.engine.branches`:
the claims in the database, the messages, the outcomes). Linear stretches never touch it: a
graph without a fork, or whose policy is ``off``, runs exactly as embedded mode does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from enum import StrEnum
from typing import Any, Protocol

from wirework.dispatch.base import ReadyWork


class SpreadPolicy(StrEnum):
    """Whether a fork's branches go to other workers (``WIREWORK_SPREAD_BRANCHES``, a
    workflow's ``settings.spread``)."""

    OFF = "off"  # every branch on the worker running the execution
    AUTO = "auto"  # wide forks and CPU-heavy branches only (see README.md, measured)
    ALWAYS = "always"  # every fork of two or more branches that may be spread


class SpreadPlan(Protocol):
    """One drive of one execution, as the spreader sees it."""

    def choose(self, ready: list[str]) -> set[str]:
        """Which of ``ready`` (a ready set) run elsewhere: those another worker already
        holds (a resumed execution), and those the policy spreads."""
        ...

    async def launch(self, node_ids: list[str]) -> list[str]:
        """Hand ``node_ids`` to the cluster (their inputs made durable first); returns those
        handed (the others run here)."""
        ...

    def outcome(self, node_id: str) -> Awaitable[Any]:
        """The outcome of a node running elsewhere, once it is known (or of the node run
        here, if its claim lapsed and this worker took it back)."""
        ...

    def close(self) -> None:
        """The drive ended (stop awaiting)."""


class Spreader(Protocol):
    async def plan(self, work: ReadyWork[Any]) -> SpreadPlan | None:
        """How this drive spreads its forks; None: it does not (no fork, policy off)."""
        ...


async def run_spread(ready: list[str], work: ReadyWork[Any], plan: SpreadPlan) -> None:
    """The embedded dispatcher's loop, with the nodes ``plan`` chooses run elsewhere."""
    running: dict[asyncio.Future[Any], str] = {}
    try:
        while ready or running:
            batch = list(ready)
            ready.clear()
            remote = plan.choose(batch)
            if len(batch) == 1 and not running and not remote:
                node_id = batch[0]
                work.begin(node_id)
                work.complete(node_id, await work.run_node(node_id), ready)
                continue
            spread = [n for n in batch if n in remote]
            for node_id in batch:
                work.begin(node_id)
                if node_id not in remote:
                    running[asyncio.ensure_future(work.run_node(node_id))] = node_id
            if spread:
                handed = set(await plan.launch(spread))
                for node_id in spread:
                    run = plan.outcome(node_id) if node_id in handed else work.run_node(node_id)
                    running[asyncio.ensure_future(run)] = node_id
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                node_id = running.pop(task)
                work.complete(node_id, task.result(), ready)
    finally:
        plan.close()
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
