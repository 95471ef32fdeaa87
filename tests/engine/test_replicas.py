"""Two `wirework server` processes on one PostgreSQL database: each runs its own executions
and never one of the other's while that one lives; when one is killed (SIGKILL) the other
takes its executions over once their lease has lapsed, re-running only the interrupted step."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import secrets
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.fernet import Fernet

from tests.conftest import _create_pg, _drop_pg
from tests.engine.servers import Server, call, free_port, log_in, recorder, start_server
from tests.engine.waiting import wait_until

LEASE_S = 4.0


def rows(url: str, ids: list[str]) -> dict[str, asyncpg.Record]:
    async def query() -> dict[str, asyncpg.Record]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            found = await conn.fetch(
                "SELECT id, status, worker, lease_until FROM executions WHERE id = ANY($1)", ids
            )
        finally:
            await conn.close()
        return {r["id"]: r for r in found}

    return asyncio.run(query())


def test_two_servers_on_one_database_never_run_an_execution_twice(tmp_path: Path) -> None:
    name = f"ww_test_{secrets.token_hex(4)}"
    url = asyncio.run(_create_pg(name))
    env = {
        "WIREWORK_DATABASE_URL": url,
        "WIREWORK_EXECUTION_LEASE_S": str(LEASE_S),
        "WIREWORK_OUTBOUND_ALLOW": "127.0.0.1",
        "WIREWORK_SECRET_KEY": secrets.token_urlsafe(32),
        "WIREWORK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    servers: list[Server] = []
    try:
        with recorder() as rec:
            a = start_server(tmp_path / "a", free_port(), **env)
            servers.append(a)
            log_in(a, setup=True)
            b = start_server(tmp_path / "b", free_port(), **env)
            servers.append(b)
            log_in(b, setup=False)
            nodes: list[dict[str, Any]] = [
                {"id": "start", "type": "core.manual"},
                call("hit", f"{rec.url}/hit/"),
                call("hold", f"{rec.url}/hold/"),
                call("done", f"{rec.url}/done/"),
            ]
            conns = [{"from": x["id"], "to": y["id"]} for x, y in itertools.pairwise(nodes)]
            wf = a.post(
                "/api/workflows", {"name": "counted", "nodes": nodes, "connections": conns}, 201
            )["id"]
            on_a = [a.post(f"/api/workflows/{wf}/execute", {}, 202)["id"] for _ in range(4)]
            on_b = [b.post(f"/api/workflows/{wf}/execute", {}, 202)["id"] for _ in range(4)]
            every = on_a + on_b
            wait_until(lambda: rec.count("/hold/") == 8, "all eight executions are held")

            # Both alive for a few lease periods: leases are renewed, sweeps find nothing.
            later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2 * LEASE_S)
            wait_until(
                lambda: all(
                    r["lease_until"].replace(tzinfo=dt.UTC) > later
                    for r in rows(url, every).values()
                ),
                "every lease has been renewed past two lease periods from now",
                limit_s=60,
            )
            owners = {i: r["worker"] for i, r in rows(url, every).items()}
            assert len({owners[i] for i in on_a}) == 1 and len({owners[i] for i in on_b}) == 1
            assert owners[on_a[0]] != owners[on_b[0]]
            assert rec.count("/hit/") == 8 and rec.count("/hold/") == 8  # none ran twice

            a.kill()
            rec.release()

            def all_done() -> bool:
                return all(r["status"] == "success" for r in rows(url, every).values())

            wait_until(all_done, "server B finishes every execution", limit_s=90)
            final = rows(url, every)
            assert {final[i]["worker"] for i in every} == {owners[on_b[0]]}  # B took A's over
            for i in every:
                assert rec.count("/hit/", i) == 1, i  # finished steps are never run again
                assert rec.count("/done/", i) == 1, i
                # the step interrupted by the kill ran again on B; B's own ran once
                assert rec.count("/hold/", i) == (2 if i in on_a else 1), i
            record = b.get(f"/api/executions/{on_a[0]}")
            assert [s["node_id"] for s in record["steps"]] == ["start", "hit", "hold", "done"]
    finally:
        for server in servers:
            server.stop()
        asyncio.run(_drop_pg(name))
