"""Step overhead, distributed mode: a 40-node linear workflow of no-op nodes on PostgreSQL +
Redis, run by real `wirework worker` processes; this process is the server.

Target (issue 10): ≤ 5 ms per step. Timed in the store: an execution's ``finished_at`` -
``started_at`` (written when the server creates it, and by the worker when it ends), so the
server's polling for the end is not counted. Marginal cost per step = (40-node - 1-node) / 39,
as ``step_overhead``. Both units of dispatch are measured, alternately:

- ``execution``: one task runs the execution on until it finishes or parks (the default);
- ``ready_set``: one task per ready set, the execution handed back through the broker and
  rebuilt from its stored steps by whichever worker takes the next one.

    python -m bench.distributed_overhead [redis://… | amqp://…] [--runs N] [--workers N]

Needs PostgreSQL (``WIREWORK_BENCH_PG``, default postgresql://postgres@127.0.0.1:5432/postgres)
and the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from bench.common import linear, machine, median, report, save_workflow
from wirework.db.models import Execution
from wirework.services.distributed import cluster_dispatcher
from wirework.services.engine import EngineHost
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

PG_ADMIN = os.environ.get("WIREWORK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
WIREWORK = str(Path(sys.executable).with_name("wirework"))


async def _admin(sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_ADMIN)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _workers(
    settings: Settings, n: int, segment: str, concurrency: int, logs: Path
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "WIREWORK_DATA_DIR": str(settings.data_dir),
        "WIREWORK_DATABASE_URL": settings.database_url,
        "WIREWORK_ENCRYPTION_KEY": settings.encryption_key.get_secret_value()
        if settings.encryption_key
        else "",
        "WIREWORK_SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
        "WIREWORK_BROKER_URL": settings.broker_url,
        "WIREWORK_BROKER_QUEUE": settings.broker_queue,
        "WIREWORK_LOG_LEVEL": "warning",
    }
    procs = []
    for i in range(n):
        log = open(logs / f"{segment}-worker{i}.log", "ab")  # noqa: SIM115 - the child's
        args = ["worker", "-c", str(concurrency), "--segment", segment]
        procs.append(subprocess.Popen([WIREWORK, *args], env=env, stdout=log, stderr=log))
    return procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


async def _durations(runtime: Runtime, ids: list[str]) -> list[float]:
    async with runtime.sessionmaker() as session:
        rows = (await session.execute(select(Execution).where(Execution.id.in_(ids)))).scalars()
        out = []
        for r in rows:
            assert r.status == "success", (r.status, r.error)
            assert r.finished_at is not None
            out.append((r.finished_at - r.started_at).total_seconds())
    return out


async def _sequential(host: EngineHost, workflow_id: int, runs: int) -> list[str]:
    ids = []
    for _ in range(runs):
        started = await host.execute(workflow_id)
        await started.wait()
        ids.append(started.id)
    return ids


async def _in_flight(host: EngineHost, workflow_id: int, runs: int, width: int) -> float:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for _ in range(runs // width):
        started = [await host.execute(workflow_id) for _ in range(width)]
        await asyncio.gather(*(s.wait() for s in started))
    return loop.time() - t0


async def measure(
    runtime: Runtime, settings: Settings, segment: str, args: argparse.Namespace, logs: Path
) -> dict[str, float]:
    procs = _workers(settings, args.workers, segment, args.concurrency, logs)
    host = EngineHost(runtime, dispatcher=cluster_dispatcher(settings))
    await host.start(schedules=False, resume=False, timers=False)
    try:
        long_id = await save_workflow(runtime, linear(40))
        short_id = await save_workflow(runtime, linear(1))
        await _sequential(host, long_id, 10)  # warm up: workers up, caches, connections
        await _sequential(host, short_id, 10)
        t40 = median(await _durations(runtime, await _sequential(host, long_id, args.runs)))
        t1 = median(await _durations(runtime, await _sequential(host, short_id, args.runs)))
        width = 20
        elapsed = await _in_flight(host, long_id, args.runs, width)
    finally:
        await host.stop()
        await asyncio.get_running_loop().run_in_executor(None, _stop, procs)
    return {
        "t40": t40,
        "t1": t1,
        "per_step": (t40 - t1) / 39,
        "in_flight_per_step": elapsed / ((args.runs // width) * width * 40),
    }


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.distributed_overhead")
    parser.add_argument("broker", nargs="?", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--segments", default="execution,ready_set")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    name = f"ww_bench_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="wirework-bench-") as tmp:
            from sqlalchemy.engine import make_url

            settings = Settings(
                data_dir=Path(tmp),
                database_url=make_url(PG_ADMIN).set(database=name).render_as_string(False),
                encryption_key=Fernet.generate_key().decode(),
                secret_key="bench",
                broker_url=args.broker,
                broker_queue=f"wirework-bench-{secrets.token_hex(4)}",
            )
            runtime = await open_runtime(settings)
            try:
                for segment in args.segments.split(","):
                    results[segment] = await measure(runtime, settings, segment, args, Path(tmp))
            finally:
                await runtime.close()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    broker = args.broker.split(":")[0]
    rows = []
    for segment, r in results.items():
        rows += [
            (f"[{segment}] 40-node execution, median", f"{r['t40'] * 1000:.1f} ms"),
            (f"[{segment}] 1-node execution, median", f"{r['t1'] * 1000:.1f} ms"),
            (
                f"[{segment}] marginal cost per step",
                f"{r['per_step'] * 1000:.3f} ms  (target ≤ 5 ms)",
            ),
            (
                f"[{segment}] per step, 20 executions in flight",
                f"{r['in_flight_per_step'] * 1000:.3f} ms",
            ),
        ]
    report(
        f"step overhead (postgresql + {broker}, distributed, {args.workers} workers x "
        f"{args.concurrency}) — {machine()}",
        rows,
    )
    return results


if __name__ == "__main__":
    asyncio.run(main())
