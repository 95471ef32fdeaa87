"""Fixtures of the engine suites."""

from __future__ import annotations

import pytest

from wirework.db.models import Workflow
from wirework.services.runtime import Runtime


@pytest.fixture
async def workflow_id(runtime: Runtime) -> int:
    """A workflow row for executions to belong to (graphs are compiled in the tests)."""
    async with runtime.sessionmaker() as session:
        row = Workflow(name="engine test")
        session.add(row)
        await session.commit()
        return row.id
