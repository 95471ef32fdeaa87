"""Fixtures of the engine suites."""

from __future__ import annotations

import pytest

from tests.engine.engines import engine, engine_session, node_state
from wirework.db.models import Workflow
from wirework.services.runtime import Runtime

__all__ = ["engine", "engine_session", "node_state"]  # the engine in both modes (engines.py)


@pytest.fixture
async def workflow_id(runtime: Runtime) -> int:
    """A workflow row for executions to belong to (graphs are compiled in the tests)."""
    async with runtime.sessionmaker() as session:
        row = Workflow(name="engine test")
        session.add(row)
        await session.commit()
        return row.id
