"""Fan-out: 100 parallel branches that each wait 100 ms (target: done in ≤ 0.3 s).

Each branch is a durable core.wait step recorded in SQLite; the baseline is the ideal,
one 100 ms sleep."""

from __future__ import annotations

import asyncio

from bench.common import Timer, machine, median, report, save_workflow, temp_runtime
from wirework.services.engine import EngineHost

BRANCHES = 100


def document() -> dict[str, object]:
    nodes: list[dict[str, object]] = [{"id": "start", "type": "core.manual"}]
    nodes += [
        {"id": f"w{i}", "type": "core.wait", "params": {"seconds": 0.1}} for i in range(BRANCHES)
    ]
    return {
        "name": "fan-out",
        "nodes": nodes,
        "connections": [{"from": "start", "to": f"w{i}"} for i in range(BRANCHES)],
    }


async def main() -> dict[str, float]:
    async with temp_runtime() as runtime:
        host = EngineHost(runtime)
        await host.start(schedules=False)
        try:
            workflow_id = await save_workflow(runtime, document())
            times = []
            for _ in range(6):
                with Timer() as t:
                    started = await host.execute(workflow_id)
                    record = await started.wait()
                    await host.runner.store.flush()
                assert record.status == "success", record.error
                times.append(t.elapsed)
        finally:
            await host.stop()
    with Timer() as ideal:
        await asyncio.sleep(0.1)
    report(
        f"fan-out ({BRANCHES} branches x 100 ms wait) — {machine()}",
        [
            (
                "execution time, median of 5",
                f"{median(times[1:]) * 1000:.0f} ms  (target ≤ 300 ms)",
            ),
            ("first run (compiles the graph)", f"{times[0] * 1000:.0f} ms"),
            ("baseline: one 100 ms sleep", f"{ideal.elapsed * 1000:.0f} ms"),
            (
                "engine overhead over the baseline",
                f"{(median(times[1:]) - ideal.elapsed) * 1000:.0f} ms",
            ),
        ],
    )
    return {"fanout_ms": median(times[1:]) * 1000}


if __name__ == "__main__":
    asyncio.run(main())
