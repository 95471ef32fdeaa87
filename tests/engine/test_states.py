"""The state tables: complete, closed, matching what the API and the database store, and
enforced by the executor."""

from __future__ import annotations

import typing

import pytest

from tests.engine import nodes as t
from tests.engine.nodes import doc
from wirework.engine.executor import ExecutionRun
from wirework.engine.graph import compile_graph
from wirework.engine.outcome import utcnow
from wirework.engine.states import (
    EXECUTION_FINAL,
    EXECUTION_TRANSITIONS,
    RESOLVED,
    STEP_FINAL,
    STEP_TRANSITIONS,
    ExecutionStatus,
    IllegalTransition,
    StepStatus,
    execution_transition,
    step_transition,
)
from wirework.engine.store import ExecutionRecord, MemoryStore
from wirework.schemas import executions as schemas

S, E = StepStatus, ExecutionStatus


def test_every_state_has_its_row_and_final_states_have_no_exit() -> None:
    assert set(STEP_TRANSITIONS) == set(StepStatus)
    assert set(EXECUTION_TRANSITIONS) == set(ExecutionStatus)
    for state in STEP_FINAL:
        assert not STEP_TRANSITIONS[S(state)]
    for state in EXECUTION_FINAL:
        assert not EXECUTION_TRANSITIONS[E(state)]
    assert RESOLVED < STEP_FINAL


def test_states_are_their_stored_text() -> None:
    # What the API and the database hold: every stored state, and nothing else.
    assert set(typing.get_args(schemas.ExecutionStatus)) == {s.value for s in ExecutionStatus}
    assert set(typing.get_args(schemas.StepStatus)) == {s.value for s in S} - {"pending"}
    assert S.SUCCESS == "success" and f"{E.WAITING}" == "waiting"
    assert "running" in (E.QUEUED, E.RUNNING)


@pytest.mark.parametrize(
    ("old", "new"),
    [(None, S.RUNNING), (S.RUNNING, S.WAITING), (S.WAITING, S.SUCCESS), (S.WAITING, S.PENDING)],
)
def test_allowed_step_transitions(old: StepStatus | None, new: StepStatus) -> None:
    assert step_transition("n", old, new) is new


@pytest.mark.parametrize(
    ("old", "new"),
    [(S.SUCCESS, S.RUNNING), (S.ERROR, S.SUCCESS), (S.SKIPPED, S.WAITING), (None, S.CANCELED)],
)
def test_illegal_step_transitions_are_refused(old: StepStatus | None, new: StepStatus) -> None:
    with pytest.raises(IllegalTransition, match=rf"node 'n': illegal transition \w+ → {new}"):
        step_transition("n", old, new)


def test_execution_transitions() -> None:
    assert execution_transition("x", None, E.QUEUED) is E.QUEUED
    assert execution_transition("x", "waiting", E.RUNNING) is E.RUNNING  # stored text works
    with pytest.raises(IllegalTransition, match="execution x: illegal transition new → waiting"):
        execution_transition("x", None, E.WAITING)
    with pytest.raises(IllegalTransition, match="success → running"):
        execution_transition("x", E.SUCCESS, E.RUNNING)


async def test_the_executor_refuses_an_illegal_transition() -> None:
    g = compile_graph(doc([{"id": "a", "type": "t.noop"}], []), reg=t.registry())
    record = ExecutionRecord("x1", None, 0, E.RUNNING, "manual", utcnow())
    store = MemoryStore()
    store.create_execution(record)
    run = ExecutionRun(g, record, store)
    await run.run()
    assert record.status == E.SUCCESS and run.status["a"] == S.SUCCESS
    with pytest.raises(IllegalTransition):
        run.set_status("a", S.RUNNING)
    with pytest.raises(IllegalTransition):
        run.set_execution_status(E.RUNNING)
