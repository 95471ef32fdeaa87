"""A server killed (SIGKILL) in the middle of an execution resumes it when it starts again:
the finished steps are not run again, the interrupted one is (at-least-once)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

WIREWORK = str(Path(sys.executable).parent / "wirework")
DOC = {
    "name": "survives a crash",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {"id": "before", "type": "core.set", "params": {"fields": {"step": "before"}}},
        {"id": "pause", "type": "core.wait", "params": {"seconds": 3}},
        {"id": "after", "type": "core.set", "params": {"fields": {"step": "after"}}},
    ],
    "connections": [
        {"from": "start", "to": "before"},
        {"from": "before", "to": "pause"},
        {"from": "pause", "to": "after"},
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWORK_")}
    env.update(WIREWORK_DATA_DIR=str(data_dir), WIREWORK_LOG_LEVEL="warning")
    proc = subprocess.Popen(
        [WIREWORK, "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start")


def test_killed_server_resumes_unfinished_executions(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(data_dir, port)
    try:
        token = httpx.post(
            f"{base}/api/setup", json={"email": "o@example.com", "password": "password-123"}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        wf = httpx.post(f"{base}/api/workflows", json=DOC, headers=auth).json()["id"]
        execution = httpx.post(
            f"{base}/api/workflows/{wf}/execute", json={"input": {"n": 1}}, headers=auth
        ).json()
        time.sleep(1)  # `before` is done, `pause` is sleeping
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    proc = start(data_dir, port)
    try:
        record: dict[str, Any] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            record = httpx.get(f"{base}/api/executions/{execution['id']}", headers=auth).json()
            if record["status"] not in ("running", "queued"):
                break
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert record["status"] == "success", record
    runs = [(s["node_id"], s["attempt"]) for s in record["steps"]]
    assert runs.count(("before", 1)) == 1 and ("before", 2) not in runs  # not run again
    assert runs.count(("pause", 1)) == 1  # the interrupted step ran (again) after the restart
    assert record["result"] == [{"n": 1, "step": "after"}]
