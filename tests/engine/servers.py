"""Real `wirework server` processes for the durability suites, and a local HTTP server that
workflows call (it records every request, holds some until released, fails some once)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.engine.waiting import wait_until

WIREWORK = str(Path(sys.executable).parent / "wirework")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `wirework server` subprocess (its log in ``log``)."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    auth: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        resp = httpx.get(self.base + path, headers=self.auth, timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def post(self, path: str, body: Any, status: int = 200) -> Any:
        resp = httpx.post(self.base + path, json=body, headers=self.auth, timeout=30)
        assert resp.status_code == status, resp.text
        return resp.json()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(data_dir: Path, port: int, **env_vars: str) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWORK_")}
    env.update(WIREWORK_DATA_DIR=str(data_dir), WIREWORK_LOG_LEVEL="warning", **env_vars)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"server-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [WIREWORK, "server", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    server = Server(proc, port, log)

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{server.base}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, f"the server on port {port} answers", limit_s=120)
    except BaseException:
        server.kill()
        raise
    return server


def log_in(server: Server, *, setup: bool) -> None:
    creds = {"email": "o@example.com", "password": "password-123"}
    path = "/api/setup" if setup else "/api/auth/login"
    token = httpx.post(server.base + path, json=creds, timeout=30).json()["access_token"]
    server.auth = {"Authorization": f"Bearer {token}"}


@dataclass
class Hit:
    path: str
    body: Any
    at: float


class Recorder:
    """Records each request as a :class:`Hit`. ``/hold/…`` requests wait until
    :meth:`release` (at most a minute); ``/flaky/<key>`` answers 500 the first time per key."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with recorder._lock:
                    recorder.hits.append(Hit(self.path, body, time.time()))
                    seen = sum(1 for h in recorder.hits if h.path == self.path)
                if self.path.startswith("/hold/"):
                    recorder.released.wait(60)
                status = 500 if self.path.startswith("/flaky/") and seen == 1 else 200
                payload = json.dumps({"ok": status == 200}).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the caller died meanwhile

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def release(self) -> None:
        self.released.set()

    def count(self, prefix: str, execution_id: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for h in self.hits
                if h.path.startswith(prefix)
                and (execution_id is None or (h.body or {}).get("execution") == execution_id)
            )

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [h.at for h in self.hits if h.path == path]


@contextmanager
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.release()
        r.server.shutdown()
        r.server.server_close()


def call(node_id: str, url: str, **extra: Any) -> dict[str, Any]:
    """A core.http_request node POSTing the execution's id to ``url``."""
    return {
        "id": node_id,
        "type": "core.http_request",
        "params": {
            "method": "POST",
            "url": url,
            "body": {"execution": "{{ execution.id }}"},
            "timeout_s": 90,
        },
        **extra,
    }
