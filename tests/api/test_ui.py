"""The web UI at /: deep links fall back to index.html, assets are cached, the API's paths
never fall back, and without a build a page says how to make one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from wirework.api.app import create_app
from wirework.services.runtime import Runtime
from wirework.settings import Settings

INDEX = '<!doctype html><html><body><div id="root"></div></body></html>'
ASSET = "console.log('hashed')"

# Every path the API, its documentation or webhooks own: never the UI's page.
RESERVED = [
    "/api",
    "/api/",
    "/api/nope",
    "/api/workflows/1/nope",
    "/docs/nope",
    "/openapi.json/x",
]
# Webhook paths are answered by the webhook routes (which need the database).
WEBHOOKS = ["/webhook/some/path", "/webhook-test/x", "/webhook-waiting/1", "/webhooks"]


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text(INDEX)
    (d / "assets" / "index-abc123.js").write_text(ASSET)
    (d / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return d


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: these paths need no database.
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def ui(dist: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(Settings(data_dir=tmp_path / "data", ui_dir=dist)):
        yield client


@pytest.fixture
async def unbuilt(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path / "data", ui_dir=tmp_path / "missing")
    async for client in _client(settings):
        yield client


@pytest.mark.parametrize("path", ["/", "/workflows", "/workflows/3", "/settings/a/b?x=1"])
async def test_browser_paths_get_the_app(ui: httpx.AsyncClient, path: str) -> None:
    resp = await ui.get(path)
    assert resp.status_code == 200 and resp.text == INDEX
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    head = await ui.head(path)
    assert head.status_code == 200 and head.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(ui: httpx.AsyncClient) -> None:
    resp = await ui.get("/assets/index-abc123.js")
    assert resp.status_code == 200 and resp.text == ASSET
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A missing asset is a 404, not the app (a stale page must not get HTML for a script).
    missing = await ui.get("/assets/index-old.js")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_top_level_build_files_are_served(ui: httpx.AsyncClient) -> None:
    resp = await ui.get("/favicon.svg")
    assert resp.status_code == 200 and resp.text == "<svg/>"


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt", "/.hidden"]
)
async def test_nothing_outside_the_build_is_served(ui: httpx.AsyncClient, path: str) -> None:
    resp = await ui.get(path)
    assert "outside the build" not in resp.text
    assert resp.status_code in (200, 404)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_api_docs_are_never_the_app(ui: httpx.AsyncClient, path: str) -> None:
    resp = await ui.get(path)
    assert resp.status_code == 200 and "API" in resp.text
    assert INDEX not in resp.text


@pytest.mark.parametrize("path", RESERVED)
async def test_api_paths_never_fall_back(ui: httpx.AsyncClient, path: str) -> None:
    resp = await ui.get(path)
    assert resp.status_code == 404, (path, resp.text)
    assert resp.json()["code"] == "not_found"
    assert INDEX not in resp.text


@pytest.mark.db
async def test_webhook_paths_never_fall_back(
    runtime: Runtime, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.settings, "ui_dir", dist)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in WEBHOOKS:
            resp = await client.get(path)
            assert resp.status_code == 404, (path, resp.text)
            assert INDEX not in resp.text
        # The UI is served by the same app.
        assert (await client.get("/workflows/1")).text == INDEX


async def test_api_docs_and_schema_still_answer(ui: httpx.AsyncClient) -> None:
    assert (await ui.get("/openapi.json")).json()["info"]["title"] == "Wirework"
    docs = await ui.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_other_methods_do_not_fall_back(ui: httpx.AsyncClient, method: str) -> None:
    resp = await ui.request(method, "/workflows/3")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    resp = await ui.request(method, "/api/nope")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


async def test_not_built_page_says_how_to_build(unbuilt: httpx.AsyncClient) -> None:
    for path in ("/", "/workflows/3"):
        resp = await unbuilt.get(path)
        assert resp.status_code == 200
        assert "npm run build" in resp.text and "make run" in resp.text
        assert resp.headers["cache-control"] == "no-cache"
    assert (await unbuilt.get("/api/nope")).status_code == 404
    assert (await unbuilt.get("/assets/index-abc123.js")).status_code == 404


def test_the_packaged_build_is_package_data() -> None:
    """pyproject ships wirework/web_dist (where `npm run build` writes) in the wheel."""
    import tomllib

    from wirework.api import ui

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["wirework"]
    assert "web_dist/**/*" in patterns
    assert root / "src" / "wirework" / "web_dist" == ui.PACKAGED_DIST
