"""The web UI in headless Chromium, measured with the browser's performance APIs.

Starts a real ``wirework server`` (SQLite, a throw-away data dir, the built UI), fills it
through the API and the database, then drives Debian's Chromium with playwright-core
(``bench/ui/measure.mjs``) and prints:

- time to open the editor on a 500-node workflow until its nodes are on screen (≤ 1 s);
- frame rate while dragging a node and while panning that workflow (≥ 50 fps);
- time to show a node output of 10,000 items in the execution view (≤ 300 ms);
- time to show the first page of executions with 1,000,000 stored (≤ 300 ms).

Needs the built UI (``make ui``) and ``/usr/bin/chromium``; ``make bench`` builds it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import machine, report
from wirework.db.base import new_id
from wirework.db.models import Execution
from wirework.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "src" / "wirework" / "web_dist"
MEASURE = Path(__file__).resolve().parent / "ui" / "measure.mjs"
EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
EXECUTIONS = 1_000_000
BATCH = 50_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def big_workflow(n: int = 500) -> dict[str, Any]:
    """A manual trigger then ``n - 1`` nodes: chains that branch through IF nodes and meet
    again in merges, laid out on a grid like a drawn workflow."""
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "core.manual", "position": {"x": 0, "y": 0}}
    ]
    connections: list[dict[str, Any]] = []
    previous = "start"
    for i in range(1, n):
        kind = i % 10
        node_id = f"n{i}"
        node: dict[str, Any] = {
            "id": node_id,
            "position": {"x": 260 * (i // 20 + 1), "y": 120 * (i % 20)},
        }
        if kind == 3:
            node |= {"type": "core.if", "params": {"condition": "{{ json.n > 1 }}"}}
        elif kind == 7:
            node |= {"type": "core.set", "params": {"fields": {"n": "{{ json.n + 1 }}"}}}
        else:
            node |= {"type": "core.noop"}
        after_if = nodes[-1]["type"] == "core.if"
        connections.append(
            {"from": previous, "to": node_id} | ({"from_output": "true"} if after_if else {})
        )
        nodes.append(node)
        previous = node_id
    return {"name": f"bench {n} nodes", "nodes": nodes, "connections": connections}


def _start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PYTHONPATH": str(ROOT / "src"),
        "WIREWORK_DATA_DIR": str(data_dir),
        "WIREWORK_UI_DIR": str(UI_DIR),
        "WIREWORK_LOG_LEVEL": "warning",
        "WIREWORK_DATABASE_URL": "",
        "WIREWORK_BROKER_URL": "",
    }
    cmd = [sys.executable, "-m", "wirework.cli.main", "server", "--host", "127.0.0.1"]
    return subprocess.Popen([*cmd, "--port", str(port)], env=env, cwd=data_dir)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become healthy in 60 s")


def _fill_api(base: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=120) as c:
        c.post("/api/setup", json={"email": EMAIL, "password": PASSWORD, "name": "Bench"})
        token = c.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        c.headers["Authorization"] = f"Bearer {token.raise_for_status().json()['access_token']}"
        big = c.post("/api/workflows", json=big_workflow()).raise_for_status().json()
        items = (
            c.post(
                "/api/workflows",
                json={
                    "name": "bench 10k items",
                    "nodes": [
                        {"id": "start", "type": "core.manual"},
                        {"id": "pass", "type": "core.noop"},
                    ],
                    "connections": [{"from": "start", "to": "pass"}],
                },
            )
            .raise_for_status()
            .json()
        )
        rows = [
            {"i": i, "name": f"item {i}", "email": f"user{i}@example.com", "ok": i % 3 == 0}
            for i in range(10_000)
        ]
        run = (
            c.post(
                f"/api/workflows/{items['id']}/execute",
                params={"wait": "true"},
                json={"input": rows},
            )
            .raise_for_status()
            .json()
        )
        return {"workflow_id": big["id"], "execution_id": run["id"], "items_workflow": items["id"]}


async def _fill_executions(data_dir: Path, workflow_id: int, rows: int) -> float:
    url = Settings(data_dir=data_dir).effective_database_url
    engine = create_async_engine(url)
    rng = random.Random(7)
    statuses = ["success"] * 90 + ["error"] * 8 + ["canceled"] * 2
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    began = time.perf_counter()
    try:
        for offset in range(0, rows, BATCH):
            batch = [
                {
                    "id": new_id(),
                    "workflow_id": workflow_id,
                    "workflow_version": 1,
                    "status": rng.choice(statuses),
                    "mode": "webhook",
                    "started_at": start + dt.timedelta(seconds=(offset + i) * 2),
                    "finished_at": start + dt.timedelta(seconds=(offset + i) * 2, milliseconds=40),
                }
                for i in range(min(BATCH, rows - offset))
            ]
            async with engine.begin() as conn:
                await conn.execute(insert(Execution.__table__), batch)
    finally:
        await engine.dispose()
    return time.perf_counter() - began


def main(rows: int = EXECUTIONS) -> dict[str, Any]:
    if not (UI_DIR / "index.html").exists():
        raise SystemExit(f"the UI is not built ({UI_DIR}): run 'make ui' first")
    with tempfile.TemporaryDirectory(prefix="wirework-bench-ui-") as tmp:
        data_dir, port = Path(tmp), _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = _start_server(data_dir, port)
        try:
            _wait_healthy(base, proc)
            ids = _fill_api(base)
            fill_s = asyncio.run(_fill_executions(data_dir, ids["items_workflow"], rows))
            env = os.environ | {
                "BENCH_URL": base,
                "BENCH_EMAIL": EMAIL,
                "BENCH_PASSWORD": PASSWORD,
                "BENCH_IDS": json.dumps(ids),
            }
            out = subprocess.run(["node", str(MEASURE)], env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"measure.mjs failed ({out.returncode}):\n{out.stderr[-3000:]}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    rows_out = [("executions stored", f"{rows:,} (inserted in {fill_s:.1f} s)")]
    rows_out += [(label, text) for label, text in figures["lines"]]
    report(f"web UI in headless Chromium — {machine()}", rows_out)
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else EXECUTIONS)
