"""GET /api/health: no auth, database status, schema revision, version."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from wirework import __version__
from wirework.api.app import create_app
from wirework.db import migrate
from wirework.db.engine import create_engine, create_sessionmaker
from wirework.services.runtime import Runtime
from wirework.settings import Settings
from wirework.vault import Vault
from wirework.vault.crypto import generate_key

EXPECTED_DIALECT = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}


async def test_health_without_auth(runtime: Runtime, anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.get("/api/health")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    backend = make_url(runtime.settings.database_url).get_backend_name()
    assert body["status"] == "ok" and body["down"] == []
    assert body["version"] == __version__
    assert body["mode"] == "embedded"
    db = body["database"]
    assert db["ok"] is True and db["error"] is None
    assert db["dialect"] in (EXPECTED_DIALECT[backend], "mariadb")
    assert db["revision"] == migrate.head_revision() is not None


async def test_health_ignores_bad_credentials(anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.get("/api/health", headers={"Authorization": "Bearer nonsense"})
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


async def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    """A database that went away: 503 (a load balancer or readiness probe takes the server
    out of rotation) naming what is down, with the error's type, never its message (which
    could hold the URL and its password); liveness (the process answers) stays 200."""
    url = "postgresql+asyncpg://wire:db-pa55word@127.0.0.1:1/ww"
    settings = Settings(data_dir=tmp_path, database_url=url, broker_url="redis://x:6379/0")
    engine = create_engine(url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        vault=Vault([generate_key().encode()]),
        signing_key="k",
    )
    try:
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            resp = await client.get("/api/health")
            live = await client.get("/api/health/live")
    finally:
        await engine.dispose()
    assert resp.status_code == 503, resp.text
    assert live.status_code == 200 and live.json()["status"] == "alive"
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["database"]
    assert body["mode"] == "distributed"
    assert body["database"]["ok"] is False
    assert body["database"]["dialect"] == "postgresql"
    assert body["database"]["revision"] is None
    assert body["database"]["error"]
    assert "db-pa55word" not in resp.text and "127.0.0.1" not in resp.text


async def test_health_logs_nothing_per_call(
    anon_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Probes call health every few seconds: a call must not run Alembic (whose migration
    context logs "Context impl …" at INFO) nor log anything else at INFO or above."""
    await anon_client.get("/api/health")  # the first call may warm anything up
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            resp = await anon_client.get("/api/health")
            assert resp.status_code == 200 and resp.json()["database"]["revision"]
    ours = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO and not r.name.startswith("httpx")  # the test's client
    ]
    assert ours == [], [(r.name, r.getMessage()) for r in ours]
    assert not [r for r in caplog.records if r.name.startswith("alembic")]
