"""What the engine asks of a dispatcher: run the ready steps of an execution, and arm the
durable timers of parked executions (waits, retry backoffs).

The engine decides *what* is ready (:mod:`wirework.engine.ready`) and records every state
change in the store; a dispatcher decides only *where and when* the work runs. The timers
are durable because the database holds them (a parked execution's ``wait_until``); a
dispatcher's timer is a way of waking up on time, and the engine polls the store for due
waits as well, so a lost timer delays a wait, never loses it.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

OutcomeT = TypeVar("OutcomeT")

#: The broker queue distributed work goes to (``wirework worker`` consumes it; the
#: queue-depth endpoint reads its length).
QUEUE = "wirework"

# Fires a due timer: resume this execution (the engine claims it first; a timer fired
# twice, or for an execution resumed meanwhile, does nothing).
FireTimer = Callable[[str], Awaitable[None]]
# The timers due now according to the store: (when, execution id).
DueTimers = Callable[[], Awaitable[list[tuple[dt.datetime, str]]]]


class HandOff(Exception):
    """Raised by :meth:`Dispatcher.run_ready`: this process stops here and the rest of the
    execution runs elsewhere, from its stored steps (the run ends unfinished, detached)."""


class ReadyWork(Protocol[OutcomeT]):
    """One execution's work as a dispatcher sees it."""

    #: The execution's own drive (not a ``core.loop`` body's): it may be handed off.
    top_level: bool

    def begin(self, node_id: str) -> None:
        """``node_id`` is taken to run (the engine marks it running)."""

    def run_node(self, node_id: str) -> Awaitable[OutcomeT]:
        """Run one node to its outcome (its steps recorded); raises if the execution
        fails."""
        ...

    def complete(self, node_id: str, outcome: OutcomeT, ready: list[str]) -> None:
        """Settle the outcome; appends to ``ready`` the nodes it makes ready."""


class Dispatcher(ABC):
    #: Executions run elsewhere (distributed mode): the runner creates them and hands them
    #: over with :meth:`submit` instead of running them in this process.
    remote: bool = False

    def submit(self, execution_id: str, *, node_id: str | None = None, payload: Any = None) -> None:
        """Hand the execution to a worker, which claims it in the store and runs it on from
        its stored steps (``node_id``/``payload``: the webhook call resuming a wait).
        Only remote dispatchers implement it."""
        raise NotImplementedError(f"{type(self).__name__} runs executions in this process")

    @abstractmethod
    async def run_ready(self, ready: list[str], work: ReadyWork[Any]) -> None:
        """Run the ``ready`` nodes, and the nodes they make ready, until none is left or one
        raises (then the others are stopped and the error propagates)."""

    @abstractmethod
    def arm_timer(self, execution_id: str, due: dt.datetime) -> None:
        """Wake the parked execution at ``due``."""

    @abstractmethod
    def start_timers(self, fire: FireTimer, due: DueTimers, poll_interval_s: float) -> None:
        """Start firing armed timers, and those the store says are due (polled every
        ``poll_interval_s``: another process may have parked them)."""

    @abstractmethod
    async def stop_timers(self) -> None:
        """Stop firing timers (between two firings)."""
