"""/docs and /redoc work without internet: every script, style and icon they load comes from
this server, answers 200 with its content type, and the pages name no other host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from wirework.api.app import create_app
from wirework.settings import Settings

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".svg": ("image/svg+xml",),
}


class Assets(HTMLParser):
    """Every URL a page loads by itself: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.fixture
async def docs_client(tmp_path: Path) -> httpx.AsyncClient:
    app = create_app(Settings(data_dir=tmp_path))  # the pages need no database
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect", "/"])
async def test_docs_pages_load_only_local_assets(docs_client: httpx.AsyncClient, page: str) -> None:
    async with docs_client as client:
        resp = await client.get(page)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/html")
        # No other host anywhere in the page: not in a tag, not in inline script.
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", resp.text, re.I), resp.text
        parser = Assets()
        parser.feed(resp.text)
        if page in ("/docs", "/redoc"):
            assert any(u.endswith(".js") for u in parser.urls), parser.urls
        for url in parser.urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc and url.startswith("/"), url
            asset = await client.get(url)
            assert asset.status_code == 200, url
            suffix = Path(parts.path).suffix
            assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], url
            # The real file, not an error page (the SVG icon is small).
            assert len(asset.content) > (100 if suffix == ".svg" else 1000), url


async def test_openapi_document_the_pages_read(docs_client: httpx.AsyncClient) -> None:
    async with docs_client as client:
        for page in ("/docs", "/redoc"):
            assert "/openapi.json" in (await client.get(page)).text
        spec = await client.get("/openapi.json")
        assert spec.status_code == 200 and "/api/health" in spec.json()["paths"]


async def test_docs_honour_root_path(tmp_path: Path) -> None:
    """Behind a proxy that mounts the app under a prefix, the assets are under it too."""
    app = create_app(Settings(data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app, root_path="/ww")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = (await client.get("/docs")).text
    assert 'href="/ww/static/docs/swagger-ui.css"' in page
    assert "'/ww/openapi.json'" in page
