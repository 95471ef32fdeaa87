"""Webhook throughput: webhook → set (two expressions) → respond, 50 concurrent clients,
every execution and step recorded in SQLite. Compared with a bare FastAPI endpoint returning
the same JSON, served the same way (one uvicorn process) in the same run.

Target (DESIGN.md §7): ≥ 1,000 executions/s on 2 cores with p99 ≤ 50 ms. Needs `wrk`
(`apt-get install wrk`); the load generator shares the machine's 2 cores with the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.common import machine, report

DURATION_S = int(os.environ.get("BENCH_DURATION_S", "10"))
CONNECTIONS = 50
BODY = {"title": "Crash on save", "user": "ada"}
WORKFLOW = {
    "name": "webhook bench",
    "nodes": [
        {
            "id": "hook",
            "type": "core.webhook",
            "params": {"path": "bench", "method": "POST", "respond": "respond_node"},
        },
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
        {"id": "answer", "type": "core.respond", "params": {"status": 200}},
    ],
    "connections": [{"from": "hook", "to": "set"}, {"from": "set", "to": "answer"}],
}
LUA = f"""
wrk.method = "POST"
wrk.body   = '{json.dumps(BODY)}'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def serve(cmd: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(health)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk(url: str, script: Path) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def main() -> dict[str, float]:
    if shutil.which("wrk") is None:
        print("webhook_throughput: `wrk` is not installed (apt-get install wrk); skipped")
        return {}
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="wirework-bench-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA)
        env = {
            **os.environ,
            "WIREWORK_DATA_DIR": str(Path(tmp) / "data"),
            "WIREWORK_LOG_LEVEL": "warning",
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serve(
            [str(bin_dir / "wirework"), "server", "--port", str(port)], env, f"{base}/api/health"
        ):
            token = httpx.post(
                f"{base}/api/setup", json={"email": "b@example.com", "password": "benchmark!"}
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            resp = httpx.post(
                f"{base}/api/workflows", json={**WORKFLOW, "active": True}, headers=auth
            )
            resp.raise_for_status()
            check = httpx.post(f"{base}/webhook/bench", json=BODY)
            assert check.json() == {"title": BODY["title"], "greeting": "hello ada"}, check.text
            engine = wrk(f"{base}/webhook/bench", script)
        db = sqlite3.connect(Path(tmp) / "data" / "wirework.db")
        executions = db.execute(
            "select count(*) from executions where status='success'"
        ).fetchone()[0]
        steps = db.execute("select count(*) from execution_steps").fetchone()[0]
        db.close()
        port = free_port()
        with serve(
            [
                str(bin_dir / "uvicorn"),
                "bench.bare_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
            f"http://127.0.0.1:{port}/docs",
        ):
            bare = wrk(f"http://127.0.0.1:{port}/webhook/bench", script)
    report(
        f"webhook throughput ({CONNECTIONS} clients, {DURATION_S} s, SQLite) — {machine()}",
        [
            ("executions/s", f"{engine['rps']:.0f}  (target ≥ 1,000)"),
            (
                "latency p50 / p99",
                f"{engine['p50']:.1f} / {engine['p99']:.1f} ms  (target p99 ≤ 50 ms)",
            ),
            ("non-2xx answers", f"{engine['errors']:.0f}"),
            ("recorded", f"{executions} successful executions, {steps} steps"),
            (
                "bare FastAPI endpoint",
                f"{bare['rps']:.0f} req/s, p50 {bare['p50']:.1f} ms, p99 {bare['p99']:.1f} ms",
            ),
            ("ratio engine / bare", f"{engine['rps'] / bare['rps']:.2f}"),
        ],
    )
    return {"rps": engine["rps"], "p99": engine["p99"], "ratio": engine["rps"] / bare["rps"]}


if __name__ == "__main__":
    main()
