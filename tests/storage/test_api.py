"""Through the API, with each storage as the runtime's: an execution record shows outputs
kept in the storage, and deleting the workflow deletes its executions' blobs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.test_executions import add_execution, add_workflow, fast_hashing
from wirework.db.models import ExecutionStep
from wirework.services.runtime import Runtime
from wirework.storage import Append, Storage, blob_key

__all__ = ["fast_hashing"]  # fixture

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def with_storage(runtime: Runtime, storage: Storage) -> Iterator[Storage]:
    """The runtime serves with ``storage`` (as WIREWORK_STORAGE_URL would set it)."""
    before, runtime.storage = runtime.storage, storage
    yield storage
    runtime.storage = before


async def test_records_read_the_storage_and_deleting_the_workflow_deletes_blobs(
    client: httpx.AsyncClient, session: AsyncSession, with_storage: Storage
) -> None:
    wf = await add_workflow(session, "Big data")
    ex = add_execution(session, wf, 1, "success")
    ex.result_node = "big"
    await session.commit()  # (SQLite: the storage writes on a connection of its own)
    items = [{"n": i} for i in range(2500)]
    key = blob_key(ex.id, "big", 0, 1)
    chunks = [json.dumps({"main": items[i : i + 1000]}) for i in range(0, 2500, 1000)]
    await with_storage.write([Append(key, chunks, first=True)])
    session.add(
        ExecutionStep(
            execution_id=ex.id, node_id="big", status="success", attempt=1, started_at=T0,
            finished_at=T0, items_out=2500, output_path=key,
        )
    )  # fmt: skip
    await session.commit()

    resp = await client.get(f"/api/executions/{ex.id}", params={"max_items": 10})
    assert resp.status_code == 200, resp.text
    step = resp.json()["steps"][0]
    assert step["output"] == {"main": items[:10]}
    assert step["truncated"] is True and step["items_out"] == 2500
    assert resp.json()["result"] == items[:10]

    resp = await client.delete(f"/api/workflows/{wf.id}")
    assert resp.status_code == 204, resp.text
    assert [c async for c in with_storage.read(key)] == []
