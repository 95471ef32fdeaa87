"""A server following an execution it handed to a worker (distributed mode: a remote
runner) when reading the finished execution's result fails: it retries, and when the result
stays unreadable the follow ends with a clear error (a webhook waiting for the response gets
it too), never a hang. Real PostgreSQL; the failure is real too: the server's database role
loses its SELECT privilege on the steps table while the execution runs, then gets it back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN, _create_pg, _drop_pg
from tests.engine import nodes as t
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.db.engine import async_url, create_engine
from wirework.db.models import Workflow
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.engine.store import StoreUnavailable
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

REG = t.registry()


class Handed(EmbeddedDispatcher):
    """A server's dispatcher whose workers are elsewhere: what it hands over is noted."""

    remote = True

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def submit(self, execution_id: str, *, node_id: str | None = None, payload: Any = None) -> None:
        self.submitted.append(execution_id)


@dataclass
class Setup:
    admin: asyncpg.Connection
    role: str
    graph: Graph
    worker: Runner  # the worker: the database's owner
    server: Runner  # the server: a role of its own

    async def steps_readable(self, readable: bool) -> None:
        verb = (
            "GRANT SELECT ON execution_steps TO"
            if readable
            else ("REVOKE SELECT ON execution_steps FROM")
        )
        await self.admin.execute(f'{verb} "{self.role}"')


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    name = f"ww_follow_{secrets.token_hex(4)}"
    url = await _create_pg(name)
    role = f"ww_server_{secrets.token_hex(4)}"
    runtime: Runtime = await open_runtime(
        Settings(data_dir=tmp_path, database_url=url, secret_key="test-" + secrets.token_hex(8))
    )
    admin_url = make_url(url)
    admin: asyncpg.Connection = await asyncpg.connect(
        host=admin_url.host, port=admin_url.port, user=admin_url.username, database=name
    )
    await admin.execute(f'CREATE ROLE "{role}" LOGIN')
    await admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
    await admin.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    server_engine = create_engine(async_url(admin_url.set(username=role).render_as_string(False)))

    chain = [
        {"id": "start", "type": "t.trigger"},
        {"id": "a", "type": "t.noop"},
        {"id": "b", "type": "t.noop"},
    ]
    edges = [(x["id"], y["id"]) for x, y in itertools.pairwise(chain)]
    async with runtime.sessionmaker() as session:
        row = Workflow(name="followed")
        session.add(row)
        await session.commit()
        workflow_id = row.id
    graph = compile_graph(doc(chain, edges), workflow_id=workflow_id, version=1, reg=REG)

    async def load(wf: int, version: int | None) -> Graph:
        return graph

    worker = Runner(SqlStore(runtime.engine, tmp_path), load_graph=load)
    server = Runner(
        SqlStore(server_engine, tmp_path), load_graph=load, dispatcher=Handed(), lease_s=30
    )
    for r in (worker, server):
        await r.start(resume=False, timers=False)
    try:
        yield Setup(admin, role, graph, worker, server)
    finally:
        for r in (server, worker):
            await r.stop()
        await server_engine.dispose()
        await runtime.close()
        await admin.execute(f'DROP OWNED BY "{role}"')
        await admin.close()
        await _drop_pg(name)
        pg = make_url(PG_ADMIN)
        admin_conn = await asyncpg.connect(
            host=pg.host, port=pg.port, user=pg.username, database=pg.database
        )
        try:
            await admin_conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin_conn.close()


async def _run_on_the_worker(s: Setup) -> tuple[Any, str]:
    """The server creates and hands over an execution (followed, with a webhook response
    awaited); its steps become unreadable to the server; the worker runs it to the end."""
    started = await s.server.execute(s.graph, input_items=[{"n": 1}], respond=True)
    await s.steps_readable(False)
    ran = await s.worker.resume(started.id)
    assert (await ran.wait()).status == "success"
    await s.worker.store.flush(started.id)
    return started, started.id


async def test_an_unreadable_result_is_retried_until_readable(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    s = setup
    caplog.set_level(logging.WARNING, "wirework.engine.runner")
    started, eid = await _run_on_the_worker(s)

    def retrying() -> bool:
        return any("the result could not be read" in r.getMessage() for r in caplog.records)

    await wait_for(retrying, "the follow retries the result", 30)
    assert not started.task.done()  # waiting for the store, not failed, not hung
    await s.steps_readable(True)
    record = await asyncio.wait_for(started.wait(), 60)
    assert record.status == "success" and record.id == eid
    assert started.run.result() == [{"n": 1}]
    response = await asyncio.wait_for(started.run.response, 5)
    assert (response.status, response.body) == (200, {"n": 1})


async def test_a_result_that_stays_unreadable_ends_the_follow_with_a_clear_error(
    setup: Setup,
) -> None:
    s = setup
    s.server.result_reads = 2
    started, eid = await _run_on_the_worker(s)
    with pytest.raises(StoreUnavailable) as failed:
        await asyncio.wait_for(started.wait(), 60)
    message = str(failed.value)
    assert eid in message and "'b'" in message and "could not be read" in message
    # The webhook caller waiting for the response gets the same error, not a hang.
    with pytest.raises(StoreUnavailable):
        await asyncio.wait_for(started.run.response, 5)
