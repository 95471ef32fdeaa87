"""Code-step cold start: the time from asking the sandbox to run a trivial snippet to having
its result, each run in a fresh process (forked from the sandbox's clean template process).
The baseline is spawning a bare `python -I -S -c pass` in the same run."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from bench.common import Timer, machine, median, pct, report
from wirework.sandbox import run_code, shutdown

RUNS = 100


async def main() -> dict[str, float]:
    first = Timer()
    with first:
        await run_code("return {'a': 1}", mode="once", items=[{}])  # starts the template process
    times = []
    for _ in range(RUNS):
        with Timer() as t:
            result = await run_code("return {'a': 1}", mode="once", items=[{}])
        assert result.items == [{"a": 1}]
        times.append(t.elapsed)
    per_item = []
    items = [{"n": i} for i in range(1000)]
    for _ in range(10):
        with Timer() as t:
            await run_code("return {'n': item['n'] * 2}", mode="per_item", items=items)
        per_item.append(t.elapsed)
    await shutdown()
    spawn = []
    for _ in range(20):
        with Timer() as t:
            subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)  # noqa: ASYNC221
        spawn.append(t.elapsed)
    report(
        f"code step cold start — {machine()}",
        [
            ("first run (starts the template process)", f"{first.elapsed * 1000:.1f} ms"),
            ("fresh-process run, median", f"{median(times) * 1000:.2f} ms"),
            ("fresh-process run, p99", f"{pct(times, 99) * 1000:.2f} ms"),
            ("baseline: spawn `python -I -S`", f"{median(spawn) * 1000:.2f} ms"),
            ("ratio run / bare spawn", f"{median(times) / median(spawn):.2f}"),
            ("per_item over 1,000 items, median", f"{median(per_item) * 1000:.1f} ms"),
        ],
    )
    return {"cold_start_ms": median(times) * 1000}


if __name__ == "__main__":
    asyncio.run(main())
