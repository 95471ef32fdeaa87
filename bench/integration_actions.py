"""Integration actions: 1,000 items through ``github.create_issue`` (one request per item)
against a local HTTP server, on the integration's pooled client; baseline: the same 1,000
POSTs with a bare httpx client on one kept-alive connection, and with a new client per
request (what an action costs without a pool).

Measures what the SDK adds per request (params validation, credentials, the guarded client,
error mapping, the engine's per-item loop)."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench.common import Timer, machine, median, report
from wirework.engine.executor import Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.integration import close_pools
from wirework.sdk.outbound import IntegrationCredentials, OutboundPolicy, set_policy

ITEMS = 1000
BODY = json.dumps({"id": 1, "number": 1, "title": "t", "state": "open", "labels": []}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one segment per answer: no delayed-ACK stalls

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def _document() -> dict[str, Any]:
    return {
        "name": "bench",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {
                "id": "n",
                "type": "github.create_issue",
                "integration_id": 1,
                "params": {"owner": "acme", "repo": "app", "title": "{{ json.title }}"},
            },
        ],
        "connections": [{"from": "in", "to": "n"}],
    }


async def _engine_run(url: str) -> float:
    values = IntegrationCredentials(
        {"token": "ghp_bench", "base_url": url}, integration_id=1, secret_fields={"token"}
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    graph = compile_graph(_document())
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    items = [{"title": f"issue {i}"} for i in range(ITEMS)]
    with Timer() as t:
        started = await runner.execute(graph, input_items=items)
        record = await started.wait()
    assert record.status == "success", record.error
    assert len(started.run.outputs["n"]["main"]) == ITEMS
    return t.elapsed


async def _bare(url: str, pooled: bool) -> float:
    with Timer() as t:
        if pooled:
            async with httpx.AsyncClient() as client:
                for i in range(ITEMS):
                    r = await client.post(f"{url}/repos/acme/app/issues", json={"title": f"{i}"})
                    r.json()
        else:
            for i in range(ITEMS):
                async with httpx.AsyncClient() as client:
                    r = await client.post(f"{url}/repos/acme/app/issues", json={"title": f"{i}"})
                    r.json()
    return t.elapsed


async def main() -> dict[str, float]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        engine = [await _engine_run(url) for _ in range(4)]
        bare = [await _bare(url, pooled=True) for _ in range(3)]
        fresh = [await _bare(url, pooled=False) for _ in range(2)]
    finally:
        await close_pools()
        set_policy(None)
        server.shutdown()
    per_item = median(engine[1:]) / ITEMS * 1000
    per_bare = median(bare) / ITEMS * 1000
    per_fresh = median(fresh) / ITEMS * 1000
    report(
        f"integration actions ({ITEMS} x github.create_issue, local server) — {machine()}",
        [
            ("per item, engine + SDK, pooled client", f"{per_item:.3f} ms"),
            ("baseline: bare httpx, one kept-alive client", f"{per_bare:.3f} ms"),
            ("SDK and engine overhead per request", f"{per_item - per_bare:.3f} ms"),
            ("bare httpx, a new client per request", f"{per_fresh:.3f} ms"),
            ("first run (graph compile, pool start)", f"{engine[0] * 1000:.0f} ms"),
        ],
    )
    return {"action_ms": per_item, "bare_ms": per_bare}


if __name__ == "__main__":
    asyncio.run(main())
