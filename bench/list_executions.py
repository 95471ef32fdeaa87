"""Scale: list and filter executions with 1,000,000 rows stored (target ≤ 50 ms).

Rows are inserted with SQLAlchemy Core in large batches; the queries are the service calls
behind GET /api/executions (newest first, keyset pagination)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys

from sqlalchemy import insert

from bench.common import Timer, machine, median, report, save_workflow, temp_runtime
from wirework.db.base import new_id
from wirework.db.models import Execution
from wirework.services.executions import list_page

ROWS = 1_000_000
BATCH = 50_000


async def main(database_url: str = "", rows: int = ROWS) -> dict[str, float]:
    async with temp_runtime(database_url) as runtime:
        workflow_ids = [
            await save_workflow(runtime, {"name": f"w{i}", "nodes": [], "connections": []})
            for i in range(20)
        ]
        rng = random.Random(7)
        statuses = ["success"] * 90 + ["error"] * 8 + ["canceled"] * 2
        start = dt.datetime.now(dt.UTC)
        with Timer() as fill:
            for offset in range(0, rows, BATCH):
                batch = [
                    {
                        "id": new_id(),
                        "workflow_id": rng.choice(workflow_ids),
                        "workflow_version": 1,
                        "status": rng.choice(statuses),
                        "mode": "webhook",
                        "started_at": start,
                        "finished_at": start,
                    }
                    for _ in range(min(BATCH, rows - offset))
                ]
                async with runtime.engine.begin() as conn:
                    await conn.execute(insert(Execution.__table__), batch)
        results: dict[str, float] = {}
        cases = {
            "newest 50": {},
            "one workflow, newest 50": {"workflow_id": workflow_ids[3]},
            "status=error, newest 50": {"status": ["error"]},
            "one workflow + status=error": {"workflow_id": workflow_ids[3], "status": ["error"]},
        }
        rows_out = [("rows stored", f"{rows:,} (inserted in {fill.elapsed:.1f} s)")]
        for label, filters in cases.items():
            times = []
            cursor = None
            for i in range(30):
                async with runtime.sessionmaker() as session:
                    with Timer() as t:
                        _, next_cursor = await list_page(
                            session, limit=50, cursor=cursor if i % 2 else None, **filters
                        )
                    cursor = next_cursor
                times.append(t.elapsed)
            results[label] = median(times[5:]) * 1000
            rows_out.append((label, f"{results[label]:.2f} ms median (target ≤ 50 ms)"))
    dialect = database_url.split(":")[0] if database_url else "sqlite"
    report(f"list executions ({dialect}) — {machine()}", rows_out)
    return results


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
