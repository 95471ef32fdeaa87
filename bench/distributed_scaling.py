"""Distributed mode, scaling (issue 10 §4): PostgreSQL + Redis, real `wirework server`,
`wirework worker` and `wirework scheduler` processes started by the bench.

1. ``webhook``: webhook → set → answered immediately, ``--clients`` concurrent clients
   (asyncio + httpx in this process) for ``--seconds`` against one `wirework server`, with 1,
   2 and 4 workers (x ``--concurrency``). Executions completed per second (finished in the
   load window, from the store's ``finished_at``), completion time (``finished_at -
   started_at``) p50/p99, the clients' request latency, the backlog drain after the window,
   and CPU (from /proc) of the server, the workers, this database's PostgreSQL backends,
   redis-server and the load generator over the window: where the cores went.
   Baseline in the same run: the server's acceptance rate (requests/s answered), and the
   1-worker figure for the scaling ratios.
2. ``fanout``: 100 child executions started without waiting (``core.subworkflow``,
   ``wait: false``, ``mode: per_item``; the shape docs/distributed.md recommends to spread
   work), each waiting 100 ms; time from the parent's start to the last child's end, with 1,
   2 and 4 workers. Baseline in the same run: 100 parallel 100 ms waits inside one execution
   (one worker's event loop, as ``bench/fanout.py`` in embedded mode).
3. ``recovery``: 2 workers, a scheduler, ``--lease`` seconds of lease; 16 executions of
   6 x 0.5 s waits; one worker is ``kill -9``ed 1 s in; time from the kill to the last of its
   executions finishing on the other worker. Baseline: an execution's own run time.

4. ``branches``: one execution forking into 100 branches that join in a merge, each branch
   an HTTP call a loopback service answers in 100 ms (``io``) or ~0.1 s of CPU in
   ``core.code`` (``cpu``), with the workflow's ``settings.spread`` off / auto / always, 1,
   2 and 4 workers: the execution's time (``finished_at - started_at``).

    python -m bench.distributed_scaling [webhook fanout recovery branches] [--broker URL]

Needs PostgreSQL (``WIREWORK_BENCH_PG``) and Redis; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.common import machine, median, pct, report, save_workflow
from bench.distributed_overhead import PG_ADMIN, WIREWORK, _admin
from bench.webhook_throughput import free_port, wait_up
from wirework.db.models import Execution
from wirework.services.distributed import cluster_dispatcher
from wirework.services.engine import EngineHost
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (all threads; 0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pids_named(comm: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == comm:
                    out.append(int(entry.name))
    return out


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def utc_now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Cluster:
    """A throw-away PostgreSQL database, a broker queue and the processes around them."""

    def __init__(self, tmp: Path, broker: str, lease_s: float) -> None:
        self.name = f"ww_bench_{secrets.token_hex(4)}"
        self.tmp = tmp
        self.settings = Settings(
            data_dir=tmp / "data",
            database_url=make_url(PG_ADMIN).set(database=self.name).render_as_string(False),
            encryption_key=Fernet.generate_key().decode(),
            secret_key="bench-" + secrets.token_hex(8),
            broker_url=broker,
            broker_queue=f"wirework-bench-{secrets.token_hex(4)}",
            execution_lease_s=lease_s,
            outbound_allow="127.0.0.1",
        )
        s = self.settings
        self.env = {
            **os.environ,
            "WIREWORK_DATA_DIR": str(s.data_dir),
            "WIREWORK_DATABASE_URL": s.database_url,
            "WIREWORK_ENCRYPTION_KEY": s.encryption_key.get_secret_value()
            if s.encryption_key
            else "",
            "WIREWORK_SECRET_KEY": s.secret_key.get_secret_value() if s.secret_key else "",
            "WIREWORK_BROKER_URL": s.broker_url,
            "WIREWORK_BROKER_QUEUE": s.broker_queue,
            "WIREWORK_EXECUTION_LEASE_S": str(lease_s),
            "WIREWORK_OUTBOUND_ALLOW": "127.0.0.1",
            "WIREWORK_LOG_LEVEL": "info",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.offsets: dict[str, int] = {}
        self.runtime: Runtime | None = None

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        path = self.tmp / f"{name}.log"
        self.offsets[name] = path.stat().st_size if path.exists() else 0
        log = open(path, "ab")  # noqa: SIM115 - the child's
        proc = subprocess.Popen([WIREWORK, *args], env=self.env, stdout=log, stderr=log)
        self.procs[name] = proc
        return proc

    def start_worker(self, name: str, concurrency: int) -> None:
        self.start(name, "worker", "--concurrency", str(concurrency), "--grace", "5")

    async def ready(self, name: str, limit_s: float = 120) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if b'"worker ready"' in (self.tmp / f"{name}.log").read_bytes()[self.offsets[name] :]:
                return
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.tmp / (name + '.log')}")
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{name} not ready in {limit_s} s")

    def stop(self, names: list[str] | None = None) -> None:
        chosen = [n for n in (names or list(self.procs)) if n in self.procs]
        for n in chosen:
            if self.procs[n].poll() is None:
                self.procs[n].send_signal(signal.SIGTERM)
        for n in chosen:
            proc = self.procs.pop(n)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    async def pg_backends(self) -> list[int]:
        assert self.runtime is not None
        async with self.runtime.sessionmaker() as session:
            rows = await session.execute(
                text("select pid from pg_stat_activity where datname = :d"), {"d": self.name}
            )
            return [int(r[0]) for r in rows]

    async def executions(self, workflow_id: int) -> list[Execution]:
        assert self.runtime is not None
        async with self.runtime.sessionmaker() as session:
            rows = await session.scalars(
                select(Execution).where(Execution.workflow_id == workflow_id)
            )
            return list(rows)


@contextlib.asynccontextmanager
async def cluster(broker: str, lease_s: float = 30.0) -> AsyncIterator[Cluster]:
    with tempfile.TemporaryDirectory(prefix="wirework-bench-") as tmp:
        c = Cluster(Path(tmp), broker, lease_s)
        await _admin(f'CREATE DATABASE "{c.name}"')
        try:
            c.runtime = await open_runtime(c.settings)
            yield c
        finally:
            await asyncio.get_running_loop().run_in_executor(None, c.stop)
            if c.runtime is not None:
                await c.runtime.close()
            await _admin(f'DROP DATABASE IF EXISTS "{c.name}" WITH (FORCE)')


async def wait_done(
    c: Cluster, workflow_id: int, count: int, limit_s: float = 300
) -> list[Execution]:
    deadline = time.monotonic() + limit_s
    while True:
        rows = await c.executions(workflow_id)
        if len(rows) >= count and all(r.finished_at is not None for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workflow_id}: not done in {limit_s} s")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- 1. webhook

WEBHOOK = {
    "name": "webhook scaling",
    "nodes": [
        {"id": "hook", "type": "core.webhook", "params": {"path": "bench", "method": "POST"}},
        {
            "id": "set",
            "type": "core.set",
            "params": {
                "fields": {
                    "title": "{{ json.body.title }}",
                    "greeting": "hello {{ json.body.user }}",
                },
                "keep_input": False,
            },
        },
    ],
    "connections": [{"from": "hook", "to": "set"}],
}
BODY = {"title": "Crash on save", "user": "ada"}


async def load(url: str, clients: int, seconds: float) -> tuple[list[float], int]:
    """``clients`` loops POSTing for ``seconds``; request latencies (s) and non-2xx count."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        end = time.perf_counter() + seconds

        async def one() -> None:
            nonlocal errors
            while (t0 := time.perf_counter()) < end:
                r = await client.post(url, json=BODY)
                latencies.append(time.perf_counter() - t0)
                if r.status_code >= 300:
                    errors += 1

        await asyncio.gather(*(one() for _ in range(clients)))
    return latencies, errors


async def webhook_run(broker: str, workers: int, args: argparse.Namespace) -> dict[str, float]:
    async with cluster(broker) as c:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        c.env["WIREWORK_LOG_LEVEL"] = "warning"  # the server: no line per request
        server = c.start("server", "server", "--port", str(port))
        c.env["WIREWORK_LOG_LEVEL"] = "info"
        for i in range(workers):
            c.start_worker(f"worker{i}", args.concurrency)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, wait_up, f"{base}/api/health", 120)
        for i in range(workers):
            await c.ready(f"worker{i}")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            token = (
                await http.post(
                    "/api/setup", json={"email": "b@example.com", "password": "benchmark!"}
                )
            ).json()["access_token"]
            resp = await http.post(
                "/api/workflows",
                json={**WEBHOOK, "active": True},
                headers={"Authorization": f"Bearer {token}"},
            )
            resp.raise_for_status()
            workflow_id = resp.json()["id"]
            for _ in range(20):  # warm up: the path, connections, the workers' caches
                (await http.post("/webhook/bench", json=BODY)).raise_for_status()
        await wait_done(c, workflow_id, 20)
        pg = await c.pg_backends()
        worker_pids = [c.procs[f"worker{i}"].pid for i in range(workers)]
        redis = pids_named("redis-server")
        watched = {
            "server": [server.pid],
            "workers": worker_pids,
            "postgres": pg,
            "redis": redis,
            "client": [os.getpid()],
        }
        before = {k: sum(cpu_s(p) for p in v) for k, v in watched.items()}
        t0 = utc_now()
        latencies, errors = await load(f"{base}/webhook/bench", args.clients, args.seconds)
        t1 = utc_now()
        after = {k: sum(cpu_s(p) for p in v) for k, v in watched.items()}
        window = (t1 - t0).total_seconds()
        load_avg = loadavg()
        rows = await wait_done(c, workflow_id, 20 + len(latencies), limit_s=600)
    rows = [r for r in rows if aware(r.started_at) >= t0]
    done_in_window = [r for r in rows if aware(r.finished_at) <= t1]  # type: ignore[arg-type]
    completion = [(aware(r.finished_at) - aware(r.started_at)).total_seconds() for r in rows]  # type: ignore[arg-type]
    last = max(aware(r.finished_at) for r in rows)  # type: ignore[arg-type]
    cpu = {k: (after[k] - before[k]) / window for k, v in before.items()}
    return {
        "workers": workers,
        "accepted": len(latencies) / window,
        "completed": len(done_in_window) / window,
        "overall": len(rows) / (last - t0).total_seconds(),
        "drain": max(0.0, (last - t1).total_seconds()),
        "p50": pct(completion, 50) * 1000,
        "p99": pct(completion, 99) * 1000,
        "req_p50": pct(latencies, 50) * 1000,
        "req_p99": pct(latencies, 99) * 1000,
        "errors": errors,
        "failed": sum(r.status != "success" for r in rows),
        **{f"cpu_{k}": v for k, v in cpu.items()},
        "load": load_avg,  # type: ignore[dict-item]
    }


async def webhook(args: argparse.Namespace) -> list[dict[str, float]]:
    results = []
    for n in args.workers:
        r = await webhook_run(args.broker, n, args)
        results.append(r)
        print(f"  webhook, {n} worker(s): {r}", flush=True)
    rows = []
    for r in results:
        share = ", ".join(
            f"{k} {r[f'cpu_{k}']:.2f}" for k in ("server", "workers", "postgres", "redis", "client")
        )
        rows += [
            (
                f"{r['workers']} worker(s) x {args.concurrency}",
                f"completed {r['completed']:.0f}/s in the window ({r['overall']:.0f}/s to the "
                f"last, drain {r['drain']:.1f} s); accepted {r['accepted']:.0f} req/s "
                f"(ratio completed/accepted {r['completed'] / r['accepted']:.2f})",
            ),
            (
                "  completion p50 / p99; request p50 / p99",
                f"{r['p50']:.0f} / {r['p99']:.0f} ms; {r['req_p50']:.1f} / {r['req_p99']:.1f} ms"
                f"  (non-2xx {r['errors']:.0f}, failed {r['failed']:.0f})",
            ),
            (f"  CPU (cores) over the window; load {r['load']}", share),
        ]
    base = results[0]["completed"]
    rows.append(
        (
            "scaling (completed/s vs 1 worker)",
            ", ".join(f"{r['workers']}: {r['completed'] / base:.2f}" for r in results),
        )
    )
    report(
        f"distributed webhook throughput (postgresql + redis, {args.clients} clients, "
        f"{args.seconds:.0f} s, answered immediately) — {machine()}",
        rows,
    )
    return results


# --------------------------------------------------------------------------- 2. fan-out

BRANCHES = 100


def child_doc() -> dict[str, Any]:
    return {
        "name": "fan-out child",
        "nodes": [
            {"id": "in", "type": "core.workflow_trigger"},
            {"id": "wait", "type": "core.wait", "params": {"seconds": 0.1}},
        ],
        "connections": [{"from": "in", "to": "wait"}],
    }


def parent_doc(child: int) -> dict[str, Any]:
    return {
        "name": "fan-out parent",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {
                "id": "fan",
                "type": "core.subworkflow",
                "params": {"workflow_id": child, "wait": False, "mode": "per_item"},
            },
        ],
        "connections": [{"from": "start", "to": "fan"}],
    }


def inline_doc() -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "core.manual"}]
    nodes += [
        {"id": f"w{i}", "type": "core.wait", "params": {"seconds": 0.1}} for i in range(BRANCHES)
    ]
    return {
        "name": "fan-out in one execution",
        "nodes": nodes,
        "connections": [{"from": "start", "to": f"w{i}"} for i in range(BRANCHES)],
    }


async def fanout_run(
    c: Cluster, host: EngineHost, ids: dict[str, int], reps: int
) -> dict[str, list[float]]:
    spread, inline = [], []
    for rep in range(reps + 1):  # the first is a warm-up
        started = await host.execute(ids["parent"], input_value=[{"n": i} for i in range(BRANCHES)])
        record = await started.wait()
        assert record.status == "success", record.error
        children = [
            r
            for r in await wait_done(c, ids["child"], (rep + 1) * BRANCHES, 120)
            if r.parent_execution_id == started.id
        ]
        assert len(children) == BRANCHES and all(r.status == "success" for r in children)
        last = max(aware(r.finished_at) for r in children)  # type: ignore[arg-type]
        t_spread = (last - aware(record.started_at)).total_seconds()
        one = await host.execute(ids["inline"])
        rec = await one.wait()
        assert rec.status == "success", rec.error
        rows = [r for r in await c.executions(ids["inline"]) if r.id == one.id]
        t_inline = (aware(rows[0].finished_at) - aware(rows[0].started_at)).total_seconds()  # type: ignore[arg-type]
        if rep:
            spread.append(t_spread)
            inline.append(t_inline)
    workers = {len({r.worker for r in await c.executions(ids["child"]) if r.parent_execution_id})}
    return {"spread": spread, "inline": inline, "distinct": [float(w) for w in workers]}


async def fanout(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for n in args.workers:
        async with cluster(args.broker) as c:
            assert c.runtime is not None
            ids = {"child": await save_workflow(c.runtime, child_doc(), active=False)}
            ids["parent"] = await save_workflow(c.runtime, parent_doc(ids["child"]))
            ids["inline"] = await save_workflow(c.runtime, inline_doc())
            for i in range(n):
                c.start_worker(f"worker{i}", args.concurrency)
            for i in range(n):
                await c.ready(f"worker{i}")
            host = EngineHost(c.runtime, dispatcher=cluster_dispatcher(c.settings))
            await host.start(schedules=False, resume=False, timers=False)
            try:
                r = await fanout_run(c, host, ids, args.reps)
            finally:
                await host.stop()
            r["workers"] = n
            r["load"] = loadavg()
            results.append(r)
            print(f"  fan-out, {n} worker(s): {r}", flush=True)
    rows = []
    for r in results:
        rows.append(
            (
                f"{r['workers']} worker(s) x {args.concurrency}; load {r['load']}",
                f"100 no-wait children: median {median(r['spread']) * 1000:.0f} ms "
                f"({min(r['spread']) * 1000:.0f}-{max(r['spread']) * 1000:.0f}); "
                f"100 branches in one execution: {median(r['inline']) * 1000:.0f} ms "
                f"({min(r['inline']) * 1000:.0f}-{max(r['inline']) * 1000:.0f}); "
                f"children ran on {r['distinct'][0]:.0f} worker(s)",
            )
        )
    report(
        f"distributed fan-out ({BRANCHES} x 100 ms wait, {args.reps} runs, time to all done) "
        f"— {machine()}",
        rows,
    )
    return results


# --------------------------------------------------------------------------- 4. branches

CPU_CODE = "n = 0\nfor i in range(1_500_000):\n    n += i * i\nreturn {'n': n}"


class SlowService:
    """A loopback HTTP service answering after ``ms`` milliseconds (the branches' I/O)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                ms = int(self.path.rsplit("=", 1)[-1])
                threading.Event().wait(ms / 1000)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        ThreadingHTTPServer.request_queue_size = 256
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def branches_doc(kind: str, spread: str, url: str) -> dict[str, Any]:
    """start → 100 branches (an HTTP call answered in 100 ms, or ~0.1 s of CPU in core.code)
    → merge."""
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "core.manual"}]
    conns: list[dict[str, str]] = []
    for i in range(BRANCHES):
        if kind == "io":
            node = {
                "id": f"b{i}",
                "type": "core.http_request",
                "params": {"method": "GET", "url": url + "/slow?ms=100"},
            }
        else:
            node = {"id": f"b{i}", "type": "core.code", "params": {"code": CPU_CODE}}
        nodes.append(node)
        conns.append({"from": "start", "to": f"b{i}"})
        conns.append({"from": f"b{i}", "to": "merge", "to_input": f"in{i + 1}"})
    nodes.append({"id": "merge", "type": "core.merge", "params": {"inputs": BRANCHES}})
    return {
        "name": f"{BRANCHES} branches ({kind}, spread {spread})",
        "nodes": nodes,
        "connections": conns,
        "settings": {"spread": spread},
    }


async def branches(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One execution forking into 100 branches, spread off / auto / always."""
    service = SlowService()
    results = []
    try:
        for n in args.workers:
            async with cluster(args.broker) as c:
                assert c.runtime is not None
                ids = {
                    (kind, spread): await save_workflow(
                        c.runtime, branches_doc(kind, spread, service.url)
                    )
                    for kind in args.kinds
                    for spread in ("off", "auto", "always")
                }
                for i in range(n):
                    c.start_worker(f"worker{i}", args.concurrency)
                for i in range(n):
                    await c.ready(f"worker{i}")
                await asyncio.sleep(2)  # the workers see each other beat
                host = EngineHost(c.runtime, dispatcher=cluster_dispatcher(c.settings))
                await host.start(schedules=False, resume=False, timers=False)
                try:
                    for (kind, spread), wf in ids.items():
                        times = []
                        for rep in range(args.reps + 1):  # the first is a warm-up
                            started = await host.execute(wf)
                            record = await started.wait()
                            assert record.status == "success", record.error
                            (row,) = [r for r in await c.executions(wf) if r.id == started.id]
                            took = aware(row.finished_at) - aware(row.started_at)  # type: ignore[arg-type]
                            if rep:
                                times.append(took.total_seconds())
                        r = {"workers": n, "kind": kind, "spread": spread, "times": times}
                        r["load"] = loadavg()
                        print(f"  branches: {r}", flush=True)
                        results.append(r)
                finally:
                    await host.stop()
    finally:
        service.close()
    report(
        f"distributed fan-out of {BRANCHES} branches in one execution ({args.reps} runs, "
        f"x {args.concurrency} per worker, median (min-max) execution time) — {machine()}",
        [
            (
                f"{r['kind']}, {r['workers']} worker(s), spread {r['spread']}; load {r['load']}",
                f"{median(r['times']) * 1000:.0f} ms "
                f"({min(r['times']) * 1000:.0f}-{max(r['times']) * 1000:.0f})",
            )
            for r in results
        ],
    )
    return results


# --------------------------------------------------------------------------- 3. recovery

RECOVERY_EXECUTIONS = 16
RECOVERY_STEPS = 6


def slow_doc() -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "core.manual"}]
    nodes += [
        {"id": f"w{i}", "type": "core.wait", "params": {"seconds": 0.5}}
        for i in range(RECOVERY_STEPS)
    ]
    ids = [n["id"] for n in nodes]
    return {
        "name": "slow",
        "nodes": nodes,
        "connections": [{"from": a, "to": b} for a, b in itertools.pairwise(ids)],
    }


async def recovery(args: argparse.Namespace) -> list[dict[str, float]]:
    results = []
    async with cluster(args.broker, lease_s=args.lease) as c:
        assert c.runtime is not None
        wf = await save_workflow(c.runtime, slow_doc())
        c.start_worker("worker0", args.concurrency)
        c.start_worker("worker1", args.concurrency)
        c.start("scheduler", "scheduler")
        await c.ready("worker0")
        await c.ready("worker1")
        host = EngineHost(c.runtime, dispatcher=cluster_dispatcher(c.settings))
        await host.start(schedules=False, resume=False, timers=False)
        try:
            for rep in range(args.reps):
                victim = f"worker{rep % 2}"
                ids = [(await host.execute(wf)).id for _ in range(RECOVERY_EXECUTIONS)]
                await asyncio.sleep(1.0)
                pid = c.procs[victim].pid
                held = [
                    r
                    for r in await c.executions(wf)
                    if r.id in ids and r.worker and f":{pid}:" in r.worker
                ]
                c.procs[victim].send_signal(signal.SIGKILL)
                killed = utc_now()
                c.procs[victim].wait()
                rows = {
                    r.id: r for r in await wait_done(c, wf, (rep + 1) * RECOVERY_EXECUTIONS, 300)
                }
                mine = [rows[r.id] for r in held]
                others = [rows[i] for i in ids if i not in {r.id for r in held}]
                assert all(r.status == "success" for r in rows.values())
                recovered = (
                    max(
                        (aware(r.finished_at) - killed).total_seconds()  # type: ignore[arg-type]
                        for r in mine
                    )
                    if mine
                    else float("nan")
                )
                normal = [
                    (aware(r.finished_at) - aware(r.started_at)).total_seconds()  # type: ignore[arg-type]
                    for r in others
                ]
                r = {
                    "held": len(mine),
                    "recovered": recovered,
                    "normal": median(normal) if normal else float("nan"),
                    "load": loadavg(),
                }
                results.append(r)
                print(f"  recovery {rep + 1}: {r}", flush=True)
                c.start_worker(victim, args.concurrency)  # back to two for the next round
                await c.ready(victim)
        finally:
            await host.stop()
    report(
        f"distributed recovery after kill -9 (lease {args.lease:.0f} s, 2 workers x "
        f"{args.concurrency}, {RECOVERY_EXECUTIONS} executions of {RECOVERY_STEPS} x 0.5 s) "
        f"— {machine()}",
        [
            (
                f"run {i + 1} (load {r['load']})",
                f"{r['held']:.0f} executions on the killed worker; last done "
                f"{r['recovered']:.1f} s after the kill; the others ran in "
                f"{r['normal']:.1f} s (median)",
            )
            for i, r in enumerate(results)
        ],
    )
    return results


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.distributed_scaling")
    parser.add_argument("parts", nargs="*", default=["webhook", "fanout", "recovery"])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--lease", type=float, default=5.0)
    parser.add_argument("--kinds", default="io,cpu", help="branches: io, cpu or both")
    args = parser.parse_args(argv or [])
    args.kinds = str(args.kinds).split(",")
    args.workers = [int(n) for n in str(args.workers).split(",")]
    print(f"load average at start: {loadavg()}", flush=True)
    out: dict[str, Any] = {}
    for part in args.parts:
        parts = {"webhook": webhook, "fanout": fanout, "recovery": recovery, "branches": branches}
        out[part] = await parts[part](args)
    print(f"load average at end: {loadavg()}", flush=True)
    return out


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
