"""Running integration actions in tests: :func:`run_action` (one node through the real engine
with given credentials) and :class:`RecordingServer` (a local HTTP server answering what it is
told and recording every request)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.outbound import IntegrationCredentials, OutboundPolicy, policy, set_policy


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingServer:
    """Answers every request with ``status`` and ``body`` (JSON) and ``headers``; records
    them. Use as a context manager: ``url`` is set while it serves."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def __enter__(self) -> RecordingServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one segment per answer: no delayed-ACK stalls

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                server.requests.append(
                    Recorded(
                        self.command,
                        urlsplit(self.path).path,
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length) if length else b"",
                    )
                )
                payload = json.dumps(server.body).encode() if server.body is not None else b""
                self.send_response(server.status)
                for name, value in {"content-type": "application/json", **server.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def allow_loopback() -> Iterator[None]:
    """Let outbound requests reach 127.0.0.1 (local test servers) meanwhile."""
    before = policy()
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        yield
    finally:
        set_policy(before)


async def run_action(
    node_type: str,
    params: dict[str, Any],
    credentials: dict[str, Any],
    *,
    secret_fields: set[str] | None = None,
    items: list[dict[str, Any]] | None = None,
    allowed_hosts: list[str] | None = None,
    integration_type: str | None = None,
) -> ExecutionRun:
    """Run one action node (after a manual trigger) through the engine with these
    credentials (integration id 1, of type ``integration_type``: by default the node type's
    prefix); the run's ``record`` and ``outputs`` tell the result."""
    values = IntegrationCredentials(
        credentials,
        integration_id=1,
        name="conformance",
        allowed_hosts=allowed_hosts,
        secret_fields=secret_fields or (),
        integration_type=integration_type or node_type.partition(".")[0],
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    doc = {
        "name": "conformance",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {"id": "n", "type": node_type, "integration_id": 1, "params": params},
        ],
        "connections": [{"from": "in", "to": "n"}],
    }
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run
