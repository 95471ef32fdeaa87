"""Scale: GET /api/dashboard with 1,000,000 executions stored, spread over the last 90 days.

Rows are inserted with SQLAlchemy Core in large batches (ids time-ordered like the engine's,
from each row's start); each period is then asked for through the real app (ASGI, bearer
token), and the newest page of GET /api/executions with a time filter likewise. The first
request of a period builds its roll-ups (printed apart); the median is of the requests after
it. As a baseline measured in the same run, the same periods are computed directly from
`executions` (`use_rollups=False`, the service without HTTP), and both answers compared.

    .venv/bin/python -m bench dashboard                      # SQLite
    .venv/bin/python -m bench.dashboard postgresql://postgres@127.0.0.1:5432/empty_db
    BENCH_ROWS=100000 .venv/bin/python -m bench dashboard    # fewer rows
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import sys
from typing import Any

import httpx
from sqlalchemy import insert, text

from bench.common import Timer, machine, median, pct, report, save_workflow, temp_runtime
from wirework.api.app import create_app
from wirework.db.models import Execution
from wirework.schemas.dashboard import Period
from wirework.services import dashboard
from wirework.services.runtime import Runtime

ROWS = int(os.environ.get("BENCH_ROWS", 1_000_000))
WORKFLOWS = 50
DAYS = 90
BATCH = 20_000
RUNS = 15
DIRECT_RUNS = 3
PERIODS = ("24h", "7d", "30d", "90d")


def id_at(when: dt.datetime, rng: random.Random) -> str:
    """A time-ordered id as `new_id()` makes it, for a start in the past."""
    ms = int(when.timestamp() * 1000)
    value = (ms & ((1 << 48) - 1)) << 80 | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return f"{value:032x}"


async def fill(runtime: Runtime, rows: int, now: dt.datetime) -> None:
    workflow_ids = [
        await save_workflow(runtime, {"name": f"workflow {i}", "nodes": [], "connections": []})
        for i in range(WORKFLOWS)
    ]
    rng = random.Random(7)
    statuses = ["success"] * 88 + ["error"] * 8 + ["canceled"] * 2 + ["waiting"] * 2
    span_s = DAYS * 86400
    # Oldest first, like real inserts (ids and starts grow together).
    offsets = sorted(rng.random() * span_s for _ in range(rows))
    for first in range(0, rows, BATCH):
        batch = []
        for offset in offsets[first : first + BATCH]:
            started = now - dt.timedelta(seconds=span_s - offset)
            wid = rng.choice(workflow_ids)
            status = rng.choice(statuses)
            took = dt.timedelta(milliseconds=rng.lognormvariate(4 + wid % 5, 1))
            batch.append(
                {
                    "id": id_at(started, rng),
                    "workflow_id": wid,
                    "workflow_version": 1,
                    "status": status,
                    "mode": "webhook",
                    "started_at": started,
                    "finished_at": None if status == "waiting" else started + took,
                }
            )
        async with runtime.engine.begin() as conn:
            await conn.execute(insert(Execution.__table__), batch)
    # PostgreSQL and MariaDB keep statistics up to date by themselves after a while (autovacuum,
    # InnoDB's persistent statistics); have them now. SQLite has none unless asked (we never ask).
    analyze = {"postgresql": "ANALYZE executions", "mysql": "ANALYZE TABLE executions"}
    if (statement := analyze.get(runtime.engine.dialect.name)) is not None:
        async with runtime.engine.begin() as conn:
            await conn.execute(text(statement))


async def timed(client: httpx.AsyncClient, url: str, params: dict[str, str]) -> list[float]:
    times = []
    for _ in range(RUNS):
        with Timer() as t:
            resp = await client.get(url, params=params)
        assert resp.status_code == 200, resp.text
        times.append(t.elapsed * 1000)
    return times


async def main(database_url: str = "", rows: int = ROWS) -> dict[str, float]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with temp_runtime(database_url) as runtime:
        now = dt.datetime.now(dt.UTC)
        with Timer() as filling:
            await fill(runtime, rows, now)
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        results: dict[str, float] = {}
        out = [
            (
                "rows stored",
                f"{rows:,} over {DAYS} days, {WORKFLOWS} workflows "
                f"(inserted in {filling.elapsed:.0f} s)",
            )
        ]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            resp = await client.post(
                "/api/setup", json={"email": "bench@example.com", "password": "bench password"}
            )
            client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
            cases: dict[str, tuple[str, dict[str, str]]] = {
                f"dashboard {p}": ("/api/dashboard", {"period": p}) for p in PERIODS
            }
            day_ago = (now - dt.timedelta(days=1)).isoformat()
            month_ago = (now - dt.timedelta(days=30)).isoformat()
            cases["executions, started in the last 24h, page of 50"] = (
                "/api/executions",
                {"started_after": day_ago, "limit": "50"},
            )
            cases["executions, one day a month ago, page of 50"] = (
                "/api/executions",
                {
                    "started_after": month_ago,
                    "started_before": (now - dt.timedelta(days=29)).isoformat(),
                    "limit": "50",
                },
            )
            for label, (url, params) in cases.items():
                times = await timed(client, url, params)
                results[label] = median(times[2:])
                first = f"first {times[0]:.0f} ms, " if url == "/api/dashboard" else ""
                out.append(
                    (
                        label,
                        f"{first}{results[label]:.0f} ms median, p95 {pct(times[2:], 95):.0f} ms",
                    )
                )
            summary = (await client.get("/api/dashboard", params={"period": "90d"})).json()
            out.append(("check: executions in 90d", f"{summary['kpis']['executions']:,}"))
        out += await baseline(runtime, results)
    dialect = database_url.split(":")[0].split("+")[0] if database_url else "sqlite"
    report(f"dashboard ({dialect}) — {machine()}", out)
    return results


async def baseline(runtime: Runtime, results: dict[str, float]) -> list[tuple[str, str]]:
    """Each period through the service, roll-ups and direct computation interleaved (the
    ratio holds on a loaded machine), and whether they answer the same."""
    out = []
    for p in PERIODS:
        times: dict[bool, list[float]] = {True: [], False: []}
        answers: dict[bool, dict[str, Any]] = {}
        until = dt.datetime.now(dt.UTC)  # the same period for both
        for _ in range(DIRECT_RUNS):
            for use_rollups in (True, False):
                async with runtime.sessionmaker() as session:
                    with Timer() as t:
                        answer = await dashboard.dashboard(
                            session, period=Period(p), until=until, use_rollups=use_rollups
                        )
                times[use_rollups].append(t.elapsed * 1000)
                answers[use_rollups] = answer.model_dump()
        same = answers[True] == answers[False]
        fast, direct = median(times[True]), median(times[False])
        results[f"dashboard {p}, direct"] = direct
        out.append(
            (
                f"dashboard {p}, service only",
                f"roll-ups {fast:.0f} ms, direct computation {direct:.0f} ms "
                f"(medians of {DIRECT_RUNS}, interleaved): {direct / fast:.1f}x; "
                f"{'same answer' if same else 'ANSWERS DIFFER'}",
            )
        )
    return out


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
