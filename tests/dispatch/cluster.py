"""A distributed-mode cluster for tests: PostgreSQL, a real broker (Redis or RabbitMQ), and
real `wirework worker` / `wirework scheduler` processes; this process plays the server (an
engine host whose dispatcher hands executions to the workers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import IN_CI, _create_pg, _drop_pg
from tests.engine.waiting import wait_for
from wirework.db.models import Execution, ExecutionStep, Workflow, WorkflowVersion
from wirework.engine.graph import GraphCache
from wirework.services.distributed import cluster_dispatcher
from wirework.services.engine import EngineHost
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

BROKERS = {
    "redis": ("127.0.0.1", 6379, os.environ.get("WIREWORK_TEST_REDIS", "redis://127.0.0.1:6379/0")),
    "rabbitmq": (
        "127.0.0.1",
        5672,
        os.environ.get("WIREWORK_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//"),
    ),
}
WIREWORK = str(Path(sys.executable).with_name("wirework"))
LEASE_S = 3.0


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the distributed-mode services must be available)")
    pytest.skip(reason)


def reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


class Sink:
    """A local HTTP service the workflows' steps call: ``/effect`` records the key it is
    sent (an effect, counted per idempotency key), ``/flaky/<key>`` fails the first call of
    each key with 503, ``/slow`` takes ``?ms=`` milliseconds."""

    def __init__(self) -> None:
        self.effects: Counter[str] = Counter()
        self.flaky: Counter[str] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                path, _, query = self.path.partition("?")
                if path == "/effect":
                    ms = int(dict(p.split("=") for p in query.split("&") if p).get("ms", 0))
                    if ms:
                        threading.Event().wait(ms / 1000)
                    with sink.lock:
                        sink.effects[body["key"]] += 1
                    self._answer(200, {"ok": True, "key": body["key"]})
                elif path.startswith("/flaky/"):
                    key = path.removeprefix("/flaky/")
                    with sink.lock:
                        sink.flaky[key] += 1
                        first = sink.flaky[key] == 1
                    self._answer(503 if first else 200, {"attempt": sink.flaky[key]})
                else:
                    self._answer(404, {})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _plain(value: Any) -> str:
    return "" if value is None else getattr(value, "get_secret_value", lambda: str(value))()


class Cluster:
    def __init__(
        self,
        broker: str,
        settings: Settings,
        runtime: Runtime,
        logs: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.broker = broker
        self.settings = settings
        self.runtime = runtime
        self.db_name = settings.database_url.rsplit("/", 1)[-1].split("?")[0]
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()
        self.offsets: dict[str, int] = {}  # where the current process's log starts
        self.host: EngineHost | None = None
        self.sink = Sink()
        self.env = {
            **os.environ,
            "WIREWORK_DATA_DIR": str(settings.data_dir),
            "WIREWORK_DATABASE_URL": settings.database_url,
            "WIREWORK_ENCRYPTION_KEY": _plain(settings.encryption_key),
            "WIREWORK_SECRET_KEY": _plain(settings.secret_key),
            "WIREWORK_BROKER_URL": settings.broker_url,
            "WIREWORK_BROKER_QUEUE": settings.broker_queue,
            "WIREWORK_EXECUTION_LEASE_S": str(settings.execution_lease_s),
            "WIREWORK_INLINE_WAIT_S": str(settings.inline_wait_s),
            "WIREWORK_OUTBOUND_ALLOW": "127.0.0.1",
            "WIREWORK_LOG_LEVEL": "info",
        }
        if settings.events_url:
            self.env["WIREWORK_EVENTS_URL"] = settings.events_url
        self.env.update(env or {})

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start ``wirework <args>`` as process ``name`` (its output in ``logs/name.log``)."""
        path = self.logs / f"{name}.log"
        self.offsets[name] = path.stat().st_size if path.exists() else 0
        log = open(path, "ab")  # noqa: SIM115 - the process keeps it
        proc = subprocess.Popen([WIREWORK, *args], env=self.env, stdout=log, stderr=log)
        self.procs[name] = proc
        self.starts[name] += 1
        return proc

    def start_worker(self, name: str, concurrency: int = 4) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--concurrency", str(concurrency), "--grace", "5")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        proc.send_signal(sig)
        proc.wait(timeout=60)

    async def ready(self, name: str, limit_s: float = 120) -> None:
        """Wait until worker ``name`` consumes (a loaded machine takes seconds to start)."""

        def ready() -> bool:
            with open(self.logs / f"{name}.log", "rb") as fh:
                fh.seek(self.offsets[name])
                return b'"worker ready"' in fh.read()

        await wait_for(ready, f"{name} is ready", limit_s)

    def log_of(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- workflows and executions ---------------------------------------------------------

    async def workflow(self, document: dict[str, Any], *, active: bool = False) -> int:
        async with self.runtime.sessionmaker() as session:
            row = Workflow(name=document.get("name", "wf"), version=1, active=active)
            session.add(row)
            await session.flush()
            session.add(WorkflowVersion(workflow_id=row.id, version=1, document=document))
            await session.commit()
            return row.id

    async def steps(self, execution_id: str) -> list[ExecutionStep]:
        async with self.runtime.sessionmaker() as session:
            rows = await session.scalars(
                select(ExecutionStep)
                .where(ExecutionStep.execution_id == execution_id)
                .order_by(ExecutionStep.started_at, ExecutionStep.attempt)
            )
            return list(rows)

    async def executions(self, workflow_id: int) -> list[Execution]:
        async with self.runtime.sessionmaker() as session:
            rows = await session.scalars(
                select(Execution).where(Execution.workflow_id == workflow_id)
            )
            return list(rows)

    async def finished(self, execution_ids: list[str], limit_s: float = 60) -> list[Execution]:
        async def done() -> list[Execution] | None:
            async with self.runtime.sessionmaker() as session:
                rows = list(
                    await session.scalars(select(Execution).where(Execution.id.in_(execution_ids)))
                )
            ok = len(rows) == len(execution_ids) and all(
                r.status in ("success", "error", "canceled") for r in rows
            )
            return rows if ok else None

        result: list[Execution] = await wait_for(done, "the executions finished", limit_s)
        return result


async def _settings(
    broker: str,
    data_dir: Path,
    broker_url: str | None = None,
    events_url: str = "",
    **overrides: Any,
) -> tuple[Settings, str]:
    host, port, url = BROKERS[broker]
    if broker_url is None and not reachable(host, port):
        unavailable(f"{broker} at {host}:{port} unreachable")
    name = f"ww_dist_{secrets.token_hex(4)}"
    database_url = await _create_pg(name)
    if events_url == "database":
        events_url = database_url
    from cryptography.fernet import Fernet

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        encryption_key=Fernet.generate_key().decode(),
        secret_key="test-signing-key-" + secrets.token_hex(8),
        broker_url=broker_url or url,
        events_url=events_url,
        broker_queue=f"wirework-test-{secrets.token_hex(4)}",
        execution_lease_s=LEASE_S,
        outbound_allow="127.0.0.1",
        **overrides,
    )
    return settings, name


@contextlib.asynccontextmanager
async def cluster(
    broker: str,
    tmp: Path,
    *,
    workers: int = 2,
    scheduler: bool = True,
    broker_url: str | None = None,
    events_url: str = "",
    env: dict[str, str] | None = None,
    graphs: GraphCache | None = None,
    **overrides: Any,
) -> AsyncIterator[Cluster]:
    """PostgreSQL database, broker queue, ``workers`` worker processes and a scheduler.
    ``broker_url``: a broker of the test's own (else the machine's ``broker``);
    ``events_url``: WIREWORK_EVENTS_URL (``"database"``: the cluster's PostgreSQL);
    ``env``: more environment of the processes; ``graphs``: the server's graph cache (the
    node types it compiles against); ``overrides``: settings of every process."""
    settings, db_name = await _settings(broker, tmp / "data", broker_url, events_url, **overrides)
    runtime = await open_runtime(settings)
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    c = Cluster(broker, settings, runtime, logs, env)
    try:
        for i in range(workers):
            c.start_worker(f"worker{i + 1}")
        if scheduler:
            c.start("scheduler1", "scheduler")
        c.host = EngineHost(runtime, dispatcher=cluster_dispatcher(settings))
        if graphs is not None:
            c.host.graphs = graphs
        await c.host.start(schedules=False, resume=False, timers=False)
        for i in range(workers):
            await c.ready(f"worker{i + 1}")
        yield c
    finally:
        if c.host is not None:
            await c.host.stop()
        await asyncio.get_running_loop().run_in_executor(None, c.stop_all)
        c.sink.close()
        await asyncio.get_running_loop().run_in_executor(None, _delete_queue, settings)
        await runtime.close()
        await _drop_pg(db_name)


def _delete_queue(settings: Settings) -> None:
    """The test's broker queue goes with it (a broker of the test's own may be gone)."""
    from kombu import Connection, Queue

    with contextlib.suppress(Exception), Connection(settings.broker_url, connect_timeout=3) as conn:
        Queue(settings.broker_queue).bind(conn.default_channel).delete()
