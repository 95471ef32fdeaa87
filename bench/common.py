"""Shared set-up for benchmarks: a throw-away data dir and runtime, workflows, timing."""

from __future__ import annotations

import contextlib
import itertools
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from wirework.db.models import Workflow, WorkflowVersion
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings


def machine() -> str:
    cpu = "unknown cpu"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {os.cpu_count()} cores, {cpu}"


@contextlib.asynccontextmanager
async def temp_runtime(database_url: str = "", **overrides: Any) -> AsyncIterator[Runtime]:
    with tempfile.TemporaryDirectory(prefix="wirework-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=database_url,
            encryption_key=Fernet.generate_key().decode(),
            secret_key="bench",
            **overrides,
        )
        runtime = await open_runtime(settings)
        try:
            yield runtime
        finally:
            await runtime.close()


async def save_workflow(runtime: Runtime, document: dict[str, Any], *, active: bool = True) -> int:
    async with runtime.sessionmaker() as session:
        wf = Workflow(name=document.get("name", "bench"), active=active, version=1)
        session.add(wf)
        await session.flush()
        session.add(WorkflowVersion(workflow_id=wf.id, version=1, document=document))
        await session.commit()
        return wf.id


def linear(n: int, node_type: str = "core.noop") -> dict[str, Any]:
    nodes = [{"id": "start", "type": "core.manual"}] + [
        {"id": f"n{i}", "type": node_type} for i in range(1, n)
    ]
    ids = [n["id"] for n in nodes]
    return {
        "name": f"linear-{n}",
        "nodes": nodes,
        "connections": [{"from": a, "to": b} for a, b in itertools.pairwise(ids)],
    }


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.start


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
