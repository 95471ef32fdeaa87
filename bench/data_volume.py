"""Data volume: 1,000,000 small items through set → filter → aggregate (target: ≤ 10 s and
≤ 512 MB peak memory). Runs in a child process so its peak RSS is its own; every step is
recorded in SQLite (large outputs spill to files in the data dir).

The baseline is the same work as plain Python over the same list, in the same process."""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time

from bench.common import machine, report, save_workflow, temp_runtime

ITEMS = 1_000_000
DOCUMENT = {
    "name": "data volume",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {"id": "set", "type": "core.set", "params": {"fields": {"group": "{{ json.team }}"}}},
        {"id": "filter", "type": "core.filter", "params": {"condition": "{{ json.n % 2 == 0 }}"}},
        {
            "id": "agg",
            "type": "core.transform",
            "params": {
                "operation": "aggregate",
                "group_by": ["group"],
                "aggregations": [{"op": "sum", "field": "n"}, {"op": "count"}],
            },
        },
    ],
    "connections": [
        {"from": "start", "to": "set"},
        {"from": "set", "to": "filter"},
        {"from": "filter", "to": "agg"},
    ],
}


def items(n: int) -> list[dict[str, object]]:
    return [{"n": i, "team": f"t{i % 10}"} for i in range(n)]


async def child(n: int) -> None:
    from wirework.services.engine import EngineHost

    async with temp_runtime() as runtime:
        host = EngineHost(runtime)
        await host.start(schedules=False)
        workflow_id = await save_workflow(runtime, DOCUMENT)
        data = items(n)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        started = await host.execute(workflow_id, input_value=data)
        del data
        record = await started.wait()
        await host.runner.store.flush()
        elapsed = time.perf_counter() - t0
        result = started.run.result()
        await host.stop()
    assert record.status == "success", record.error
    assert len(result) == 5 and sum(r["count"] for r in result) == n // 2, result[:3]
    # the engine's peak, input included (before the baseline allocates its own copy)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # baseline: the same work in plain Python
    data = items(n)
    t1 = time.perf_counter()
    groups: dict[object, list[int]] = {}
    for item in data:
        new = {**item, "group": item["team"]}
        if new["n"] % 2 == 0:  # type: ignore[operator]
            g = groups.setdefault(new["group"], [0, 0])
            g[0] += new["n"]  # type: ignore[operator]
            g[1] += 1
    baseline = time.perf_counter() - t1
    print(
        json.dumps(
            {"elapsed": elapsed, "peak_mb": peak, "before_mb": rss_before, "baseline": baseline}
        )
    )


def main(n: int = ITEMS) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.data_volume", "--child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    report(
        f"data volume ({n:,} items: set → filter → aggregate) — {machine()}",
        [
            ("execution time", f"{figures['elapsed']:.2f} s  (target ≤ 10 s)"),
            ("peak memory (process RSS)", f"{figures['peak_mb']:.0f} MB  (target ≤ 512 MB)"),
            ("RSS holding the input list", f"{figures['before_mb']:.0f} MB"),
            ("baseline: same work in plain Python", f"{figures['baseline']:.2f} s"),
            ("ratio engine / plain Python", f"{figures['elapsed'] / figures['baseline']:.1f}"),
        ],
    )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        asyncio.run(child(int(sys.argv[2])))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else ITEMS)
