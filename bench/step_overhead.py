"""Step overhead: a 40-node linear workflow of no-op nodes, embedded mode on SQLite.

Target (DESIGN.md §7): ≤ 1 ms per step, every step recorded. The marginal cost per step is
(time of the 40-node run - time of a 1-node run) / 39, so the fixed cost of an execution
(its record, the trigger) is not counted as step overhead; both are printed.
"""

from __future__ import annotations

import asyncio
import sys

from bench.common import Timer, linear, machine, median, report, save_workflow, temp_runtime
from wirework.services.engine import EngineHost

RUNS = 200


async def _time_runs(host: EngineHost, workflow_id: int, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with Timer() as t:
            started = await host.execute(workflow_id)
            record = await started.wait()
            await host.runner.store.flush()
        assert record.status == "success", record.error
        times.append(t.elapsed)
    return times


async def main(database_url: str = "") -> dict[str, float]:
    async with temp_runtime(database_url) as runtime:
        host = EngineHost(runtime)
        await host.start()
        try:
            long_id = await save_workflow(runtime, linear(40))
            short_id = await save_workflow(runtime, linear(1))
            await _time_runs(host, long_id, 20)  # warm up: compile, caches, connections
            await _time_runs(host, short_id, 20)
            t40 = median(await _time_runs(host, long_id, RUNS))
            t1 = median(await _time_runs(host, short_id, RUNS))
            # Throughput with 20 executions in flight (the writer batches their steps).
            with Timer() as t:
                for _ in range(RUNS // 20):
                    started = [await host.execute(long_id) for _ in range(20)]
                    await asyncio.gather(*(s.wait() for s in started))
                await host.runner.store.flush()
            concurrent_per_step = t.elapsed / (RUNS * 40)
        finally:
            await host.stop()
    per_step = (t40 - t1) / 39
    dialect = database_url.split(":")[0] if database_url else "sqlite"
    report(
        f"step overhead ({dialect}, embedded) — {machine()}",
        [
            ("40-node execution, median", f"{t40 * 1000:.2f} ms"),
            ("1-node execution, median", f"{t1 * 1000:.2f} ms"),
            ("marginal cost per step", f"{per_step * 1000:.3f} ms  (target ≤ 1 ms)"),
            ("all-in per step (40-node run / 40)", f"{t40 / 40 * 1000:.3f} ms"),
            ("per step, 20 executions in flight", f"{concurrent_per_step * 1000:.3f} ms"),
        ],
    )
    return {"per_step_ms": per_step * 1000, "t40_ms": t40 * 1000}


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
