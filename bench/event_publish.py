"""Event bus hot path: what the engine pays per event (``listening`` + ``publish``) when nobody
follows the execution, and when someone does, on each backend. Redis and PostgreSQL figures
need the local servers (WIREWORK_BENCH_REDIS / WIREWORK_BENCH_PG, defaults 127.0.0.1)."""

from __future__ import annotations

import asyncio
import os
import time

from bench.common import machine, report
from wirework.events import Bus, open_bus

N = 200_000
REDIS = os.environ.get("WIREWORK_BENCH_REDIS", "redis://127.0.0.1:6379/0?channel=bench:events")
PG = os.environ.get("WIREWORK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _unheard(bus: Bus) -> float:
    """ns per listening()+publish() of an execution nobody follows (the engine's hot path)."""
    data = {"execution_id": "nobody", "node_id": "n", "attempt": 1}
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(N):
            if bus.listening("nobody"):
                bus.publish("step.started", data)
        best = min(best, (time.perf_counter() - started) / N)
    return best * 1e9


async def _heard(bus: Bus, viewer: Bus, n: int = 5_000) -> float:
    """µs per event from publish to a subscriber on another bus (a second process's view)."""
    async with viewer.subscribe("followed") as queue:
        deadline = time.monotonic() + 5
        while not bus.listening("followed") and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        for i in range(n):
            bus.publish("step.finished", {"execution_id": "followed", "i": i, "items": 1})
        for _ in range(n):
            await queue.get()
        return (time.perf_counter() - started) / n * 1e6


async def main() -> dict[str, float]:
    rows: list[tuple[str, str]] = []
    figures: dict[str, float] = {}
    for name, url in (("memory", "memory://"), ("redis", REDIS), ("postgresql", PG)):
        bus, viewer = open_bus(url), open_bus(url)
        try:
            await bus.start()
            await viewer.start()
        except Exception as exc:
            rows.append((name, f"skipped: {exc}"))
            continue
        try:
            figures[f"{name}_unheard_ns"] = unheard = _unheard(bus)
            rows.append((f"{name}: nobody follows, per event", f"{unheard:.0f} ns"))
            if name != "memory":
                heard = await _heard(bus, viewer)
                figures[f"{name}_heard_us"] = heard
                rows.append((f"{name}: followed elsewhere, per event", f"{heard:.1f} µs"))
        finally:
            await bus.close()
            await viewer.close()
    report(f"event bus publish — {machine()}", rows)
    return figures


if __name__ == "__main__":
    asyncio.run(main())
