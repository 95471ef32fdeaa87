"""Webhook throughput: webhook → set (two expressions) → respond, 50 concurrent clients,
every execution and step recorded in SQLite. Compared with a bare FastAPI endpoint returning
the same JSON, served the same way (one uvicorn process) in the same run.

Target (DESIGN.md §7): ≥ 1,000 executions/s on 2 cores with p99 ≤ 50 ms. Needs `wrk`
(`apt-get install wrk`); the load generator shares the machine's 2 cores with the server.

Figures vary from run to run on these machines (the same code measured 1,500 to 2,000/s),
so ``BENCH_RUNS=N`` repeats the whole comparison N times (a fresh server and database each
time, engine then bare) and reports each run and the range. The server's CPU time per
request (all its threads, from /proc; Linux only) is printed for both servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.common import machine, report

DURATION_S = int(os.environ.get("BENCH_DURATION_S", "10"))
RUNS = max(1, int(os.environ.get("BENCH_RUNS", "1")))
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
def serve(cmd: list[str], env: dict[str, str], health: str) -> Iterator[int]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(health)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads (NaN where /proc is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: Path, pid: int) -> dict[str, float]:
    """Load ``url`` (served by process ``pid``) with wrk; also the server's CPU µs/request."""
    cpu_before = cpu_seconds(pid)
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

    cpu = cpu_seconds(pid) - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
        "cpu_us": cpu * 1e6 / (rps * DURATION_S) if rps else float("nan"),
    }


def one_run() -> dict[str, float]:
    """One comparison: the engine under load, then the bare endpoint under the same load."""
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
        ) as pid:
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
            engine = wrk(f"{base}/webhook/bench", script, pid)
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
        ) as pid:
            bare = wrk(f"http://127.0.0.1:{port}/webhook/bench", script, pid)
    return {
        **engine,
        "executions": executions,
        "steps": steps,
        "bare_rps": bare["rps"],
        "bare_p50": bare["p50"],
        "bare_p99": bare["p99"],
        "bare_cpu_us": bare["cpu_us"],
        "ratio": engine["rps"] / bare["rps"],
    }


def span(runs: list[dict[str, float]], key: str, fmt: str) -> str:
    """One run's figure, or the range over several runs."""
    low, high = min(r[key] for r in runs), max(r[key] for r in runs)
    return format(low, fmt) if len(runs) == 1 else f"{low:{fmt}}-{high:{fmt}}"


def main() -> dict[str, float]:
    if shutil.which("wrk") is None:
        print("webhook_throughput: `wrk` is not installed (apt-get install wrk); skipped")
        return {}
    runs = []
    for index in range(RUNS):
        run = one_run()
        runs.append(run)
        if RUNS > 1:
            print(
                f"  run {index + 1}/{RUNS}: {run['rps']:.0f} exec/s, p50 {run['p50']:.1f} ms, "
                f"p99 {run['p99']:.1f} ms; bare {run['bare_rps']:.0f} req/s; "
                f"ratio {run['ratio']:.2f}",
                flush=True,
            )
    over = f"{RUNS} runs" if RUNS > 1 else "1 run"
    report(
        f"webhook throughput ({CONNECTIONS} clients, {DURATION_S} s, SQLite, {over}) — {machine()}",
        [
            ("executions/s", f"{span(runs, 'rps', '.0f')}  (target ≥ 1,000)"),
            (
                "latency p50 / p99",
                f"{span(runs, 'p50', '.1f')} / {span(runs, 'p99', '.1f')} ms  (target p99 ≤ 50 ms)",
            ),
            ("non-2xx answers", f"{sum(r['errors'] for r in runs):.0f}"),
            (
                "recorded",
                f"{sum(r['executions'] for r in runs):.0f} successful executions, "
                f"{sum(r['steps'] for r in runs):.0f} steps",
            ),
            (
                "bare FastAPI endpoint",
                f"{span(runs, 'bare_rps', '.0f')} req/s, p50 {span(runs, 'bare_p50', '.1f')} ms, "
                f"p99 {span(runs, 'bare_p99', '.1f')} ms",
            ),
            ("ratio engine / bare", span(runs, "ratio", ".2f")),
            (
                "server CPU per request",
                f"engine {span(runs, 'cpu_us', '.0f')} µs, "
                f"bare {span(runs, 'bare_cpu_us', '.0f')} µs",
            ),
        ],
    )
    return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p99", "ratio")}


if __name__ == "__main__":
    main()
