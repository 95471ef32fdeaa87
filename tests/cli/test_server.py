"""`wirework server` for real: the URLs it hands out carry the port it listens on, health
probes stay out of the log, and the API docs load from the server itself."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.cli.live import free_port, live_server, owner_client, server_env
from wirework.cli.server import self_url

WAITING = {
    "name": "Approval",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {
            "id": "link",
            "type": "core.set",
            "params": {"fields": {"url": "{{ execution.resume_url }}"}},
        },
        {"id": "pause", "type": "core.wait", "params": {"resume": "webhook"}},
    ],
    "connections": [{"from": "start", "to": "link"}, {"from": "link", "to": "pause"}],
}


async def _resume_url(client: httpx.AsyncClient) -> str:
    resp = await client.post("/api/workflows", json=WAITING)
    assert resp.status_code == 201, resp.text
    workflow_id = resp.json()["id"]
    resp = await client.post(f"/api/workflows/{workflow_id}/execute?wait=true", json={})
    assert resp.status_code == 200, resp.text
    record: dict[str, Any] = resp.json()
    assert record["status"] == "waiting", record
    (link,) = [s for s in record["steps"] if s["node_id"] == "link"]
    return str(link["output"]["main"][0]["url"])


async def test_resume_url_uses_the_port_given_on_the_command_line(tmp_path: Path) -> None:
    """`--port` (not WIREWORK_PORT, whose default is 8000) is where the resume URL points,
    and calling it resumes the execution."""
    port = free_port()
    async with live_server(tmp_path, "--port", str(port)) as server:
        assert server.url == f"http://127.0.0.1:{port}"
        async with owner_client(server) as client:
            url = await _resume_url(client)
            parts = urlsplit(url)
            assert (parts.scheme, parts.hostname, parts.port) == ("http", "127.0.0.1", port), url
            assert parts.path.startswith("/webhook-waiting/")
            resp = await client.get(url)
            assert resp.status_code == 200, resp.text
            assert resp.json()["status"] == "resumed"


async def test_port_zero_and_public_url(tmp_path: Path) -> None:
    """`--port 0` listens on a free port and says which; behind a proxy WIREWORK_PUBLIC_URL
    is what resume URLs use."""
    env = server_env(tmp_path, WIREWORK_PUBLIC_URL="https://flows.example.com/ww/")
    async with live_server(tmp_path, "--port", "0", env=env) as server:
        port = urlsplit(server.url).port
        assert port and port != 8000
        async with owner_client(server) as client:
            assert (await client.get("/api/health")).status_code == 200
            url = await _resume_url(client)
    assert url.startswith("https://flows.example.com/ww/webhook-waiting/"), url


async def test_health_probes_log_nothing(tmp_path: Path) -> None:
    """Each /api/health call: no Alembic lines, no access-log line (a failing one would be
    logged); other requests are still logged."""
    async with live_server(tmp_path, "--port", "0") as server:
        started = len(server.raw)
        async with server.client() as client:
            for _ in range(5):
                resp = await client.get("/api/health")
                assert resp.status_code == 200 and resp.json()["status"] == "ok"
            assert (await client.get("/api/no-such-route")).status_code == 404
        # Lines are written in order: once the 404's line is there, the health calls' are too.
        await server.wait_for(lambda line: "/api/no-such-route" in str(line.get("event")))
        after = server.raw[started:]
        assert not [line for line in after if "/api/health" in line], after
        assert not [line for line in after if "alembic" in line.lower()], after


async def test_docs_load_from_the_server(tmp_path: Path) -> None:
    async with live_server(tmp_path, "--port", "0") as server, server.client() as client:
        page = (await client.get("/docs")).text
        assert "/static/docs/swagger-ui-bundle.js" in page
        asset = await client.get("/static/docs/swagger-ui-bundle.js")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith("text/javascript")


async def test_address_in_use_is_one_clear_line(tmp_path: Path) -> None:
    import asyncio

    from tests.cli.live import WIREWORK

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            str(WIREWORK),
            "server",
            "--port",
            str(port),
            env=server_env(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 120)
    text = err.decode()
    assert proc.returncode == 1, text
    assert f"error: --host/--port: cannot listen on 127.0.0.1:{port}" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("::1", 9000, "http://[::1]:9000"),
        ("localhost", 80, "http://localhost:80"),
        ("0.0.0.0", 8000, f"http://{socket.gethostname()}:8000"),
        ("::", 8000, f"http://{socket.gethostname()}:8000"),
    ],
)
def test_self_url(host: str, port: int, expected: str) -> None:
    assert self_url(host, port) == expected
