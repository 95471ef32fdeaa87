"""The states of steps and executions, and the transitions allowed between them — in one
place. ``engine/README.md`` draws the same tables.

Both enums are :class:`~enum.StrEnum`: a state *is* its stored text (``"success"``), so the
database, the API and code comparing with plain strings keep working unchanged.

A *step* here is a node of one execution, in memory and in its stored rows. ``PENDING`` is
never stored: it is a node that has not run yet (no entry in the run's state map). A
resumed run starts from the stored steps; a node left ``running`` (its process died) or
failed with ``on_error: stop`` counts as ``PENDING`` again and runs again (at-least-once).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class StepStatus(StrEnum):
    PENDING = "pending"  # not run yet (never stored)
    RUNNING = "running"
    WAITING = "waiting"  # parked: a core.wait, or a retry backoff (its wait spec says retry)
    SUCCESS = "success"
    ERROR = "error"  # failed; resolved only when on_error lets the flow go on
    SKIPPED = "skipped"
    CANCELED = "canceled"  # stopped while items streamed through it (another node failed)


class ExecutionStatus(StrEnum):
    QUEUED = "queued"  # waiting for a concurrency slot
    RUNNING = "running"
    WAITING = "waiting"  # parked in the database: no task holds it
    SUCCESS = "success"
    ERROR = "error"
    CANCELED = "canceled"


class IllegalTransition(RuntimeError):
    """A state change the tables below do not allow: a bug in the engine, never a user
    error."""

    def __init__(self, kind: str, subject: str, old: str | None, new: str) -> None:
        super().__init__(f"{kind} {subject}: illegal transition {old or 'new'} → {new}")
        self.old = old
        self.new = new


S = StepStatus
E = ExecutionStatus

# The step states as plain module names, for the hot path: looking up an enum member as a
# class attribute (StepStatus.SUCCESS) costs about ten times reading a global.
PENDING, RUNNING, WAITING = S.PENDING, S.RUNNING, S.WAITING
SUCCESS, ERROR, SKIPPED, CANCELED = S.SUCCESS, S.ERROR, S.SKIPPED, S.CANCELED

# What a node's state may become. Outcomes may be reached straight from PENDING (a lone
# ready node runs inline without being marked RUNNING first).
STEP_TRANSITIONS: Mapping[StepStatus, frozenset[StepStatus]] = {
    S.PENDING: frozenset({S.RUNNING, S.SUCCESS, S.ERROR, S.SKIPPED, S.WAITING}),
    S.RUNNING: frozenset({S.SUCCESS, S.ERROR, S.SKIPPED, S.WAITING, S.CANCELED, S.PENDING}),
    # A wait completes (SUCCESS); a retry backoff falls due and the node runs again (PENDING).
    S.WAITING: frozenset({S.SUCCESS, S.PENDING}),
    S.SUCCESS: frozenset(),
    S.ERROR: frozenset(),
    S.SKIPPED: frozenset(),
    S.CANCELED: frozenset(),
}
# A node is *resolved* (its targets may run) once it is in one of these states.
RESOLVED: frozenset[str] = frozenset({S.SUCCESS, S.SKIPPED, S.ERROR})
STEP_FINAL: frozenset[str] = frozenset({S.SUCCESS, S.SKIPPED, S.ERROR, S.CANCELED})

# What an execution's state may become. RUNNING → RUNNING is a takeover (another process
# claims it after its owner's lease lapsed); RUNNING → QUEUED a resumed execution waiting
# for a concurrency slot; QUEUED/WAITING → ERROR the store failing under it.
EXECUTION_TRANSITIONS: Mapping[ExecutionStatus, frozenset[ExecutionStatus]] = {
    E.QUEUED: frozenset({E.RUNNING, E.CANCELED, E.ERROR}),
    E.RUNNING: frozenset({E.SUCCESS, E.ERROR, E.CANCELED, E.WAITING, E.QUEUED, E.RUNNING}),
    E.WAITING: frozenset({E.RUNNING, E.CANCELED, E.ERROR}),
    E.SUCCESS: frozenset(),
    E.ERROR: frozenset(),
    E.CANCELED: frozenset(),
}
# A new execution starts in one of these.
EXECUTION_INITIAL: frozenset[ExecutionStatus] = frozenset({E.QUEUED, E.RUNNING})
# Executions some process should be running (a lapsed lease means it died).
UNFINISHED: tuple[ExecutionStatus, ...] = (E.QUEUED, E.RUNNING)
EXECUTION_FINAL: frozenset[str] = frozenset({E.SUCCESS, E.ERROR, E.CANCELED})


def step_transition(node_id: str, old: str | None, new: StepStatus) -> StepStatus:
    """``new``, if a node in state ``old`` (None: pending) may move to it; else raise
    :class:`IllegalTransition`."""
    if new not in STEP_TRANSITIONS[old or PENDING]:  # type: ignore[index]
        raise IllegalTransition("node", repr(node_id), old, new)
    return new


def execution_transition(
    execution_id: str, old: str | None, new: ExecutionStatus
) -> ExecutionStatus:
    """``new``, if an execution in state ``old`` (None: being created) may move to it; else
    raise :class:`IllegalTransition`."""
    allowed = EXECUTION_INITIAL if old is None else EXECUTION_TRANSITIONS[old]  # type: ignore[index]
    if new not in allowed:
        raise IllegalTransition("execution", execution_id, old, new)
    return new
